"""R-M3 in a browser: the provider admin reads the dashboard on a 390 px phone."""

from __future__ import annotations

import pytest

from icpfiling.demo.seed import demo_seed
from tests.journeys.test_browser import login, url
from tests.services import requires_chromium


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_m3_admin_reads_the_dashboard_on_a_phone(live_server, page):
    # given the demo (alpha's past filing is counted by the backfill the seed runs)
    demo_seed(lifecycle=False)
    login(page, live_server, "alpha", "admin@alpha.demo")
    # when the admin opens the dashboard from the menu, on a 390 px screen
    page.click("header a:text-is('数据看板')")
    assert page.locator("h1").inner_text() == "数据看板"
    # then four charts (no return yet: a sentence says so) and five tables, nothing wider than the screen
    assert page.locator("svg.chart").count() == 4
    assert "本期间没有退回。" in page.locator("main").inner_text()
    assert page.locator("table.nums").count() == 5
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for box in [page.locator("svg.chart").nth(i).bounding_box() for i in range(4)]:
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 390
        assert box["height"] > 40
    # and the numbers are in the tables as text (copyable), the state table first
    states = page.locator("table.nums").first.inner_text()
    assert "已备案" in states
    # when the admin narrows to one province and a year, the page keeps the filters
    page.select_option("#id_weeks", "52")
    page.select_option("#id_province", "GD")
    page.click("form.filters button[type=submit]")
    assert "province=GD" in page.url
    assert page.locator("#id_province").input_value() == "GD"
    assert page.locator("svg.chart").count() == 4
    # and the export link carries the same filters
    href = page.locator("a:text-is('导出订单（CSV）')").get_attribute("href")
    assert href.startswith("/dashboard/orders.csv?")
    assert "province=GD" in href
    assert "weeks=52" in href
    assert url(live_server, "alpha", "/").startswith("http://alpha.localhost")
