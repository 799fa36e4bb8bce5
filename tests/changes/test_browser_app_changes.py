"""An applicant changes a filed app from 已备案信息 and the authority approves it, in Chromium (R-C2, R-AP1).

The applicant, on a phone (390 px), starts 变更App on the demo company's app, renames
it and completes its Android build by uploading the signing certificate; the reviewer
submits it to the authority; the applicant enters the SMS code; the Zhejiang authority
sees the change as before → after and approves; the registry keeps the number.
"""

from __future__ import annotations

import re

import pytest

from filings.models import FilingOrder, OrderStatus
from icpfiling.accounts.models import User
from icpfiling.demo.orders import sample_materials
from icpfiling.demo.seed import demo_seed
from icpfiling.privacy.fields import with_blind_indexes
from icpfiling.registry.models import FiledApp, FiledEntity, RegistryChange
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
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
def test_r_c2_r_ap1_applicant_changes_an_app_and_the_authority_approves_it_in_the_browser(
    live_server, browser, tmp_path
):
    # given the demo: alpha's company has the app 阿尔法记账 (…号-2A), filed through alpha
    demo_seed(lifecycle=False)
    provider = Provider.objects.get(slug="alpha")
    applicant_user = User.objects.get(email="applicant@alpha.demo", provider=provider)
    reviewer_user = User.objects.get(email="reviewer@alpha.demo", provider=provider)
    filed = FiledApp.objects.get(name="阿尔法记账")
    number = filed.service_number
    # (the demo registry keeps no principal mobile for it; the SMS code goes to the app principal's)
    FiledEntity.objects.filter(pk=filed.entity_id).update(
        **with_blind_indexes(FiledEntity, {"principal_mobile": "13905718801"})
    )
    phone = _actor(browser, live_server, "alpha", "applicant@alpha.demo", width=390)
    reviewer = _actor(browser, live_server, "alpha", "reviewer@alpha.demo")
    authority = _actor(browser, live_server, None, "authority-zj@gov.demo")

    # when the applicant opens 已备案信息 on a phone: the app's row offers 变更App
    phone.goto(url(live_server, "alpha", "/orders/filed/"))
    row = phone.locator(f"#app-{filed.pk}")
    assert number in row.inner_text()
    row.locator("button[data-action='change_app']").click()
    phone.wait_for_url(re.compile(r"/orders/\d+/$"))
    assert "变更App" in phone.locator("p.status").inner_text()
    with tenant_scope(provider):
        order = FilingOrder.objects.get(order_type="change_app", registry_app=filed)
        app = order.apps.get()
    # and "continue" leads to the app, prefilled with its filed package name
    phone.get_by_role("link", name="继续填写").click()
    assert phone.url.endswith(f"/orders/{order.pk}/apps/")
    phone.get_by_role("link", name="编辑").click()
    assert phone.url.endswith(f"/orders/{order.pk}/apps/{app.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert phone.input_value("#id_android_package_name") == "cn.alphademo.books"
    # and they rename it and complete the build by uploading its signing certificate
    phone.fill("#id_name", "阿尔法记账Pro")
    phone.check("input[name=service_content][value=other]")
    _pem, der, _cert = _certificate()
    cert_file = tmp_path / "sign.der"
    cert_file.write_bytes(der)
    phone.set_input_files("#id_android_certificate", str(cert_file))
    phone.click("button[name=next]")
    assert phone.url.endswith(f"/orders/{order.pk}/apps/")
    with tenant_scope(provider):
        sample_materials(FilingOrder.objects.get(pk=order.pk), applicant_user)
    # and the order page shows the change as before → after; they submit from the preview
    phone.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
    diff = phone.locator("#change-diff").inner_text()
    assert "阿尔法记账Pro" in diff
    assert number in diff
    phone.goto(url(live_server, "alpha", f"/orders/{order.pk}/preview/"))
    phone.click("main form button.primary")
    assert order_status(order) == OrderStatus.PROVIDER_REVIEW
    # and the registry is unchanged until the authority approves
    filed.refresh_from_db()
    assert filed.name == "阿尔法记账"

    # the reviewer sees the diff; the first review and identity check pass; they submit to the authority
    reviewer.goto(url(live_server, "alpha", f"/review/{order.pk}/"))
    assert "阿尔法记账Pro" in reviewer.locator("#change-diff").inner_text()
    pass_check_submit_and_enter_sms_code(live_server, reviewer, phone, order, reviewer_user)

    # then the Zhejiang authority sees the app's change as before → after and approves it
    authority.goto(url(live_server, None, f"/authority/orders/{order.pk}/"))
    diff = authority.locator("#change-diff")
    assert diff.locator("td.before", has_text="阿尔法记账").count() >= 1
    assert diff.locator("td.after", has_text="阿尔法记账Pro").count() == 1
    confirm_step(authority, "审核通过并发放备案号", "确认通过并发放备案号")
    assert order_status(order) == OrderStatus.APPROVED

    # and the registry holds the new name under the same number, with the history row
    filed.refresh_from_db()
    assert (filed.service_number, filed.name) == (number, "阿尔法记账Pro")
    row = RegistryChange.objects.get(app=filed, kind="change_app")
    assert (row.before["name"], row.after["name"], row.order_id) == ("阿尔法记账", "阿尔法记账Pro", order.pk)
    # and 已备案信息 shows the new name and the change in the history
    phone.goto(url(live_server, "alpha", "/orders/filed/"))
    assert "阿尔法记账Pro" in phone.locator(f"#app-{filed.pk}").inner_text()
    phone.locator("summary", has_text="变更记录").click()
    assert f"变更App · {number}" in phone.locator("main").inner_text()
