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
        assert "王同事" not in html
        assert "colleague@" not in html
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


def _withdrawn(tenant):
    from filings.orders.services import order_withdraw
    from tests.factories import advance, complete_order

    order = advance(tenant, complete_order(tenant), "provider_review")
    with tenant_scope(tenant.provider):
        order_withdraw(order=FilingOrder.objects.get(pk=order.pk), actor=tenant.users["applicant"])
        return FilingOrder.objects.get(pk=order.pk)


def test_r_o5_withdrawn_order_is_abandoned_after_confirmation_and_releases_the_entity(alpha, beta):
    # Given an order submitted then withdrawn (撤回修改) at alpha, and beta's order untouched
    order = _withdrawn(alpha)
    other = _withdrawn(beta)
    client = alpha.client("applicant")
    # When the applicant opens the order: 放弃订单 is offered as a link to a confirmation page
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/orders/{order.pk}/abandon/"' in detail
    confirm = client.get(f"/orders/{order.pk}/abandon/").content.decode()
    # Then the confirmation says what will happen and nothing has happened yet
    assert "订单状态变为“已放弃”，不能再修改、提交或恢复；办理记录保留。" in confirm
    assert "确认放弃" in confirm
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.get(pk=order.pk).status == "draft"
    # When they confirm
    r = client.post(f"/orders/{order.pk}/abandon/")
    # Then the order is 已放弃 with its history kept, and the entity is free again
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        abandoned = FilingOrder.objects.get(pk=order.pk)
        assert abandoned.status == "abandoned"
        assert list(abandoned.events.values_list("kind", flat=True).order_by("at", "pk"))[-2:] == [
            "withdraw",
            "abandon",
        ]
    again = client.post(
        "/orders/new/", _detect_post(certificate_number=order.certificate_number, domain="fresh-start.cn")
    )
    assert again.status_code == 302
    # and beta's order is untouched, and cannot be abandoned from alpha
    assert client.post(f"/orders/{other.pk}/abandon/").status_code == 404
    with tenant_scope(beta.provider):
        assert FilingOrder.objects.get(pk=other.pk).status == "draft"


def test_r_o5_order_with_the_provider_cannot_be_abandoned(alpha, beta):
    # Given an order in the provider's review
    from tests.factories import advance, complete_order

    order = advance(alpha, complete_order(alpha), "provider_review")
    client = alpha.client("applicant")
    # When the applicant forges the abandon POST
    client.post(f"/orders/{order.pk}/abandon/")
    # Then nothing happens, and the confirmation page says why
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.get(pk=order.pk).status == "provider_review"
    assert "已提交的订单请先撤回" in client.get(f"/orders/{order.pk}/abandon/").content.decode()


@pytest.mark.parametrize(
    "status",
    ["draft", "provider_review", "verification", "provider_recheck", "sms_verification", "authority_review"],
)
def test_r_l1_status_label_is_the_same_in_list_header_and_progress_bar(alpha, beta, status):
    # Given an order of alpha in each state the applicant lives through
    from tests.factories import advance, complete_order

    order = advance(alpha, complete_order(alpha), status)
    client = alpha.client("applicant")
    # When the applicant looks at the list and at the order
    listing = client.get("/orders/").content.decode()
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    # Then one label names the status in the list row, the header and the current stage
    with tenant_scope(alpha.provider):
        label = FilingOrder.objects.get(pk=order.pk).get_status_display()
    row = re.search(rf'href="/orders/{order.pk}/">#{order.pk}</a>.*?</tr>', listing, re.S).group(0)
    assert f'<td data-label="状态">{label}</td>' in row
    assert f'<p class="status"><strong>{label}</strong>' in detail
    assert re.search(r'<li class="current">([^<]*)</li>', detail).group(1) == label
    # and the bar has every stage, verification and the SMS check included
    stages = re.findall(r'<ol class="stages">(.*?)</ol>', detail, re.S)[0]
    assert re.findall(r"<li[^>]*>([^<]*)</li>", stages) == [
        "未提交",
        "等待接入商审核",
        "等待核验",
        "接入商复审",
        "工信部短信核验",
        "等待管局审核",
        "已备案",
    ]


def test_r_s8_draft_page_says_when_the_draft_expires(alpha, beta):
    # Given a fresh draft at a provider whose drafts expire after 30 idle days
    from tests.factories import complete_order

    alpha.provider.order_expiry_days = 30
    alpha.provider.save(update_fields=["order_expiry_days"])
    order = complete_order(alpha)
    # When the applicant opens it
    html = alpha.client("applicant").get(f"/orders/{order.pk}/").content.decode()
    # Then it no longer promises to keep the draft for ever, and says when it lapses
    assert "草稿会一直保存" not in html
    assert "草稿闲置超过 30 天会失效（" in html


def _filed_by(tenant, entity):
    """An approved order of ``tenant``'s applicant that filed ``entity`` (setup only)."""
    from tests.factories import complete_order

    order = complete_order(tenant)
    with tenant_scope(tenant.provider):
        FilingOrder.objects.filter(pk=order.pk).update(status="approved", registry_entity=entity)
        return FilingOrder.objects.get(pk=order.pk)


def test_r_o2_new_website_order_is_prefilled_from_the_registry_and_own_filed_order(alpha, beta):
    from tests.factories import filed_entity

    # Given an entity filed through alpha by this applicant, its site hosted at alpha
    entity = filed_entity(name="杭州预填示例有限公司", sites=[("prefill-one.cn", alpha.provider)])
    earlier = _filed_by(alpha, entity)
    client = alpha.client("applicant")
    # When the applicant detects a new website of that entity
    r = client.post(
        "/orders/new/", _detect_post(certificate_number=entity.certificate_number, domain="prefill-two.cn")
    )
    # Then the order starts with the registry's name and principal and their own addresses and contacts
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.get(applicant=alpha.users["applicant"], order_type="new_website")
    assert r["Location"] == f"/orders/{order.pk}/entity/"
    assert (order.entity_name, order.principal_name) == ("杭州预填示例有限公司", "张三")
    assert order.registered_address == earlier.registered_address != ""
    assert order.communication_address == earlier.communication_address
    assert order.principal_mobile == earlier.principal_mobile != ""
    assert order.principal_email == earlier.principal_email
    # and the entity page shows what the registry holds as the basis
    html = client.get(f"/orders/{order.pk}/entity/").content.decode()
    basis = html.split('id="registry-basis"')[1].split("</section>")[0]
    assert entity.entity_number in basis
    assert "prefill-one.cn" in basis
    assert f"按您的已备案订单 #{earlier.pk} 预填" in basis


def test_r_o3_prefill_never_copies_another_applicants_details(alpha, beta):
    from tests.factories import filed_entity

    # Given an entity filed at alpha by alpha's applicant, hosted at beta too
    entity = filed_entity(name="跨商示例有限公司", sites=[("moving-prefill.cn", alpha.provider)])
    _filed_by(alpha, entity)
    # When beta's applicant (someone else) detects a new website of the same entity
    client = beta.client("applicant")
    client.post(
        "/orders/new/", _detect_post(certificate_number=entity.certificate_number, domain="beta-site.cn")
    )
    # Then beta's order has only what the registry holds; no address or contact of alpha's applicant
    with tenant_scope(beta.provider):
        order = FilingOrder.objects.get(applicant=beta.users["applicant"])
    assert (order.entity_name, order.principal_name) == ("跨商示例有限公司", "张三")
    assert (order.registered_address, order.principal_mobile, order.principal_email) == ("", "", "")
    html = client.get(f"/orders/{order.pk}/entity/").content.decode()
    assert "备案库不保存地址、证件号码和联系方式，请补充填写。" in html


def test_r_l1_wizard_marks_a_step_done_only_when_nothing_is_left_to_fix(alpha, beta):
    # Given a fresh draft whose entity step is still empty, and a complete one
    client = alpha.client("applicant")
    client.post("/orders/new/", _detect_post(domain="steps.cn"))
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.get(applicant=alpha.users["applicant"])
    # When the applicant moves on to the websites step
    html = client.get(f"/orders/{order.pk}/websites/").content.decode()
    # Then the entity step is flagged as still to fix, not ticked
    bar = html.split('class="steps-bar"')[1].split("</nav>")[0]
    assert f'<li class="todo"><a href="/orders/{order.pk}/entity/">' in bar
    assert f'<li class="done"><a href="/orders/{order.pk}/entity/">' not in bar
    # and on a complete order it is ticked
    from tests.factories import complete_order

    done = complete_order(alpha)
    page = alpha.client("applicant").get(f"/orders/{done.pk}/preview/").content.decode()
    bar = page.split('class="steps-bar"')[1].split("</nav>")[0]
    assert f'<li class="done"><a href="/orders/{done.pk}/entity/">' in bar
    assert f'<li class="done"><a href="/orders/{done.pk}/websites/">' in bar


def test_r_l1_preview_validates_the_order_once_for_its_errors_and_the_steps_bar(alpha, beta, monkeypatch):
    # Given a fresh draft (entity empty, no materials) and a count of whole-order validations
    import filings.orders.services
    import filings.orders.validation

    client = alpha.client("applicant")
    client.post("/orders/new/", _detect_post(domain="steps-once.cn"))
    with tenant_scope(alpha.provider):
        order = FilingOrder.objects.get(applicant=alpha.users["applicant"])
    calls = []
    original = filings.orders.validation.order_errors

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(filings.orders.validation, "order_errors", counted)
    monkeypatch.setattr(filings.orders.services, "order_errors", counted)
    # When the applicant opens the preview
    html = client.get(f"/orders/{order.pk}/preview/").content.decode()
    # Then the order was validated once (the steps bar reuses the preview's errors, issue 17's load test)
    assert len(calls) == 1
    # and the bar still flags the entity and the materials as left to fix
    bar = html.split('class="steps-bar"')[1].split("</nav>")[0]
    assert f'<li class="todo"><a href="/orders/{order.pk}/entity/">' in bar
    assert f'<li class="todo"><a href="/orders/{order.pk}/materials/">' in bar
    # while another step page still validates for itself
    calls.clear()
    client.get(f"/orders/{order.pk}/websites/")
    assert len(calls) == 1
