"""Browser journey of the verification-point programme (R-K1..R-K3), on a phone-sized screen."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.core.sample_images import sample_image
from icpfiling.demo.seed import demo_seed
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from tests.factories import make_ric, make_uscc
from tests.journeys.test_browser import login, url
from tests.points.test_vp_application import good_pdf
from tests.services import requires_chromium
from verification_points.models import PointStaff, VerificationPoint
from verification_points.models.applications import ApplicationStatus, PointApplication


def _pdf(name: str) -> dict:
    return {"name": name, "mimeType": "application/pdf", "buffer": good_pdf(name)}


def _jpg(name: str) -> dict:
    return {"name": name, "mimeType": "image/jpeg", "buffer": sample_image(name)}


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_k3_company_applies_admin_reviews_and_the_new_staff_logs_in(live_server, browser, page):
    demo_seed(lifecycle=False)
    code = make_uscc()
    # --- the company applies on alpha's public page, with its scans
    page.goto(url(live_server, "alpha", "/vp/apply/"))
    fields = {
        "#id_company_name": "浏览器示例核验服务有限公司",
        "#id_credit_code": code,
        "#id_registered_address": "杭州市西湖区示例路 9 号",
        "#id_business_scope": "信息技术咨询服务",
        "#id_premises_address": "杭州市西湖区示例路 9 号 1 楼",
        "#id_premises_area": "75",
        "#id_manager_name": "孙经理",
        "#id_manager_mobile": "13905710051",
        "#id_manager_email": "boss@browser-vp.test",
        "#id_manager_id_number": make_ric("33010619800101123"),
    }
    for selector, value in fields.items():
        page.fill(selector, value)
    for box in ("#id_has_computer", "#id_has_printer", "#id_has_document_camera", "#id_has_reception_area"):
        page.check(box)
    page.set_input_files("#id_licence", files=[_pdf("licence.pdf")])
    page.set_input_files("#id_legal_rep_id", files=[_jpg("id-front.jpg"), _jpg("id-back.jpg")])
    page.set_input_files("#id_premises_proof", files=[_pdf("lease.pdf")])
    for i in range(2):
        page.fill(f"#id_staff-{i}-name", f"核验员{i + 1}")
        page.fill(f"#id_staff-{i}-experience", "三年备案代办经验")
        page.fill(f"#id_staff-{i}-mobile", f"1390571006{i}")
        page.fill(f"#id_staff-{i}-email", f"staff{i}@browser-vp.test")
        page.set_input_files(f"#id_staff-{i}-id_scans", files=[_pdf(f"id{i}.pdf")])
        page.set_input_files(f"#id_staff-{i}-diploma_scans", files=[_jpg(f"diploma{i}.jpg")])
    page.get_by_role("button", name="提交申请").click()
    assert page.locator("h1").inner_text() == "核验点申请进度"
    assert page.locator("#status-label").inner_text() == "材料初审中"
    tracking = page.url

    # --- alpha's provider admin reviews, in another browser context
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    admin = ctx.new_page()
    admin.set_default_timeout(15000)
    login(admin, live_server, "alpha", "admin@alpha.demo")
    admin.goto(url(live_server, "alpha", "/vp/applications/"))
    admin.get_by_role("link", name="浏览器示例核验服务有限公司").click()
    admin.get_by_role("button", name="材料齐全，初审通过").click()
    assert admin.locator("#status-label").inner_text() == "待实地考察"
    when = (timezone.localtime() + dt.timedelta(days=1)).strftime("%Y-%m-%dT10:00")
    admin.fill("#id_scheduled_for", when)
    admin.get_by_role("button", name="安排考察时间并通知企业").click()
    for box in ("#id_premises_match", "#id_equipment_ok", "#id_staff_know_process"):
        admin.check(box)
    admin.check("#id_result_0")  # 通过
    admin.get_by_role("button", name="保存考察结果").click()
    assert admin.locator("#status-label").inner_text() == "签订协议"
    admin.fill("#id_price_low", "18")
    admin.fill("#id_price_mid", "22")
    admin.fill("#id_price_high", "26")
    admin.get_by_role("button", name="生成协议").click()
    assert admin.get_by_role("link", name="下载已生成的协议（PDF）").count() == 1
    admin.set_input_files("#id_file", files=[_pdf("agreement-signed.pdf")])
    admin.get_by_role("button", name="上传并进入培训").click()
    assert admin.locator("#status-label").inner_text() == "培训中"
    today = timezone.localdate()
    admin.fill("#id_starts_on", (today - dt.timedelta(days=1)).isoformat())
    admin.fill("#id_ends_on", today.isoformat())
    admin.check("#id_passed_0")
    admin.check("#id_passed_1")
    admin.get_by_role("button", name="保存培训结果").click()
    admin.get_by_role("button", name="开通核验点").click()
    assert "核验点已开通" in admin.locator(".messages").inner_text()
    assert admin.locator("#status-label").inner_text() == "已开通"
    ctx.close()

    # the company's tracking page shows it too
    page.goto(tracking)
    assert page.locator("#status-label").inner_text() == "已开通"

    # --- the new staff account (password set here directly) logs in and sees its empty bookings
    provider = Provider.objects.get(slug="alpha")
    staff_user = User.objects.get(provider=provider, email="staff0@browser-vp.test")
    staff_user.set_password("Staff-pass-2026!")
    staff_user.save()
    with tenant_scope(provider):
        point = VerificationPoint.objects.get(name="浏览器示例核验服务有限公司")
        assert PointStaff.objects.get(user=staff_user).point_id == point.pk
        assert Membership.objects.get(user=staff_user).role == Role.POINT_STAFF
        assert PointApplication.objects.get(credit_code=code).status == ApplicationStatus.ACTIVE
    login(page, live_server, "alpha", "staff0@browser-vp.test", "Staff-pass-2026!")
    assert page.locator("h1").first.inner_text() == "核验点工作台"
    page.goto(url(live_server, "alpha", "/desk/"))
    assert page.locator("h1").inner_text() == "核验预约"
    main = page.locator("main").inner_text()
    assert "浏览器示例核验服务有限公司" in main
    assert page.locator("table.table tbody tr").count() == 0
