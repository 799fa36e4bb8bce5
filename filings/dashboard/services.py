"""The dashboard's one write: rebuilding every rollup cell from the orders and their events (backfill).

The transitions keep the cells current (``filings.rollups``); this recomputes
them from scratch, for a database that had orders before the rollups existed
or to repair one. It runs under ``tenant_scopes_disabled()`` from the
management command ``dashboard_rollups_rebuild``, one transaction, so the
dashboard never sees a half-built table.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from datetime import date

from django.db import transaction
from django.db.models import Count, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from filings.models import (
    DashboardRollup,
    FieldReturn,
    FilingOrder,
    OrderEvent,
    PlatformDashboardRollup,
    RollupPending,
)
from filings.rollups import SLA_STAGES, return_key, rollup_add, stage_days, week_of
from filings.states import TRANSITIONS, OrderStatus
from filings.workflow import PROVIDER_RECHECK_DAYS, PROVIDER_REVIEW_DAYS
from icpfiling.core.bulk import insert_rows
from icpfiling.core.workdays import add_working_days_at
from icpfiling.registry.province_rules import province_rules_for

SLA_DAYS = {
    OrderStatus.PROVIDER_REVIEW: PROVIDER_REVIEW_DAYS,
    OrderStatus.PROVIDER_RECHECK: PROVIDER_RECHECK_DAYS,
}


@functools.cache
def _authority_days(province: str, day: date) -> int:
    """The authority's working days in force in ``province`` on ``day`` (R-S6), as the workflow reads them."""
    return province_rules_for(province_code=province, scope="unit", on=day).authority_review_working_days


def _sla_days(stage: str, province: str, entered) -> int:
    if stage == OrderStatus.AUTHORITY_REVIEW:
        return _authority_days(province, timezone.localdate(entered))
    return SLA_DAYS[stage]


COLUMNS = ("tenant_id", "week", "province", "order_type", "metric", "key", "count")
LEVELS = ((True, True), (True, False), (False, True), (False, False))  # province kept?, type kept?


def _state_cells() -> int:
    """``state`` cells: the orders grouped per created week, at each of the four filter levels.

    Aggregated by the database one level at a time (each level's groups are
    distinct cells, so they are inserted as they come, never held all at once).
    """
    written = 0
    for keep_province, keep_type in LEVELS:
        group = (
            ["tenant_id", "status"]
            + (["province_id"] if keep_province else [])
            + (["order_type"] if keep_type else [])
        )
        per_week: Counter = Counter()
        rows = (
            FilingOrder.objects.values(*group, day=TruncDate("created_at"))
            .annotate(n=Count("id"))
            .order_by()
            .values_list(*group, "day", "n")
        )
        for row in rows.iterator(chunk_size=10000):
            values = dict(zip([*group, "day", "n"], row, strict=True))
            cell = (
                values["tenant_id"],
                week_of(values["day"]),
                values.get("province_id", ""),
                values.get("order_type", ""),
                "state",
                values["status"],
            )
            per_week[cell] += values["n"]
        insert_rows(DashboardRollup._meta.db_table, COLUMNS, [(*cell, n) for cell, n in per_week.items()])
        written += len(per_week)
    return written


def _event_deltas() -> Counter:
    """``moved``, ``stage`` and ``breach`` from each order's event history, as the transitions count them."""
    deltas: Counter = Counter()
    events = (
        OrderEvent.objects.filter(kind__in=list(TRANSITIONS))
        .order_by("order_id", "at", "pk")
        .values_list(
            "order_id",
            "at",
            "kind",
            "from_status",
            "tenant_id",
            "order__province_id",
            "order__order_type",
            "order__created_at",
        )
    )
    last_order, entered = None, None
    for order_id, at, kind, from_status, tenant, province, otype, created in events.iterator(
        chunk_size=10000
    ):
        if order_id != last_order:
            last_order, entered = order_id, created
        week = week_of(at)
        base = (tenant, week, province or "", otype or "")
        deltas[(*base, "moved", kind)] += 1
        deltas[(*base, "stage", f"{from_status}:{stage_days(entered, at)}")] += 1
        if from_status in SLA_STAGES and at > add_working_days_at(
            entered, _sla_days(from_status, province, entered)
        ):
            deltas[(*base, "breach", from_status)] += 1
        entered = at
    return deltas


def _return_deltas() -> Counter:
    deltas: Counter = Counter()
    rows = (
        FieldReturn.objects.values("tenant_id", "order__province_id", "order__order_type", "field")
        .annotate(day=TruncDate("created_at"), n=Count("id"))
        .order_by()
        .values_list("tenant_id", "order__province_id", "order__order_type", "field", "day", "n")
    )
    for tenant, province, otype, fld, day, n in rows.iterator():
        deltas[(tenant, week_of(day), province or "", otype or "", "return", return_key(fld))] += n
    return deltas


@transaction.atomic
def dashboard_rollups_rebuild() -> dict[str, int]:
    """Replace every rollup cell with counts recomputed from the orders (R-M3). Needs a disabled scope."""
    deleted, _detail = DashboardRollup.objects.all().delete()
    # Queued sweep moves are in the events the rebuild counts: folding them later would count twice.
    RollupPending.objects.all().delete()
    states = _state_cells()
    history = _event_deltas()
    returns = _return_deltas()
    per_metric: dict[str, int] = defaultdict(int)
    for cell, n in (history + returns).items():
        per_metric[cell[4]] += n
    # ``rollup_add`` writes each cell at the four filter levels; in pages, to bound the statement size.
    items = list((history + returns).items())
    for k in range(0, len(items), 500):
        rollup_add(items[k : k + 500])
    # The operator's totals over every provider, summed from the cells just written.
    PlatformDashboardRollup.objects.all().delete()
    platform = (
        DashboardRollup.objects.values_list("week", "province", "order_type", "metric", "key")
        .annotate(n=Sum("count"))
        .order_by()
    )
    insert_rows(
        PlatformDashboardRollup._meta.db_table,
        ("week", "province", "order_type", "metric", "key", "count"),
        [row for row in platform.iterator(chunk_size=10000) if row[-1]],
    )
    return {"deleted": deleted, "state_cells": states, **per_metric}
