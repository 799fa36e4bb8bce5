"""Appointment slots of operating verification points (R-K4).

Slots are generated from a point's opening hours on Chinese *working* days
(``icpfiling.core.workdays.is_working_day``): statutory holidays get none, and
a make-up working day (调休上班) that falls on a weekend gets slots. Such a
weekend day uses its own weekday's hours when the point has set them, and
otherwise the hours of its first weekday with hours (Monday, usually): the
State Council schedule makes it an ordinary working day, and a point that is
closed on ordinary weekends would otherwise be closed on it.

Times are local Asia/Shanghai wall-clock times (China has no daylight saving
time, so a slot never spans a clock change). Generation is idempotent: the
unique (point, starts_at) constraint plus ``ignore_conflicts`` means a second
run, or two concurrent runs, never double a slot.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from icpfiling.core.workdays import is_working_day
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from verification_points.models import AppointmentSlot, PointStatus, VerificationPoint

log = logging.getLogger("icpfiling.points")

CHINA_TZ = ZoneInfo("Asia/Shanghai")
# How far ahead the daily roll-forward keeps slots open for booking.
ROLL_FORWARD_DAYS = 14


def parse_hhmm(value: str) -> time:
    """ "09:30" -> time(9, 30); raises ValueError for anything else (24:00 included)."""
    if not isinstance(value, str) or len(value) != 5 or value[2] != ":":
        raise ValueError(value)
    hours, minutes = value[:2], value[3:]
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError(value)
    return time(int(hours), int(minutes))


def hours_for_day(opening_hours: dict, day: date) -> list[tuple[time, time]]:
    """The opening ranges that apply on ``day`` (none on holidays and ordinary weekends)."""
    if not is_working_day(day):
        return []
    ranges = opening_hours.get(str(day.weekday())) or []
    if not ranges and day.weekday() >= 5:
        # A make-up working day on a weekend: worked like an ordinary weekday.
        for weekday in range(5):
            ranges = opening_hours.get(str(weekday)) or []
            if ranges:
                break
    return [(parse_hhmm(open_), parse_hhmm(close)) for open_, close in ranges]


def slot_times(point: VerificationPoint, day: date) -> Iterator[tuple[datetime, datetime]]:
    """(start, end) of every whole slot of ``point`` on ``day``; a short remainder is no slot."""
    length = timedelta(minutes=point.slot_minutes)
    for open_, close in hours_for_day(point.opening_hours, day):
        start = datetime.combine(day, open_, tzinfo=CHINA_TZ)
        close_at = datetime.combine(day, close, tzinfo=CHINA_TZ)
        while start + length <= close_at:
            yield start, start + length
            start += length


def _planned(point: VerificationPoint, start: date, days: int) -> list[AppointmentSlot]:
    return [
        AppointmentSlot(
            tenant_id=point.tenant_id,
            point=point,
            starts_at=s,
            ends_at=e,
            capacity=point.slot_capacity,
        )
        for offset in range(days)
        for s, e in slot_times(point, start + timedelta(days=offset))
    ]


def _day_range(start: date, days: int) -> tuple[datetime, datetime]:
    first = datetime.combine(start, time(0), tzinfo=CHINA_TZ)
    return first, first + timedelta(days=days)


def _insert(
    point: VerificationPoint, planned: list[AppointmentSlot], window: tuple[datetime, datetime]
) -> int:
    if not planned:
        return 0
    existing = AppointmentSlot.objects.filter(point=point, starts_at__gte=window[0], starts_at__lt=window[1])
    before = existing.count()
    AppointmentSlot.objects.bulk_create(planned, ignore_conflicts=True)
    # ignore_conflicts gives no per-row answer on every backend; count instead.
    return existing.count() - before


@transaction.atomic
def slots_generate(*, point: VerificationPoint, start: date, days: int) -> int:
    """Create the missing slots of ``point`` for ``days`` days from ``start``; returns how many.

    Precondition: inside the point's tenant scope. Only an operating point gets
    slots (a suspended one takes no bookings; it gets them again on resume).
    Existing slots are left exactly as they are.
    """
    if days < 1 or point.status != PointStatus.OPERATING:
        return 0
    return _insert(point, _planned(point, start, days), _day_range(start, days))


@transaction.atomic
def slots_regenerate_future(*, point: VerificationPoint, now: datetime | None = None) -> dict[str, int]:
    """After opening hours, slot length or capacity changed: rebuild the future EMPTY slots.

    Precondition: inside the point's tenant scope, ``point`` already saved with
    its new schedule. A slot with a booking (``booked`` > 0) is never touched,
    so no applicant loses an appointment. An empty slot nobody ever booked is
    deleted; an empty slot with cancelled bookings (which keep referring to it)
    cannot be deleted, so it is reshaped to the new plan or, when the new hours
    no longer cover it, closed with capacity 0. The horizon is the later of the
    roll-forward window and the last slot that already existed.
    """
    now = now or timezone.now()
    today = timezone.localtime(now, CHINA_TZ).date()
    future = AppointmentSlot.objects.filter(point=point, starts_at__gte=now)
    last = future.aggregate(last=Max("starts_at"))["last"]
    last_day = timezone.localtime(last, CHINA_TZ).date() if last else today
    days = max(ROLL_FORWARD_DAYS, (last_day - today).days + 1)
    deleted, _ = future.filter(booked=0, bookings__isnull=True).delete()
    # Slots that already began are history, not offers: only future ones are planned.
    plan = {}
    if point.status == PointStatus.OPERATING:
        plan = {s.starts_at: s for s in _planned(point, today, days) if s.starts_at >= now}
    reshaped = closed = 0
    for slot in future.filter(booked=0).only("pk", "starts_at"):
        # Few rows: only empty slots that once had a since-cancelled booking are left.
        wanted = plan.get(slot.starts_at)
        if wanted is None:
            closed += AppointmentSlot.objects.filter(pk=slot.pk, booked=0).update(capacity=0)
        else:
            reshaped += AppointmentSlot.objects.filter(pk=slot.pk, booked=0).update(
                ends_at=wanted.ends_at, capacity=wanted.capacity
            )
    created = _insert(point, list(plan.values()), (now, _day_range(today, days)[1]))
    return {"deleted": deleted, "created": created, "reshaped": reshaped, "closed": closed}


def slots_roll_forward(*, days: int = ROLL_FORWARD_DAYS) -> int:
    """Periodic: every operating point of every active provider has slots ``days`` days ahead.

    Platform level: enters each provider's scope in turn, never a cross-tenant
    query on tenant-owned rows.
    """
    today = timezone.localdate(timezone=CHINA_TZ)
    created = 0
    for provider in Provider.objects.filter(is_active=True).order_by("pk"):
        with tenant_scope(provider):
            for point in VerificationPoint.objects.filter(status=PointStatus.OPERATING).order_by("pk"):
                created += slots_generate(point=point, start=today, days=days)
    log.info("slots roll-forward created %d slots", created)
    return created
