"""变更网站 removes a domain in the browser, through approval (R-C2), on a phone-sized page."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from filings.models import FilingOrder
from icpfiling.accounts.models import User
from icpfiling.demo.seed import demo_seed
from icpfiling.registry.models import FiledEntity, FiledWebsite, FiledWebsiteDomain, RegistryChange
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.journeys.test_browser import login, url
from tests.services import requires_chromium


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_c2_applicant_removes_the_main_domain_in_the_browser_and_the_number_stays(live_server, page):
    import datetime as dt

    from django.utils import timezone

    from filings.models import Server
    from filings.orders.services import order_website_save
    from tests.changes.test_changes import through_authority
    from tests.factories import upload_required_materials, valid_website_values

    # given the demo: alpha hosts alpha-demo.cn, which also carries alpha-demo.net in the registry
    demo_seed(lifecycle=False)
    alpha = Provider.objects.get(slug="alpha")
    site = FiledWebsite.objects.get(domain="alpha-demo.cn")
    FiledWebsiteDomain.objects.create(website=site, domain="alpha-demo.net")
    FiledEntity.objects.filter(pk=site.entity_id).update(principal_mobile="13905710001")  # for the SMS check
    number = site.website_number
    login(page, live_server, "alpha", "applicant@alpha.demo")
    # when the applicant opens 已备案信息: both domains are listed, with what 变更网站 may do
    page.goto(url(live_server, "alpha", "/orders/filed/"))
    row = page.locator(f"#service-{site.pk}")
    assert "alpha-demo.cn" in row.inner_text()
    assert "alpha-demo.net" in row.inner_text()
    assert "变更网站可以删除域名（包括主域名），但至少保留一个，不能新增。" in row.inner_text()
    # and starts 变更网站, and on the website step unticks the main domain
    row.locator("button[data-action='change_website']").click()
    page.wait_for_url(re.compile(r"/orders/\d+/$"))
    page.get_by_role("link", name="继续填写").click()
    page.get_by_role("link", name="编辑").click()
    assert page.locator("input[name='keep_domains']").count() == 2
    page.locator("input[name='keep_domains'][value='alpha-demo.cn']").uncheck()
    page.click("button[name='save']")
    page.wait_for_load_state("networkidle")
    with tenant_scope(alpha):
        order = FilingOrder.objects.get(order_type="change_website")
        assert order.websites.get().domains == ["alpha-demo.net"]
    # then the order page shows the domains before → after
    page.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
    diff = page.locator("#change-diff").inner_text()
    assert "alpha-demo.cn、alpha-demo.net" in diff
    assert re.search(r"alpha-demo\.cn、alpha-demo\.net\s+alpha-demo\.net", diff)
    # and once the Zhejiang authority approves, the website keeps its number under alpha-demo.net
    tenant = SimpleNamespace(
        provider=alpha,
        users={
            "applicant": User.objects.get(email="applicant@alpha.demo", provider=alpha),
            "reviewer": User.objects.get(email="reviewer@alpha.demo", provider=alpha),
        },
    )
    with tenant_scope(alpha):  # the demo's registry website has no filed order behind it: complete it
        server = Server.objects.create(
            tenant=alpha,
            owner=tenant.users["applicant"],
            label="域名变更服务器",
            ip_address="198.51.100.202",
            paid_until=timezone.localdate() + dt.timedelta(days=365),
        )
        values = {k: v for k, v in valid_website_values(server).items() if k != "name"}
        order_website_save(
            order=order, website=order.websites.get(), actor=tenant.users["applicant"], values=values
        )
        # as if the website's server had been on file (变更网站 cannot change the server, R-C3)
        order.change.baseline["service.server"] = f"{server.label} ({server.ip_address})"
        order.change.save(update_fields=["baseline"])
    upload_required_materials(tenant, order)
    through_authority(tenant, order, User.objects.get(email="authority-zj@gov.demo"))
    site.refresh_from_db()
    assert (site.website_number, site.domain) == (number, "alpha-demo.net")
    change = RegistryChange.objects.get(service=site, kind="change_service")
    assert (change.before["domains"], change.after["domains"]) == (
        ["alpha-demo.cn", "alpha-demo.net"],
        ["alpha-demo.net"],
    )
    # and 已备案信息 lists only the domain that stays
    page.goto(url(live_server, "alpha", "/orders/filed/"))
    text = page.locator(f"#service-{site.pk}").inner_text()
    assert "alpha-demo.net" in text
    assert "alpha-demo.cn" not in text
