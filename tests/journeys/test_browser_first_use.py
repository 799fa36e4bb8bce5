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
