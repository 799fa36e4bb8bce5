"""An app-only new entity through the whole lifecycle across roles, in Chromium (R-AP1…R-AP4).

The applicant, on a phone (390 px), detects the order type from an Android package
name, fills the app with its signing certificate uploaded (key and fingerprint filled
from it) and submits; the reviewer sees the app and submits to the authority; the
applicant enters the SMS code; the Zhejiang authority approves; the applicant sees
the ``…号-1A`` number.
"""

from __future__ import annotations

import re

import pytest

from filings.models import FilingOrder, OrderApp, OrderStatus
from filings.orders.services import order_entity_save
from icpfiling.accounts.models import User
from icpfiling.demo.identities import demo_ric
from icpfiling.demo.orders import sample_materials
from icpfiling.demo.seed import demo_seed
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.factories import VALID_ENTITY, make_uscc
from tests.journeys.test_browser import (
    confirm_step,
    login,
    order_status,
    pass_check_submit_and_enter_sms_code,
    url,
)
from tests.mobile.test_apps import _certificate
from tests.services import requires_chromium

pytestmark = pytest.mark.browser


def _actor(browser, live_server, tenant, email, width=1280):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, live_server, tenant, email)
    return page


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_ap4_app_only_entity_through_the_lifecycle_in_the_browser(live_server, browser, tmp_path):
    demo_seed(lifecycle=False)
    provider = Provider.objects.get(slug="alpha")
    applicant_user = User.objects.get(email="applicant@alpha.demo", provider=provider)
    reviewer_user = User.objects.get(email="reviewer@alpha.demo", provider=provider)
    phone = _actor(browser, live_server, "alpha", "applicant@alpha.demo", width=390)
    reviewer = _actor(browser, live_server, "alpha", "reviewer@alpha.demo")
    authority = _actor(browser, live_server, None, "authority-zj@gov.demo")

    # Given an applicant on a phone who names an Android package instead of a domain
    phone.goto(url(live_server, "alpha", "/orders/new/"))
    phone.select_option("#id_province", "ZJ")
    phone.fill("#id_city", "杭州市")
    phone.fill("#id_county", "西湖区")
    phone.select_option("#id_nature", "4")
    phone.select_option("#id_certificate_type", "business_licence")
    phone.fill("#id_certificate_number", make_uscc())
    phone.select_option("#id_app_platform", "android")
    phone.fill("#id_app_package", "cn.browser.app")
    phone.click("main form button.primary")
    assert "/entity/" in phone.url
    with tenant_scope(provider):
        order = FilingOrder.objects.filter(applicant=applicant_user).order_by("-pk").first()
        order_entity_save(
            order=order,
            actor=applicant_user,
            values={
                **VALID_ENTITY,
                "entity_name": "杭州浏览器App示例有限公司",
                "principal_id_number": demo_ric("33010619920202123"),
                "principal_mobile": "13905719511",
                "emergency_mobile": "13905719519",
            },
        )
        app = order.apps.get()

    # When they fill the app, uploading its signing certificate instead of typing hex
    phone.goto(url(live_server, "alpha", f"/orders/{order.pk}/apps/{app.pk}/"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.fill("#id_name", "浏览器示例App")
    phone.check("input[name=service_content][value=other]")
    phone.fill("#id_domains_text", "api.browser-app.cn")
    _pem, der, _cert = _certificate()
    cert_file = tmp_path / "sign.der"
    cert_file.write_bytes(der)
    phone.set_input_files("#id_android_certificate", str(cert_file))
    phone.click("button[name=next]")
    assert phone.url.endswith(f"/orders/{order.pk}/apps/")
    with tenant_scope(provider):
        platform = OrderApp.objects.get(pk=app.pk).platforms.get()
        assert len(platform.fingerprint) == 32
        assert platform.public_key.startswith("-----BEGIN PUBLIC KEY-----")
        sample_materials(FilingOrder.objects.get(pk=order.pk), applicant_user)

    # and submit from the preview, which lists the app
    phone.goto(url(live_server, "alpha", f"/orders/{order.pk}/preview/"))
    assert "cn.browser.app" in phone.locator("main").inner_text()
    phone.click("main form button.primary")
    assert order_status(order) == OrderStatus.PROVIDER_REVIEW

    # The reviewer sees the app; the first review and the identity check pass
    reviewer.goto(url(live_server, "alpha", f"/review/{order.pk}/"))
    assert "浏览器示例App" in reviewer.locator("main").inner_text()
    pass_check_submit_and_enter_sms_code(live_server, reviewer, phone, order, reviewer_user)

    # The Zhejiang authority sees the app and approves
    authority.goto(url(live_server, None, "/authority/"))
    authority.locator("tr", has_text="杭州浏览器App示例有限公司").locator("a").first.click()
    assert "cn.browser.app" in authority.locator("main").inner_text()
    confirm_step(authority, "审核通过并发放备案号", "确认通过并发放备案号")
    assert order_status(order) == OrderStatus.APPROVED

    # Then the applicant's order shows the app's -1A number and where to display it
    phone.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
    text = phone.locator("main").inner_text()
    assert re.search(r"浙ICP备\d{10}号-1A", text)
    assert "启动页" in text
