"""The applicant's filing journey in Chromium (issue 3's browser tests)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from filings.models import FilingOrder, OrderStatus
from icpfiling.demo.seed import demo_seed
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.factories import make_ric, make_uscc
from tests.journeys.test_browser import login, url
from tests.services import CHROMIUM_MARKS

pytestmark = [*CHROMIUM_MARKS, pytest.mark.django_db(transaction=True)]


def detect(
    page, live_server, *, cert: str, domain: str, province="ZJ", nature="4", cert_type="business_licence"
):
    page.goto(url(live_server, "alpha", "/orders/new/"))
    page.select_option("#id_province", province)
    page.fill("#id_city", "杭州市")
    page.fill("#id_county", "西湖区")
    page.select_option("#id_nature", nature)
    page.select_option("#id_certificate_type", cert_type)
    page.fill("#id_certificate_number", cert)
    page.fill("#id_domain", domain)
    page.click("button.primary")


def fill_licence(page) -> None:
    """Seed 003: a unit's licence validity and business scope."""
    page.check("#id_licence_long_term")
    page.fill("#id_business_scope", "技术开发、技术服务、技术咨询；软件开发。")


def fill_website(
    page,
    *,
    name: str,
    domain: str | None = None,
    server_label: str = "云服务器（包年） (203.0.113.10)",
    registrant: str = "杭州旅程示例科技有限公司",
):
    page.fill("#id_name", name)
    if domain is not None:
        page.fill("#id_domain_display", domain)
    page.fill("#id_homepage_url", f"https://{domain or 'hz-journey.cn'}/")
    page.check("input[name=service_content][value=unit_portal]")
    page.select_option("#id_server", label=server_label)
    page.fill("#id_domain_real_name_on", (timezone.localdate() - dt.timedelta(days=10)).isoformat())
    # R-W2 / seed 001: the domain's expiry and its registrant, who must be the entity.
    page.fill("#id_domain_expires_on", (timezone.localdate() + dt.timedelta(days=400)).isoformat())
    page.fill("#id_domain_registrant", registrant)
    page.fill("#id_domain_registrar", "阿里云计算有限公司")


def upload_missing(page, tmp_path) -> None:
    """Upload a generated colour image into each material that is still missing."""
    from icpfiling.core.sample_images import sample_image

    for i in range(20):
        row = page.locator("li.material.missing").first
        if row.count() == 0:
            return
        path = tmp_path / f"photo{i}.jpg"
        path.write_bytes(sample_image(f"photo{i}"))
        row.locator("input[type=file]").set_input_files(str(path))
        # the page uploads in the background, then reloads itself when the server accepted the file
        with page.expect_navigation():
            row.locator("form.upload button[type=submit]").click()
    raise AssertionError("materials still missing after 20 uploads")


def test_applicant_files_a_new_entity_with_two_websites_fixing_errors_and_returning_later(
    live_server, browser, tmp_path
):
    demo_seed(lifecycle=False)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, live_server, "alpha", "applicant@alpha.demo")
    detect(page, live_server, cert=make_uscc(), domain="hz-journey.cn")
    assert page.locator("h1").inner_text() == "主体信息"
    assert "首次备案" in page.locator(".locked").inner_text()

    # several mistakes at once: all shown, each next to its field, nothing lost
    page.fill("#id_entity_name", "杭州旅程示例科技有限公司")
    page.fill("#id_principal_name", "钱九")
    page.fill("#id_principal_id_number", "330106199001011230")
    page.fill("#id_principal_mobile", "12345")
    page.fill("#id_principal_email", "not-an-email")
    page.fill("#id_emergency_mobile", "12345")
    page.click("button[name=save]")
    summary = page.locator(".error-summary").inner_text()
    for label in ("手机号码", "电子邮箱", "证件号码", "应急联系电话"):
        assert label in summary
    assert page.input_value("#id_principal_email") == "not-an-email"

    # fix them
    page.fill("#id_registered_address", "杭州市西湖区示例路 1 号")
    page.fill("#id_communication_address", "杭州市西湖区示例路 1 号 8 楼")
    page.fill("#id_investor", "杭州旅程示例科技有限公司")
    page.fill("#id_principal_id_number", make_ric("33010619850312001"))
    page.check("#id_principal_id_long_term")
    page.fill("#id_principal_mobile", "13905719001")
    page.fill("#id_principal_email", "legal@hz-journey.cn")
    page.fill("#id_emergency_mobile", "13905719009")
    fill_licence(page)
    page.click("button[name=next]")
    assert page.locator("h1").inner_text() == "网站信息"

    # first website, then a second one
    page.click("a.button:text-is('编辑')")
    fill_website(page, name="杭州旅程示例官网")
    page.click("button[name=next]")
    page.click("a.button:text-is('添加网站')")
    fill_website(page, name="杭州旅程示例商城", domain="hz-journey-shop.cn")
    page.click("button[name=next]")
    assert page.locator("table.table tbody tr").count() == 2

    # leave, come back days later (a new browser session) and find the draft intact
    context.close()
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, live_server, "alpha", "applicant@alpha.demo")
    page.goto(url(live_server, "alpha", "/orders/"))
    page.locator("tr", has_text="杭州旅程示例科技有限公司").locator("a").first.click()
    assert "未提交" in page.locator(".status").inner_text()
    # upload every required material through the page (samples generated here)
    page.goto(page.url.rstrip("/") + "/materials/")
    upload_missing(page, tmp_path)
    assert "必需的材料都已上传" in page.locator("#materials").inner_text()
    page.click("a:text-is('5 预览并提交')")
    assert "hz-journey-shop.cn" in page.locator("main").inner_text()
    assert page.locator(".error-summary").count() == 0
    page.click("main form button.primary")
    assert "等待接入商审核" in page.locator(".status").inner_text()
    provider = Provider.objects.get(slug="alpha")
    with tenant_scope(provider):
        order = FilingOrder.objects.get(entity_name="杭州旅程示例科技有限公司")
        assert (order.status, order.websites.count()) == (OrderStatus.PROVIDER_REVIEW, 2)
    context.close()


def test_applicant_detects_new_website_and_new_access_from_the_demo_registry(live_server, page):
    demo_seed(lifecycle=False)
    from icpfiling.registry.models import FiledEntity

    alpha_co = FiledEntity.objects.get(name="杭州阿尔法示例科技有限公司")
    beta_co = FiledEntity.objects.get(name="广州贝塔示例网络有限公司")
    login(page, live_server, "alpha", "applicant@alpha.demo")
    # the entity is filed and hosted here; a new domain is a new website
    detect(page, live_server, cert=alpha_co.certificate_number, domain="alpha-new-site.cn")
    assert "新增网站" in page.locator(".locked").inner_text()
    # a website filed and hosted at beta only is a new access at alpha
    detect(page, live_server, cert=beta_co.certificate_number, domain="beta-demo.cn", province="GD")
    assert "新增接入" in page.locator(".locked").inner_text()
    # and the old pre-merger number still finds alpha's entity — now blocked: an order is in flight here
    detect(page, live_server, cert="330106000012345", domain="alpha-third.cn")
    assert "正在办理" in page.locator(".block-reason").inner_text()


def test_typing_is_saved_without_pressing_save(live_server, page):
    demo_seed(lifecycle=False)
    login(page, live_server, "alpha", "applicant@alpha.demo")
    detect(page, live_server, cert=make_uscc(), domain="hz-autosave.cn")
    page.wait_for_load_state("load")  # the autosave script is attached once the page has loaded
    page.fill("#id_entity_name", "自动保存示例有限公司")
    from playwright.sync_api import expect  # locator waits work under the portal's strict CSP

    expect(page.locator("#autosave-status")).to_have_text("已自动保存", timeout=15000)
    # a new tab (the old one could have been closed) shows what was typed
    page.goto(page.url)
    assert page.input_value("#id_entity_name") == "自动保存示例有限公司"


def test_r_d6_phone_uploads_appear_on_the_desktop(live_server, browser, tmp_path, settings):
    # The QR link uses the configured port, never the request's (finding 6): the live server's here.
    settings.ICPFILING_LINK_PORT = str(urlsplit(live_server.url).port)
    demo_seed(lifecycle=False)
    from icpfiling.core.sample_images import sample_image

    desktop_ctx = browser.new_context()
    desktop = desktop_ctx.new_page()
    desktop.set_default_timeout(15000)
    login(desktop, live_server, "alpha", "applicant@alpha.demo")
    detect(desktop, live_server, cert=make_uscc(), domain="hz-phone-demo.cn")
    desktop.goto(desktop.url.replace("/entity/", "/materials/"))
    desktop.click("text=生成手机上传二维码")
    assert desktop.locator("img.qr").count() == 1
    phone_url = desktop.locator("#materials ~ section a[href*='/m/']").first.get_attribute("href")
    # the phone: no login, a narrow screen, the camera input
    phone_ctx = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True)
    phone = phone_ctx.new_page()
    phone.set_default_timeout(15000)
    phone.goto(phone_url)
    assert "手机上传材料" in phone.locator("h1").inner_text()
    file_input = phone.locator("li.material.missing input[type=file]").first
    assert file_input.get_attribute("capture") == "environment"
    photo = tmp_path / "IMG_20261122.jpg"
    photo.write_bytes(sample_image("phone"))
    file_input.set_input_files(str(photo))
    with phone.expect_navigation():
        phone.locator("li.material.missing form.upload button[type=submit]").first.click()
    # the desktop page picks it up by itself (status poll) and lists the file
    from playwright.sync_api import expect

    expect(desktop.locator("ul.files li", has_text="手机上传").first).to_be_visible(timeout=20000)
    phone_ctx.close()
    desktop_ctx.close()
