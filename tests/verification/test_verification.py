"""Verification (R-S4) and the point staff's desk (R-T4).

Both tenants in every fixture set; alpha has two points (A and B) with one staff
member each, beta has its own point. Slots are created directly as rows.
"""

from __future__ import annotations

import datetime as dt
import re
import threading

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.db.models import F
from django.utils import timezone

from filings.models import FileAccessLog, FilingOrder, MaterialFile, OrderEvent
from filings.templatetags.verification_tags import opening_hours
from filings.verification import services as vf
from filings.workflow import TransitionError, order_transition
from icpfiling.accounts.models import Membership, Role, User
from icpfiling.core.masking import mask_id_number
from icpfiling.core.sample_images import sample_image
from icpfiling.tenancy.context import tenant_scope
from tests.conftest import PASSWORD
from tests.factories import complete_order
from tests.services import requires_chromium, requires_postgres
from verification_points.models import (
    AppointmentSlot,
    Booking,
    PointStaff,
    PointStatus,
    VerificationCheck,
    VerificationPoint,
)

# --- builders -----------------------------------------------------------------------------


def to_verification(tenant, order: FilingOrder) -> FilingOrder:
    """Submit and pass the order the way the workflow does (the review pages are elsewhere)."""
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        order_transition(order=order, action="submit", actor=order.applicant, actor_kind="applicant")
        order_transition(
            order=order, action="provider_pass", actor=tenant.users["reviewer"], actor_kind="reviewer"
        )
        return FilingOrder.objects.get(pk=order.pk)


def verification_order(tenant, *, materials: bool = False) -> FilingOrder:
    return to_verification(tenant, complete_order(tenant, materials=materials))


def make_point(tenant, name: str, *, status: str = PointStatus.OPERATING) -> VerificationPoint:
    with tenant_scope(tenant.provider):
        return VerificationPoint.objects.create(
            tenant=tenant.provider,
            name=name,
            province_id="ZJ",
            address=f"{name}地址 1 号",
            phone="0571-88880000",
            status=status,
        )


def make_slot(point, *, hours: float = 26, capacity: int = 2, booked: int = 0) -> AppointmentSlot:
    start = timezone.now().replace(microsecond=0) + dt.timedelta(hours=hours)
    with tenant_scope(point.tenant_id):
        return AppointmentSlot.objects.create(
            tenant_id=point.tenant_id,
            point=point,
            starts_at=start,
            ends_at=start + dt.timedelta(minutes=30),
            capacity=capacity,
            booked=booked,
        )


def staff_user(tenant, point, *, user=None) -> User:
    """A point-staff account working at ``point`` (the fixture's point_staff by default)."""
    with tenant_scope(tenant.provider):
        if user is None:
            user = tenant.users["point_staff"]
        PointStaff.objects.create(tenant=tenant.provider, point=point, user=user)
    return user


def second_staff(tenant, point) -> User:
    user = User.objects.create_user(
        f"staff-b@{tenant.provider.slug}.test",
        PASSWORD,
        provider=tenant.provider,
        full_name="B点工作人员",
        email_confirmed_at=timezone.now(),
    )
    with tenant_scope(tenant.provider):
        Membership.objects.create(
            tenant=tenant.provider, user=user, role=Role.POINT_STAFF, approved_at=timezone.now()
        )
    return staff_user(tenant, point, user=user)


def staff_client(tenant, user):
    from tests.conftest import CommittingClient

    c = CommittingClient(HTTP_HOST=tenant.host)
    c.force_login(user, backend="icpfiling.accounts.backends.TenantEmailBackend")
    return c


def photo(size=(800, 600), name="curtain.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, sample_image("curtain", size=size), "image/jpeg")


def state(tenant, order: FilingOrder) -> tuple:
    """Everything a verification action may change about one order, for before/after."""
    with tenant_scope(tenant.provider):
        return (
            FilingOrder.objects.get(pk=order.pk).status,
            list(Booking.objects.filter(order=order).order_by("pk").values_list("pk", "status", "slot_id")),
            list(AppointmentSlot.objects.order_by("pk").values_list("pk", "booked")),
            list(VerificationCheck.objects.filter(order=order).values_list("pk", "result", "found_wrong_at")),
            MaterialFile.objects.filter(order=order).count(),
            OrderEvent.objects.filter(order=order).count(),
        )


ALL_ORIGINALS = ["licence", "principal_id", "verification_sheet"]


# --- booking rules ----------------------------------------------------------------------------


def test_r_s4_booking_takes_a_place_and_rebooking_frees_the_old_one(alpha, beta):
    # given an order waiting for verification and two slots at alpha's point
    order = verification_order(alpha)
    point = make_point(alpha, "西湖核验点")
    first, second = make_slot(point, hours=26), make_slot(point, hours=50)
    applicant = alpha.users["applicant"]
    with tenant_scope(alpha.provider):
        # when the applicant books the first slot
        booking = vf.booking_make(order=order, applicant=applicant, slot_id=first.pk)
        # then one place is taken and the booking names the point
        assert booking.mode == "in_person"
        assert booking.point == point
        assert AppointmentSlot.objects.get(pk=first.pk).booked == 1
        # when they re-book the second slot
        rebooked = vf.booking_make(order=order, applicant=applicant, slot_id=second.pk)
        # then the old booking is cancelled and its place freed, in the same transaction
        assert Booking.objects.get(pk=booking.pk).status == "cancelled"
        assert Booking.objects.get(pk=booking.pk).cancelled_at is not None
        assert AppointmentSlot.objects.get(pk=first.pk).booked == 0
        assert AppointmentSlot.objects.get(pk=second.pk).booked == 1
        assert list(Booking.objects.filter(order=order, status="booked").values_list("pk", flat=True)) == [
            rebooked.pk
        ]
        # booking the same slot again changes nothing
        assert vf.booking_make(order=order, applicant=applicant, slot_id=second.pk).pk == rebooked.pk
        assert AppointmentSlot.objects.get(pk=second.pk).booked == 1


def test_r_s4_full_slot_is_refused_and_the_old_booking_stays(alpha, beta):
    # given a booked order and a slot that is already full
    order = verification_order(alpha)
    point = make_point(alpha, "西湖核验点")
    mine, full = make_slot(point, hours=26), make_slot(point, hours=50, capacity=1, booked=1)
    applicant = alpha.users["applicant"]
    with tenant_scope(alpha.provider):
        vf.booking_make(order=order, applicant=applicant, slot_id=mine.pk)
    before = state(alpha, order)
    # when the applicant tries to move to the full slot
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.booking_make(order=order, applicant=applicant, slot_id=full.pk)
    # then they are told it is full, and the old booking and its place are untouched
    assert exc.value.message_dict == {"slot": ["该时段已约满，请选择其他时段。"]}
    assert state(alpha, order) == before


def test_r_s4_booking_needs_state_verification_and_the_orders_applicant(alpha, beta):
    point = make_point(alpha, "西湖核验点")
    slot = make_slot(point)
    draft = complete_order(alpha, materials=False)
    order = verification_order(alpha)
    before_draft, before = state(alpha, draft), state(alpha, order)
    with tenant_scope(alpha.provider):
        # a draft cannot be booked
        with pytest.raises(ValidationError) as exc:
            vf.booking_make(order=draft, applicant=alpha.users["applicant"], slot_id=slot.pk)
        assert exc.value.messages == ["订单当前状态为“未提交”，不在等待核验阶段。"]
        # another user (here the reviewer) cannot book for the applicant
        with pytest.raises(ValidationError) as exc:
            vf.booking_make(order=order, applicant=alpha.users["reviewer"], slot_id=slot.pk)
        assert exc.value.messages == ["只有订单的申请人可以预约或取消核验。"]
        # no slot chosen at all
        with pytest.raises(ValidationError) as exc:
            vf.booking_make(order=order, applicant=alpha.users["applicant"])
        assert exc.value.message_dict == {"slot": ["请选择核验点和预约时段，或选择远程核验。"]}
    assert state(alpha, draft) == before_draft
    assert state(alpha, order) == before


def test_r_s4_past_suspended_and_foreign_slots_are_refused_like_missing_ones(alpha, beta):
    order = verification_order(alpha)
    past = make_slot(make_point(alpha, "西湖核验点"), hours=-1)
    suspended = make_slot(make_point(alpha, "暂停核验点", status=PointStatus.SUSPENDED))
    foreign = make_slot(make_point(beta, "Beta 核验点"))
    before = state(alpha, order)
    for slot_id in (past.pk, suspended.pk, foreign.pk, 987654):
        with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
            vf.booking_make(order=order, applicant=alpha.users["applicant"], slot_id=slot_id)
        assert exc.value.message_dict == {"slot": ["该时段不存在或已过期，请重新选择。"]}, slot_id
    assert state(alpha, order) == before
    with tenant_scope(beta.provider):
        assert AppointmentSlot.objects.get(pk=foreign.pk).booked == 0


def test_r_s4_booking_options_list_operating_points_with_future_free_slots(alpha, beta):
    order = verification_order(alpha)
    a = make_point(alpha, "A 核验点")
    b = make_point(alpha, "B 核验点")
    make_point(alpha, "暂停核验点", status=PointStatus.SUSPENDED)
    make_slot(make_point(beta, "Beta 核验点"))
    free = make_slot(a, hours=26)
    full = make_slot(a, hours=27, capacity=1, booked=1)  # listed as full (issue 12), not bookable
    make_slot(a, hours=-2)  # past
    make_slot(a, hours=24 * 20)  # beyond the 14 days shown
    with tenant_scope(alpha.provider):
        options = vf.booking_options(order=order)
    assert [(p.name, [s.pk for s in slots]) for p, slots in options] == [
        ("A 核验点", [free.pk, full.pk]),
        ("B 核验点", []),
    ]
    assert options[1][0] == b


def test_r_s4_cancel_and_remote_free_the_place(alpha, beta):
    order = verification_order(alpha)
    slot = make_slot(make_point(alpha, "西湖核验点"))
    applicant = alpha.users["applicant"]
    with tenant_scope(alpha.provider):
        vf.booking_make(order=order, applicant=applicant, slot_id=slot.pk)
        # choosing remote replaces the in-person booking and frees its place
        remote = vf.booking_make(order=order, applicant=applicant, remote=True)
        assert (remote.mode, remote.point, remote.slot) == ("remote", None, None)
        assert AppointmentSlot.objects.get(pk=slot.pk).booked == 0
        # back to in person, then cancel: the place is freed again
        booking = vf.booking_make(order=order, applicant=applicant, slot_id=slot.pk)
        assert Booking.objects.get(pk=remote.pk).status == "cancelled"
        assert AppointmentSlot.objects.get(pk=slot.pk).booked == 1
        vf.booking_cancel(order=order, applicant=applicant)
        assert Booking.objects.get(pk=booking.pk).status == "cancelled"
        assert AppointmentSlot.objects.get(pk=slot.pk).booked == 0
        # nothing left to cancel: a clear error, nothing changes
    before = state(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.booking_cancel(order=order, applicant=applicant)
    assert exc.value.messages == ["没有可以取消的预约。"]
    assert state(alpha, order) == before


@requires_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [2, 8])
def test_r_s4_applicants_racing_for_the_last_place_exactly_one_wins(workers):
    from icpfiling.registry.reference import reference_data_load
    from tests.conftest import make_tenant

    # given `workers` orders in verification and a slot with one place left
    reference_data_load()
    alpha = make_tenant("alpha")
    orders = [verification_order(alpha) for _ in range(workers)]
    slot = make_slot(make_point(alpha, "西湖核验点"), capacity=3, booked=2)
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def book(order: FilingOrder) -> None:
        try:
            barrier.wait(timeout=10)
            with tenant_scope(alpha.provider):
                vf.booking_make(order=order, applicant=alpha.users["applicant"], slot_id=slot.pk)
            outcomes.append("booked")
        except ValidationError as exc:
            outcomes.append(" ".join(exc.messages))
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    # when all of them book at the same instant
    threads = [threading.Thread(target=book, args=(o,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    # then exactly one wins, every other one is told the slot is full, and it is not overbooked
    assert sorted(outcomes) == ["booked"] + ["该时段已约满，请选择其他时段。"] * (workers - 1)
    with tenant_scope(alpha.provider):
        assert AppointmentSlot.objects.get(pk=slot.pk).booked == 3
        assert Booking.objects.filter(slot=slot, status="booked").count() == 1


# --- applicant pages ------------------------------------------------------------------------------


def test_r_s4_applicant_books_sees_the_address_and_originals_then_cancels(alpha, beta):
    order = verification_order(alpha)
    point = make_point(alpha, "西湖核验点")
    slot = make_slot(point)
    client = alpha.client("applicant")
    # the order page offers the booking
    page = client.get(f"/orders/{order.pk}/").content.decode()
    assert "预约核验" in page
    assert f"/orders/{order.pk}/verification/" in page
    # the booking page lists the point and its free slot, without JavaScript
    page = client.get(f"/orders/{order.pk}/verification/").content.decode()
    assert "西湖核验点" in page
    assert f'name="slot" value="{slot.pk}"' in page
    assert "营业时间：周一至周五 09:00–12:00、13:30–17:30" in page
    # when the applicant books it
    r = client.post(f"/orders/{order.pk}/verification/book/", {"slot": slot.pk})
    assert r.status_code == 302
    assert r["Location"] == f"/orders/{order.pk}/verification/"
    page = client.get(r["Location"]).content.decode()
    # then the page shows the booking: address, time and the originals to bring
    assert "我的预约" in page
    assert "西湖核验点地址 1 号" in page
    assert timezone.localtime(slot.starts_at).strftime("%H:%M") in page
    assert "单位证件原件（营业执照（个人或企业））" in page
    assert "真实性核验单（负责人签字的原件）" in page
    assert "已预约：西湖核验点" in client.get(f"/orders/{order.pk}/").content.decode()
    # and cancelling frees the place
    r = client.post(f"/orders/{order.pk}/verification/cancel/")
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        assert AppointmentSlot.objects.get(pk=slot.pk).booked == 0
        assert not Booking.objects.filter(order=order, status="booked").exists()


def test_r_s4_booking_a_full_slot_through_the_page_shows_the_error(alpha, beta):
    order = verification_order(alpha)
    slot = make_slot(make_point(alpha, "西湖核验点"), capacity=1, booked=1)
    client = alpha.client("applicant")
    before = state(alpha, order)
    r = client.post(f"/orders/{order.pk}/verification/book/", {"slot": slot.pk}, follow=True)
    assert "该时段已约满，请选择其他时段。" in r.content.decode()
    assert state(alpha, order) == before


def test_r_s4_other_roles_and_tenants_cannot_use_the_booking_pages(alpha, beta):
    order = verification_order(alpha)
    slot = make_slot(make_point(alpha, "西湖核验点"))
    before = state(alpha, order)
    for role in ("reviewer", "provider_admin", "point_staff"):
        assert alpha.client(role).get(f"/orders/{order.pk}/verification/").status_code == 403
        r = alpha.client(role).post(f"/orders/{order.pk}/verification/book/", {"slot": slot.pk})
        assert r.status_code == 403
    # beta's applicant on beta's host: alpha's order is a missing one there
    r = beta.client("applicant").post(f"/orders/{order.pk}/verification/book/", {"slot": slot.pk})
    assert r.status_code == 404
    assert state(alpha, order) == before


# --- R-T4: the desk sees only its own point ---------------------------------------------------


def _booked(tenant, point, *, hours=0) -> tuple[FilingOrder, Booking]:
    """An order booked at ``point``; by default in the slot in progress, so a check may be recorded now."""
    order = verification_order(tenant, materials=True)
    slot = make_slot(point, hours=hours)
    with tenant_scope(tenant.provider):
        booking = vf.booking_make(order=order, applicant=tenant.users["applicant"], slot_id=slot.pk)
    return order, booking


def test_r_t4_staff_see_only_their_own_points_bookings(alpha, beta):
    # given two points at alpha with a booking each, and beta's point with one
    point_a, point_b = make_point(alpha, "A 核验点"), make_point(alpha, "B 核验点")
    staff_a, staff_b = staff_user(alpha, point_a), second_staff(alpha, point_b)
    beta_point = make_point(beta, "Beta 核验点")
    beta_staff = staff_user(beta, beta_point)
    _order_a, booking_a = _booked(alpha, point_a)
    order_b, booking_b = _booked(alpha, point_b)
    _beta_order, beta_booking = _booked(beta, beta_point)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order_b.pk).update(entity_name="B点的订单公司")
        # then each staff member's list holds their own point's booking only
        assert [b.pk for b in vf.desk_bookings(staff_user=staff_a)] == [booking_a.pk]
        assert [b.pk for b in vf.desk_bookings(staff_user=staff_b)] == [booking_b.pk]
        # a staff account without a point sees nothing
        assert vf.desk_bookings(staff_user=alpha.users["reviewer"]) == []
    with tenant_scope(beta.provider):
        assert [b.pk for b in vf.desk_bookings(staff_user=beta_staff)] == [beta_booking.pk]
    # the page: A's staff see A's booking, never B's
    client_a = staff_client(alpha, staff_a)
    page = client_a.get("/desk/").content.decode()
    assert f"/desk/bookings/{booking_a.pk}/" in page
    assert f"/desk/bookings/{booking_b.pk}/" not in page
    assert "B点的订单公司" not in page
    # another point's booking, beta's booking and a missing one answer exactly alike
    answers = {
        client_a.get(f"/desk/bookings/{pk}/").status_code for pk in (booking_b.pk, beta_booking.pk, 987654)
    }
    assert answers == {404}
    with tenant_scope(alpha.provider):
        file_b = MaterialFile.objects.filter(order=order_b, kind="licence").get()
    assert client_a.get(f"/desk/bookings/{booking_b.pk}/files/{file_b.pk}/").status_code == 404
    # and one's own booking with another order's file id is 404 too
    assert client_a.get(f"/desk/bookings/{booking_a.pk}/files/{file_b.pk}/").status_code == 404


def test_r_t4_desk_day_filter_and_empty_state(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    client = staff_client(alpha, staff)
    assert "暂无预约。" in client.get("/desk/").content.decode()
    _order, booking = _booked(alpha, point, hours=50)
    day = timezone.localtime(booking.slot.starts_at).date()
    page = client.get("/desk/", {"day": day.isoformat()}).content.decode()
    assert f"/desk/bookings/{booking.pk}/" in page
    other_day = client.get("/desk/", {"day": (day + dt.timedelta(days=1)).isoformat()}).content.decode()
    assert f"/desk/bookings/{booking.pk}/" not in other_day
    assert "暂无预约。" in other_day
    # a bad date is named (the shared bounded parser, finding 2) and the default list is shown
    bad = client.get("/desk/", {"day": "2026-13-45"}).content.decode()
    assert "日期不存在，请检查月份和日期。" in bad
    assert (
        "日期格式不正确，请按“年-月-日”填写，例如 2026-03-02。"
        in client.get("/desk/", {"day": "2.3.2026"}).content.decode()
    )
    assert f"/desk/bookings/{booking.pk}/" in bad


def test_r_t4_desk_is_for_point_staff_only(alpha, beta):
    for role in ("applicant", "reviewer", "provider_admin"):
        assert alpha.client(role).get("/desk/").status_code == 403
    assert alpha.client().get("/desk/").status_code == 302  # to the login


def test_r_t4_point_staff_home_links_to_the_bookings(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    _booked(alpha, point, hours=0.5)
    page = staff_client(alpha, staff).get("/").content.decode()
    assert 'href="/desk/"' in page
    assert "A 核验点" in page
    # a staff account not yet linked to a point is told so
    assert "尚未关联核验点" in beta.client("point_staff").get("/").content.decode()


def test_r_d4_desk_serves_the_orders_identity_images_audited(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, booking = _booked(alpha, point)
    with tenant_scope(alpha.provider):
        licence = MaterialFile.objects.filter(order=order, kind="licence").get()
    client = staff_client(alpha, staff)
    page = client.get(f"/desk/bookings/{booking.pk}/").content.decode()
    assert f"/desk/bookings/{booking.pk}/files/{licence.pk}/" in page
    # the ID number is masked on the desk page
    assert order.principal_id_number not in page
    assert mask_id_number(order.principal_id_number) in page
    r = client.get(f"/desk/bookings/{booking.pk}/files/{licence.pk}/")
    assert r.status_code == 200
    assert r["Content-Type"] == "image/jpeg"
    assert r["Cache-Control"] == "no-store, private"
    with tenant_scope(alpha.provider):
        log = FileAccessLog.objects.filter(material=licence, action="view").get()
    assert (log.actor, log.kind) == (staff, "licence")


# --- recording a check ----------------------------------------------------------------------


def _check_args(**over) -> dict:
    return {
        "originals_seen": ALL_ORIGINALS,
        "curtain_photo": photo(),
        "result": "passed",
        "reason": "",
        **over,
    }


def test_r_d3_small_curtain_photo_is_refused_and_nothing_changes(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, _booking = _booked(alpha, point)
    before = state(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.check_record(order=order, staff_user=staff, **_check_args(curtain_photo=photo(size=(640, 480))))
    assert list(exc.value.message_dict) == ["curtain_photo"]
    assert "800×600" in exc.value.message_dict["curtain_photo"][0]
    assert state(alpha, order) == before


def test_r_s4_check_record_with_an_800x600_photo_moves_the_order_to_recheck(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, booking = _booked(alpha, point)
    with tenant_scope(alpha.provider):
        check = vf.check_record(order=order, staff_user=staff, **_check_args())
        order = FilingOrder.objects.get(pk=order.pk)
        assert order.status == "provider_recheck"
        assert (check.mode, check.point, check.checked_by, check.result) == (
            "in_person",
            point,
            staff,
            "passed",
        )
        assert check.originals_seen == ALL_ORIGINALS
        assert (check.curtain_photo.kind, check.curtain_photo.slot) == (
            "curtain_photo",
            "curtain_photo:point",
        )
        assert (check.curtain_photo.width, check.curtain_photo.height) == (800, 600)
        assert Booking.objects.get(pk=booking.pk).status == "done"
        event = OrderEvent.objects.filter(order=order).order_by("-pk").first()
        assert (event.kind, event.actor, event.message) == (
            "verified",
            staff,
            "现场核验（A 核验点）：核验通过",
        )
        # the booking's place stays taken: the person came
        assert AppointmentSlot.objects.get(pk=booking.slot_id).booked == 1


def test_r_s4_failed_check_needs_a_reason_and_still_goes_to_the_reviewer(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, _booking = _booked(alpha, point)
    before = state(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.check_record(order=order, staff_user=staff, **_check_args(result="failed", reason="  "))
    assert exc.value.message_dict == {"reason": ["核验不通过时必须填写原因。"]}
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.check_record(
            order=order,
            staff_user=staff,
            **_check_args(originals_seen=["licence"], curtain_photo=None, result="x"),
        )
    assert exc.value.message_dict == {
        "result": ["请选择核验结果：通过或不通过。"],
        "curtain_photo": ["请上传在幕布前拍摄的照片（至少 800×600 像素）。"],
    }
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.check_record(order=order, staff_user=staff, **_check_args(originals_seen=["licence", "passport"]))
    assert exc.value.message_dict == {
        "originals_seen": ["核对清单中没有这些项目：passport。请刷新页面后重试。"]
    }
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.check_record(order=order, staff_user=staff, **_check_args(originals_seen=["licence"]))
    assert exc.value.message_dict == {
        "originals_seen": [
            "核验通过前必须核对全部原件，尚未勾选：主体负责人身份证件原件（张三）、真实性核验单（负责人签字的原件）。"
        ]
    }
    assert state(alpha, order) == before
    with tenant_scope(alpha.provider):
        check = vf.check_record(
            order=order,
            staff_user=staff,
            **_check_args(result="failed", reason="证件原件与照片不符", originals_seen=["licence"]),
        )
        assert FilingOrder.objects.get(pk=order.pk).status == "provider_recheck"
        assert OrderEvent.objects.filter(order=order).order_by("-pk").first().message == (
            "现场核验（A 核验点）：核验不通过（证件原件与照片不符）"
        )
    assert check.reason == "证件原件与照片不符"


def test_r_t4_staff_of_another_point_cannot_record_the_check(alpha, beta):
    point_a, point_b = make_point(alpha, "A 核验点"), make_point(alpha, "B 核验点")
    staff_user(alpha, point_a)
    staff_b = second_staff(alpha, point_b)
    order, booking = _booked(alpha, point_a)
    before = state(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.check_record(order=order, staff_user=staff_b, **_check_args())
    assert exc.value.messages == ["该订单没有在本核验点的有效预约。"]
    r = staff_client(alpha, staff_b).post(
        f"/desk/bookings/{booking.pk}/",
        {"originals_seen": ALL_ORIGINALS, "curtain_photo": photo(), "result": "passed"},
    )
    assert r.status_code == 404
    assert state(alpha, order) == before


def test_r_s4_desk_form_records_the_check(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, booking = _booked(alpha, point)
    client = staff_client(alpha, staff)
    page = client.get(f"/desk/bookings/{booking.pk}/").content.decode()
    assert 'name="originals_seen" value="principal_id"' in page
    assert 'enctype="multipart/form-data"' in page
    # a small photo re-renders the form with the error at the field; nothing is recorded
    before = state(alpha, order)
    r = client.post(
        f"/desk/bookings/{booking.pk}/",
        {"originals_seen": ALL_ORIGINALS, "curtain_photo": photo(size=(700, 500)), "result": "passed"},
    )
    assert r.status_code == 400
    assert "800×600" in r.context["form"].errors["curtain_photo"][0]
    assert state(alpha, order) == before
    r = client.post(
        f"/desk/bookings/{booking.pk}/",
        {"originals_seen": ALL_ORIGINALS, "curtain_photo": photo(), "result": "passed"},
    )
    assert r.status_code == 302
    assert r["Location"] == "/desk/"
    with tenant_scope(alpha.provider):
        assert FilingOrder.objects.get(pk=order.pk).status == "provider_recheck"
        assert VerificationCheck.objects.filter(order=order).count() == 1
    # the done booking shows the result; posting again records nothing
    page = client.get(f"/desk/bookings/{booking.pk}/").content.decode()
    assert "核验通过" in page
    assert "提交核验结果" not in page
    client.post(f"/desk/bookings/{booking.pk}/", {"originals_seen": ALL_ORIGINALS, "result": "failed"})
    with tenant_scope(alpha.provider):
        assert VerificationCheck.objects.filter(order=order).count() == 1


# --- remote verification ------------------------------------------------------------------------


def test_r_s4_remote_verification_photo_then_reviewer_check(alpha, beta):
    order = verification_order(alpha)
    client = alpha.client("applicant")
    client.post(f"/orders/{order.pk}/verification/book/", {"remote": "1"})
    # a photo below 800×600 is refused with the reason
    r = client.post(
        f"/orders/{order.pk}/verification/photo/",
        {"file": photo(size=(640, 480), name="small.jpg")},
        follow=True,
    )
    assert "幕布照片：" in r.content.decode()
    assert "800×600" in r.content.decode()
    with tenant_scope(alpha.provider):
        assert vf.remote_photos(order=FilingOrder.objects.get(pk=order.pk)) == []
    client.post(f"/orders/{order.pk}/verification/photo/", {"file": photo()})
    with tenant_scope(alpha.provider):
        photos = vf.remote_photos(order=FilingOrder.objects.get(pk=order.pk))
    assert [(p.slot, p.width, p.height) for p in photos] == [("curtain_photo", 800, 600)]
    # only a reviewer may record the remote check
    url = f"/orders/{order.pk}/verification/remote-check/"
    data = {"originals_seen": ALL_ORIGINALS, "result": "passed"}
    before = state(alpha, order)
    for role in ("applicant", "point_staff", "provider_admin"):
        assert alpha.client(role).post(url, data).status_code == 403
    assert beta.client("reviewer").post(url, data).status_code == 404
    assert state(alpha, order) == before
    r = alpha.client("reviewer").post(url, data)
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        check = VerificationCheck.objects.get(order=order)
        assert (check.mode, check.point, check.checked_by) == ("remote", None, alpha.users["reviewer"])
        assert check.curtain_photo == photos[0]
        assert FilingOrder.objects.get(pk=order.pk).status == "provider_recheck"
        event = OrderEvent.objects.filter(order=order).order_by("-pk").first()
    assert (event.kind, event.message) == ("verified", "远程核验：核验通过")


def test_r_s4_remote_check_needs_remote_mode_and_a_photo(alpha, beta):
    order = verification_order(alpha)
    reviewer = alpha.users["reviewer"]
    before = state(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.remote_check_record(order=order, reviewer=reviewer, originals_seen=ALL_ORIGINALS, result="passed")
    assert exc.value.messages == ["申请人没有选择远程核验，不能记录远程核验结果。"]
    with tenant_scope(alpha.provider):
        vf.booking_make(order=order, applicant=alpha.users["applicant"], remote=True)
    before = state(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.remote_check_record(order=order, reviewer=reviewer, originals_seen=ALL_ORIGINALS, result="passed")
    assert exc.value.messages == ["申请人还没有上传幕布照片。"]
    assert state(alpha, order) == before


# --- back to verification ---------------------------------------------------------------------


def test_r_s4_back_to_verification_marks_the_check_wrong_and_frees_the_place(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, _booking = _booked(alpha, point)
    reviewer = alpha.users["reviewer"]
    with tenant_scope(alpha.provider):
        check = vf.check_record(order=order, staff_user=staff, **_check_args())
        # the applicant (or a demo) may hold a live booking while the reviewer rechecks
        order = FilingOrder.objects.get(pk=order.pk)
        later = make_slot(point, hours=72)
        live = Booking.objects.create(
            tenant=alpha.provider,
            order=order,
            mode="in_person",
            point=point,
            slot=later,
            created_by=order.applicant,
        )
        AppointmentSlot.objects.filter(pk=later.pk).update(booked=1)
    # a missing reason is refused and nothing changes
    before = state(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.order_back_to_verification(order=order, reviewer=reviewer, reason=" ", check_wrong=True)
    assert exc.value.message_dict == {"reason": ["请填写退回重新核验的原因。"]}
    assert state(alpha, order) == before
    # when the reviewer sends it back, finding the check wrong
    with tenant_scope(alpha.provider):
        result = vf.order_back_to_verification(
            order=order, reviewer=reviewer, reason="幕布照片与证件不是同一人", check_wrong=True
        )
        assert result.status == "verification"
        check.refresh_from_db()
        assert check.found_wrong_at is not None
        assert check.found_wrong_reason == "幕布照片与证件不是同一人"
        assert Booking.objects.get(pk=live.pk).status == "cancelled"
        assert AppointmentSlot.objects.get(pk=later.pk).booked == 0
        event = OrderEvent.objects.filter(order=order).order_by("-pk").first()
        assert (event.kind, event.actor, event.message) == (
            "back_to_verification",
            reviewer,
            "幕布照片与证件不是同一人",
        )
    # the applicant's page asks for a new booking and shows the last result
    page = alpha.client("applicant").get(f"/orders/{order.pk}/").content.decode()
    assert "预约核验" in page
    assert "最近一次核验：" in page
    # a second click (stale order object) is refused by the workflow and changes nothing more
    before = state(alpha, order)
    with tenant_scope(alpha.provider), pytest.raises(TransitionError):
        vf.order_back_to_verification(order=order, reviewer=reviewer, reason="再次退回", check_wrong=True)
    assert state(alpha, order) == before


def test_r_s4_back_to_verification_without_check_wrong_keeps_the_check(alpha, beta):
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, _booking = _booked(alpha, point)
    with tenant_scope(alpha.provider):
        check = vf.check_record(order=order, staff_user=staff, **_check_args())
        vf.order_back_to_verification(
            order=FilingOrder.objects.get(pk=order.pk), reviewer=alpha.users["reviewer"], reason="请重新核验"
        )
        check.refresh_from_db()
    assert (check.found_wrong_at, check.found_wrong_reason) == (None, "")


def test_r_s4_reviewer_partial_lists_checks_with_the_found_wrong_flag(alpha, beta):
    from django.template.loader import render_to_string

    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, _booking = _booked(alpha, point)
    with tenant_scope(alpha.provider):
        vf.check_record(order=order, staff_user=staff, **_check_args())
        order = vf.order_back_to_verification(
            order=FilingOrder.objects.get(pk=order.pk),
            reviewer=alpha.users["reviewer"],
            reason="核验有误",
            check_wrong=True,
        )
        html = render_to_string(
            "filings/verification/_checks_for_reviewer.html",
            {"order": order, "checks": list(vf.order_checks(order=order))},
        )
    assert "A 核验点" in html
    assert "alpha-point_staff" in html
    assert "事后发现核验有误" in html
    assert "单位证件原件（营业执照（个人或企业））、主体负责人身份证件原件（张三）" in html
    assert "申请人尚未预约核验。" in html


def test_opening_hours_groups_equal_consecutive_days():
    assert opening_hours({str(d): [["09:00", "12:00"]] for d in range(5)} | {"5": [["10:00", "16:00"]]}) == (
        "周一至周五 09:00–12:00；周六 10:00–16:00"
    )
    assert opening_hours({}) == "暂无营业时间"


# --- in a browser: a phone without JavaScript ---------------------------------------------


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_s4_phone_without_javascript_books_and_the_desk_records_the_check_on_the_booked_day(
    live_server, browser
):
    from icpfiling.registry.reference import reference_data_load
    from tests.conftest import make_tenant
    from tests.journeys.test_browser import login, url

    # given an order waiting for verification and a staffed point with a slot tomorrow and one in progress
    reference_data_load()  # transactional tests start from an empty database
    alpha, _beta = make_tenant("alpha"), make_tenant("beta")
    order = verification_order(alpha, materials=True)
    point = make_point(alpha, "西湖核验点")
    slot, now_slot = make_slot(point), make_slot(point, hours=0)
    staff = staff_user(alpha, point)
    phone = {"viewport": {"width": 390, "height": 844}, "locale": "zh-CN", "java_script_enabled": False}
    applicant_ctx, staff_ctx = browser.new_context(**phone), browser.new_context(**phone)
    try:
        # when the applicant books the slot from the order page
        page = applicant_ctx.new_page()
        login(page, live_server, "alpha", "applicant@alpha.test", PASSWORD)
        page.goto(url(live_server, "alpha", f"/orders/{order.pk}/"))
        page.click("#verification a.button")
        page.check(f"input[name=slot][value='{slot.pk}']")
        page.click("text=预约所选时段")
        # then the page shows where and when, and what to bring
        booking = page.locator("#my-booking").inner_text()
        assert "西湖核验点地址 1 号" in booking
        assert "真实性核验单（负责人签字的原件）" in booking
        # when the point's staff record the check with a curtain photo
        desk = staff_ctx.new_page()
        login(desk, live_server, "alpha", staff.email, PASSWORD)
        with tenant_scope(alpha.provider):
            booked = Booking.objects.get(order=order, status="booked")
        desk.goto(url(live_server, "alpha", "/desk/"))
        desk.click(f"a[href='/desk/bookings/{booked.pk}/']")
        # then, the applicant having come a day early, the desk names the booked slot and offers no form
        when = timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M")
        notice = desk.locator("#check-window").inner_text()
        assert f"该预约的时段是 {when}" in notice
        assert "只能在预约当天记录" in notice
        assert desk.locator("input[name=result]").count() == 0
        # when the applicant, at the counter, moves the booking to the slot in progress (a walk-in)
        page.goto(url(live_server, "alpha", f"/orders/{order.pk}/verification/"))
        page.check(f"input[name=slot][value='{now_slot.pk}']")
        page.click("text=预约所选时段")
        with tenant_scope(alpha.provider):
            booked = Booking.objects.get(order=order, status="booked")
        assert booked.slot_id == now_slot.pk
        # and the desk records the check with a curtain photo
        desk.goto(url(live_server, "alpha", f"/desk/bookings/{booked.pk}/"))
        assert "只能在预约当天记录" in desk.locator("#check-window").inner_text()
        for code in ALL_ORIGINALS:
            desk.check(f"input[name=originals_seen][value='{code}']")
        desk.set_input_files(
            "input[name=curtain_photo]",
            {"name": "curtain.jpg", "mimeType": "image/jpeg", "buffer": sample_image("c", size=(1024, 768))},
        )
        desk.check("input[name=result][value=passed]")
        desk.click("summary:text-is('提交核验结果')")
        desk.click("button:text-is('确认提交核验结果')")
        # then the desk confirms and the order waits for the reviewer's recheck
        assert f"订单 #{order.pk} 的核验结果已记录。" in desk.locator(".messages").inner_text()
        with tenant_scope(alpha.provider):
            assert FilingOrder.objects.get(pk=order.pk).status == "provider_recheck"
    finally:
        applicant_ctx.close()
        staff_ctx.close()


def test_r_b2_booking_and_cancelling_an_appointment_notify_the_applicant_once(alpha, beta):
    from icpfiling.notifications.models import OutboxMessage

    # Given an order in verification and a free slot at alpha's point
    order = verification_order(alpha)
    point = make_point(alpha, "通知核验点")
    slot = make_slot(point)
    applicant = alpha.users["applicant"]
    # When the applicant books it (twice: the second is the same booking)
    with tenant_scope(alpha.provider):
        booking = vf.booking_make(order=order, applicant=applicant, slot_id=slot.pk)
        assert vf.booking_make(order=order, applicant=applicant, slot_id=slot.pk).pk == booking.pk
    # Then one email and one inbox message name the point and the time
    made = OutboxMessage.objects.filter(dedupe_key__startswith=f"booking:{booking.pk}:booked:")
    assert sorted(made.values_list("channel", "recipient")) == [
        ("email", applicant.email),
        ("inbox", str(applicant.pk)),
    ]
    assert all("通知核验点" in m.body for m in made)
    # When the applicant cancels, one more pair says so; beta got nothing
    with tenant_scope(alpha.provider):
        vf.booking_cancel(order=order, applicant=applicant)
    assert (
        OutboxMessage.objects.filter(dedupe_key__startswith=f"booking:{booking.pk}:cancelled:").count() == 2
    )
    assert not OutboxMessage.objects.filter(tenant=beta.provider, dedupe_key__startswith="booking:").exists()


def test_r_k4_full_slots_are_shown_as_full_and_closed_ones_not_at_all(alpha, beta):
    # Given a point with a free slot, a full slot and a closed one, and beta's point
    order = verification_order(alpha)
    point = make_point(alpha, "西湖核验点")
    free = make_slot(point, hours=26, capacity=2, booked=1)
    full = make_slot(point, hours=27, capacity=2, booked=2)
    closed = make_slot(point, hours=28, capacity=0, booked=0)
    make_slot(make_point(beta, "SECRET-BETA 核验点"), hours=26)
    # When the applicant opens the booking page
    html = alpha.client("applicant").get(f"/orders/{order.pk}/verification/").content.decode()
    # Then the full slot is listed, marked full and not selectable; the closed one is absent
    assert re.search(rf'<input type="radio" name="slot" value="{free.pk}" required>', html)
    assert re.search(
        rf'<li class="full"><label><input type="radio" name="slot" value="{full.pk}" required disabled>', html
    )
    assert "已约满" in html
    assert f'value="{closed.pk}"' not in html
    assert "SECRET-BETA" not in html
    # and booking the full slot anyway is refused; nothing is booked
    alpha.client("applicant").post(f"/orders/{order.pk}/verification/book/", {"slot": full.pk})
    with tenant_scope(alpha.provider):
        assert AppointmentSlot.objects.get(pk=full.pk).booked == 2
        assert not Booking.objects.filter(order=order, status="booked").exists()


# --- R-S4: a check is recorded on the booked slot's day (issue 12 item 11) --------------------


def test_r_s4_check_a_day_before_the_booked_slot_is_refused_naming_the_slot(alpha, beta):
    # given an order booked at alpha's point for a slot tomorrow (26 h ahead), and beta's own booking
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, booking = _booked(alpha, point, hours=26)
    _beta_order, _beta_booking = _booked(beta, make_point(beta, "B 核验点"))
    before, beta_before = state(alpha, order), state(beta, _beta_order)
    # when the point's staff record the check now
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.check_record(order=order, staff_user=staff, **_check_args())
    # then it is refused with the slot's time and point named, and nothing is written anywhere
    start = timezone.localtime(booking.slot.starts_at)
    end = timezone.localtime(booking.slot.ends_at)
    assert exc.value.messages == [
        f"该预约的时段是 {start:%Y-%m-%d %H:%M}–{end:%H:%M}（A 核验点），核验结果只能在预约当天记录。"
        "申请人今天已到场时，请其在订单的核验页面改约今天的时段后再记录。"
    ]
    assert state(alpha, order) == before
    assert state(beta, _beta_order) == beta_before


def test_r_s4_check_after_the_booked_day_is_refused_as_a_missed_appointment(alpha, beta):
    # given an order whose booked slot was yesterday (the applicant did not come)
    point = make_point(alpha, "A 核验点")
    staff = staff_user(alpha, point)
    order, booking = _booked(alpha, point, hours=0)
    with tenant_scope(alpha.provider):
        AppointmentSlot.objects.filter(pk=booking.slot_id).update(
            starts_at=F("starts_at") - dt.timedelta(days=1), ends_at=F("ends_at") - dt.timedelta(days=1)
        )
        slot = AppointmentSlot.objects.get(pk=booking.slot_id)
    before = state(alpha, order)
    # when the staff record the check today
    with tenant_scope(alpha.provider), pytest.raises(ValidationError) as exc:
        vf.check_record(order=order, staff_user=staff, **_check_args())
    # then it is refused as missed, naming the slot, and nothing changed
    start, end = timezone.localtime(slot.starts_at), timezone.localtime(slot.ends_at)
    assert exc.value.messages == [
        f"预约时段 {start:%Y-%m-%d %H:%M}–{end:%H:%M}（A 核验点）已过，"
        "申请人未在当天核验；请其重新预约后再记录。"
    ]
    assert state(alpha, order) == before


def test_r_s4_check_window_is_the_whole_day_of_the_booked_slot_in_shanghai(alpha, beta):
    # given a booking for 14:00–14:30 (Asia/Shanghai) on 3 December
    point = make_point(alpha, "A 核验点")
    _order, booking = _booked(alpha, point, hours=26)
    shanghai = timezone.get_default_timezone()
    with tenant_scope(alpha.provider):
        AppointmentSlot.objects.filter(pk=booking.slot_id).update(
            starts_at=dt.datetime(2026, 12, 3, 14, 0, tzinfo=shanghai),
            ends_at=dt.datetime(2026, 12, 3, 14, 30, tzinfo=shanghai),
        )
        booking = Booking.objects.select_related("slot", "point").get(pk=booking.pk)

    def refused(*when) -> bool:
        return vf.check_window_error(booking=booking, now=dt.datetime(*when, tzinfo=shanghai)) != ""

    # then early on the day (08:00), during, and late that evening are accepted
    assert [refused(2026, 12, 3, 0, 0), refused(2026, 12, 3, 8, 0), refused(2026, 12, 3, 23, 59)] == [
        False,
        False,
        False,
    ]
    # and the evening before and the next midnight are refused (UTC 16:00 on the 2nd is already the 3rd)
    assert [refused(2026, 12, 2, 23, 59), refused(2026, 12, 4, 0, 0)] == [True, True]
    assert vf.check_window_error(booking=booking, now=dt.datetime(2026, 12, 2, 16, 0, tzinfo=dt.UTC)) == ""


def test_r_s4_walk_in_books_the_slot_in_progress_but_not_one_that_is_over(alpha, beta):
    # given a slot that started 10 minutes ago (30 minutes long) and one that ended 5 minutes ago
    point = make_point(alpha, "A 核验点")
    running, over = make_slot(point, hours=-10 / 60), make_slot(point, hours=-35 / 60)
    order = verification_order(alpha, materials=True)
    # when the applicant at the counter books the running slot, then it is booked and listed
    with tenant_scope(alpha.provider):
        booking = vf.booking_make(order=order, applicant=alpha.users["applicant"], slot_id=running.pk)
        assert (booking.slot_id, AppointmentSlot.objects.get(pk=running.pk).booked) == (running.pk, 1)
        listed = [s.pk for _p, slots in vf.booking_options(order=order) for s in slots]
        assert listed == [running.pk]
        # and the slot that is over is refused like a missing one, the running booking kept
        with pytest.raises(ValidationError) as exc:
            vf.booking_make(order=order, applicant=alpha.users["applicant"], slot_id=over.pk)
        assert exc.value.message_dict == {"slot": ["该时段不存在或已过期，请重新选择。"]}
        assert Booking.objects.get(order=order, status="booked").slot_id == running.pk
