"""The whole review lifecycle across roles and two hosts, in Chromium (issue 5's journey).

applicant submits → reviewer returns one field → applicant fixes and resubmits →
reviewer passes → the point's staff record the on-site check → reviewer submits to
the authority → the applicant enters both SMS codes → the Zhejiang authority
approves on the platform host → the applicant sees both numbers, and each
approval notification exists exactly once per channel.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from filings.models import FilingOrder, OrderStatus, SmsChallenge
from icpfiling.accounts.models import User
from icpfiling.core.sample_images import sample_image
from icpfiling.demo.lifecycle import Plan, demo_order_file
from icpfiling.demo.points import demo_point_programme_seed
from icpfiling.demo.seed import demo_seed
from icpfiling.notifications import sms as sms_backend
from icpfiling.notifications.models import InboxMessage, OutboxMessage
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.journeys.test_browser import login, url
from tests.services import requires_chromium
from verification_points.models import AppointmentSlot, VerificationPoint
from verification_points.operations.slots import slots_generate

WEBSITE_PRINCIPAL = {
    "principal_same_as_entity": False,
    "principal_name": "旅程网站负责人",
    "principal_id_type": "resident_id",
    "principal_id_number": "",  # filled with a valid number below
    "principal_id_long_term": True,
    "principal_mobile": "13905719902",
    "principal_email": "webmaster@alpha-journey-demo.cn",
}


def _draft() -> FilingOrder:
    from icpfiling.demo.identities import demo_ric

    provider = Provider.objects.get(slug="alpha")
    applicant = User.objects.get(email="applicant@alpha.demo", provider=provider)
    verifier = User.objects.get(email="verifier@alpha.demo", provider=provider)
    with tenant_scope(provider):
        demo_point_programme_seed(provider, verifier_user=verifier)
        for point in VerificationPoint.objects.filter(status="operating"):
            slots_generate(point=point, start=timezone.localdate(), days=14)
        # A check is recorded on the booked slot's day (R-S4): the applicant walks in and
        # books the slot in progress at the verifier's point, whatever the time of the run.
        now = timezone.now()
        point = VerificationPoint.objects.filter(staff__user=verifier, status="operating").first()
        AppointmentSlot.objects.create(
            tenant_id=point.tenant_id,
            point=point,
            starts_at=now,
            ends_at=now + dt.timedelta(minutes=30),
            capacity=2,
        )
        from filings.models import Server

        server = Server.objects.filter(owner=applicant).order_by("-paid_until").first()
        site = {**WEBSITE_PRINCIPAL, "principal_id_number": demo_ric("33010619900707123")}
        return demo_order_file(
            provider,
            applicant,
            server,
            Plan("91", "ZJ", OrderStatus.DRAFT, "杭州全程示例科技有限公司"),
            submit=False,
            site_values=site,
        )


def _actor(browser, live_server, tenant, email):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    login(page, live_server, tenant, email)
    return page


def _status(order) -> str:
    with tenant_scope(order.tenant_id):
        return FilingOrder.objects.get(pk=order.pk).status


def _confirm(page, label: str, confirm: str, order, before: str) -> None:
    """Issue 12: an irreversible action asks first; the first click changes nothing."""
    page.click(f"summary:text-is('{label}')")
    assert _status(order) == before
    body = page.locator("details.confirm[open] .confirm-body")
    assert "请确认：" in body.inner_text()
    body.locator(f"button:text-is('{confirm}')").click()


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_s1_whole_lifecycle_across_roles_and_hosts(live_server, browser, tmp_path):
    # Given the demo accounts, alpha's verification point with open slots and a complete draft
    demo_seed(lifecycle=False)
    order = _draft()
    applicant = _actor(browser, live_server, "alpha", "applicant@alpha.demo")
    reviewer = _actor(browser, live_server, "alpha", "reviewer@alpha.demo")
    verifier = _actor(browser, live_server, "alpha", "verifier@alpha.demo")
    authority = _actor(browser, live_server, None, "authority-zj@gov.demo")

    # When the applicant submits from the preview
    applicant.goto(url(live_server, "alpha", f"/orders/{order.pk}/preview/"))
    applicant.click("main form button.primary")
    assert "等待接入商审核" in applicant.locator(".status").inner_text()

    # and the reviewer returns one field with a reason and a suggestion
    reviewer.goto(url(live_server, "alpha", "/review/"))
    reviewer.locator("tr", has_text="杭州全程示例科技有限公司").locator("a").first.click()
    reviewer.select_option("select[name='r-0-field']", "entity.communication_address")
    reviewer.fill("input[name='r-0-reason']", "通讯地址不详细，需具体到门牌号。")
    reviewer.fill("input[name='r-0-suggestion']", "请写到室号，例如 601 室。")
    reviewer.click("#return-form button[type=submit]")
    assert _status(order) == OrderStatus.RETURNED

    # Then the applicant sees the reason next to the field, fixes it and resubmits
    applicant.goto(url(live_server, "alpha", f"/orders/{order.pk}/entity/"))
    assert "通讯地址不详细，需具体到门牌号。" in applicant.locator("main").inner_text()
    applicant.fill("#id_communication_address", "杭州市西湖区演示路 91 号 6 楼 601 室")
    applicant.click("button[name=save]")
    applicant.goto(url(live_server, "alpha", f"/orders/{order.pk}/preview/"))
    applicant.click("main form button.primary")
    assert _status(order) == OrderStatus.PROVIDER_REVIEW

    # and the reviewer sees what changed, records the phone check and passes
    reviewer.goto(url(live_server, "alpha", f"/review/{order.pk}/"))
    assert "601 室" in reviewer.locator("main").inner_text()
    reviewer.fill("#phone-check-form input[name='person']", "演示91")
    reviewer.check("#phone-check-form input[name='outcome'][value='confirmed']")
    reviewer.click("#phone-check-form button[type=submit]")
    _confirm(reviewer, "初审通过，进入核验", "确认初审通过", order, OrderStatus.PROVIDER_REVIEW)
    assert _status(order) == OrderStatus.VERIFICATION

    # The applicant, at the counter, books the slot in progress at the verifier's point
    with tenant_scope(order.tenant_id):
        walk_in = (
            AppointmentSlot.objects.filter(
                point__staff__user__email="verifier@alpha.demo", starts_at__lte=timezone.now()
            )
            .order_by("-starts_at")
            .first()
        )
    applicant.goto(url(live_server, "alpha", f"/orders/{order.pk}/verification/"))
    applicant.check(f"input[name='slot'][value='{walk_in.pk}']")
    applicant.click("button:text-is('预约所选时段')")

    # and the point's staff record the on-site check with a curtain photo
    verifier.goto(url(live_server, "alpha", "/desk/"))
    verifier.locator("tr", has_text="杭州全程示例科技有限公司").locator("a.button").first.click()
    for box in verifier.locator("input[name='originals_seen']").all():
        box.check()
    photo = tmp_path / "curtain.jpg"
    photo.write_bytes(sample_image("curtain_photo", size=(1200, 900)))
    verifier.set_input_files("input[name='curtain_photo']", str(photo))
    verifier.check("input[name='result'][value='passed']")
    _confirm(verifier, "提交核验结果", "确认提交核验结果", order, OrderStatus.VERIFICATION)
    assert _status(order) == OrderStatus.PROVIDER_RECHECK

    # The reviewer submits to the authority: a code goes to each of the two principals
    reviewer.goto(url(live_server, "alpha", f"/review/{order.pk}/"))
    _confirm(reviewer, "提交管局", "确认提交管局", order, OrderStatus.PROVIDER_RECHECK)
    assert _status(order) == OrderStatus.SMS_VERIFICATION
    with tenant_scope(order.tenant_id):
        challenges = list(SmsChallenge.objects.filter(order_id=order.pk).order_by("pk"))
    assert sorted(c.mobile for c in challenges) == sorted([order.principal_mobile, "13905719902"])

    # The applicant enters both codes, as the phones received them
    applicant.goto(url(live_server, "alpha", f"/orders/{order.pk}/sms/"))
    for challenge in challenges:
        body = next(
            m["body"]
            for m in reversed(sms_backend.sent)
            if m["to"] == challenge.mobile and "核验码为" in m["body"]
        )
        code = re.search(r"核验码为(\d{6})", body).group(1)
        applicant.fill(f"#code-{challenge.pk}", code)
        applicant.locator(f"#code-{challenge.pk}").locator("xpath=ancestor::form").locator("button").click()
    assert _status(order) == OrderStatus.AUTHORITY_REVIEW

    # The Zhejiang authority approves on the platform host
    authority.goto(url(live_server, None, "/authority/"))
    authority.locator("tr", has_text="杭州全程示例科技有限公司").locator("a").first.click()
    _confirm(authority, "审核通过并发放备案号", "确认通过并发放备案号", order, OrderStatus.AUTHORITY_REVIEW)
    assert _status(order) == OrderStatus.APPROVED

    # Then the applicant sees the entity number and the website number with its footer snippet
    applicant.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
    entity_number = applicant.locator("[data-testid=entity-number]").inner_text()
    assert re.fullmatch(r"浙ICP备\d{10}号", entity_number)
    assert applicant.locator("[data-testid=website-number]").inner_text() == f"{entity_number}-1"
    assert "beian.miit.gov.cn" in applicant.locator("textarea.snippet").input_value()
    # and the approval was notified exactly once by email, SMS and inbox
    channels = sorted(
        OutboxMessage.objects.filter(
            dedupe_key__startswith=f"order:{order.pk}:authority_approve:"
        ).values_list("channel", flat=True)
    )
    assert channels == ["email", "inbox", "sms"]
    assert (
        InboxMessage.objects.filter(
            user__email="applicant@alpha.demo", subject__contains=entity_number
        ).count()
        == 1
    )
    applicant.goto(url(live_server, "alpha", "/inbox/"))
    assert applicant.locator("main").inner_text().count(entity_number) >= 1
