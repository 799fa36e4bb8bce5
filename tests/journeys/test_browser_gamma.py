"""R-M4: a provider that did not exist goes live from the browser and files to its numbers.

The operator creates provider ``gamma`` (host ``gamma.localhost``) in the operator console;
its admin sets a password from the emailed link, invites a reviewer and adds a server for the
applicant; an applicant registers at gamma, files a 首次备案 and it goes through review,
(remote) verification, SMS and the Zhejiang authority to its numbers. Gamma has no demo data
(the demo seed only provides alpha, beta and the platform's own accounts) and nothing restarts.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import timezone

from filings.models import FilingOrder, OrderStatus, Server, SmsChallenge
from icpfiling.core.sample_images import sample_image
from icpfiling.demo.seed import demo_seed
from icpfiling.notifications import sms as sms_backend
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.factories import make_ric, make_uscc
from tests.journeys.test_browser import confirm_step, login, url
from tests.journeys.test_browser_journey import fill_licence, fill_website, upload_missing
from tests.services import CHROMIUM_MARKS

pytestmark = [*CHROMIUM_MARKS, pytest.mark.django_db(transaction=True)]

ENTITY = "伽马全程示例科技有限公司"


def _page(browser, *, phone: bool = False):
    size = {"width": 390, "height": 844} if phone else {"width": 1280, "height": 900}
    page = browser.new_context(viewport=size, locale="zh-CN").new_page()
    page.set_default_timeout(15000)
    return page


def _mail_link(to: str, pattern: str = r"https?://\S+") -> str:
    message = next(m for m in reversed(mail.outbox) if m.to == [to])
    return re.search(pattern, message.body).group(0)


def _set_password(page, link: str, password: str) -> None:
    page.goto(link)  # Django redirects to the set-password form (the token leaves the URL)
    page.fill("#id_new_password1", password)
    page.fill("#id_new_password2", password)
    page.click("button.primary")
    assert "密码" in page.locator("main").inner_text()


def _status(order) -> str:
    with tenant_scope(order.tenant_id):
        return FilingOrder.objects.get(pk=order.pk).status


def test_r_m4_operator_onboards_gamma_which_files_to_its_numbers(live_server, browser, tmp_path, settings):
    # Given the platform's own accounts, and no provider gamma at all; emailed links carry the
    # live server's port as a deployment's ICPFILING_LINK_PORT would
    settings.ICPFILING_LINK_PORT = str(urlsplit(live_server.url).port)
    demo_seed(lifecycle=False)
    assert not Provider.objects.filter(slug="gamma").exists()
    gamma_host = url(live_server, "gamma", "/")
    operator = _page(browser)
    operator.goto(gamma_host)
    assert operator.locator("body").inner_text().strip() != ""  # the unknown host's 404 page

    # When the operator creates gamma in the operator console
    login(operator, live_server, None, "operator@platform.demo")
    operator.goto(url(live_server, None, "/operator/onboard/"))
    operator.fill("#id_slug", "gamma")
    operator.fill("#id_name", "Gamma 云")
    operator.fill("#id_legal_name", "伽马云计算有限公司")
    operator.fill("#id_licence_number", "浙B2-20269999")
    operator.fill("#id_hostnames", "gamma.localhost")
    operator.fill("#id_admin_email", "admin@gamma.test")
    operator.click("#onboard-form input[type=submit]")
    operator.wait_for_url(re.compile(r"/operator/tenancy/provider/\d+/change/$"))
    assert "接入商 Gamma 云 已创建" in operator.locator("body").inner_text()

    # Then gamma's admin sets a password from the email, on gamma's own host, and logs in there
    admin = _page(browser)
    link = _mail_link("admin@gamma.test")
    assert link.startswith(url(live_server, "gamma", "/accounts/reset/"))
    _set_password(admin, link, "Gamma-admin-2026")
    login(admin, live_server, "gamma", "admin@gamma.test", "Gamma-admin-2026")
    assert admin.locator("h1").first.inner_text() == "接入商管理"
    assert "浙B2-20269999" in admin.locator("footer").inner_text()

    # and invites a reviewer, who sets a password too
    admin.goto(url(live_server, "gamma", "/manage/staff/"))
    admin.fill("#id_email", "reviewer@gamma.test")
    admin.select_option("#id_role", "reviewer")
    admin.click("main form button.primary")
    assert "已邀请 reviewer@gamma.test" in admin.locator(".messages").inner_text()
    reviewer = _page(browser)
    _set_password(reviewer, _mail_link("reviewer@gamma.test"), "Gamma-review-2026")
    login(reviewer, live_server, "gamma", "reviewer@gamma.test", "Gamma-review-2026")
    assert reviewer.locator("h1").first.inner_text() == "审核工作台"

    # An applicant registers at gamma on a phone and confirms the address
    applicant = _page(browser, phone=True)
    applicant.goto(url(live_server, "gamma", "/accounts/register/"))
    applicant.fill("#id_email", "founder@gamma-journey.cn")
    applicant.fill("#id_full_name", "伽马申请人")
    applicant.fill("#id_password1", "Founder-pass-2026")
    applicant.fill("#id_password2", "Founder-pass-2026")
    applicant.click("button.primary")
    applicant.goto(_mail_link("founder@gamma-journey.cn"))
    assert applicant.locator("h1").inner_text() == "邮箱已确认"
    login(applicant, live_server, "gamma", "founder@gamma-journey.cn", "Founder-pass-2026")

    # and starts a 首次备案 in Zhejiang
    applicant.goto(url(live_server, "gamma", "/orders/new/"))
    applicant.select_option("#id_province", "ZJ")
    applicant.fill("#id_city", "杭州市")
    applicant.fill("#id_county", "西湖区")
    applicant.select_option("#id_nature", "4")
    applicant.select_option("#id_certificate_type", "business_licence")
    applicant.fill("#id_certificate_number", make_uscc())
    applicant.fill("#id_domain", "gamma-journey.cn")
    applicant.click("button.primary")
    assert "首次备案" in applicant.locator(".locked").inner_text()
    applicant.fill("#id_entity_name", ENTITY)
    applicant.fill("#id_registered_address", "杭州市西湖区伽马路 1 号")
    applicant.fill("#id_communication_address", "杭州市西湖区伽马路 1 号 8 楼 801 室")
    applicant.fill("#id_investor", ENTITY)
    applicant.fill("#id_principal_name", "伽马负责人")
    applicant.fill("#id_principal_id_number", make_ric("33010619850312002"))
    applicant.check("#id_principal_id_long_term")
    applicant.fill("#id_principal_mobile", "13905719301")
    applicant.fill("#id_principal_email", "legal@gamma-journey.cn")
    applicant.fill("#id_emergency_mobile", "13905719309")
    fill_licence(applicant)
    applicant.click("button[name=next]")
    assert applicant.locator("h1").inner_text() == "网站信息"

    # The website step has no server to offer yet, and says why and what to do
    applicant.click("a.button:text-is('编辑')")
    assert "您的账户下还没有本接入商的服务器" in applicant.locator("#no-server").inner_text()

    # so gamma's admin adds a server and assigns it to the applicant
    admin.goto(url(live_server, "gamma", "/servers/new/"))
    admin.fill("#id_instance_id", "ins-gamma-0001")
    admin.fill("#id_label", "伽马云服务器")
    admin.fill("#id_public_ips", "203.0.113.201")
    admin.fill("#id_region", "华东1（杭州）")
    admin.fill("#id_owner_email", "founder@gamma-journey.cn")
    admin.fill("#id_paid_until", (timezone.localdate() + dt.timedelta(days=365)).isoformat())
    admin.click("main form button.primary")
    assert "ins-gamma-0001" in admin.locator("table").inner_text()

    # and the applicant finishes the website, uploads the materials and submits
    applicant.reload()
    assert applicant.locator("#no-server").count() == 0
    fill_website(
        applicant, name="伽马示例官网", server_label="伽马云服务器 (203.0.113.201)", registrant=ENTITY
    )
    applicant.click("button[name=next]")
    provider = Provider.objects.get(slug="gamma")
    with tenant_scope(provider):
        order = FilingOrder.objects.get(entity_name=ENTITY)
    applicant.goto(url(live_server, "gamma", f"/orders/{order.pk}/materials/"))
    upload_missing(applicant, tmp_path)
    applicant.goto(url(live_server, "gamma", f"/orders/{order.pk}/preview/"))
    assert applicant.locator(".error-summary").count() == 0
    applicant.click("main form button.primary")
    assert _status(order) == OrderStatus.PROVIDER_REVIEW

    # The reviewer records the phone check and passes the first review
    reviewer.goto(url(live_server, "gamma", "/review/"))
    reviewer.locator("tr", has_text=ENTITY).locator("a").first.click()
    reviewer.fill("#phone-check-form input[name='person']", "伽马负责人")
    reviewer.check("#phone-check-form input[name='outcome'][value='confirmed']")
    reviewer.click("#phone-check-form button[type=submit]")
    confirm_step(reviewer, "初审通过，进入核验", "确认初审通过")
    assert _status(order) == OrderStatus.VERIFICATION

    # The applicant chooses remote verification (gamma has no point) and uploads a curtain photo
    applicant.goto(url(live_server, "gamma", f"/orders/{order.pk}/verification/"))
    applicant.click("button:text-is('选择远程核验')")
    photo = tmp_path / "curtain.jpg"
    photo.write_bytes(sample_image("curtain_photo", size=(1200, 900)))
    applicant.set_input_files("#my-booking input[type=file]", str(photo))
    applicant.click("button:text-is('上传幕布照片')")

    # and the reviewer records the remote check, then submits to the authority
    reviewer.goto(url(live_server, "gamma", f"/review/{order.pk}/"))
    for box in reviewer.locator("input[name='originals_seen']").all():
        box.check()
    reviewer.check("input[name='result'][value='passed']")
    reviewer.click("button:text-is('记录远程核验结果')")
    assert _status(order) == OrderStatus.PROVIDER_RECHECK
    reviewer.goto(url(live_server, "gamma", f"/review/{order.pk}/"))
    confirm_step(reviewer, "提交管局", "确认提交管局")
    assert _status(order) == OrderStatus.SMS_VERIFICATION

    # The applicant enters every SMS code, as the phones received them
    with tenant_scope(order.tenant_id):
        challenges = list(SmsChallenge.objects.filter(order_id=order.pk).order_by("pk"))
    applicant.goto(url(live_server, "gamma", f"/orders/{order.pk}/sms/"))
    for challenge in challenges:
        body = next(
            m["body"]
            for m in reversed(sms_backend.sent)
            if m["to"] == challenge.mobile and "核验码为" in m["body"]
        )
        applicant.fill(f"#code-{challenge.pk}", re.search(r"核验码为(\d{6})", body).group(1))
        applicant.locator(f"#code-{challenge.pk}").locator("xpath=ancestor::form").locator("button").click()
    assert _status(order) == OrderStatus.AUTHORITY_REVIEW

    # The Zhejiang authority approves on the platform host
    authority = _page(browser)
    login(authority, live_server, None, "authority-zj@gov.demo")
    authority.goto(url(live_server, None, "/authority/"))
    authority.locator("tr", has_text=ENTITY).locator("a").first.click()
    confirm_step(authority, "审核通过并发放备案号", "确认通过并发放备案号")
    assert _status(order) == OrderStatus.APPROVED

    # Then the applicant at gamma sees both numbers
    applicant.goto(url(live_server, "gamma", f"/orders/{order.pk}/"))
    entity_number = applicant.locator("[data-testid=entity-number]").inner_text()
    assert re.fullmatch(r"浙ICP备\d{10}号", entity_number)
    assert applicant.locator("[data-testid=website-number]").inner_text() == f"{entity_number}-1"
    # and gamma holds only what was made here: one server, one order, no demo data
    with tenant_scope(provider):
        assert list(Server.objects.values_list("instance_id", flat=True)) == ["ins-gamma-0001"]
        assert FilingOrder.objects.count() == 1
