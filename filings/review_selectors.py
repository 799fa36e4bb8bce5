"""Reads for the provider's reviewers: the SLA queue, one order, the common return reasons (R-S2, R-S3).

The queue is keyset-paginated in SLA order on ``order_queue_idx`` (tenant,
status, review_due_at, id). A page never uses OFFSET or COUNT: its cost is the
same on page 1 and page 400 (three queries, each an index range read).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

from django.core.exceptions import EmptyResultSet
from django.db.models import Count, F, OuterRef, Prefetch, QuerySet, Subquery, Value
from django.db.models.expressions import RawSQL
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime

from filings.models import (
    FieldReturn,
    FilingOrder,
    MaterialFile,
    OrderEvent,
    OrderStatus,
    OrderType,
    OrderWebsite,
    PhoneCheck,
)
from icpfiling.accounts.models import Membership, Role
from icpfiling.core.workdays import add_working_days_at, working_days_between
from icpfiling.tenancy.access import get_or_404
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


def _branches(
    base: QuerySet,
    *,
    statuses: tuple[str, ...],
    after: tuple[datetime | None, int] | None,
    n: int,
    dated: bool,
) -> list[QuerySet]:
    """One index range read per (status, due set / due empty) in keyset order, LIMIT n each.

    Splitting by status lets every branch walk ``order_queue_idx`` in order
    (an ``IN`` over statuses could not); splitting by NULL due keeps the
    nulls-last order index-friendly on both PostgreSQL and SQLite.
    """
    out = []
    for status in statuses:
        qs = base.filter(status=status)
        if after is None or after[0] is not None:
            with_due = qs.filter(review_due_at__isnull=False)
            if after is not None:
                due, pk = after
                # A row comparison (due, id) > (d, i) is one index range start on PostgreSQL, even
                # when thousands of orders share one due time (Django's composite-key lookup).
                with_due = with_due.filter(TupleGreaterThan(Tuple(F("review_due_at"), F("id")), (due, pk)))
            out.append(with_due.order_by("review_due_at", "pk").values_list("review_due_at", "pk")[:n])
        if not dated:
            without = qs.filter(review_due_at__isnull=True)
            if after is not None and after[0] is None:
                without = without.filter(pk__gt=after[1])
            # Ordered by (due, id) although due is NULL throughout: that is the index's own order,
            # so PostgreSQL reads it in order instead of sorting every row of the state.
            out.append(without.order_by("review_due_at", "pk").values_list("review_due_at", "pk")[:n])
    return out


@cache
def _labels(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """The order types' and states' labels in one language (called with that language active)."""
    return {v: str(label) for v, label in OrderType.choices}, {v: str(label) for v, label in S.choices}


def _keys_sql(branches: list[QuerySet], n: int) -> tuple[str, list] | None:
    """The first ``n`` keys of all branches merged in keyset order, as one sub-select of ids.

    Each branch is a LIMITed index range read; the merge of their few rows happens in the
    database, so the page's rows come back in the same statement (see ``review_queue_page``).
    None when no branch can match anything.
    """
    parts, params = [], []
    for i, qs in enumerate(branches):
        try:
            sql, p = qs.query.get_compiler(using=qs.db).as_sql()
        except EmptyResultSet:  # a filter that can match nothing (e.g. "mine" without a user)
            continue
        parts.append(f"SELECT * FROM ({sql}) AS b{i}")  # noqa: S608 - ORM-compiled SQL, params bound
        params.extend(p)
    if not parts:
        return None
    union = " UNION ALL ".join(parts)
    # The same order as the branches' (due, id) with the orders without a due time last.
    # ORM-compiled branches and an int limit; every value is a bound parameter.
    sql = f"WITH k(due, pk) AS ({union}) SELECT pk FROM k ORDER BY due IS NULL, due, pk LIMIT {int(n)}"  # noqa: S608
    return sql, params


def _first_domain_and_count() -> tuple[Subquery, Subquery]:
    """Per order: its first website's domain as shown and how many websites it has (two index reads)."""
    sites = OrderWebsite.objects.filter(order_id=OuterRef("pk"))
    shown = Coalesce(NullIf("domain_display", Value("")), "domain")
    first = sites.order_by("position").annotate(shown=shown).values("shown")[:1]
    count = sites.order_by().values("order_id").annotate(n=Count("pk")).values("n")
    return Subquery(first), Subquery(count)


def review_queue_page(
    *,
    tenant_id: int,
    statuses: tuple[str, ...] = WORK_STATUSES,
    order_type: str | None = None,
    province: str | None = None,
    due: str | None = None,
    assigned: str | None = None,
    user_id: int | None = None,
    after: str | None = None,
    limit: int = 25,
    now: datetime | None = None,
) -> QueuePage:
    """One page of the provider's queue in SLA order (review_due_at, id), then orders without an SLA.

    Needs the tenant's scope. ``due``: "soon" (due within 1 working day, not
    yet overdue) or "overdue"; ``assigned``: "me" (needs ``user_id``) or
    "unassigned"; ``after``: the previous page's ``next_cursor`` (raises
    InvalidCursor when it is not one). One query whatever the page: the
    branches' keys, merged and cut in SQL, and the shown columns of those
    orders (no model instances, no OFFSET, no COUNT).
    """
    now = now or timezone.now()
    limit = max(1, min(int(limit), MAX_LIMIT))
    statuses = tuple(s for s in dict.fromkeys(statuses) if s in QUEUE_STATUSES) or WORK_STATUSES
    cursor = decode_cursor(after) if after else None
    base = FilingOrder.objects.filter(tenant_id=tenant_id)
    if order_type:
        base = base.filter(order_type=order_type)
    if province:
        base = base.filter(province_id=province)
    if assigned == "me":
        base = base.filter(assigned_to_id=user_id) if user_id else base.none()
    elif assigned == "unassigned":
        base = base.filter(assigned_to__isnull=True)
    if due == "overdue":
        base = base.filter(review_due_at__lt=now)
    elif due == "soon":
        base = base.filter(review_due_at__gte=now, review_due_at__lte=add_working_days_at(now, 1))
    keys = _keys_sql(
        _branches(base, statuses=statuses, after=cursor, n=limit + 1, dated=due in DUE_FILTERS), limit + 1
    )
    if keys is None:
        return QueuePage()
    first_domain, website_count = _first_domain_and_count()
    found = list(
        FilingOrder.objects.filter(tenant_id=tenant_id, pk__in=RawSQL(*keys))  # noqa: S611 - _keys_sql, params bound
        .order_by(F("review_due_at").asc(nulls_last=True), "pk")
        .values_list(
            "pk",
            "order_type",
            "status",
            "province__full_name",
            "entity_name",
            "certificate_number",
            "assigned_to_id",
            "assigned_to__full_name",
            "assigned_to__email",
            "review_due_at",
            first_domain,
            website_count,
        )
    )
    more = len(found) > limit
    found = found[:limit]
    types, states = _labels(translation.get_language())
    today = timezone.localtime(now).date()
    days_left: dict[date, int] = {}  # a page's orders share a handful of due dates
    rows = []
    for pk, kind, status, province_name, name, cert, who, who_name, who_email, due_at, domain, n in found:
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
                status_label=states.get(status, status),
                province_name=province_name or "",
                entity_name=name or cert,
                assignee=(who_name or who_email) if who else "",
                first_domain=domain or "",
                website_count=n or 0,
                due_at=due_at,
                working_days_left=left,
                overdue=due_at is not None and due_at < now,
            )
        )
    next_cursor = encode_cursor(found[-1][9], found[-1][0]) if more else None
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
        )
    )
    return get_or_404(qs, actor=actor, pk=order_id)


def returns_of_round(*, order: FilingOrder, round: int) -> list[FieldReturn]:
    """The reasons given in one round (from the prefetch when there is one)."""
    return [r for r in order.field_returns.all() if r.round == round]


def current_returns(*, order: FilingOrder) -> list[FieldReturn]:
    """What the applicant must fix now: the reasons of the round that sent the order back."""
    if order.status != S.RETURNED:
        return []
    return list(
        FieldReturn.objects.filter(order=order, tenant_id=order.tenant_id, round=order.review_round).order_by(
            "pk"
        )
    )


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
    from icpfiling.registry.reference import province_rules_data

    out = []
    for item in province_rules_data().get("return_reasons", []):
        stages = (item["stage"], *item.get("also_at", ()))
        if stage in stages:
            out.append(ReturnReason(code=item["code"], field=item.get("field", ""), stages=stages))
    return tuple(out)
