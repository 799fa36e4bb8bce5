"""Whole-order validation rules with province data (R-V3, R-V4, R-V5, R-W2, R-W3, R-W5)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from filings.models import FilingOrder, OrderWebsite
from filings.orders.services import order_create, order_entity_save
from filings.orders.validation import order_errors
from icpfiling.registry.models import FiledEntity
from icpfiling.registry.province_rules import province_rules_load
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order, detection_input, filed_entity, make_ric

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules():
    province_rules_load()


def errors_of(tenant, order: FilingOrder) -> dict[str, list[str]]:
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        return order_errors(order, today=timezone.localdate())


def update(tenant, order, **fields):
    with tenant_scope(tenant.provider):
        FilingOrder.objects.filter(pk=order.pk).update(**fields)


def update_sites(tenant, order, **fields):
    with tenant_scope(tenant.provider):
        OrderWebsite.objects.filter(order=order).update(**fields)


def test_complete_order_has_no_errors(alpha):
    assert errors_of(alpha, complete_order(alpha)) == {}


def test_r_v3_mobile_already_used_by_another_filed_entity_is_refused(alpha, beta):
    order = complete_order(alpha)
    FiledEntity.objects.filter(pk=filed_entity(sites=[("m.cn", beta.provider)]).pk).update(
        principal_mobile="13905710001", principal_mobile_bidx="13905710001"
    )
    assert errors_of(alpha, order)["entity.principal_mobile"] == [
        "该手机号码已登记为其他主体的负责人号码，一个手机号码只能用于一个主体，请更换。"
    ]


def test_r_v3_different_website_principal_needs_different_contacts(alpha):
    order = complete_order(alpha)
    update_sites(
        alpha,
        order,
        principal_same_as_entity=False,
        principal_name="李四",
        principal_id_number=make_ric("33010619920202123"),
        principal_id_long_term=True,
        principal_mobile="13905710001",
        principal_email="LEGAL@example.com",
    )
    errors = errors_of(alpha, order)
    assert set(errors) == {"websites[0].principal_mobile", "websites[0].principal_email"}


def test_r_v3_emergency_contact_differs_from_the_principal(alpha):
    order = complete_order(alpha)
    update(alpha, order, emergency_mobile="13905710001")
    assert list(errors_of(alpha, order)) == ["entity.emergency_mobile"]


def test_r_v4_zhejiang_units_must_name_the_legal_representative(alpha):
    order = complete_order(alpha)
    update(alpha, order, principal_is_legal_rep=False)
    assert errors_of(alpha, order)["entity.principal_is_legal_rep"] == [
        "浙江省要求主体负责人为法定代表人，请填写法定代表人的信息。"
    ]


def test_r_v4_beijing_accepts_a_non_legal_rep_with_an_authorisation_letter(alpha):
    order = complete_order(alpha)
    update(alpha, order, principal_is_legal_rep=False, province_id="BJ")
    assert "entity.principal_is_legal_rep" not in errors_of(alpha, order)


def _individual_order(tenant, *, province: str, id17: str) -> FilingOrder:
    cert = make_ric(id17)
    with tenant_scope(tenant.provider):
        _, order = order_create(
            tenant=tenant.provider,
            applicant=tenant.users["applicant"],
            data=detection_input(
                cert=cert, domain=f"p{id17[-4:]}.cn", province=province, nature=5, cert_type="resident_id"
            ),
        )
        assert order is not None
    return order


def test_r_v4_individual_principal_is_the_person_filing(alpha):
    order = _individual_order(alpha, province="ZJ", id17="33010619900101123")
    with tenant_scope(alpha.provider):
        order_entity_save(
            order=order,
            actor=alpha.users["applicant"],
            values={"principal_id_number": make_ric("33010619920202123")},
        )
    assert any("必须是本人" in m for m in errors_of(alpha, order)["entity.principal_id_number"])


def test_r_v5_heilongjiang_refuses_individuals_from_other_provinces(alpha):
    # an ID issued in Zhejiang (33…) filing in Heilongjiang
    order = _individual_order(alpha, province="HL", id17="33010619900101123")
    assert any("不接受外省身份证" in m for m in errors_of(alpha, order)["entity.certificate_number"])


def test_r_v5_sichuan_needs_residence_proof_from_other_provinces(alpha):
    order = _individual_order(alpha, province="SC", id17="33010619900101123")
    errors = errors_of(alpha, order)
    assert any("需提供居住证明" in m for m in errors["entity.residence_proof"])
    update(alpha, order, residence_proof="四川居住证")
    assert "entity.residence_proof" not in errors_of(alpha, order)


def test_r_v5_local_individual_needs_no_proof(alpha):
    order = _individual_order(alpha, province="SC", id17="51010619900101123")
    errors = errors_of(alpha, order)
    assert "entity.residence_proof" not in errors
    assert "entity.certificate_number" not in errors


def test_province_rule_local_mobile_required_in_heilongjiang(alpha):
    order = complete_order(alpha)  # principal mobile 139 0571 … is a Hangzhou number
    update(alpha, order, province_id="HL")
    assert any("本省手机号码" in m for m in errors_of(alpha, order)["entity.principal_mobile"])


def test_r_w2_individual_site_name_with_banned_word_is_refused(alpha):
    order = _individual_order(alpha, province="ZJ", id17="33010619900101123")
    with tenant_scope(alpha.provider):
        OrderWebsite.objects.filter(order=order).update(name="张三的个人博客")
    assert "websites[0].name" in errors_of(alpha, order)


def test_r_w3_news_content_needs_its_pre_approval_number(alpha):
    order = complete_order(alpha)
    update_sites(alpha, order, service_content=["news"])
    assert "websites[0].pre_approvals.news" in errors_of(alpha, order)
    update_sites(
        alpha,
        order,
        service_content=["news"],
        pre_approvals={"news": "浙新许字2026001号"},
        pre_approval_details={"news": {"authority": "浙江省网信办", "valid_until": "2099-12-31"}},
    )
    assert errors_of(alpha, order) == {}


def test_r_w5_domain_real_name_must_be_three_days_old(alpha):
    order = complete_order(alpha)
    update_sites(alpha, order, domain_real_name_on=timezone.localdate() - dt.timedelta(days=2))
    assert "websites[0].domain_real_name_on" in errors_of(alpha, order)
    update_sites(alpha, order, domain_real_name_on=timezone.localdate() - dt.timedelta(days=3))
    assert errors_of(alpha, order) == {}


def test_r_w1_duplicate_domain_within_one_order_is_refused(alpha):
    order = complete_order(alpha, websites=2)
    with tenant_scope(alpha.provider):
        first = OrderWebsite.objects.get(order=order, position=0)
        OrderWebsite.objects.filter(order=order, position=1).update(
            domain=first.domain, domain_display=first.domain_display
        )
    assert "websites[1].domain" in errors_of(alpha, order)
