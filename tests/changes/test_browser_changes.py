"""The applicant starts a change from 已备案信息 on a phone (R-P2, R-C2), in Chromium."""

from __future__ import annotations

import re

import pytest

from filings.models import FilingOrder
from icpfiling.demo.seed import demo_seed
from icpfiling.registry.models import FiledWebsite
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.journeys.test_browser import login, url
from tests.services import requires_chromium


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_p2_r_c2_applicant_starts_a_website_change_from_filed_info_on_a_phone(live_server, page):
    # given the demo: alpha's applicant has a filed company with alpha-demo.cn hosted at alpha
    demo_seed(lifecycle=False)
    site = FiledWebsite.objects.get(domain="alpha-demo.cn")
    login(page, live_server, "alpha", "applicant@alpha.demo")
    # when they open 已备案信息: the website's row lists its actions, 注销网站 with its reason
    page.goto(url(live_server, "alpha", "/orders/filed/"))
    row = page.locator(f"#service-{site.pk}")
    assert "这是该主体的最后一个网站，不能单独注销" in row.inner_text()
    # and start 变更网站
    row.locator("button[data-action='change_website']").click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    assert "变更网站" in page.locator("p.status").inner_text()
    # then "continue" leads to the website, whose name they change (the domain stays locked)
    page.get_by_role("link", name="继续填写").click()
    page.get_by_role("link", name="编辑").click()
    assert page.locator("#id_domain_display").is_disabled()
    page.fill("#id_name", "阿尔法示例新官网")
    page.click("button[name='save']")
    page.wait_for_load_state("networkidle")
    with tenant_scope(Provider.objects.get(slug="alpha")):
        order = FilingOrder.objects.get(order_type="change_website")
        assert order.websites.get().name == "阿尔法示例新官网"
    # and the order page shows the change as before → after
    page.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
    diff = page.locator("#change-diff").inner_text()
    assert "阿尔法示例官网" in diff
    assert "阿尔法示例新官网" in diff
    # and the registry is unchanged until the authority approves
    site.refresh_from_db()
    assert site.name == "阿尔法示例官网"
