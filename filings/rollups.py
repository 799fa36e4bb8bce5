"""The dashboard's counters (R-M3), written by the transitions that change what they count.

The dashboard never aggregates the orders table: every figure it shows is a sum
over ``DashboardRollup`` cells, which ``workflow.order_transition`` (one order),
``orders.services`` (a new draft) and ``returns.field_returns_record`` (return
reasons) update in the same transaction as the change itself, so a rolled-back
change leaves no count behind. ``workflow.order_transition_many`` (the sweeps,
set-based) queues its moves in ``RollupPending`` in its transaction, and the
deadline sweep task folds the queue in at the end of each run
(``rollup_pending_fold``), so the counts trail a sweep by at most one run.
``dashboard.services.dashboard_rollups_rebuild`` recomputes every cell from the
orders and their events (the backfill).

Metrics, and which week a count belongs to:

- ``state``  key = status; the week the order was *created*. Moves from one
  status to another (−1/+1 in the same created week), so the sum over a period
  is "orders created in the period, by their current state".
- ``moved``  key = action; the week of the transition (approvals per week are
  ``moved:authority_approve``).
- ``stage``  key = ``<status>:<working days>``; the week the order *left* that
  status, and how many Chinese working days it spent there (capped at
  ``MAX_DAYS``, the last bucket meaning "that many or more"): a histogram from
  which the median and 90th percentile are read.
- ``breach`` key = status; the week an order left a provider or authority step
  after its SLA due time (R-S2, R-S6).
- ``return`` key = the returned field with website positions removed
  (``websites.domain``); the week of the return.

Every cell is written four times: for its province and order type, for all
provinces, for all types, and for both, so that any filter reads one set of rows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from functools import lru_cache

from django.db import connection, transaction
from django.utils import timezone

from filings.models import DashboardRollup, PlatformDashboardRollup, RollupPending
from icpfiling.core.bulk import insert_rows
from icpfiling.core.workdays import working_days_between

MAX_DAYS = 60
# The steps with an SLA (R-S2: provider review and recheck; R-S6: the authority).
SLA_STAGES = ("provider_review", "provider_recheck", "authority_review")

Cell = tuple[int, date, str, str, str, str]  # tenant, week, province, order type, metric, key


def week_of(moment: datetime | date) -> date:
    """The Monday (Asia/Shanghai) of the week ``moment`` falls in."""
    day = timezone.localdate(moment) if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


@lru_cache(maxsize=4096)
def _working_days(start: date, end: date) -> int:
    return working_days_between(start, end)


def stage_days(entered: datetime, left: datetime) -> int:
    """Whole Chinese working days between entering and leaving a status, 0 the same day."""
    days = _working_days(timezone.localdate(entered), timezone.localdate(left))
    return max(0, min(days, MAX_DAYS))


def return_key(field: str) -> str:
    """``websites[2].domain`` -> ``websites.domain``: reasons count per field, not per position."""
    head, sep, tail = field.partition("[")
    if sep and "]" in tail:
        return (head + tail.split("]", 1)[1])[:80]
    return field[:80]


def rollup_add(deltas: Iterable[tuple[Cell, int]]) -> None:
    """Add each delta to its cell and to the cell's three "all provinces / all types" parents.

    Two statements, the provider's cells and then the platform's totals
    (``PlatformDashboardRollup``); rows go in a fixed order so two transactions
    touching the same cells lock them in the same order (no deadlock).
    """
    total: Counter = Counter()
    for (tenant_id, week, province, order_type, metric, key), delta in deltas:
        for p in {province, ""}:
            for t in {order_type, ""}:
                total[(tenant_id, week, p, t, metric, key)] += delta
    rows = sorted((cell, n) for cell, n in total.items() if n)
    if not rows:
        return
    platform: Counter = Counter()
    for (_tenant_id, *cell), n in rows:
        platform[tuple(cell)] += n
    _upsert(DashboardRollup._meta.db_table, ("tenant_id", *CELL_COLUMNS), rows, ("tenant_id", *CONFLICT))
    _upsert(
        PlatformDashboardRollup._meta.db_table,
        CELL_COLUMNS,
        sorted((cell, n) for cell, n in platform.items() if n),
        CONFLICT,
    )


CELL_COLUMNS = ("week", "province", "order_type", "metric", "key")
CONFLICT = ("province", "order_type", "week", "metric", "key")  # the unique constraints' column order


def _upsert(table: str, columns: tuple, rows: list, conflict: tuple) -> None:
    """``count = count + delta`` for each row, inserting the cells that do not exist yet."""
    if not rows:
        return
    q = connection.ops.quote_name
    width = len(columns) + 1
    marks = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(rows))
    params: list = []
    for cell, n in rows:
        params += [*cell, n]
    # Raw SQL for an atomic increment (Django's upsert can only overwrite). Names come
    # from code; every value is a parameter; tenant rows carry their own tenant id.
    sql = (
        f"INSERT INTO {q(table)} ({', '.join(q(c) for c in (*columns, 'count'))}) "  # noqa: S608
        f"VALUES {marks} ON CONFLICT ({', '.join(q(c) for c in conflict)}) "
        f"DO UPDATE SET {q('count')} = {q(table)}.{q('count')} + EXCLUDED.{q('count')}"
    )
    with connection.cursor() as cur:
        cur.execute(sql, params)


def _cell(order, week: date, metric: str, key: str) -> Cell:
    return (order.tenant_id, week, order.province_id or "", order.order_type or "", metric, key)


def rollup_order_created(*, order) -> None:
    """A new order counts in its created week's state ``draft`` (or whatever it was created in)."""
    rollup_add([(_cell(order, week_of(order.created_at), "state", order.status), 1)])


def rollup_order_moved(
    *,
    order,
    action: str,
    from_status: str,
    to_status: str,
    entered_at: datetime,
    now: datetime,
    breached: bool,
) -> None:
    """One order moved ``from_status`` -> ``to_status`` at ``now`` (it had entered it at ``entered_at``)."""
    created = week_of(order.created_at)
    week = week_of(now)
    deltas = [
        (_cell(order, created, "state", from_status), -1),
        (_cell(order, created, "state", str(to_status)), 1),
        (_cell(order, week, "moved", action), 1),
        (_cell(order, week, "stage", f"{from_status}:{stage_days(entered_at, now)}"), 1),
    ]
    if breached and from_status in SLA_STAGES:
        deltas.append((_cell(order, week, "breach", from_status), 1))
    rollup_add(deltas)


def rollup_pending_add(*, rows: list[tuple]) -> None:
    """Queue the orders a sweep moved, to be counted by ``rollup_pending_fold`` (one INSERT).

    ``rows`` are (tenant id, order id, province, order type, created at, entered
    at, from status, to status, action, at).
    """
    insert_rows(
        RollupPending._meta.db_table,
        (
            "tenant_id",
            "order_id",
            "province",
            "order_type",
            "created_at",
            "entered_at",
            "from_status",
            "to_status",
            "action",
            "at",
        ),
        rows,
    )


def rollup_pending_fold(*, batch: int = 10000) -> int:
    """Count the queued sweep moves into the rollups and delete them; returns how many.

    Runs under ``tenant_scopes_disabled()`` (the deadline sweep's). Each batch is
    locked (``skip_locked``: two folds never count a row twice), folded into as
    few cells as the moves allow, and deleted in the same transaction.
    """
    total = 0
    while True:
        with transaction.atomic():
            qs = RollupPending.objects.order_by("pk")
            if connection.features.has_select_for_update_skip_locked:
                qs = qs.select_for_update(skip_locked=True)
            rows = list(
                qs.values_list(
                    "pk",
                    "tenant_id",
                    "province",
                    "order_type",
                    "created_at",
                    "entered_at",
                    "from_status",
                    "to_status",
                    "action",
                    "at",
                )[:batch]
            )
            if not rows:
                return total
            moves: Counter = Counter(
                (
                    tenant,
                    province,
                    otype,
                    week_of(created),
                    timezone.localdate(entered),
                    src,
                    dst,
                    action,
                    timezone.localdate(at),
                )
                for _pk, tenant, province, otype, created, entered, src, dst, action, at in rows
            )
            deltas = []
            for (tenant, province, otype, created_week, entered, src, dst, action, day), n in moves.items():
                week = week_of(day)
                days = max(0, min(_working_days(entered, day), MAX_DAYS))
                place = (province or "", otype or "")
                deltas += [
                    ((tenant, created_week, *place, "state", src), -n),
                    ((tenant, created_week, *place, "state", dst), n),
                    ((tenant, week, *place, "moved", action), n),
                    ((tenant, week, *place, "stage", f"{src}:{days}"), n),
                ]
            rollup_add(deltas)
            RollupPending.objects.filter(pk__in=[row[0] for row in rows]).delete()
        total += len(rows)
        if len(rows) < batch:
            return total


def rollup_returns(*, order, fields: Iterable[str], now: datetime) -> None:
    """One return's reasons, counted per field in the week of the return."""
    week = week_of(now)
    rollup_add((_cell(order, week, "return", return_key(f)), 1) for f in fields)
