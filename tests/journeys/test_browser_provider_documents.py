"""Browser journey (phone width): the provider admin adds 信息安全协议 with its template (seed 001),
and the applicant finds it, with the template link, among an order's materials."""

from __future__ import annotations

import pytest

from filings.models import FilingOrder
from icpfiling.demo.seed import demo_seed
from icpfiling.tenancy.context import tenant_scopes_disabled
from tests.journeys.test_browser import login, url
from tests.services import requires_chromium


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_seed001_admin_adds_a_provider_document_and_the_applicant_downloads_its_template(
    live_server, browser
):
    demo_seed(lifecycle=False)
    admin = browser.new_page(viewport={"width": 390, "height": 844})
    login(admin, live_server, "alpha", "admin@alpha.demo")
    admin.goto(url(live_server, "alpha", "/provider/documents/"))
    admin.fill("#id_name", "信息安全协议")
    admin.fill("#id_description", "下载模板，打印两份，加盖公章后扫描上传。")
    admin.fill("#id_copies", "2")
    admin.set_input_files(
        "#id_template", {"name": "信息安全协议.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4\n"}
    )
    admin.click("form[enctype] button.primary")
    assert "已添加材料“信息安全协议”。" in admin.content()
    assert admin.get_by_role("link", name="信息安全协议", exact=True).count() == 1
    assert admin.get_by_role("link", name="信息安全协议.pdf", exact=True).count() == 1
    admin.close()
    # the applicant's draft order now lists it with the template link
    with tenant_scopes_disabled():
        order = FilingOrder.objects.filter(applicant__email="applicant@alpha.demo").order_by("pk").first()
    applicant = browser.new_page(viewport={"width": 390, "height": 844})
    login(applicant, live_server, "alpha", "applicant@alpha.demo")
    applicant.goto(url(live_server, "alpha", f"/orders/{order.pk}/materials/"))
    assert applicant.locator("li.material", has_text="信息安全协议").count() == 1
    with applicant.expect_download() as caught:
        applicant.click("text=下载模板")
    assert caught.value.suggested_filename == "信息安全协议.pdf"
    applicant.close()
