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
    # when they open 已备案信息: the website's row lists its actions; 注销网站 is offered because the
    # entity keeps its app 阿尔法记账 (the last-service rule counts websites and apps, R-C5)
    page.goto(url(live_server, "alpha", "/orders/filed/"))
    row = page.locator(f"#service-{site.pk}")
    assert row.locator("button[data-action='cancel_website']").count() == 1
    assert "不能单独注销" not in row.inner_text()
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


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_c8_transfer_chosen_in_the_browser_releases_the_old_provider_and_tells_its_staff(
    live_server, browser, page
):
    import datetime as dt
    from types import SimpleNamespace

    from django.utils import timezone

    from filings.models import Server
    from filings.orders.services import order_create, order_entity_save, order_website_save
    from icpfiling.accounts.models import User
    from icpfiling.registry.models import FiledEntity
    from tests.changes.test_changes import through_authority
    from tests.factories import (
        VALID_ENTITY,
        detection_input,
        make_ric,
        upload_required_materials,
        valid_website_values,
    )

    # given the demo: beta hosts beta-demo.cn; alpha's applicant files it as 新增接入 at alpha
    demo_seed(lifecycle=False)
    alpha = Provider.objects.get(slug="alpha")
    applicant = User.objects.get(email="applicant@alpha.demo", provider=alpha)
    entity = FiledEntity.objects.get(name="广州贝塔示例网络有限公司")
    site = FiledWebsite.objects.get(domain="beta-demo.cn")
    with tenant_scope(alpha):
        _d, order = order_create(
            tenant=alpha,
            applicant=applicant,
            data=detection_input(
                cert=entity.certificate_number,
                domain="beta-demo.cn",
                province="GD",
                cert_type="business_licence",
            ),
        )
        order_entity_save(
            order=order,
            actor=applicant,
            values={**VALID_ENTITY, "entity_name": entity.name, "principal_id_number": make_ric()},
        )
        server = Server.objects.create(
            tenant=alpha,
            owner=applicant,
            label="转入服务器",
            ip_address="198.51.100.201",
            paid_until=timezone.localdate() + dt.timedelta(days=365),
        )
        order_website_save(
            order=order, website=order.websites.get(), actor=applicant, values=valid_website_values(server)
        )
    tenant = SimpleNamespace(
        provider=alpha,
        users={
            "applicant": applicant,
            "reviewer": User.objects.get(email="reviewer@alpha.demo", provider=alpha),
        },
    )
    upload_required_materials(tenant, order)
    # when the applicant chooses "replace the old provider" on the order page
    login(page, live_server, "alpha", "applicant@alpha.demo")
    page.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
    page.locator("#transfer input[name='replace'][value='1']").check()
    page.locator("#transfer button[type='submit']").click()
    page.wait_for_load_state("networkidle")
    assert (
        "变更接入商：通过后原接入商“贝塔数据（演示）”的接入记录结束"
        in page.locator("#change-diff").inner_text()
    )
    # and the order goes through to the Guangdong authority's approval
    authority = User.objects.get(email="authority-gd@gov.demo")
    through_authority(tenant, order, authority)
    # then only alpha hosts the website, under the same number
    site.refresh_from_db()
    hosts = list(site.access_records.filter(ended_at__isnull=True).values_list("provider__slug", flat=True))
    assert hosts == ["alpha"]
    # and beta's reviewer finds it in the inbox
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    staff = context.new_page()
    login(staff, live_server, "beta", "reviewer@beta.demo")
    staff.goto(url(live_server, "beta", "/inbox/"))
    assert "网站 beta-demo.cn 已转出" in staff.locator("main").inner_text()
    context.close()
