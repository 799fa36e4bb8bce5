"""R-K4: operating verification points — slots, edits, suspension/termination, assessment.

Points, slots, bookings and checks are made directly with the models; the
application programme (R-K1..R-K3) and the lifecycle's booking flow are other
features. Both tenants are in every fixture set.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from icpfiling.accounts.models import Role
from icpfiling.core.workdays import is_working_day
from icpfiling.notifications.models import OutboxMessage
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order
from verification_points.models import (
    AppointmentSlot,
    Booking,
    BookingStatus,
    CheckResult,
    PointStaff,
    PointStatus,
    VerificationCheck,
    VerificationMode,
    VerificationPoint,
)
from verification_points.operations.selectors import point_accepts_bookings, point_assessment
from verification_points.operations.services import (
    opening_hours_clean,
    point_resume,
    point_suspend,
    point_terminate,
    point_update,
)
from verification_points.operations.slots import slots_generate, slots_regenerate_future, slots_roll_forward

SH = ZoneInfo("Asia/Shanghai")
HOURLY = {str(d): [["09:00", "12:00"], ["13:30", "17:30"]] for d in range(5)}  # 7 one-hour slots a day


def sh(y, mo, d, h=0, mi=0, s=0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=SH)


def make_point(tenant, name="西湖核验点", **kw) -> VerificationPoint:
    values = {"address": "杭州市西湖区示例路 8 号", "opening_hours": HOURLY, "slot_minutes": 60, **kw}
    with tenant_scope(tenant.provider):
        return VerificationPoint.objects.create(tenant=tenant.provider, name=name, **values)


def make_checks(
    tenant, point, at: datetime, n: int = 1, *, order=None, booking=None, wrong=False
) -> list[int]:
    """n checks at ``point`` recorded at ``at`` (recorded_at is auto_now_add: set afterwards)."""
    order = order or (booking.order if booking else None) or complete_order(tenant, materials=False)
    with tenant_scope(tenant.provider):
        made = VerificationCheck.objects.bulk_create(
            VerificationCheck(
                tenant=tenant.provider,
                order=order,
                booking=booking,
                point=point,
                mode=VerificationMode.IN_PERSON if point else VerificationMode.REMOTE,
                checked_by=tenant.users["point_staff"],
                result=CheckResult.PASSED,
            )
            for _ in range(n)
        )
        pks = [c.pk for c in made]
        VerificationCheck.objects.filter(pk__in=pks).update(
            recorded_at=at, found_wrong_at=at + timedelta(days=3) if wrong else None
        )
    return pks


def book(tenant, point, slot, *, status=BookingStatus.BOOKED, order=None) -> Booking:
    order = order or complete_order(tenant, materials=False)
    with tenant_scope(tenant.provider):
        booking = Booking.objects.create(
            tenant=tenant.provider,
            order=order,
            mode=VerificationMode.IN_PERSON,
            point=point,
            slot=slot,
            status=status,
            created_by=tenant.users["applicant"],
        )
        if status == BookingStatus.BOOKED:
            AppointmentSlot.objects.filter(pk=slot.pk).update(booked=1)
            slot.refresh_from_db()
    return booking


def slot_days(tenant, point) -> dict[date, list[str]]:
    with tenant_scope(tenant.provider):
        out: dict[date, list[str]] = {}
        for s in AppointmentSlot.objects.filter(point=point).order_by("starts_at"):
            local = timezone.localtime(s.starts_at, SH)
            out.setdefault(local.date(), []).append(f"{local:%H:%M}")
        return out


# --------------------------------------------------------------------------- slots


def test_r_k4_slots_on_working_days_only_skipping_national_day_and_opening_on_makeup_saturday(alpha, beta):
    # given a point open Monday to Friday with one-hour slots
    point = make_point(alpha, slot_capacity=3)
    # when slots are generated from Saturday 26 September 2026 over 17 days (to Monday 12 October)
    with tenant_scope(alpha.provider):
        created = slots_generate(point=point, start=date(2026, 9, 26), days=17)
    # then only the working days have slots: not the National Day holiday (1-7 October, Thursday
    # 1st and Monday 5th included), not an ordinary weekend, but the make-up Saturday 10 October,
    # which has no hours of its own and is worked with Monday's
    day = ["09:00", "10:00", "11:00", "13:30", "14:30", "15:30", "16:30"]
    expected_days = [date(2026, 9, d) for d in (28, 29, 30)] + [date(2026, 10, d) for d in (8, 9, 10, 12)]
    assert slot_days(alpha, point) == {d: day for d in expected_days}
    assert created == 49
    with tenant_scope(alpha.provider):
        first = AppointmentSlot.objects.filter(point=point).order_by("starts_at").first()
        # Asia/Shanghai wall-clock times: 09:00 local is 01:00 UTC
        assert first.starts_at == datetime(2026, 9, 28, 1, 0, tzinfo=ZoneInfo("UTC"))
        assert first.ends_at - first.starts_at == timedelta(hours=1)
        assert set(AppointmentSlot.objects.filter(point=point).values_list("capacity", "booked")) == {(3, 0)}
    # and beta has no slots
    with tenant_scope(beta.provider):
        assert AppointmentSlot.objects.count() == 0


def test_r_k4_makeup_saturday_uses_its_own_hours_when_the_point_has_saturday_hours(alpha):
    # given a point that also opens 10:00-12:00 on Saturdays
    point = make_point(alpha, opening_hours={**HOURLY, "5": [["10:00", "12:00"]]})
    # when slots are generated for the make-up Saturday 10 October and the ordinary Saturday 17 October
    with tenant_scope(alpha.provider):
        slots_generate(point=point, start=date(2026, 10, 10), days=1)
        slots_generate(point=point, start=date(2026, 10, 17), days=1)
    # then the make-up Saturday gets the Saturday hours and the ordinary Saturday (a rest day) none
    assert slot_days(alpha, point) == {date(2026, 10, 10): ["10:00", "11:00"]}


def test_r_k4_slot_generation_is_idempotent(alpha):
    # given slots generated once
    point = make_point(alpha)
    with tenant_scope(alpha.provider):
        assert slots_generate(point=point, start=date(2026, 9, 28), days=3) == 21
        before = list(AppointmentSlot.objects.order_by("pk").values_list("pk", "starts_at", "capacity"))
        # when the same window, and an overlapping one, are generated again
        again = slots_generate(point=point, start=date(2026, 9, 28), days=3)
        overlapping = slots_generate(point=point, start=date(2026, 9, 29), days=3)
        # then nothing is doubled (the overlap's new day, Thursday 1 October, is a holiday)
        assert again == 0
        assert overlapping == 0
        assert (
            list(AppointmentSlot.objects.order_by("pk").values_list("pk", "starts_at", "capacity")) == before
        )


def test_r_k4_roll_forward_covers_operating_points_of_every_tenant_only(alpha, beta):
    # given an operating and a suspended point at alpha and an operating one at beta
    a_ok = make_point(alpha, name="alpha-ok")
    a_paused = make_point(alpha, name="alpha-paused", status=PointStatus.SUSPENDED, status_reason="装修")
    b_ok = make_point(beta, name="beta-ok")
    # when the periodic roll-forward runs (outside any tenant scope, as the task does)
    created = slots_roll_forward(days=14)
    # then both operating points have 14 days of slots, the suspended one none
    today = timezone.localdate()
    working = sum(is_working_day(today + timedelta(days=i)) for i in range(14))
    with tenant_scope(alpha.provider):
        assert AppointmentSlot.objects.filter(point=a_ok).count() == 7 * working
        assert AppointmentSlot.objects.filter(point=a_paused).count() == 0
    with tenant_scope(beta.provider):
        assert AppointmentSlot.objects.filter(point=b_ok).count() == 7 * working
    assert created == 14 * working
    # and a second run creates nothing
    assert slots_roll_forward(days=14) == 0


def test_r_k4_hours_change_regenerates_empty_future_slots_and_keeps_booked_ones(alpha, beta):
    # given slots from Thursday 24 September to Saturday 10 October 2026 (the Mid-Autumn and
    # National Day holidays in between), seen from 24 September 08:00
    point = make_point(alpha)
    now = sh(2026, 9, 24, 8)
    with tenant_scope(alpha.provider):
        assert slots_generate(point=point, start=date(2026, 9, 24), days=17) == 49
        booked_slot = AppointmentSlot.objects.get(point=point, starts_at=sh(2026, 9, 28, 9))
        cancelled_in_plan = AppointmentSlot.objects.get(point=point, starts_at=sh(2026, 9, 29, 10))
        cancelled_off_plan = AppointmentSlot.objects.get(point=point, starts_at=sh(2026, 9, 28, 13, 30))
    live = book(alpha, point, booked_slot)
    book(alpha, point, cancelled_in_plan, status=BookingStatus.CANCELLED)
    book(alpha, point, cancelled_off_plan, status=BookingStatus.CANCELLED)
    # when the hours become 10:00-12:00 on weekdays with three places per slot
    with tenant_scope(alpha.provider):
        point.opening_hours = {str(d): [["10:00", "12:00"]] for d in range(5)}
        point.slot_capacity = 3
        point.save()
        result = slots_regenerate_future(point=point, now=now)
    # then: 10:00 and 11:00 on each of the 7 working days; the booked 09:00 slot kept as it was;
    # the cancelled-booking 10:00 slot reshaped in place; the cancelled 13:30 slot closed
    assert result == {"deleted": 46, "created": 13, "reshaped": 1, "closed": 1}
    days = slot_days(alpha, point)
    new = ["10:00", "11:00"]
    assert days == {
        date(2026, 9, 24): new,
        date(2026, 9, 28): ["09:00", *new, "13:30"],
        date(2026, 9, 29): new,
        date(2026, 9, 30): new,
        date(2026, 10, 8): new,
        date(2026, 10, 9): new,
        date(2026, 10, 10): new,
    }
    with tenant_scope(alpha.provider):
        booked_slot.refresh_from_db()
        assert (booked_slot.capacity, booked_slot.booked, booked_slot.ends_at) == (2, 1, sh(2026, 9, 28, 10))
        assert Booking.objects.get(pk=live.pk).slot_id == booked_slot.pk
        assert AppointmentSlot.objects.get(pk=cancelled_in_plan.pk).capacity == 3
        assert AppointmentSlot.objects.get(pk=cancelled_off_plan.pk).capacity == 0
        assert set(
            AppointmentSlot.objects.filter(point=point, booked=0)
            .exclude(pk=cancelled_off_plan.pk)
            .values_list("capacity", flat=True)
        ) == {3}


def test_r_k4_point_update_saves_and_keeps_a_booked_future_slot(alpha):
    # given a point with slots on the next working day and one of them booked
    point = make_point(alpha)
    day = timezone.localdate() + timedelta(days=2)
    while not is_working_day(day):
        day += timedelta(days=1)
    with tenant_scope(alpha.provider):
        slots_generate(point=point, start=day, days=1)
        booked = AppointmentSlot.objects.get(point=point, starts_at=datetime.combine(day, time(16, 30), SH))
    book(alpha, point, booked)
    # when the admin closes the afternoons and changes the prices
    with tenant_scope(alpha.provider):
        point_update(
            point=point,
            actor=alpha.users["provider_admin"],
            name="西湖核验点（新址）",
            address="杭州市西湖区新路 1 号",
            phone="0571-88888888",
            opening_hours={str(d): [["09:00", "12:00"]] for d in range(5)},
            slot_minutes=60,
            slot_capacity=2,
            price_low=Decimal("18.50"),
            price_mid="22",
            price_high=Decimal("26.00"),
        )
        point.refresh_from_db()
    # then the point is saved, the booked 16:30 slot is still there and no empty afternoon slot is
    assert (point.name, point.price_low, point.price_mid, point.price_high) == (
        "西湖核验点（新址）",
        Decimal("18.50"),
        Decimal("22.00"),
        Decimal("26.00"),
    )
    assert slot_days(alpha, point)[day] == ["09:00", "10:00", "11:00", "16:30"]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"opening_hours": {"0": [["09:00", "12:00"], ["11:30", "14:00"]]}}, "opening_hours", "重叠"),
        ({"opening_hours": {"2": [["12:00", "09:00"]]}}, "opening_hours", "周三的时段 12:00-09:00"),
        ({"opening_hours": {"1": [["9am", "12:00"]]}}, "opening_hours", "HH:MM"),
        ({"opening_hours": {"1": [["09:00", "24:00"]]}}, "opening_hours", "HH:MM"),
        ({"opening_hours": {"7": [["09:00", "12:00"]]}}, "opening_hours", "星期“7”"),
        ({"slot_minutes": 9}, "slot_minutes", "10 到 240"),
        ({"slot_minutes": 241}, "slot_minutes", "10 到 240"),
        ({"slot_capacity": 0}, "slot_capacity", "1 到 50"),
        ({"slot_capacity": 51}, "slot_capacity", "1 到 50"),
        ({"name": "  "}, "name", "请填写核验点名称"),
        ({"price_high": "-1"}, "price_high", "0 到 999999.99"),
        ({"price_low": "1.005"}, "price_low", "最多两位小数"),
    ],
)
def test_r_k4_point_update_refuses_bad_values_naming_the_field_and_saves_nothing(
    alpha, changes, field, message
):
    # given a point with generated slots
    point = make_point(alpha)
    with tenant_scope(alpha.provider):
        slots_generate(point=point, start=timezone.localdate() + timedelta(days=1), days=7)
        slots_before = list(AppointmentSlot.objects.order_by("pk").values_list("pk", "starts_at"))
        values = {
            "name": point.name,
            "address": point.address,
            "phone": "",
            "opening_hours": HOURLY,
            "slot_minutes": 60,
            "slot_capacity": 2,
            "price_low": "20",
            "price_mid": "25",
            "price_high": "30",
            **changes,
        }
        # when the admin saves a bad value
        with pytest.raises(ValidationError) as err:
            point_update(point=point, actor=alpha.users["provider_admin"], **values)
        # then the error names the field, and neither the point nor its slots changed
        assert field in err.value.message_dict
        assert message in " ".join(err.value.message_dict[field])
        stored = VerificationPoint.objects.get(pk=point.pk)
        assert (stored.name, stored.opening_hours, stored.slot_minutes, stored.slot_capacity) == (
            "西湖核验点",
            HOURLY,
            60,
            2,
        )
        assert list(AppointmentSlot.objects.order_by("pk").values_list("pk", "starts_at")) == slots_before


def test_r_k4_opening_hours_are_normalised_sorted_and_closed_days_dropped():
    assert opening_hours_clean({"3": [["13:00", "17:00"], ["08:30", "12:00"]], "6": []}) == {
        "3": [["08:30", "12:00"], ["13:00", "17:00"]]
    }
    # touching ranges do not overlap
    assert opening_hours_clean({"0": [["09:00", "12:00"], ["12:00", "13:00"]]}) == {
        "0": [["09:00", "12:00"], ["12:00", "13:00"]]
    }


# --------------------------------------------------------------------------- suspend / resume / terminate


def test_r_k4_suspend_needs_a_reason_and_stops_new_bookings_resume_reopens(alpha):
    # given an operating point with a staff member
    point = make_point(alpha)
    admin = alpha.users["provider_admin"]
    with tenant_scope(alpha.provider):
        PointStaff.objects.create(tenant=alpha.provider, point=point, user=alpha.users["point_staff"])
        # when suspended without a reason: refused, still operating
        with pytest.raises(ValidationError) as err:
            point_suspend(point=point, actor=admin, reason="  ")
        assert err.value.message_dict == {"reason": ["请填写原因。"]}
        assert VerificationPoint.objects.get(pk=point.pk).status == PointStatus.OPERATING
        # when suspended with a reason
        point_suspend(point=point, actor=admin, reason="场地装修")
        stored = VerificationPoint.objects.get(pk=point.pk)
        assert (stored.status, stored.status_reason) == (PointStatus.SUSPENDED, "场地装修")
        assert point_accepts_bookings(stored) is False
        # then no slots are generated for it, and a second suspension is refused
        assert slots_generate(point=stored, start=date(2026, 9, 28), days=3) == 0
        with pytest.raises(ValidationError, match="已暂停"):
            point_suspend(point=stored, actor=admin, reason="again")
        # and its staff got an inbox message naming the reason
        staff_msgs = OutboxMessage.objects.filter(
            recipient=str(alpha.users["point_staff"].pk), channel="inbox"
        )
        assert [m.subject for m in staff_msgs] == ["核验点已暂停"]
        assert "场地装修" in staff_msgs[0].body
        # when resumed: operating again, reason cleared, slots for the coming two weeks
        created = point_resume(point=stored, actor=admin)
        stored.refresh_from_db()
        assert (stored.status, stored.status_reason) == (PointStatus.OPERATING, "")
        assert point_accepts_bookings(stored) is True
        assert created == AppointmentSlot.objects.filter(point=point).count() > 0


def test_r_k4_terminate_is_final_keeps_future_bookings_listed_and_closes_empty_slots(alpha):
    # given a suspended point with future slots, one booked and one with a cancelled booking
    point = make_point(alpha)
    admin = alpha.users["provider_admin"]
    start = timezone.localdate() + timedelta(days=1)
    with tenant_scope(alpha.provider):
        slots_generate(point=point, start=start, days=14)
        future = list(AppointmentSlot.objects.filter(point=point).order_by("starts_at")[:2])
    live = book(alpha, point, future[0])
    book(alpha, point, future[1], status=BookingStatus.CANCELLED)
    with tenant_scope(alpha.provider):
        point_suspend(point=point, actor=admin, reason="整改")
        # when terminated without a reason: refused
        with pytest.raises(ValidationError) as err:
            point_terminate(point=point, actor=admin, reason="")
        assert err.value.message_dict == {"reason": ["请填写原因。"]}
        assert VerificationPoint.objects.get(pk=point.pk).status == PointStatus.SUSPENDED
        # when terminated with a reason
        remaining = point_terminate(point=point, actor=admin, reason="合作到期")
        # then one future booking remains, listed; its slot is kept, the other slot closed, the rest gone
        assert remaining == 1
        assert list(
            AppointmentSlot.objects.filter(point=point).order_by("starts_at").values_list("pk", "capacity")
        ) == [
            (future[0].pk, 2),
            (future[1].pk, 0),
        ]
        assert Booking.objects.get(pk=live.pk).status == BookingStatus.BOOKED
        # and it is final: no resume, no suspension, no edit
        point.refresh_from_db()
        for action in (
            lambda: point_resume(point=point, actor=admin),
            lambda: point_suspend(point=point, actor=admin, reason="x"),
            lambda: point_terminate(point=point, actor=admin, reason="x"),
        ):
            with pytest.raises(ValidationError, match="已终止"):
                action()
        with pytest.raises(ValidationError, match="核验点已终止，不能再修改"):
            point_update(
                point=point,
                actor=admin,
                name="x",
                address="y",
                phone="",
                opening_hours=HOURLY,
                slot_minutes=60,
                slot_capacity=2,
                price_low=1,
                price_mid=1,
                price_high=1,
            )
        stored = VerificationPoint.objects.get(pk=point.pk)
        assert (stored.status, stored.status_reason, stored.name) == (
            PointStatus.TERMINATED,
            "合作到期",
            "西湖核验点",
        )
    # and the point's page warns about the booking left to move, and lists it
    page = alpha.client(Role.PROVIDER_ADMIN).get(reverse("points:point_detail", args=[point.pk]))
    body = page.content.decode()
    assert "该核验点已不再接受新的预约，但仍有 1 个未来的预约，请联系申请人改约其他核验点。" in body
    assert f"#{live.order_id}" in body
    assert [b.pk for b in page.context["future_bookings"]] == [live.pk]


# --------------------------------------------------------------------------- assessment


def test_r_k4_assessment_by_quarter_and_year_is_exact_in_shanghai_time(
    alpha, beta, django_assert_num_queries
):
    # given a point's checks in 2026: Q1 three (one later found wrong), Q2 one at 00:10 on 1 April
    # Shanghai (still 31 March in UTC), Q3 two, Q4 one found wrong; and one check in 2025
    point = make_point(alpha)
    order = complete_order(alpha, materials=False)
    make_checks(alpha, point, sh(2026, 1, 5, 10), order=order)
    make_checks(alpha, point, sh(2026, 2, 5, 10), order=order, wrong=True)
    make_checks(alpha, point, sh(2026, 3, 31, 23, 30), order=order)
    make_checks(alpha, point, sh(2026, 4, 1, 0, 10), order=order)
    make_checks(alpha, point, sh(2026, 7, 1, 9), n=2, order=order)
    make_checks(alpha, point, sh(2026, 10, 9, 9), order=order, wrong=True)
    make_checks(alpha, point, sh(2025, 12, 31, 23, 59), order=order)
    # and in-person bookings: on time (09:00 slot, check 16:00); on time by Shanghai day though not by
    # UTC day (07:00 slot = 23:00 UTC the day before, check at 10:00); late (check the next day);
    # never checked (Q3); cancelled; and one whose slot is still to come (not yet due)
    with tenant_scope(alpha.provider):
        slots = [
            AppointmentSlot.objects.create(
                tenant=alpha.provider, point=point, starts_at=at, ends_at=at + timedelta(hours=1), capacity=5
            )
            for at in (
                sh(2026, 3, 10, 9),
                sh(2026, 3, 13, 7),
                sh(2026, 3, 11, 9),
                sh(2026, 7, 1, 9),
                sh(2026, 8, 3, 9),
                sh(2026, 12, 15, 9),
            )
        ]
    on_time = book(alpha, point, slots[0])
    on_time_sh = book(alpha, point, slots[1])
    late = book(alpha, point, slots[2])
    book(alpha, point, slots[3])
    book(alpha, point, slots[4], status=BookingStatus.CANCELLED)
    book(alpha, point, slots[5])
    make_checks(alpha, point, sh(2026, 3, 10, 16), booking=on_time)
    make_checks(alpha, point, sh(2026, 3, 13, 10), booking=on_time_sh)
    make_checks(alpha, point, sh(2026, 3, 12, 9), booking=late)
    # and beta's point has checks of its own
    b_point = make_point(beta)
    make_checks(beta, b_point, sh(2026, 2, 1, 10), n=4)
    # when the assessment for 2026 is read (two aggregate queries, however many checks)
    with tenant_scope(alpha.provider), django_assert_num_queries(2):
        rows = point_assessment(point=point, year=2026, today=date(2026, 12, 1))
    # then Q1 has 6 checks (3 plain + 3 booked), 1 wrong, SLA 2 of 3; Q2 one check; Q3 two checks and one
    # due booking never checked; Q4 one wrong check and no due booking
    as_tuples = [(r.quarter, r.checks, r.wrong, r.bookings_due, r.on_time) for r in rows]
    assert as_tuples == [
        (1, 6, 1, 3, 2),
        (2, 1, 0, 0, 0),
        (3, 2, 0, 1, 0),
        (4, 1, 1, 0, 0),
        (None, 10, 2, 4, 2),
    ]
    assert [(r.wrong_share, r.sla) for r in rows] == [
        (Decimal("16.7"), Decimal("66.7")),
        (Decimal("0.0"), None),
        (Decimal("0.0"), Decimal("0.0")),
        (Decimal("100.0"), None),
        (Decimal("20.0"), Decimal("50.0")),
    ]


# --------------------------------------------------------------------------- pages


def test_r_k4_point_list_shows_own_points_with_staff_and_this_months_checks(alpha, beta):
    # given a point at alpha with one staff member and two checks this month, one last month
    point = make_point(alpha, name="西湖核验点")
    with tenant_scope(alpha.provider):
        PointStaff.objects.create(tenant=alpha.provider, point=point, user=alpha.users["point_staff"])
    now = timezone.localtime(timezone.now(), SH)
    month_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    make_checks(alpha, point, month_start + timedelta(minutes=1), n=2)
    make_checks(alpha, point, month_start - timedelta(minutes=1))
    make_point(beta, name="SECRET-BETA 核验点")
    # when alpha's admin opens the list
    r = alpha.client(Role.PROVIDER_ADMIN).get(reverse("points:point_list"))
    # then alpha's point shows with 1 staff member and 2 checks; beta's point does not show
    assert r.status_code == 200
    rows = r.context["points"]
    assert [(p.name, p.staff_count, p.month_checks) for p in rows] == [("西湖核验点", 1, 2)]
    assert "SECRET-BETA" not in r.content.decode()


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.POINT_STAFF])
def test_r_k4_point_pages_are_provider_admin_only(alpha, role):
    point = make_point(alpha)
    client = alpha.client(role)
    assert client.get(reverse("points:point_list")).status_code == 403
    assert client.get(reverse("points:point_detail", args=[point.pk])).status_code == 403
    r = client.post(
        reverse("points:point_detail", args=[point.pk]), {"action": "suspend", "suspend-reason": "x"}
    )
    assert r.status_code == 403
    with tenant_scope(alpha.provider):
        assert VerificationPoint.objects.get(pk=point.pk).status == PointStatus.OPERATING


def test_r_k4_point_detail_of_another_tenant_is_404_and_unchanged(alpha, beta):
    b_point = make_point(beta, name="SECRET-BETA 核验点")
    client = alpha.client(Role.PROVIDER_ADMIN)
    url = reverse("points:point_detail", args=[b_point.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"action": "suspend", "suspend-reason": "x"}).status_code == 404
    with tenant_scope(beta.provider):
        assert VerificationPoint.objects.get(pk=b_point.pk).status == PointStatus.OPERATING


def _form_post(point, **changes) -> dict:
    data = {
        "action": "save",
        "name": point.name,
        "address": point.address,
        "phone": "",
        "slot_minutes": "60",
        "slot_capacity": "2",
        "price_low": "20.00",
        "price_mid": "25.00",
        "price_high": "30.00",
        **{f"hours_{d}": "09:00-12:00, 13:30-17:30" for d in range(5)},
        "hours_5": "",
        "hours_6": "",
    }
    data.update(changes)
    return data


def test_r_k4_point_detail_form_edits_hours_and_shows_errors_on_the_weekday(alpha):
    point = make_point(alpha)
    client = alpha.client(Role.PROVIDER_ADMIN)
    url = reverse("points:point_detail", args=[point.pk])
    # given the page renders with the current hours, assessment and status forms
    page = client.get(url)
    assert page.status_code == 200
    body = page.content.decode()
    assert 'value="09:00-12:00, 13:30-17:30"' in body
    assert "暂停核验点" in body
    # when the admin enters overlapping Wednesday hours
    r = client.post(url, _form_post(point, hours_2="09:00-12:00, 11:00-13:00"))
    # then the page answers 400 with the error on Wednesday's field, and nothing changed
    assert r.status_code == 400
    assert r.context["form"].errors["hours_2"] == ["周三的时段 09:00-12:00 与 11:00-13:00 重叠。"]
    with tenant_scope(alpha.provider):
        assert VerificationPoint.objects.get(pk=point.pk).opening_hours == HOURLY
    # when the admin saves Saturday morning hours (typed loosely: 9:00~12:00)
    r = client.post(url, _form_post(point, hours_5="9:00~12:00", slot_capacity="4"))
    # then they are stored normalised
    assert r.status_code == 302
    with tenant_scope(alpha.provider):
        stored = VerificationPoint.objects.get(pk=point.pk)
    assert stored.opening_hours == {**HOURLY, "5": [["09:00", "12:00"]]}
    assert stored.slot_capacity == 4


def test_r_k4_point_detail_suspend_and_terminate_through_the_page(alpha):
    point = make_point(alpha)
    client = alpha.client(Role.PROVIDER_ADMIN)
    url = reverse("points:point_detail", args=[point.pk])
    # suspend without a reason: 400, still operating
    r = client.post(url, {"action": "suspend", "suspend-reason": ""})
    assert r.status_code == 400
    assert list(r.context["suspend_form"].errors) == ["reason"]
    # suspend with a reason
    assert client.post(url, {"action": "suspend", "suspend-reason": "装修"}).status_code == 302
    with tenant_scope(alpha.provider):
        assert VerificationPoint.objects.get(pk=point.pk).status == PointStatus.SUSPENDED
    # terminate without ticking the confirmation: 400, still suspended
    r = client.post(url, {"action": "terminate", "terminate-reason": "到期"})
    assert r.status_code == 400
    assert list(r.context["terminate_form"].errors) == ["confirm"]
    with tenant_scope(alpha.provider):
        assert VerificationPoint.objects.get(pk=point.pk).status == PointStatus.SUSPENDED
    # terminate with confirmation
    r = client.post(url, {"action": "terminate", "terminate-reason": "到期", "terminate-confirm": "on"})
    assert r.status_code == 302
    page = client.get(url).content.decode()
    assert "该核验点已终止，信息不能再修改" in page
    assert 'value="save"' not in page
    # an unknown action is a bad request
    assert client.post(url, {"action": "explode"}).status_code == 400
