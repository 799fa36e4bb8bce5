"""What the dashboard reads (R-M3): sums over the rollup cells, and the orders for the CSV export.

Never an aggregate over the orders table: one query over ``DashboardRollup``
(indexed by tenant, province, type and week) whatever the period or filters,
then a little arithmetic in Python over at most a few thousand summed rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, DateField, F, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.models import DashboardRollup, FilingOrder, MaterialKind, OrderWebsite, PlatformDashboardRollup
from filings.rollups import MAX_DAYS, SLA_STAGES, week_of
from filings.states import OrderStatus
from icpfiling.core.text import labelled
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled

PERIOD_WEEKS = (4, 13, 26, 52)
DEFAULT_WEEKS = 13
# The steps whose time the dashboard shows, in lifecycle order; ``returned`` is the applicant's fixing.
STAGES = (
    OrderStatus.PROVIDER_REVIEW,
    OrderStatus.VERIFICATION,
    OrderStatus.PROVIDER_RECHECK,
    OrderStatus.SMS_VERIFICATION,
    OrderStatus.AUTHORITY_REVIEW,
    OrderStatus.RETURNED,
)
TOP_RETURNS = 10
APPROVE = "authority_approve"


@dataclass(frozen=True)
class DashboardFilter:
    """Validated filters (``forms.DashboardFilterForm``); ``tenant_id`` None means every provider."""

    weeks: int = DEFAULT_WEEKS
    province: str = ""
    order_type: str = ""
    tenant_id: int | None = None

    def period(self, today: date) -> tuple[date, date]:
        """First and last Monday of the period: the current week and the ``weeks - 1`` before it."""
        last = week_of(today)
        return last - timedelta(weeks=self.weeks - 1), last


@dataclass
class StageTime:
    status: str
    label: str
    count: int
    median: int | None
    p90: int | None
    capped: bool = False  # the p90 is at the histogram's last bucket ("60 or more")


@dataclass
class Figures:
    start: date
    end: date
    states: list[tuple[str, int]] = field(default_factory=list)
    stages: list[StageTime] = field(default_factory=list)
    breaches: list[tuple[date, dict[str, int], int]] = field(default_factory=list)
    returns: list[tuple[str, int]] = field(default_factory=list)
    approvals: list[tuple[date, int]] = field(default_factory=list)

    @property
    def total_orders(self) -> int:
        return sum(n for _label, n in self.states)


def _quantile(histogram: dict[int, int], total: int, q: float) -> int | None:
    """The smallest number of days d such that at least ``q`` of the orders took <= d."""
    if not total:
        return None
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= q * total:
            return days
    return max(histogram)


def return_field_label(key: str) -> str:
    """A reader's label for a rollup's return key (``entity.x``, ``websites.x``, ``materials.x``)."""
    if key == "order":
        return _("整个订单")
    head, _sep, name = key.partition(".")
    if head == "materials":
        return _("材料：%(f)s") % {"f": dict(MaterialKind.choices).get(name, name)}
    model, prefix = {"entity": (FilingOrder, _("主体信息")), "websites": (OrderWebsite, _("网站"))}.get(
        head, (None, "")
    )
    if model is None:
        return key
    try:
        label = str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        label = name
    return labelled(prefix, label)


def dashboard_figures(*, filters: DashboardFilter, today: date | None = None) -> Figures:
    """Every chart's numbers in one query over the rollups (constant in the number of orders).

    Runs in the caller's tenant scope; the operator's caller disables the scope
    and names a provider, or none for all.
    """
    today = today or timezone.localdate()
    start, end = filters.period(today)
    weekly = Q(metric="breach") | Q(metric="moved", key=APPROVE)
    # One provider's cells, or (operator, every provider) the platform's totals: one slice either way.
    model = PlatformDashboardRollup if filters.tenant_id is None else DashboardRollup
    qs = model.objects.filter(
        week__gte=start, week__lte=end, province=filters.province, order_type=filters.order_type
    ).filter(~Q(metric="moved") | Q(key=APPROVE))
    if filters.tenant_id is not None:
        qs = qs.filter(tenant_id=filters.tenant_id)
    rows = (
        qs.values("metric", "key")
        .annotate(wk=Case(When(weekly, then=F("week")), default=Value(None), output_field=DateField()))
        .values("metric", "key", "wk")
        .annotate(n=Sum("count"))
        .order_by()
    )
    states: dict[str, int] = defaultdict(int)
    histograms: dict[str, dict[int, int]] = defaultdict(dict)
    breaches: dict[date, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SLA_STAGES, 0))
    returns: dict[str, int] = defaultdict(int)
    approvals: dict[date, int] = defaultdict(int)
    for row in rows:
        metric, key, wk, n = row["metric"], row["key"], row["wk"], int(row["n"] or 0)
        if metric == "state":
            states[key] += n
        elif metric == "stage":
            status, _sep, days = key.rpartition(":")
            if days.isdigit():
                histograms[status][int(days)] = histograms[status].get(int(days), 0) + n
        elif metric == "breach" and wk is not None and key in SLA_STAGES:
            breaches[wk][key] += n
        elif metric == "return":
            returns[key] += n
        elif metric == "moved" and wk is not None:
            approvals[wk] += n
    weeks = [start + timedelta(weeks=k) for k in range(filters.weeks)]
    figures = Figures(start=start, end=end)
    figures.states = [(str(s.label), max(0, states.get(s.value, 0))) for s in OrderStatus]
    for status in STAGES:
        hist = {d: n for d, n in histograms.get(status.value, {}).items() if n > 0}
        total = sum(hist.values())
        p90 = _quantile(hist, total, 0.9)
        figures.stages.append(
            StageTime(
                status=status.value,
                label=str(status.label),
                count=total,
                median=_quantile(hist, total, 0.5),
                p90=p90,
                capped=p90 == MAX_DAYS,
            )
        )
    figures.breaches = [
        (
            w,
            breaches[w] if w in breaches else dict.fromkeys(SLA_STAGES, 0),
            sum(breaches[w].values()) if w in breaches else 0,
        )
        for w in weeks
    ]
    top = sorted(((n, k) for k, n in returns.items() if n > 0), key=lambda t: (-t[0], t[1]))[:TOP_RETURNS]
    figures.returns = [(return_field_label(k), n) for n, k in top]
    figures.approvals = [(w, approvals.get(w, 0)) for w in weeks]
    return figures


# --- the CSV export -----------------------------------------------------------------------

EXPORT_CHUNK = 2000
EXPORT_FIELDS = (
    "pk",
    "tenant__slug",
    "order_type",
    "status",
    "province__name",
    "city",
    "nature_id",
    "entity_name",
    "certificate_number",
    "principal_name",
    "principal_mobile",
    "created_at",
    "submitted_at",
    "approved_at",
)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def orders_export_rows(*, filters: DashboardFilter, today: date | None = None) -> Iterator[tuple]:
    """The filtered orders (created in the period) as value tuples, in id order, a chunk at a time.

    A generator the streamed response consumes after the view has returned, so
    it re-enters the tenant scope for each chunk itself (the request's scope has
    ended by then), and keyset pagination on the id keeps memory constant
    whatever the number of rows.
    """
    today = today or timezone.localdate()
    start, end = filters.period(today)
    after = 0
    while True:
        # No tenant: the operator's export over every provider (R-M3), deliberately.
        with tenant_scopes_disabled() if filters.tenant_id is None else tenant_scope(filters.tenant_id):
            qs = FilingOrder.objects.filter(
                pk__gt=after,
                created_at__gte=_start_of(start),
                created_at__lt=_start_of(end + timedelta(days=7)),
            )
            if filters.tenant_id is not None:
                qs = qs.filter(tenant_id=filters.tenant_id)
            if filters.province:
                qs = qs.filter(province_id=filters.province)
            if filters.order_type:
                qs = qs.filter(order_type=filters.order_type)
            chunk = list(qs.order_by("pk").values_list(*EXPORT_FIELDS)[:EXPORT_CHUNK])
        if not chunk:
            return
        yield from chunk
        after = chunk[-1][0]
