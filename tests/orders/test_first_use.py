"""Issue 12: first-use rough edges of the applicant's order pages (server side)."""

from __future__ import annotations

import re

import pytest

from filings.models import FilingOrder
from icpfiling.tenancy.context import tenant_scope
from tests.factories import make_uscc

pytestmark = pytest.mark.django_db

ENTERPRISE_TYPES = ["business_licence", "foreign_enterprise_office", "organisation_code"]


def _options(html: str, select_id: str) -> list[str]:
    select = re.search(rf'<select[^>]*id="{select_id}".*?</select>', html, re.S).group(0)
    return [v for v in re.findall(r'<option value="([^"]*)"', select) if v]


def _detect_post(**overrides) -> dict:
    return {
        "province": "ZJ",
        "city": "杭州市",
        "county": "西湖区",
        "nature": 4,
        "certificate_type": "business_licence",
        "certificate_number": make_uscc(),
        "domain": "first-use.cn",
        **overrides,
    }


def test_r_o1_certificate_types_without_javascript_follow_the_chosen_nature(alpha, beta):
    # Given an applicant on 类型识别 without JavaScript who chose 企业
    client = alpha.client("applicant")
    # When they press the button that lists the types for that nature
    r = client.post(
        "/orders/new/", {**_detect_post(certificate_type="", domain="typed.cn"), "list_types": "1"}
    )
    # Then only the enterprise's types are offered, what they typed is kept, and no error shows yet
    html = r.content.decode()
    assert r.status_code == 200
    assert sorted(_options(html, "id_certificate_type")) == ENTERPRISE_TYPES
    assert 'value="typed.cn"' in html
    assert 'class="err"' not in html
    # and nothing was created
    with tenant_scope(alpha.provider):
        assert not FilingOrder.objects.exists()


def test_r_o1_wrong_certificate_type_names_the_type_that_applies(alpha, beta):
    # Given 企业 with 统一社会信用代码证书 (valid for other natures, not for 企业)
    client = alpha.client("applicant")
    # When the applicant submits
    r = client.post("/orders/new/", _detect_post(certificate_type="uscc"))
    # Then the error names the types that do apply, and the list offers only those
    html = r.content.decode()
    assert r.status_code == 200
    assert "“统一社会信用代码证书”不适用于企业。企业请选择：" in html
    assert "营业执照（个人或企业）" in html.split("不适用于企业。")[1].split("</p>")[0]
    assert sorted(_options(html, "id_certificate_type")) == ENTERPRISE_TYPES
    with tenant_scope(alpha.provider):
        assert not FilingOrder.objects.exists()


def test_r_o1_fresh_detection_page_lists_every_type_with_its_natures(alpha, beta):
    # Given no nature chosen yet
    html = alpha.client("applicant").get("/orders/new/").content.decode()
    # Then every type is listed and each option says which natures may use it (for the script)
    assert len(_options(html, "id_certificate_type")) == 27
    assert '<option value="business_licence" data-natures="4">' in html
    assert re.search(r'<option value="uscc" data-natures="(\d+ )+\d+">', html)
    assert 'id="certificate-types"' in html


def _second_applicant(tenant):
    from django.utils import timezone

    from icpfiling.accounts.models import Membership, Role, User

    with tenant_scope(tenant.provider):
        user = User.objects.create_user(
            f"colleague@{tenant.provider.slug}.test",
            "pw-colleague-2026",
            provider=tenant.provider,
            full_name="王同事",
            email_confirmed_at=timezone.now(),
        )
        Membership.objects.create(
            tenant=tenant.provider, user=user, role=Role.APPLICANT, approved_at=timezone.now()
        )
    return user


def test_r_o4_open_order_of_another_applicant_here_is_named_truthfully_without_revealing_whose(alpha, beta):
    # Given a colleague's open draft at alpha holding an entity and its domain
    colleague = _second_applicant(alpha)
    client = alpha.client()
    client.force_login(colleague, backend="icpfiling.accounts.backends.TenantEmailBackend")
    cert = make_uscc()
    assert (
        client.post("/orders/new/", _detect_post(certificate_number=cert, domain="shared.cn")).status_code
        == 302
    )
    # When alpha's applicant detects the same entity, and separately the same domain
    mine = alpha.client("applicant")
    by_entity = mine.post(
        "/orders/new/", _detect_post(certificate_number=cert, domain="other.cn")
    ).content.decode()
    by_domain = mine.post("/orders/new/", _detect_post(domain="shared.cn")).content.decode()
    # Then both say someone else here holds it and what to do, never "continue in 我的备案"
    for html in (by_entity, by_domain):
        assert "本接入商的另一位申请人已有一个该主体或域名正在办理的备案订单" in html
        assert "请联系Alpha Cloud核实" in html
        assert "闲置 45 天后自动过期" in html
        assert "请在“我的备案”中继续办理" not in html
        # and nothing about whose order it is
        assert "王同事" not in html and "colleague@" not in html
    with tenant_scope(alpha.provider):
        assert not FilingOrder.objects.filter(applicant=alpha.users["applicant"]).exists()


def test_r_o4_own_open_order_here_points_to_my_orders(alpha, beta):
    # Given the applicant's own open draft at alpha
    client = alpha.client("applicant")
    cert = make_uscc()
    client.post("/orders/new/", _detect_post(certificate_number=cert, domain="mine.cn"))
    with tenant_scope(alpha.provider):
        own = FilingOrder.objects.get(applicant=alpha.users["applicant"])
    # When they detect the same entity again
    html = client.post(
        "/orders/new/", _detect_post(certificate_number=cert, domain="again.cn")
    ).content.decode()
    # Then they are sent to their own order in 我的备案
    assert f"您已有一个该主体或域名正在办理的备案订单（订单 {own.pk}），请在“我的备案”中继续办理。" in html
    assert "另一位申请人" not in html
