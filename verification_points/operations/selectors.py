"""Reads for the provider admin's point pages (R-K4). Always inside the request's tenant scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import ExtractQuarter, TruncDate
from django.utils import timezone

from icpfiling.tenancy.access import get_or_404
from verification_points.models import (
    AppointmentSlot,
    Booking,
    BookingStatus,
    MonthlyStatement,
    PointStaff,
    PointStatus,
    VerificationCheck,
    VerificationMode,
    VerificationPoint,
)
from verification_points.operations.settlement import month_bounds
from verification_points.operations.slots import CHINA_TZ


def point_accepts_bookings(point: VerificationPoint) -> bool:
    """Only an operating point takes new bookings (suspended and terminated ones do not)."""
    return point.status == PointStatus.OPERATING


def point_list_for_admin(*, month: date) -> QuerySet[VerificationPoint]:
    """Every point of the tenant with its staff count and its checks in ``month``."""
    start, end = month_bounds(month)
    return VerificationPoint.objects.annotate(
        staff_count=Count("staff", distinct=True),
        month_checks=Count(
            "checks", filter=Q(checks__recorded_at__gte=start, checks__recorded_at__lt=end), distinct=True
        ),
    ).order_by("name", "pk")


def access_point_by_id(*, actor, point_id: int) -> VerificationPoint:
    return get_or_404(VerificationPoint.objects.all(), actor=actor, pk=point_id)


def point_staff_list(*, point: VerificationPoint) -> QuerySet[PointStaff]:
    return PointStaff.objects.filter(point=point).select_related("user").order_by("user__email")


def point_future_bookings(*, point: VerificationPoint, now: datetime | None = None) -> QuerySet[Booking]:
    """Live in-person bookings at ``point`` whose slot has not begun (to be moved after a termination)."""
    return (
        Booking.objects.filter(
            point=point, status=BookingStatus.BOOKED, slot__starts_at__gte=now or timezone.now()
        )
        .select_related("slot", "order")
        .order_by("slot__starts_at", "pk")
    )


@dataclass(frozen=True)
class SlotSummary:
    slots: int
    capacity: int
    booked: int
    closed: int
    first: datetime | None
    last: datetime | None


def point_slot_summary(*, point: VerificationPoint, now: datetime | None = None) -> SlotSummary:
    row = AppointmentSlot.objects.filter(point=point, starts_at__gte=now or timezone.now()).aggregate(
        n_slots=Count("pk"),
        n_capacity=Sum("capacity"),
        n_booked=Sum("booked"),
        closed=Count("pk", filter=Q(capacity=0)),
        first=Min("starts_at"),
        last=Max("starts_at"),
    )
    return SlotSummary(
        slots=row["n_slots"],
        capacity=row["n_capacity"] or 0,
        booked=row["n_booked"] or 0,
        closed=row["closed"],
        first=row["first"],
        last=row["last"],
    )


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class AssessmentRow:
    """One period of a point's assessment (R-K4)."""

    year: int
    quarter: int | None  # None: the whole year
    checks: int
    wrong: int  # checks later found wrong
    bookings_due: int  # in-person bookings whose slot day is over
    on_time: int  # ... whose check was recorded on the slot's day

    @property
    def wrong_share(self) -> Decimal | None:
        return _percent(self.wrong, self.checks)

    @property
    def sla(self) -> Decimal | None:
        return _percent(self.on_time, self.bookings_due)


def _year_bounds(year: int) -> tuple[datetime, datetime]:
    return (
        datetime.combine(date(year, 1, 1), time(0), tzinfo=CHINA_TZ),
        datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=CHINA_TZ),
    )


def point_assessment(
    *, point: VerificationPoint, year: int, today: date | None = None
) -> list[AssessmentRow]:
    """Quarterly rows Q1..Q4 and a whole-year row for ``point`` in ``year``.

    Two aggregate queries grouped by quarter (Asia/Shanghai), whatever the
    number of checks: checks and later-found-wrong checks by the check's time;
    SLA over the in-person bookings (not cancelled) whose slot day has ended,
    on time when a check of that booking was recorded on the slot's local day.
    A booking whose slot is today or later is not yet due and not counted.
    """
    start, end = _year_bounds(year)
    today = today or timezone.localdate(timezone=CHINA_TZ)
    checks = (
        VerificationCheck.objects.filter(point=point, recorded_at__gte=start, recorded_at__lt=end)
        .annotate(q=ExtractQuarter("recorded_at", tzinfo=CHINA_TZ))
        .values("q")
        .annotate(n=Count("pk"), wrong=Count("pk", filter=Q(found_wrong_at__isnull=False)))
        .order_by("q")
    )
    due_before = min(end, datetime.combine(today, time(0), tzinfo=CHINA_TZ))
    same_day_check = VerificationCheck.objects.annotate(day=TruncDate("recorded_at", tzinfo=CHINA_TZ)).filter(
        booking=OuterRef("pk"), day=OuterRef("slot_day")
    )
    bookings = (
        Booking.objects.filter(
            point=point,
            mode=VerificationMode.IN_PERSON,
            status__in=[BookingStatus.BOOKED, BookingStatus.DONE],
            slot__starts_at__gte=start,
            slot__starts_at__lt=due_before,
        )
        .annotate(
            slot_day=TruncDate("slot__starts_at", tzinfo=CHINA_TZ),
            on_time=Exists(same_day_check),
        )
        .annotate(q=ExtractQuarter("slot__starts_at", tzinfo=CHINA_TZ))
        .values("q")
        .annotate(n=Count("pk"), on_time_n=Count("pk", filter=Q(on_time=True)))
        .order_by("q")
    )
    by_q_checks = {r["q"]: r for r in checks}
    by_q_bookings = {r["q"]: r for r in bookings}
    rows = [
        AssessmentRow(
            year=year,
            quarter=q,
            checks=by_q_checks.get(q, {}).get("n", 0),
            wrong=by_q_checks.get(q, {}).get("wrong", 0),
            bookings_due=by_q_bookings.get(q, {}).get("n", 0),
            on_time=by_q_bookings.get(q, {}).get("on_time_n", 0),
        )
        for q in (1, 2, 3, 4)
    ]
    rows.append(
        AssessmentRow(
            year=year,
            quarter=None,
            checks=sum(r.checks for r in rows),
            wrong=sum(r.wrong for r in rows),
            bookings_due=sum(r.bookings_due for r in rows),
            on_time=sum(r.on_time for r in rows),
        )
    )
    return rows


def statement_list_for_admin(*, month: date | None = None, status: str = "") -> QuerySet[MonthlyStatement]:
    qs = MonthlyStatement.objects.select_related("point").order_by("-month", "point__name", "pk")
    if month is not None:
        qs = qs.filter(month=month.replace(day=1))
    if status:
        qs = qs.filter(status=status)
    return qs


def access_statement_by_id(*, actor, statement_id: int) -> MonthlyStatement:
    return get_or_404(MonthlyStatement.objects.select_related("point"), actor=actor, pk=statement_id)


def statement_checks(*, statement: MonthlyStatement) -> QuerySet[VerificationCheck]:
    """The checks a statement counted: its point's checks recorded in its month."""
    start, end = month_bounds(statement.month)
    return (
        VerificationCheck.objects.filter(
            point=statement.point_id, recorded_at__gte=start, recorded_at__lt=end
        )
        .select_related("checked_by")
        .order_by("recorded_at", "pk")
    )
