"""R-AP2 in Chromium on a phone: the applicant uploads the APK and the Android fields fill."""

from __future__ import annotations

import pytest

from filings.models import OrderAppPlatform
from icpfiling.accounts.models import User
from icpfiling.demo.seed import demo_seed
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.conftest import Tenant
from tests.journeys.test_browser import login, url
from tests.mobile.apkbuild import build_apk, make_signer
from tests.mobile.test_apps import app_only_order
from tests.services import requires_chromium

pytestmark = pytest.mark.browser


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_ap2_apk_upload_fills_the_app_fields_in_the_browser_on_a_phone(live_server, browser, tmp_path):
    demo_seed(lifecycle=False)
    provider = Provider.objects.get(slug="alpha")
    applicant = User.objects.get(email="applicant@alpha.demo", provider=provider)
    order = app_only_order(Tenant(provider=provider, host="alpha.localhost", users={"applicant": applicant}))
    with tenant_scope(provider):
        app = order.apps.get()
    signer = make_signer("Browser Shop Signing")
    apk_file = tmp_path / "shop.apk"
    apk_file.write_bytes(build_apk(signer, package="cn.browser.shop", schemes=("v1", "v2")))
    context = browser.new_context(viewport={"width": 390, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, live_server, "alpha", "applicant@alpha.demo")

    # Given the applicant on a phone on the app's page, with JavaScript off-path (a plain submit)
    page.goto(url(live_server, "alpha", f"/orders/{order.pk}/apps/{app.pk}/"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # When they choose the APK and press "读取 APK 并填写"
    page.set_input_files("#id_android_apk", str(apk_file))
    page.click("button[name=extract_apk]")
    # Then the page comes back with package name, public key and MD5 filled from the APK
    assert page.input_value("#id_android_package_name") == "cn.browser.shop"
    assert page.input_value("#id_android_fingerprint") == signer.md5
    assert page.input_value("#id_android_public_key") == signer.public_pem
    assert "已从 APK 读取包名 cn.browser.shop" in page.locator(".messages").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    with tenant_scope(provider):
        assert OrderAppPlatform.objects.get(app=app, platform="android").package_name == "com.example.app"

    # When they change the name and press Enter in it, the form saves (the APK button is not the default)
    page.fill("#id_name", "回车保存App")
    with page.expect_navigation():
        page.press("#id_name", "Enter")
    assert page.locator(".messages").inner_text() == "App 信息已保存。"
    with tenant_scope(provider):
        plat = OrderAppPlatform.objects.select_related("app").get(app=app, platform="android")
    # Then the app has the name and the values read from the APK (a textarea posts its lines with CRLF)
    assert (plat.app.name, plat.package_name, plat.fingerprint, plat.public_key.replace("\r\n", "\n")) == (
        "回车保存App",
        "cn.browser.shop",
        signer.md5,
        signer.public_pem,
    )
    # and "保存并返回列表" goes back to the list
    page.click("button[name=next]")
    assert page.url.endswith(f"/orders/{order.pk}/apps/")
    context.close()
