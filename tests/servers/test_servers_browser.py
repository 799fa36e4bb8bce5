"""R-M5 and R-M1 in Chromium: the provider admin imports servers from CSV and changes a setting."""

from __future__ import annotations

import pytest

from filings.models import Server
from icpfiling.demo.seed import demo_seed
from icpfiling.providers.models import AdminChange
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.journeys.test_browser import login, url
from tests.services import CHROMIUM_MARKS

pytestmark = [*CHROMIUM_MARKS, pytest.mark.django_db(transaction=True)]

HEADER = "instance_id,name,public_ips,region,owner_email,paid_until,capacity\n"


def test_r_m5_admin_imports_servers_from_csv_on_a_phone(live_server, browser, tmp_path):
    # Given alpha's demo admin on a phone, and a file with one bad row
    demo_seed(lifecycle=False)
    page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
    page.set_default_timeout(15000)
    login(page, live_server, "alpha", "admin@alpha.demo")
    bad = tmp_path / "servers.csv"
    bad.write_text(
        HEADER
        + "ins-web-1,Web 1,198.51.100.31,华东1,applicant@alpha.demo,2028-03-31,5\n"
        + "ins-web-2,Web 2,198.51.100.300,华东1,,2028-03-31,5\n",
        encoding="utf-8",
    )
    alpha = Provider.objects.get(slug="alpha")
    with tenant_scope(alpha):
        before = Server.objects.count()

    # When the admin uploads it
    page.goto(url(live_server, "alpha", "/servers/import/"))
    page.set_input_files("#id_file", str(bad))
    page.click("main form button.primary")
    # Then the preview names the bad line, and nothing was imported
    errors = page.locator("#import-errors").inner_text()
    assert "第 3 行" in errors
    assert "198.51.100.300" in errors
    with tenant_scope(alpha):
        assert Server.objects.count() == before

    # When the admin fixes the file, previews and confirms
    good = tmp_path / "servers-fixed.csv"
    good.write_text(
        bad.read_text(encoding="utf-8").replace("198.51.100.300", "198.51.100.32"), encoding="utf-8"
    )
    page.goto(url(live_server, "alpha", "/servers/import/"))
    page.set_input_files("#id_file", str(good))
    page.click("main form button.primary")
    assert "将新增 2 台" in page.locator("main").inner_text()
    page.click("button:text-is('确认导入')")
    # Then both servers are in the list, one assigned to the demo applicant
    assert "新增 2 台" in page.locator(".messages").inner_text()
    page.fill("#q", "ins-web")
    page.click("form.filters button")
    table = page.locator("table").inner_text()
    assert "ins-web-1" in table
    assert "applicant@alpha.demo" in table
    with tenant_scope(alpha):
        assert Server.objects.count() == before + 2


def test_r_m1_admin_changes_the_licence_number_and_sees_it_logged(live_server, page):
    demo_seed(lifecycle=False)
    login(page, live_server, "alpha", "admin@alpha.demo")
    page.goto(url(live_server, "alpha", "/manage/settings/"))
    # a bad value first: named, nothing saved
    page.fill("#id_order_expiry_days", "3")
    page.click("main form button.primary")
    assert "订单闲置失效天数" in page.locator(".error-summary").inner_text()
    # then a good change
    page.fill("#id_order_expiry_days", "60")
    page.fill("#id_licence_number", "浙B2-20260123")
    page.click("main form button.primary")
    assert "2 项修改" in page.locator(".messages").inner_text()
    log = page.locator("main table").last.inner_text()
    assert "浙B2-20260123" in log
    assert "admin@alpha.demo" in log
    assert "浙B2-20260123" in page.locator("footer").inner_text()
    alpha = Provider.objects.get(slug="alpha")
    with tenant_scope(alpha):
        assert AdminChange.objects.count() == 2
