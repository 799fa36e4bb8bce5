"""Province values read from the dated rules when they apply, and the seeds' order rules
(R-V2, R-W2, R-S6; seeds 001 and 003).

Each province value is tested by adding a new dated row to the rules (as an operator
would) and seeing the behaviour follow, in both tenants.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from filings.models import FilingOrder, OrderWebsite
from filings.orders.services import order_create, order_entity_save, order_website_save
from filings.orders.validation import order_errors
from icpfiling.core.workdays import add_working_days_at
from icpfiling.registry.models.rules import ProvinceRule, RuleKey
from icpfiling.registry.province_rules import province_rules_load
from icpfiling.tenancy.context import tenant_scope
from tests.factories import advance, complete_order, detection_input, make_ric

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _rules():
    province_rules_load()


def new_rule(key: str, value, *, province: str = "ZJ", scope: str = "all", **extra) -> ProvinceRule:
    """An operator's new dated row, in force from today (the seed rows stay as history)."""
    return ProvinceRule.objects.create(
        province_id=province,
        key=key,
        scope=scope,
        value={"value": value, **extra},
        effective_from=timezone.localdate(),
        source="管局通知（测试）",
    )


def errors_of(tenant, order: FilingOrder) -> dict[str, list[str]]:
    with tenant_scope(tenant.provider):
        return order_errors(FilingOrder.objects.get(pk=order.pk), today=timezone.localdate())


def set_sites(tenant, order, **fields) -> None:
    with tenant_scope(tenant.provider):
        OrderWebsite.objects.filter(order=order).update(**fields)


def set_order(tenant, order, **fields) -> None:
    with tenant_scope(tenant.provider):
        FilingOrder.objects.filter(pk=order.pk).update(**fields)


def individual_order(tenant, *, id17: str = "33010619900101123") -> FilingOrder:
    with tenant_scope(tenant.provider):
        _, order = order_create(
            tenant=tenant.provider,
            applicant=tenant.users["applicant"],
            data=detection_input(
                cert=make_ric(id17), domain=f"p{id17[-6:]}.cn", nature=5, cert_type="resident_id"
            ),
        )
    return order


# --------------------------------------------------------------------------- R-S6


def test_r_s6_authority_days_are_zhejiangs_30_and_follow_a_new_rule_row(alpha, beta):
    # given Zhejiang's seeded 30 working days (the national default is 20)
    first = advance(alpha, complete_order(alpha), "authority_review")
    # then the deadline set on entering authority review is 30 working days away
    assert first.authority_due_at == add_working_days_at(first.status_changed_at, 30)
    # when the authority's period changes from today (a new dated row)
    new_rule(RuleKey.AUTHORITY_REVIEW_WORKING_DAYS, 12)
    # then an order entering review now gets 12, in either tenant; the earlier one keeps its 30
    second = advance(beta, complete_order(beta), "authority_review")
    assert second.authority_due_at == add_working_days_at(second.status_changed_at, 12)
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.get(pk=first.pk).authority_due_at == first.authority_due_at


# --------------------------------------------------------------------------- R-V2 age


def _seventeen_year_old_id() -> str:
    born = timezone.localdate() - dt.timedelta(days=17 * 365 + 30)
    return make_ric(f"330106{born:%Y%m%d}123")


def test_r_v2_minimum_age_follows_the_provinces_age_rule(alpha, beta):
    # given unit orders whose principal is 17
    a, b = complete_order(alpha), complete_order(beta)
    set_order(alpha, a, principal_id_number=_seventeen_year_old_id())
    set_order(beta, b, principal_id_number=_seventeen_year_old_id())
    # then the default 18 refuses the principal, naming the age
    assert errors_of(alpha, a)["entity.principal_id_number"] == [
        "负责人须年满18周岁（此证件持有人现年17岁），请更换为成年负责人。"
    ]
    # when Zhejiang's unit age rule becomes 16 from today
    new_rule(RuleKey.AGE_RULES, {"min_age": 16, "below_min": "refused"}, scope="unit")
    # then both tenants' orders pass that check
    assert "entity.principal_id_number" not in errors_of(alpha, a)
    assert "entity.principal_id_number" not in errors_of(beta, b)
    # and a stricter rule elsewhere does not leak into Zhejiang
    new_rule(RuleKey.AGE_RULES, {"min_age": 20, "below_min": "refused"}, province="BJ", scope="unit")
    assert "entity.principal_id_number" not in errors_of(alpha, a)


# --------------------------------------------------------------------------- R-W2 / seed 001 domains


def test_r_w2_domain_validity_days_follow_the_province_rule(alpha, beta):
    # given domains expiring in 100 days (Zhejiang asks 90 by default)
    a, b = complete_order(alpha), complete_order(beta)
    soon = timezone.localdate() + dt.timedelta(days=100)
    set_sites(alpha, a, domain_expires_on=soon)
    set_sites(beta, b, domain_expires_on=soon)
    assert errors_of(alpha, a) == {}
    # when Zhejiang asks 180 days from today
    new_rule(RuleKey.MIN_DOMAIN_VALIDITY_DAYS, 180)
    # then the order is refused with the way out (renew), in both tenants
    message = (
        f"浙江省要求域名有效期至少还剩 180 天，该域名 {soon.isoformat()} 到期，"
        "请先在注册商处续费，再填写新的到期日。"
    )
    assert errors_of(alpha, a) == {"websites[0].domain_expires_on": [message]}
    assert errors_of(beta, b) == {"websites[0].domain_expires_on": [message]}


def test_r_w2_shanghai_needs_180_days_of_domain_validity(alpha):
    order = complete_order(alpha)
    set_order(alpha, order, province_id="SH")
    set_sites(alpha, order, domain_expires_on=timezone.localdate() + dt.timedelta(days=120))
    [message] = errors_of(alpha, order)["websites[0].domain_expires_on"]
    assert message.startswith("上海市要求域名有效期至少还剩 180 天")


def test_seed001_domain_expiry_registrant_and_registrar_are_required(alpha, beta):
    order = complete_order(alpha)
    set_sites(alpha, order, domain_expires_on=None, domain_registrant="", domain_registrar="")
    assert errors_of(alpha, order) == {
        "websites[0].domain_expires_on": ["请填写域名到期日（见注册商的域名管理页面）。"],
        "websites[0].domain_registrant": ["请填写域名持有者。"],
        "websites[0].domain_registrar": ["请填写域名注册商。"],
    }
    assert errors_of(beta, complete_order(beta)) == {}


def test_seed001_domain_registrant_must_be_the_entity(alpha, beta):
    # given a domain registered to another company
    order = complete_order(alpha)
    set_sites(alpha, order, domain_registrant="别的公司有限公司")
    # then submission names both and says what to do at the registrar
    assert errors_of(alpha, order) == {
        "websites[0].domain_registrant": [
            "域名持有者“别的公司有限公司”与主办单位“杭州示例科技有限公司”不一致，"
            "请到注册商处将域名持有者过户为主办单位，实名认证通过后再提交。"
        ]
    }
    # spaces and full-width brackets do not count as a difference
    set_sites(alpha, order, domain_registrant=" 杭州示例科技有限公司 ")
    assert errors_of(alpha, order) == {}
    assert errors_of(beta, complete_order(beta)) == {}


def test_seed001_individual_domain_registrant_is_the_person(alpha):
    order = individual_order(alpha)
    with tenant_scope(alpha.provider):
        order_entity_save(order=order, actor=alpha.users["applicant"], values={"entity_name": "王小明"})
    set_sites(alpha, order, domain_registrant="李四")
    assert any(
        "与备案人本人“王小明”不一致" in m for m in errors_of(alpha, order)["websites[0].domain_registrant"]
    )
    set_sites(alpha, order, domain_registrant="王小明")
    assert "websites[0].domain_registrant" not in errors_of(alpha, order)


# --------------------------------------------------------------------------- seed 003 licence


def test_seed003_expired_licence_is_refused(alpha, beta):
    order = complete_order(alpha)
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    set_order(alpha, order, licence_long_term=False, licence_valid_until=yesterday)
    assert errors_of(alpha, order) == {
        "entity.licence_valid_until": [
            f"营业执照已于 {yesterday.isoformat()} 过期，请先到市场监管部门办理延期后再备案。"
        ]
    }
    set_order(alpha, order, licence_valid_until=timezone.localdate())
    assert errors_of(alpha, order) == {}
    assert errors_of(beta, complete_order(beta)) == {}


def test_seed003_licence_validity_and_business_scope_are_required_of_units(alpha):
    order = complete_order(alpha)
    set_order(alpha, order, licence_long_term=False, licence_valid_until=None, business_scope="")
    assert errors_of(alpha, order) == {
        "entity.licence_valid_until": [
            "请填写营业执照有效期（营业期限）的截止日期，长期有效请勾选“营业执照长期有效”。"
        ],
        "entity.business_scope": ["请填写经营范围。"],
    }


def test_seed003_reviewer_sees_the_business_scope_beside_the_service_content(alpha, beta):
    order = advance(alpha, complete_order(alpha), "provider_review")
    page = alpha.client("reviewer").get(f"/review/{order.pk}/").content.decode()
    site_part = page[page.index('data-field="websites[0].service_content"') :]
    assert "技术开发、技术服务；软件开发；互联网信息服务。" in site_part[:2000]
    # the other tenant's reviewer cannot open it
    assert beta.client("reviewer").get(f"/review/{order.pk}/").status_code == 404


# --------------------------------------------------------------------------- seed 001 individuals


def test_seed001_individual_website_principal_is_entity_principal(alpha, beta):
    order = individual_order(alpha)
    with tenant_scope(alpha.provider):
        site = order.websites.get()
        # the service refuses another person, whatever is posted, and stores nothing
        with pytest.raises(ValidationError) as caught:
            order_website_save(
                order=order,
                website=site,
                actor=alpha.users["applicant"],
                values={"principal_same_as_entity": False, "principal_name": "李四"},
            )
        assert caught.value.message_dict == {
            "principal_same_as_entity": ["个人备案的网站负责人必须是主体负责人本人。"]
        }
        assert OrderWebsite.objects.filter(pk=site.pk, principal_name="").count() == 1
    # the form offers no website-principal fields for an individual
    page = alpha.client("applicant").get(f"/orders/{order.pk}/websites/{site.pk}/").content.decode()
    assert 'name="principal_same_as_entity"' not in page
    assert 'name="principal_name"' not in page
    # data written around the service is still caught at submission
    set_sites(alpha, order, principal_same_as_entity=False, principal_name="李四")
    assert errors_of(alpha, order)["websites[0].principal_same_as_entity"] == [
        "个人备案的网站负责人必须是主体负责人本人。"
    ]
    # a unit order still offers them
    unit = complete_order(beta)
    with tenant_scope(beta.provider):
        unit_site = unit.websites.get()
    page = beta.client("applicant").get(f"/orders/{unit.pk}/websites/{unit_site.pk}/").content.decode()
    assert 'name="principal_same_as_entity"' in page


def test_r_v2_employment_proof_rule_accepts_a_17_year_old_with_the_proof_material(alpha, beta):
    from filings.materials.requirements import requirements_for

    # given 17-year-old principals, refused under the default rule
    a, b = complete_order(alpha), complete_order(beta)
    set_order(alpha, a, principal_id_number=_seventeen_year_old_id())
    set_order(beta, b, principal_id_number=_seventeen_year_old_id())
    assert "entity.principal_id_number" in errors_of(alpha, a)
    # when Zhejiang's unit rule from today accepts younger principals with an employment proof
    new_rule(RuleKey.AGE_RULES, {"min_age": 18, "below_min": "employment_proof"}, scope="unit")
    # then the age no longer refuses the order, and the proof is asked as a material
    for tenant, order in ((alpha, a), (beta, b)):
        assert "entity.principal_id_number" not in errors_of(tenant, order)
        with tenant_scope(tenant.provider):
            [proof] = [
                r for r in requirements_for(FilingOrder.objects.get(pk=order.pk)) if r.slot == "age_proof"
            ]
        assert (str(proof.title), proof.required) == ("就业或收入证明", True)
    # a principal of 15 is still refused
    born = timezone.localdate() - dt.timedelta(days=15 * 365 + 30)
    set_order(alpha, a, principal_id_number=make_ric(f"330106{born:%Y%m%d}123"))
    assert errors_of(alpha, a)["entity.principal_id_number"] == [
        "负责人须年满16周岁（此证件持有人现年15岁），请更换为成年负责人。"
    ]
