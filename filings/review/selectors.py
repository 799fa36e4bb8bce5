"""Reads for the provider's reviewers: the SLA queue, one order, the common return reasons (R-S2, R-S3).

The queue is keyset-paginated in SLA order on ``order_queue_idx`` (tenant,
status, review_due_at, id). A page never uses OFFSET or COUNT: its cost is the
same on page 1 and page 400 (one query of index range reads and key lookups).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cache

from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from filings.access import apps_prefetch
from filings.models import (
    FieldReturn,
    FilingOrder,
    MaterialFile,
    OrderEvent,
    OrderStatus,
    OrderType,
    OrderWebsite,
    PhoneCheck,
    ReturnedBy,
)
from icpfiling.accounts.models import Membership, Role
from icpfiling.core.workdays import add_working_days_at, working_days_between
from icpfiling.privacy import keys
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.context import TenantScopeError, current_scope
from icpfiling.tenancy.models import Provider

S = OrderStatus
# The provider's own work states: first review and the recheck after verification.
WORK_STATUSES: tuple[str, ...] = (S.PROVIDER_REVIEW, S.PROVIDER_RECHECK)
# What a reviewer may list besides the work states (to follow orders further along).
QUEUE_STATUSES: tuple[str, ...] = (
    S.PROVIDER_REVIEW,
    S.PROVIDER_RECHECK,
    S.VERIFICATION,
    S.RETURNED,
    S.SMS_VERIFICATION,
    S.AUTHORITY_REVIEW,
    S.APPROVED,
)
DUE_FILTERS = ("soon", "overdue")
ASSIGNED_FILTERS = ("me", "unassigned")
MAX_LIMIT = 100


class InvalidCursor(ValueError):
    """The ``after`` cursor was not one this selector produced."""


@dataclass(slots=True)
class QueueRow:
    """One order of the queue, flat: exactly what the queue page shows, nothing to look up later."""

    pk: int
    order_type: str
    type_label: str
    status: str
    status_label: str
    province_name: str
    entity_name: str  # the certificate number while the name is still empty
    assignee: str  # the claiming reviewer's name (or e-mail); "" while unclaimed
    first_domain: str
    website_count: int
    due_at: datetime | None
    working_days_left: int | None
    overdue: bool


@dataclass
class QueuePage:
    rows: list[QueueRow] = field(default_factory=list)
    next_cursor: str | None = None


def encode_cursor(due: datetime | None, pk: int) -> str:
    raw = json.dumps([due.isoformat() if due else None, pk], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime | None, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        due_text, pk = json.loads(raw)
        due = parse_datetime(due_text) if due_text is not None else None
        if (due_text is not None and due is None) or not isinstance(pk, int) or isinstance(pk, bool):
            raise InvalidCursor(cursor)
        if due is not None and timezone.is_naive(due):
            raise InvalidCursor(cursor)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError) as exc:
        raise InvalidCursor(cursor) from exc
    return due, pk


def _sla(due: datetime | None, now: datetime) -> tuple[int | None, bool]:
    """(working days left, overdue) for a due time; None when the state has no provider SLA."""
    if due is None:
        return None, False
    left = working_days_between(timezone.localtime(now).date(), timezone.localtime(due).date())
    return left, due < now


@cache
def _labels(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The order types' and states' labels in one language (called with that language active)."""
    return {v: str(label) for v, label in OrderType.choices}, {v: str(label) for v, label in S.choices}


def _branches(
    *,
    tenant_id: int,
    statuses: tuple[str, ...],
    filters: list[tuple[str, list]],
    after: tuple[datetime | None, int] | None,
    n: int,
    dated: bool,
) -> list[tuple[str, list]]:
    """(SQL, params) of one index range read per (status, due set / due empty), keyset order, LIMIT n.

    Hand-written (see ``review_queue_page``), the tenant the first condition of every branch
    as the tenant managers would add it. Splitting by status lets every branch walk
    ``order_queue_idx`` (tenant, status, review_due_at, id) in order (an ``IN`` over statuses
    could not); splitting by NULL due keeps the nulls-last order index-friendly on both
    PostgreSQL and SQLite. ``filters``: further (condition, params) on the order row, ANDed.
    """
    adapt = connection.ops.adapt_datetimefield_value
    common = " AND ".join(["tenant_id = %s", *(cond for cond, _p in filters)])
    common_params = [tenant_id, *(v for _c, p in filters for v in p)]
    out = []
    for status in statuses:
        if after is None or after[0] is not None:
            where = f"{common} AND status = %s AND review_due_at IS NOT NULL"
            params = [*common_params, status]
            if after is not None:
                # A row comparison (due, id) > (d, i) is one index range start, even when
                # thousands of orders share one due time.
                where += " AND (review_due_at, id) > (%s, %s)"
                params += [adapt(after[0]), after[1]]
            out.append((where, params))
        if not dated:
            where = f"{common} AND status = %s AND review_due_at IS NULL"
            params = [*common_params, status]
            if after is not None and after[0] is None:
                where += " AND id > %s"
                params.append(after[1])
            out.append((where, params))
    # Ordered by (due, id) even where due is NULL throughout: that is the index's own order, so
    # PostgreSQL reads it in order instead of sorting every row of the state.
    # The table's name from the model, conditions written above, an int limit; values are parameters.
    order_limit = f"ORDER BY review_due_at, id LIMIT {int(n)}"
    return [(f"SELECT review_due_at, id FROM {_ORDERS} WHERE {where} {order_limit}", p) for where, p in out]  # noqa: S608


_ORDERS = FilingOrder._meta.db_table
_SITES = OrderWebsite._meta.db_table
_PROVINCES = FilingOrder._meta.get_field("province").related_model._meta.db_table
_USERS = FilingOrder._meta.get_field("assigned_to").related_model._meta.db_table

# The page in one statement: the branches' keys merged and cut in the database, then the
# shown columns of those orders, the province's and the claiming reviewer's names and the
# first website (domain as shown, and how many there are): primary-key and index lookups only.
_PAGE_SQL = f"""WITH k(due, pk) AS ({{branches}}),
page AS (SELECT pk FROM k ORDER BY due IS NULL, due, pk LIMIT {{n}})
SELECT o.id, o.order_type, o.status, p.full_name, o.entity_name, o.certificate_number,
       o.assigned_to_id, u.full_name, u.email, o.review_due_at,
       (SELECT COALESCE(NULLIF(w.domain_display, ''), w.domain) FROM {_SITES} w
         WHERE w.order_id = o.id AND w.tenant_id = o.tenant_id ORDER BY w.position LIMIT 1),
       (SELECT COUNT(*) FROM {_SITES} w WHERE w.order_id = o.id AND w.tenant_id = o.tenant_id),
       o.returned_by
FROM page
JOIN {_ORDERS} o ON o.id = page.pk
LEFT JOIN {_PROVINCES} p ON p.code = o.province_id
LEFT JOIN {_USERS} u ON u.id = o.assigned_to_id
WHERE o.tenant_id = %s
ORDER BY o.review_due_at IS NULL, o.review_due_at, o.id
"""  # noqa: S608 - table names from the models; every value is a bound parameter


def _due_value(value) -> datetime | None:
    """The due time as the raw cursor returned it (SQLite: naive UTC text)."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is not None and timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def _require_scope(tenant_id: int) -> None:
    """Hand-written SQL skips the fail-closed manager: demand the same scope it would."""
    scope = current_scope()
    if scope is None or not (scope.disabled or scope.tenant_id == tenant_id):
        raise TenantScopeError(f"the review queue of tenant {tenant_id} read outside its tenant scope")


def review_queue_page(
    *,
    tenant_id: int,
    statuses: tuple[str, ...] = WORK_STATUSES,
    order_type: str | None = None,
    province: str | None = None,
    due: str | None = None,
    assigned: str | None = None,
    user_id: int | None = None,
    returned_by: str | None = None,
    after: str | None = None,
    limit: int = 25,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the provider's queue in SLA order (review_due_at, id), then orders without an SLA.

    Needs the tenant's scope. ``due``: "soon" (due within 1 working day, not
    yet overdue) or "overdue"; ``assigned``: "me" (needs ``user_id``) or
    "unassigned"; ``after``: the previous page's ``next_cursor`` (raises
    InvalidCursor when it is not one). One query whatever the page, no
    OFFSET, no COUNT, no model instances: this is the busiest page of the
    provider's staff, and building ORM querysets costs more than running them.
    """
    _require_scope(tenant_id)
    now = now or timezone.now()
    limit = max(1, min(int(limit), MAX_LIMIT))
    statuses = tuple(s for s in dict.fromkeys(statuses) if s in QUEUE_STATUSES) or WORK_STATUSES
    cursor = decode_cursor(after) if after else None
    adapt = connection.ops.adapt_datetimefield_value
    filters: list[tuple[str, list]] = []
    if order_type:
        filters.append(("order_type = %s", [order_type]))
    if province:
        filters.append(("province_id = %s", [province]))
    if returned_by:
        filters.append(("returned_by = %s", [returned_by]))
    if assigned == "me":
        if not user_id:
            return QueuePage()
        filters.append(("assigned_to_id = %s", [user_id]))
    elif assigned == "unassigned":
        filters.append(("assigned_to_id IS NULL", []))
    if due == "overdue":
        filters.append(("review_due_at < %s", [adapt(now)]))
    elif due == "soon":
        filters.append(
            ("review_due_at >= %s AND review_due_at <= %s", [adapt(now), adapt(add_working_days_at(now, 1))])
        )
    branches = _branches(
        tenant_id=tenant_id,
        statuses=statuses,
        filters=filters,
        after=cursor,
        n=limit + 1,
        dated=due in DUE_FILTERS,
    )
    union = " UNION ALL ".join(f"SELECT * FROM ({sql}) AS b{i}" for i, (sql, _p) in enumerate(branches))  # noqa: S608
    params = [v for _sql, p in branches for v in p]
    with connection.cursor() as cur:
        cur.execute(_PAGE_SQL.format(branches=union, n=limit + 1), [*params, tenant_id])
        found = cur.fetchall()
    more = len(found) > limit
    found = found[:limit]
    types, states = _labels(translation.get_language())
    today = timezone.localtime(now).date()
    days_left: dict[date, int] = {}  # a page's orders share a handful of due dates
    rows = []
    returners = {v: str(label) for v, label in ReturnedBy.choices}
    for (
        pk,
        kind,
        status,
        province_name,
        name,
        cert,
        who,
        who_name,
        who_email,
        due_raw,
        domain,
        n,
        rb,
    ) in found:
        due_at = _due_value(due_raw)
        left = None
        if due_at is not None:
            end = timezone.localtime(due_at).date()
            left = days_left.get(end)
            if left is None:
                left = days_left[end] = working_days_between(today, end)
        rows.append(
            QueueRow(
                pk=pk,
                order_type=kind,
                type_label=types.get(kind, kind),
                status=status,
                # a returned order says who returned it (seed 001)
                status_label=f"{states.get(status, status)} · {returners[rb]}"
                if rb
                else states.get(status, status),
                province_name=province_name or "",
                # The certificate number is encrypted at rest (R-X1); opened only when shown.
                entity_name=name or keys.reveal(cert),
                assignee=(who_name or who_email) if who else "",
                first_domain=domain or "",
                website_count=n or 0,
                due_at=due_at,
                working_days_left=left,
                overdue=due_at is not None and due_at < now,
            )
        )
    next_cursor = encode_cursor(rows[-1].due_at, rows[-1].pk) if more else None
    return QueuePage(rows=rows, next_cursor=next_cursor)


# --- one order ---------------------------------------------------------------------------


def access_order_for_review(*, actor, tenant: Provider, order_id: int) -> FilingOrder:
    """A submitted order of this provider, with everything the review page shows, or 404.

    Drafts never submitted are the applicant's private work and do not exist
    for reviewers; foreign and missing orders answer alike (R-T2).
    """
    qs = (
        FilingOrder.objects.filter(tenant=tenant, submitted_at__isnull=False)
        .select_related(
            "province", "nature", "certificate_type", "registry_entity", "applicant", "assigned_to"
        )
        .prefetch_related(
            Prefetch("websites", queryset=OrderWebsite.objects.select_related("server").order_by("position")),
            Prefetch("events", queryset=OrderEvent.objects.select_related("actor").order_by("at", "pk")),
            Prefetch("materials", queryset=MaterialFile.objects.order_by("kind", "created_at", "pk")),
            Prefetch("phone_checks", queryset=PhoneCheck.objects.select_related("reviewer")),
            Prefetch("field_returns", queryset=FieldReturn.objects.select_related("created_by")),
            apps_prefetch(),
        )
    )
    return get_or_404(qs, actor=actor, pk=order_id)


def returns_of_round(*, order: FilingOrder, round: int) -> list[FieldReturn]:
    """The reasons given in one round (from the prefetch when there is one)."""
    return [r for r in order.field_returns.all() if r.round == round]


def reviewers_of_tenant(*, tenant: Provider) -> QuerySet[Membership]:
    """The provider's reviewers (to assign an order to)."""
    return (
        Membership.objects.filter(tenant=tenant, role=Role.REVIEWER, user__is_active=True)
        .select_related("user")
        .order_by("user__full_name", "user__email")
    )


SUMMARY_CAP = 100  # counts stop here ("99+"): the home page never counts the whole table


def reviewer_summary(*, tenant_id: int, user_id: int, now: datetime | None = None) -> dict[str, int]:
    """Cheap counts for the reviewer's home: mine in work, due soon, overdue (each capped)."""
    now = now or timezone.now()
    work = FilingOrder.objects.filter(tenant_id=tenant_id, status__in=WORK_STATUSES)

    def capped(qs: QuerySet) -> int:
        return qs.values("pk")[:SUMMARY_CAP].count()

    return {
        "mine": capped(work.filter(assigned_to_id=user_id)),
        "soon": capped(work.filter(review_due_at__gte=now, review_due_at__lte=add_working_days_at(now, 1))),
        "overdue": capped(work.filter(review_due_at__lt=now)),
        "cap": SUMMARY_CAP,
    }


# --- common return reasons (seed data) -----------------------------------------------------


@dataclass(frozen=True)
class ReturnReason:
    code: str
    field: str  # the seed's field path, e.g. "website.name"
    stages: tuple[str, ...]


@cache
def return_reasons(stage: str = "provider") -> tuple[ReturnReason, ...]:
    """The common return reasons a stage may give, from the province-rules seed (R-S3)."""
    from icpfiling.registry.seed_files import province_rules_data

    out = []
    for item in province_rules_data().get("return_reasons", []):
        stages = (item["stage"], *item.get("also_at", ()))
        if stage in stages:
            out.append(ReturnReason(code=item["code"], field=item.get("field", ""), stages=stages))
    return tuple(out)
