"""Order type detection: every row of the decision table (R-O1…R-O4, R-O6, R-V1)."""

from __future__ import annotations

import pytest

from filings.models import OrderType
from filings.orders.detection import order_detect
from icpfiling.registry.models import FormerCertificate, RegistryStatus
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order, detection_input, filed_entity, make_ric, make_uscc

pytestmark = pytest.mark.django_db


def detect(tenant, **kw):
    with tenant_scope(tenant.provider):
        return order_detect(tenant_id=tenant.provider.pk, data=detection_input(**kw))


def test_r_o1_neither_entity_nor_domain_filed_is_new_entity(alpha, beta):
    d = detect(alpha, cert=make_uscc(), domain="brand-new.cn")
    assert (d.order_type, d.block, d.field_errors) == (OrderType.NEW_ENTITY, "", {})
    assert d.entity_key.startswith("business_licence:91330106MA")


def test_r_o4_new_entity_with_a_domain_filed_by_someone_else_is_blocked(alpha, beta):
    filed_entity(sites=[("taken.cn", beta.provider)])
    d = detect(alpha, cert=make_uscc(), domain="taken.cn")
    assert (d.order_type, d.block) == (None, "domain_filed_by_other")
    assert "taken.cn" in str(d.message)


def test_r_o2_filed_entity_elsewhere_new_domain_is_new_website(alpha, beta):
    e = filed_entity(sites=[("elsewhere.cn", beta.provider)])
    d = detect(alpha, cert=e.certificate_number, domain="another.cn")
    assert (d.order_type, d.entity_at_this_provider, d.entity_key) == (
        OrderType.NEW_WEBSITE,
        False,
        f"entity:{e.pk}",
    )


def test_r_o2_filed_entity_here_new_domain_is_new_website(alpha, beta):
    e = filed_entity(sites=[("here.cn", alpha.provider)])
    d = detect(alpha, cert=e.certificate_number, domain="here-too.cn")
    assert (d.order_type, d.entity_at_this_provider) == (OrderType.NEW_WEBSITE, True)


def test_r_o3_filed_site_hosted_elsewhere_is_new_access(alpha, beta):
    e = filed_entity(sites=[("moving.cn", beta.provider)])
    d = detect(alpha, cert=e.certificate_number, domain="moving.cn")
    assert (d.order_type, d.website.domain) == (OrderType.NEW_ACCESS, "moving.cn")


def test_r_o3_entity_here_site_elsewhere_is_new_access(alpha, beta):
    e = filed_entity(sites=[("one.cn", alpha.provider), ("two.cn", beta.provider)])
    d = detect(alpha, cert=e.certificate_number, domain="two.cn")
    assert (d.order_type, d.entity_at_this_provider) == (OrderType.NEW_ACCESS, True)


def test_r_o4_site_already_connected_here_points_to_change_or_cancel(alpha, beta):
    e = filed_entity(sites=[("connected.cn", alpha.provider)])
    d = detect(alpha, cert=e.certificate_number, domain="connected.cn")
    assert (d.order_type, d.block) == (None, "already_connected")
    assert "变更备案" in str(d.message)
    assert "取消接入" in str(d.message)


def test_r_o4_domain_filed_under_a_different_filed_entity_is_blocked(alpha, beta):
    e = filed_entity(sites=[("mine.cn", alpha.provider)])
    filed_entity(sites=[("theirs.cn", beta.provider)], name="另一公司")
    d = detect(alpha, cert=e.certificate_number, domain="theirs.cn")
    assert d.block == "domain_filed_by_other"


def test_r_o4_entity_without_websites_is_blocked_as_empty_shell(alpha, beta):
    e = filed_entity(sites=[("gone.cn", alpha.provider)])
    e.websites.update(status=RegistryStatus.CANCELLED)
    d = detect(alpha, cert=e.certificate_number, domain="fresh.cn")
    assert d.block == "empty_shell"


def test_r_o4_entity_with_an_order_in_flight_at_another_provider_is_blocked(alpha, beta):
    order = complete_order(beta)
    d = detect(alpha, cert=order.certificate_number, domain="unrelated.cn")
    assert d.block == "in_flight"
    assert "其他接入商" in str(d.message)
    # and the message names no data of the other provider
    assert beta.provider.name not in str(d.message)


def test_r_o4_domain_with_an_order_in_flight_anywhere_is_blocked(alpha, beta):
    complete_order(beta, domain_prefix="busy")
    d = detect(alpha, cert=make_uscc(), domain="busy-0.cn")
    assert d.block == "in_flight"


def test_r_o4_order_in_flight_here_points_to_my_orders(alpha, beta):
    order = complete_order(alpha)
    d = detect(alpha, cert=order.certificate_number, domain="whatever.cn")
    assert d.block == "in_flight"
    assert "我的备案" in str(d.message)


def test_r_o6_entity_renumbered_at_merger_is_found_by_old_number(alpha, beta):
    e = filed_entity(sites=[("old-co.cn", beta.provider)])
    FormerCertificate.objects.create(
        entity=e, certificate_type_id="business_licence", number="330106000054321"
    )
    d = detect(alpha, cert="330106000054321", domain="old-co-new.cn")
    assert (d.order_type, d.entity, d.entity_key) == (OrderType.NEW_WEBSITE, e, f"entity:{e.pk}")


def test_r_v1_old_number_unknown_to_the_registry_is_refused(alpha):
    d = detect(alpha, cert="330106000099999", domain="x-new.cn")
    assert d.order_type is None
    assert "18位统一社会信用代码" in d.field_errors["certificate_number"][0]


def test_r_v1_bad_credit_code_checksum_is_refused(alpha):
    good = make_uscc()
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    d = detect(alpha, cert=bad, domain="x-new.cn")
    assert d.order_type is None
    assert len(d.field_errors["certificate_number"]) == 1


def test_r_w1_subdomain_is_refused_at_detection(alpha):
    d = detect(alpha, cert=make_uscc(), domain="www.example.com")
    assert d.order_type is None
    assert "example.com" in d.field_errors["domain"][0]


def test_r_o6_filed_entity_must_be_detected_in_its_own_province(alpha, beta):
    e = filed_entity(province="GD", sites=[("gd-co.cn", beta.provider)])
    d = detect(alpha, cert=e.certificate_number, domain="gd-co-2.cn", province="ZJ")
    assert d.order_type is None
    assert "广东省" in d.field_errors["province"][0]


def test_certificate_type_must_fit_the_nature(alpha):
    d = detect(alpha, cert=make_uscc(), domain="x-new.cn", nature=5, cert_type="business_licence")
    assert "certificate_type" in d.field_errors


def test_r_v2_individual_detected_by_resident_id(alpha):
    d = detect(alpha, cert=make_ric(), domain="my-notes.cn", nature=5, cert_type="resident_id")
    assert d.order_type == OrderType.NEW_ENTITY
    under_age = make_ric("33010620150101123")
    d = detect(alpha, cert=under_age, domain="kid-notes.cn", nature=5, cert_type="resident_id")
    assert d.order_type is None
    assert "certificate_number" in d.field_errors
