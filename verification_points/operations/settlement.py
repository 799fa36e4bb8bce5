"""Monthly tiered settlement of verification points (R-K4, seed 000's FAQ 1).

On the 1st each point's checks of the past month are counted and priced by
tier: below 50 checks the low unit price, 50-100 the middle one, above 100 the
high one, each from the point's agreement; payment is due by the 15th of the
following month. A month is counted on Asia/Shanghai calendar boundaries.

Idempotent: one statement per (point, month) by a unique constraint; a second
run inserts with ``ignore_conflicts`` and so changes nothing that exists, even
if a check for that month turned up late (the statement stays what was settled).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider
from verification_points.models import (
    MonthlyStatement,
    PointStatus,
    StatementStatus,
    VerificationCheck,
    VerificationPoint,
)
from verification_points.operations.slots import CHINA_TZ

log = logging.getLogger("icpfiling.points")

TIER_LOW, TIER_MID, TIER_HIGH = "low", "mid", "high"
CENT = Decimal("0.01")


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return date(month.year + (month.month == 12), month.month % 12 + 1, 1)


def previous_month(month: date) -> date:
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """[start, end) of ``month`` in Asia/Shanghai, as aware datetimes."""
    first = first_of_month(month)
    return (
        datetime.combine(first, time(0), tzinfo=CHINA_TZ),
        datetime.combine(next_month(first), time(0), tzinfo=CHINA_TZ),
    )


def due_date(month: date) -> date:
    """The 15th of the month after the settled one."""
    return next_month(first_of_month(month)).replace(day=15)


def tier_for(checks: int) -> str:
    """Below 50 -> low; 50 to 100 inclusive -> mid; above 100 -> high."""
    if checks < 50:
        return TIER_LOW
    if checks <= 100:
        return TIER_MID
    return TIER_HIGH


def tier_label(tier: str) -> str:
    return {
        TIER_LOW: _("低于 50 次"),
        TIER_MID: _("50–100 次"),
        TIER_HIGH: _("超过 100 次"),
    }.get(tier, tier)


def unit_price(point: VerificationPoint, tier: str) -> Decimal:
    return {TIER_LOW: point.price_low, TIER_MID: point.price_mid, TIER_HIGH: point.price_high}[tier]


def _points_to_settle(start: datetime, end: datetime):
    """Points under contract during the month: operating or suspended ones that existed
    before it ended, and any point (a terminated one too) with checks in it."""
    with_checks = VerificationCheck.objects.filter(recorded_at__gte=start, recorded_at__lt=end)
    with_checks = with_checks.values("point_id")
    return (
        VerificationPoint.objects.annotate(since=Coalesce("activated_at", "created_at"))
        .filter(
            Q(status__in=[PointStatus.OPERATING, PointStatus.SUSPENDED], since__lt=end)
            | Q(pk__in=with_checks)
        )
        .order_by("pk")
    )


def _settle_provider(provider: Provider, month: date) -> int:
    start, end = month_bounds(month)
    points = list(_points_to_settle(start, end))
    if not points:
        return 0
    counts = dict(
        VerificationCheck.objects.filter(
            point__in=[p.pk for p in points], recorded_at__gte=start, recorded_at__lt=end
        )
        .values("point")
        .annotate(n=Count("pk"))
        .values_list("point", "n")
    )
    rows = []
    for point in points:
        n = counts.get(point.pk, 0)
        tier = tier_for(n)
        price = unit_price(point, tier)
        rows.append(
            MonthlyStatement(
                tenant_id=provider.pk,
                point=point,
                month=month,
                checks=n,
                tier=tier,
                unit_price=price,
                amount=(price * n).quantize(CENT),
                due_on=due_date(month),
            )
        )
    existing = MonthlyStatement.objects.filter(month=month)
    before = existing.count()
    MonthlyStatement.objects.bulk_create(rows, ignore_conflicts=True)
    created = existing.count() - before
    if created:
        _notify_admins(provider, month, created)
    return created


def _notify_admins(provider: Provider, month: date, created: int) -> None:
    admins = Membership.objects.filter(
        tenant=provider, role=Role.PROVIDER_ADMIN, user__is_active=True
    ).values_list("user_id", flat=True)
    for user_id in admins:
        outbox_enqueue(
            channel="inbox",
            recipient=str(user_id),
            subject=_("%(month)s 核验点结算单已生成") % {"month": f"{month:%Y-%m}"},
            body=_("已生成 %(n)s 份 %(month)s 的核验点月度结算单，付款截止日为 %(due)s。")
            % {"n": created, "month": f"{month:%Y-%m}", "due": f"{due_date(month):%Y-%m-%d}"},
            tenant_id=provider.pk,
            dedupe_key=f"settlement:{provider.pk}:{month:%Y-%m}:{user_id}",
        )


def settlement_run(*, month: date, today: date | None = None) -> int:
    """Settle ``month`` for every provider; returns how many statements were created.

    Platform level: enters each provider's scope in turn (one transaction per
    provider, so one provider's failure does not undo another's statements).
    A month that has not ended yet is refused: its count could still grow.
    """
    month = first_of_month(month)
    today = today or timezone.localdate(timezone=CHINA_TZ)
    if next_month(month) > today:
        raise ValueError(f"month {month:%Y-%m} has not ended on {today}")
    created = 0
    for provider in Provider.objects.order_by("pk"):
        with tenant_scope(provider), transaction.atomic():
            created += _settle_provider(provider, month)
    log.info("settlement %s: %d statements created", f"{month:%Y-%m}", created)
    return created


def settlement_catch_up(*, today: date | None = None) -> int:
    """Settle the month before ``today``'s: safe to run daily, so a missed 1st catches up."""
    today = today or timezone.localdate(timezone=CHINA_TZ)
    return settlement_run(month=previous_month(first_of_month(today)), today=today)


@transaction.atomic
def statement_mark_paid(*, statement: MonthlyStatement, by: User) -> MonthlyStatement:
    """Unpaid -> paid, once. Precondition: inside the statement's tenant scope."""
    now = timezone.now()
    updated = MonthlyStatement.objects.filter(pk=statement.pk, status=StatementStatus.UNPAID).update(
        status=StatementStatus.PAID, paid_at=now
    )
    if updated != 1:
        raise ValidationError(_("该结算单已标记为已支付。"))
    # No paid_by column on the model yet: the log keeps who did it.
    log.info("statement %s marked paid by user %s", statement.pk, by.pk)
    statement.status, statement.paid_at = StatementStatus.PAID, now
    return statement
