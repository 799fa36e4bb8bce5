"""Issue 12: first-use rough edges, in the browser (with and without JavaScript)."""

from __future__ import annotations

import pytest

from icpfiling.demo.seed import demo_seed
from tests.journeys.test_browser import login, url
from tests.services import requires_chromium

ENTERPRISE_TYPES = ["business_licence", "foreign_enterprise_office", "organisation_code"]


def _offered(page) -> list[str]:
    values = page.locator("#id_certificate_type option").evaluate_all("os => os.map(o => o.value)")
    return sorted(v for v in values if v)


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_o1_certificate_types_follow_the_nature_in_the_browser(live_server, page):
    # Given the applicant of alpha on 类型识别 (beta seeded alongside)
    demo_seed(lifecycle=False)
    login(page, live_server, "alpha", "applicant@alpha.demo")
    page.goto(url(live_server, "alpha", "/orders/new/"))
    # When they choose 企业
    page.select_option("#id_nature", "4")
    # Then only the enterprise's certificate types are offered
    assert _offered(page) == ENTERPRISE_TYPES
    # and switching to 个人 offers the personal documents instead
    page.select_option("#id_nature", "5")
    assert "resident_id" in _offered(page)
    assert "business_licence" not in _offered(page)


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_o1_certificate_types_follow_the_nature_without_javascript(live_server, browser):
    # Given a phone browser with JavaScript switched off
    demo_seed(lifecycle=False)
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, live_server, "alpha", "applicant@alpha.demo")
        page.goto(url(live_server, "alpha", "/orders/new/"))
        page.fill("#id_domain", "no-script.cn")
        # When the applicant chooses 企业 and asks for its certificate types
        page.select_option("#id_nature", "4")
        page.click("button[name=list_types]")
        # Then only those are offered, and what was typed is still there
        assert _offered(page) == ENTERPRISE_TYPES
        assert page.input_value("#id_domain") == "no-script.cn"
        assert page.locator(".err").count() == 0
    finally:
        context.close()


def _reference_data():
    # A transactional test starts from an empty database: load the provinces and types.
    from icpfiling.registry.reference import reference_data_load

    reference_data_load()


def _alpha_applicant(page, live_server, alpha):
    from tests.conftest import PASSWORD

    login(page, live_server, "alpha", alpha.users["applicant"].email, PASSWORD)


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_o5_withdrawn_order_is_abandoned_with_confirmation_in_the_browser(
    live_server, browser, alpha, beta
):
    from filings.models import FilingOrder
    from filings.orders.services import order_withdraw
    from icpfiling.tenancy.context import tenant_scope
    from tests.factories import advance, complete_order

    # Given an order of alpha's applicant that was submitted and then withdrawn
    _reference_data()
    order = advance(alpha, complete_order(alpha), "provider_review")
    with tenant_scope(alpha.provider):
        order_withdraw(order=FilingOrder.objects.get(pk=order.pk), actor=alpha.users["applicant"])
    # and a phone browser without JavaScript
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        _alpha_applicant(page, live_server, alpha)
        page.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
        # When they choose 放弃订单, they are asked first
        page.click("text=放弃订单")
        assert "不能再修改、提交或恢复" in page.locator("main").inner_text()
        # and going back changes nothing
        page.click("text=返回，不放弃")
        with tenant_scope(alpha.provider):
            assert FilingOrder.objects.get(pk=order.pk).status == "draft"
        # When they confirm
        page.click("text=放弃订单")
        page.click("button:has-text('确认放弃')")
        # Then the list shows the order as 已放弃
        assert "订单已放弃" in page.locator("main").inner_text()
        row = page.locator(f"tr:has(a[href='/orders/{order.pk}/'])")
        assert "已放弃" in row.inner_text()
    finally:
        context.close()


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_l1_order_page_names_the_status_as_the_list_does_in_the_browser(live_server, page, alpha, beta):
    from tests.factories import advance, complete_order

    # Given an order waiting for identity verification
    _reference_data()
    order = advance(alpha, complete_order(alpha), "verification")
    _alpha_applicant(page, live_server, alpha)
    # When the applicant reads the list, then the order
    page.goto(url(live_server, "alpha", "/orders/"))
    in_list = page.locator(f"tr:has(a[href='/orders/{order.pk}/']) td").nth(4).inner_text()
    page.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
    # Then the header and the current stage say the same, and the bar shows the checks to come
    assert page.locator("p.status strong").inner_text() == in_list == "等待核验"
    assert page.locator(".stages li.current").inner_text() == in_list
    assert page.locator(".stages li").all_inner_texts()[3:5] == ["接入商复审", "工信部短信核验"]


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_s6_authority_approval_asks_for_confirmation_without_javascript(live_server, browser):
    from filings.models import FilingOrder
    from icpfiling.tenancy.context import tenant_scopes_disabled

    # Given the full demo: orders of both providers with the Zhejiang authority
    demo_seed()
    with tenant_scopes_disabled():  # the authority's view spans both providers
        order = FilingOrder.objects.filter(status="authority_review", province_id="ZJ").order_by("pk").first()
    context = browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = context.new_page()
    try:
        login(page, live_server, None, "authority-zj@gov.demo")
        page.goto(url(live_server, None, f"/authority/orders/{order.pk}/"))
        # When the authority presses 审核通过并发放备案号
        page.click("summary:text-is('审核通过并发放备案号')")
        # Then nothing is issued yet; the page says what approval will do and asks again
        with tenant_scopes_disabled():
            assert FilingOrder.objects.get(pk=order.pk).status == "authority_review"
        assert "发放后不能撤销" in page.locator("details.confirm .confirm-body").inner_text()
        # When they confirm, Then the numbers are issued
        page.click("button:text-is('确认通过并发放备案号')")
        with tenant_scopes_disabled():
            assert FilingOrder.objects.get(pk=order.pk).status == "approved"
    finally:
        context.close()


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_l1_phone_pages_keep_labels_and_do_not_overflow(live_server, page):
    from filings.models import FilingOrder
    from icpfiling.tenancy.context import tenant_scopes_disabled

    # Given the full demo on a 390 px phone
    demo_seed()
    login(page, live_server, "alpha", "applicant@alpha.demo")
    page.goto(url(live_server, "alpha", "/orders/"))
    # Then the order list's stacked cells still say which column they are
    status_cell = page.locator("table.table tbody tr").first.locator("td").nth(4)
    label = status_cell.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"状态"'
    # and the authority's order page fits the screen (no sideways scrolling)
    with tenant_scopes_disabled():
        order = FilingOrder.objects.filter(status="authority_review", province_id="ZJ").order_by("pk").first()
    page.click("header button.link")
    login(page, live_server, None, "authority-zj@gov.demo")
    page.goto(url(live_server, None, f"/authority/orders/{order.pk}/"))
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    wide = page.evaluate(
        "[...document.querySelectorAll('main *')].filter(e => e.getBoundingClientRect().right > "
        "document.documentElement.clientWidth + 1).slice(0, 8).map(e => e.tagName + '.' + e.className + ' '"
        " + Math.round(e.getBoundingClientRect().right) + ' ' + (e.textContent || '').slice(0, 40))"
    )
    assert overflow <= 0, wide
