"""Browser journeys in Debian's Chromium, driven by Playwright (one shared browser)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.core import mail

from filings.models import FilingOrder
from icpfiling.demo.seed import demo_seed
from icpfiling.tenancy.context import tenant_scope
from tests.services import requires_chromium

DEMO_PASSWORD = "demo-pass-2026"
ROLE_HOMES = [
    ("alpha", "applicant@alpha.demo", "我的备案"),
    ("alpha", "reviewer@alpha.demo", "审核工作台"),
    ("alpha", "admin@alpha.demo", "接入商管理"),
    ("alpha", "verifier@alpha.demo", "核验点工作台"),
    ("beta", "applicant@beta.demo", "我的备案"),
    ("beta", "reviewer@beta.demo", "审核工作台"),
    ("beta", "admin@beta.demo", "接入商管理"),
    ("beta", "verifier@beta.demo", "核验点工作台"),
    (None, "authority-zj@gov.demo", "管局审核"),
    (None, "authority-gd@gov.demo", "管局审核"),
    (None, "operator@platform.demo", "平台运营"),
]


def url(live_server, tenant: str | None, path: str = "/") -> str:
    port = urlsplit(live_server.url).port
    host = f"{tenant}.localhost" if tenant else "localhost"
    return f"http://{host}:{port}{path}"


def confirm_step(page, label: str, confirm: str) -> None:
    """Issue 12: an irreversible action opens its confirmation first, then is confirmed."""
    page.click(f"summary:text-is('{label}')")
    page.locator("details.confirm[open] .confirm-body").locator(f"button:text-is('{confirm}')").click()


def order_status(order) -> str:
    with tenant_scope(order.tenant_id):
        return FilingOrder.objects.get(pk=order.pk).status


def pass_check_submit_and_enter_sms_code(live_server, reviewer, phone, order, reviewer_user) -> None:
    """From the provider's review to the authority: the review passes and the identity check is
    recorded (as the services do; their own journeys are tested elsewhere), the reviewer submits
    to the authority in the browser, and the applicant types the code the principal's phone got."""
    from filings.models import OrderStatus, SmsChallenge
    from filings.workflow import order_transition
    from icpfiling.notifications import sms as sms_backend

    with tenant_scope(order.tenant_id):
        current = FilingOrder.objects.get(pk=order.pk)
        for action in ("provider_pass", "verified"):
            current = order_transition(
                order=current, action=action, actor=reviewer_user, actor_kind="reviewer"
            )
    tenant = current.tenant.slug
    reviewer.goto(url(live_server, tenant, f"/review/{order.pk}/"))
    confirm_step(reviewer, "提交管局", "确认提交管局")
    assert order_status(order) == OrderStatus.SMS_VERIFICATION
    with tenant_scope(order.tenant_id):
        challenge = SmsChallenge.objects.get(order_id=order.pk)
    phone.goto(url(live_server, tenant, f"/orders/{order.pk}/sms/"))
    body = next(
        m["body"]
        for m in reversed(sms_backend.sent)
        if m["to"] == challenge.mobile and "核验码为" in m["body"]
    )
    phone.fill(f"#code-{challenge.pk}", re.search(r"核验码为(\d{6})", body).group(1))
    phone.locator(f"#code-{challenge.pk}").locator("xpath=ancestor::form").locator("button").click()
    assert order_status(order) == OrderStatus.AUTHORITY_REVIEW


def login(page, live_server, tenant, email, password=DEMO_PASSWORD):
    page.goto(url(live_server, tenant, "/accounts/login/"))
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("button.primary")


@requires_chromium
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("tenant", "email", "heading"), ROLE_HOMES)
def test_each_role_logs_in_on_a_phone_and_sees_its_home(live_server, page, tenant, email, heading):
    demo_seed(lifecycle=False)
    login(page, live_server, tenant, email)
    assert page.locator("h1").first.inner_text() == heading
    assert email in page.locator("header").inner_text()
    # and logs out again
    page.click("header button.link")
    assert page.locator("a[href='/accounts/login/']").count() >= 1


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_a1_applicant_registers_confirms_and_is_approved_in_the_browser(
    live_server, browser, page, settings
):
    demo_seed(lifecycle=False)  # alpha requires account approval
    # Email links use the configured port, never the request's (finding 6): the live server's here.
    settings.ICPFILING_LINK_PORT = str(urlsplit(live_server.url).port)
    # the applicant registers on a phone
    page.goto(url(live_server, "alpha", "/accounts/register/"))
    page.fill("#id_email", "zhang@example.com")
    page.fill("#id_full_name", "张先生")
    page.fill("#id_password1", "short")
    page.fill("#id_password2", "short")
    page.click("button.primary")
    # every error is shown at once in a summary, next to its field
    assert "请修改以下问题后再提交" in page.locator(".error-summary").inner_text()
    assert page.locator("#id_password1_err").count() >= 1 or page.locator(".field.has-error").count() >= 1
    page.fill("#id_password1", "Zhang-pass-2026")
    page.fill("#id_password2", "Zhang-pass-2026")
    page.click("button.primary")
    assert page.locator("h1").inner_text() == "请查收确认邮件"
    link = re.search(r"https?://\S+", mail.outbox[-1].body).group(0)
    page.goto(link)
    assert page.locator("h1").inner_text() == "邮箱已确认"
    # the applicant logs in and sees that approval is pending
    login(page, live_server, "alpha", "zhang@example.com", "Zhang-pass-2026")
    assert "等待接入商审核账户" in page.locator("main").inner_text()
    # alpha's admin approves in a separate browser context
    admin_ctx = browser.new_context()
    admin = admin_ctx.new_page()
    login(admin, live_server, "alpha", "admin@alpha.demo")
    admin.locator("tr", has_text="zhang@example.com").locator("button").click()
    assert "已通过 zhang@example.com 的账户审核" in admin.locator(".messages").inner_text()
    admin_ctx.close()
    page.reload()
    assert "您的账户可以办理备案" in page.locator("main").inner_text()
    assert mail.outbox[-1].to == ["zhang@example.com"]


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_l1_language_switch_to_english(live_server, page):
    demo_seed(lifecycle=False)
    page.goto(url(live_server, "alpha", "/accounts/login/"))
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    page.click("form.lang button")
    assert page.locator("html").get_attribute("lang") == "en"


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_l1_english_browser_still_gets_chinese_by_default(live_server, browser):
    demo_seed(lifecycle=False)
    context = browser.new_context(locale="en-US")
    pg = context.new_page()
    pg.goto(url(live_server, "alpha", "/accounts/login/"))
    assert pg.locator("html").get_attribute("lang") == "zh-Hans"
    assert pg.locator("h1").inner_text() == "登录"
    context.close()
