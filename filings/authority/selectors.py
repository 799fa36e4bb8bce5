"""Reads for the simulated provincial authority (管局): its queue, an order, its history (R-T3, R-S6).

Authority reviewers are platform users: they have no tenant, and the orders they
review belong to every provider. They cross tenants deliberately, and only here:
``_authority_orders`` is the ONE place that decides which orders an authority
user may see (their provinces, and only from submission to the authority on —
plus the orders they decided themselves, for their history). Every queue row,
order page, file and decision goes through it, so a Guangdong reviewer can never
load a Zhejiang order: it answers exactly like a missing one (404, logged).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from filings.models import (
    ENTITY_FIELDS,
    PERSON_FIELDS,
    WEBSITE_FIELDS,
    FieldReturn,
    FilingOrder,
    MaterialFile,
    OrderEvent,
    OrderStatus,
    OrderWebsite,
    SmsChallenge,
)
from filings.snapshots import field_label
from icpfiling.accounts.models import PlatformRole
from icpfiling.core.masking import mask_id_number, mask_mobile
from icpfiling.core.text import clause_join, labelled, list_join
from icpfiling.core.workdays import add_working_days_at, working_days_between
from icpfiling.registry.reference import personal_id_type_names
from icpfiling.registry.seed_files import province_rules_data
from icpfiling.tenancy.access import get_or_404
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled

# The authority's own decisions: the kinds of OrderEvent that make an order part of its history.
DECISION_KINDS = ("authority_approve", "authority_reject")
# "Due soon" in the queue: the authority's 20-working-day clock has at most this many days left.
DUE_SOON_WORKING_DAYS = 3


def authority_province_codes(*, user) -> list[str]:
    """The provinces this user reviews for; none unless the user is an authority reviewer."""
    if not getattr(user, "is_authenticated", False) or user.platform_role != PlatformRole.AUTHORITY:
        return []
    if user.provider_id is not None:  # a provider's user can never be an authority (model constraint too)
        return []
    return sorted(user.authority_provinces.values_list("code", flat=True))


def _authority_orders(
    *, user, provinces: list[str] | None = None, waiting_only: bool = False
) -> QuerySet[FilingOrder]:
    """THE visibility rule (R-T3). Must be evaluated inside ``tenant_scopes_disabled``.

    An order is visible when it belongs to one of the user's provinces AND it is
    with the authority now (authority_review) or this user decided it before.
    Orders in earlier states (drafts, provider review, SMS check) never are.
    ``waiting_only`` keeps the first branch (the queue); ``provinces`` narrows
    the user's own provinces further, never widens them.
    """
    codes = authority_province_codes(user=user)
    if provinces is not None:
        codes = [c for c in codes if c in provinces]
    qs = FilingOrder.objects.filter(province_id__in=codes)
    if waiting_only:
        return qs.filter(status=OrderStatus.AUTHORITY_REVIEW)
    # Correlated EXISTS: for one order (the order page) it is one probe of the (order, at) index.
    decided = OrderEvent.objects.filter(order_id=OuterRef("pk"), actor_id=user.pk, kind__in=DECISION_KINDS)
    return qs.filter(Q(status=OrderStatus.AUTHORITY_REVIEW) | Exists(decided))


# --- the queue -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    order: FilingOrder
    provider_name: str
    domains: list[str]
    due_at: datetime | None
    working_days_left: int | None  # negative when overdue
    overdue: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str | None


def encode_cursor(due_at: datetime, order_id: int) -> str:
    raw = f"{due_at.isoformat()}|{order_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, int]:
    """The (authority_due_at, id) of the last row seen; ValueError for anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        due_text, id_text = raw.rsplit("|", 1)
        due_at = parse_datetime(due_text)
        order_id = int(id_text)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("invalid cursor") from exc
    if due_at is None or timezone.is_naive(due_at) or order_id < 1:
        raise ValueError("invalid cursor")
    return due_at, order_id


def _clock(due_at: datetime | None, now: datetime) -> tuple[int | None, bool]:
    if due_at is None:
        return None, False
    left = working_days_between(timezone.localtime(now).date(), timezone.localtime(due_at).date())
    return left, due_at < now


def authority_queue_page(
    *,
    user,
    province: str | None = None,
    due: str | None = None,
    after: str | None = None,
    limit: int = 25,
) -> QueuePage:
    """Orders waiting for this authority user, earliest deadline first, from every provider.

    Keyset pagination on (authority_due_at, id) — the partial index
    ``order_authority_queue_idx (province, authority_due_at, id) WHERE status =
    'authority_review'`` serves it; no OFFSET and no COUNT. ``due`` is "soon"
    (at most ``DUE_SOON_WORKING_DAYS`` working days left) or "overdue".
    Raises ValueError for an unreadable cursor or an unknown ``due``.
    """
    if due not in (None, "", "soon", "overdue"):
        raise ValueError("invalid due filter")
    now = timezone.now()
    with tenant_scopes_disabled():  # the authority spans providers for its provinces (R-T3)
        qs = _authority_orders(user=user, provinces=[province] if province else None, waiting_only=True)
        qs = qs.filter(authority_due_at__isnull=False)
        if due == "overdue":
            qs = qs.filter(authority_due_at__lt=now)
        elif due == "soon":
            qs = qs.filter(
                authority_due_at__gte=now,
                authority_due_at__lte=add_working_days_at(now, DUE_SOON_WORKING_DAYS),
            )
        if after:
            due_at, last_id = decode_cursor(after)
            qs = qs.filter(Q(authority_due_at__gt=due_at) | Q(authority_due_at=due_at, pk__gt=last_id))
        orders = list(
            qs.select_related("tenant", "province")
            .only(
                "pk",
                "tenant__name",
                "province__full_name",
                "order_type",
                "status",
                "entity_name",
                "certificate_number",
                "authority_due_at",
            )
            .order_by("authority_due_at", "pk")[: limit + 1]
        )
        domains: dict[int, list[str]] = {}
        for order_id, domain in (
            OrderWebsite.objects.filter(order_id__in=[o.pk for o in orders[:limit]])
            .order_by("order_id", "position")
            .values_list("order_id", "domain")
        ):
            domains.setdefault(order_id, []).append(domain)
    rows = []
    for order in orders[:limit]:
        left, overdue = _clock(order.authority_due_at, now)
        rows.append(
            QueueRow(
                order=order,
                provider_name=order.tenant.name,
                domains=domains.get(order.pk, []),
                due_at=order.authority_due_at,
                working_days_left=left,
                overdue=overdue,
            )
        )
    next_cursor = None
    if len(orders) > limit:
        last = orders[limit - 1]
        next_cursor = encode_cursor(last.authority_due_at, last.pk)
    return QueuePage(rows=rows, next_cursor=next_cursor)


@dataclass(frozen=True)
class QueueSize:
    waiting: int
    overdue: int
    cap: int

    @property
    def waiting_capped(self) -> bool:
        return self.waiting > self.cap

    @property
    def overdue_capped(self) -> bool:
        return self.overdue > self.cap

    @property
    def waiting_display(self) -> str:
        return f"{self.cap}+" if self.waiting_capped else str(self.waiting)

    @property
    def overdue_display(self) -> str:
        return f"{self.cap}+" if self.overdue_capped else str(self.overdue)


def authority_queue_size(*, user, cap: int = 999) -> QueueSize:
    """How many orders wait, and how many are overdue — bounded counts for the home page.

    Each count reads at most ``cap + 1`` index entries (COUNT over a LIMIT
    subquery on the partial index), so it stays cheap with a million orders.
    """
    now = timezone.now()
    with tenant_scopes_disabled():  # counts only, over the user's provinces (R-T3)
        base = _authority_orders(user=user, waiting_only=True).order_by()
        waiting = base[: cap + 1].count()
        overdue = base.filter(authority_due_at__lt=now)[: cap + 1].count()
    return QueueSize(waiting=waiting, overdue=overdue, cap=cap)


# --- one order -----------------------------------------------------------------------------


def authority_order_get(*, user, order_id: int) -> FilingOrder:
    """The order if this authority user may see it, else Http404 — missing and foreign alike, logged."""
    with tenant_scopes_disabled():  # cross-tenant lookup, narrowed by the visibility rule (R-T3)
        return get_or_404(
            _authority_orders(user=user).select_related(
                "tenant", "province", "nature", "certificate_type", "registry_entity", "applicant"
            ),
            actor=user,
            pk=order_id,
        )


@contextmanager
def authority_order_access(*, user, order_id: int) -> Iterator[FilingOrder]:
    """The visible order, with ITS tenant's scope active while the caller reads or writes it.

    Children (websites, materials, events) are then read through the normal
    fail-closed managers, filtered to the order's own provider.
    """
    order = authority_order_get(user=user, order_id=order_id)
    with tenant_scope(order.tenant_id):
        yield order


def authority_material_get(*, order: FilingOrder, file_id: int, actor) -> MaterialFile:
    """One material of an order already obtained through ``authority_order_access`` (its scope active)."""
    return get_or_404(MaterialFile.objects.filter(order=order), actor=actor, pk=file_id)


@dataclass(frozen=True)
class Fact:
    key: str  # the field key a return reason would name
    label: str
    value: str


@dataclass(frozen=True)
class WebsiteView:
    position: int
    site: OrderWebsite
    facts: list[Fact]


@dataclass(frozen=True)
class SmsResult:
    person_name: str
    mobile: str  # masked
    people: list[str]
    verified_at: datetime | None
    sends: int


@dataclass(frozen=True)
class AuthorityOrderView:
    order: FilingOrder
    provider_name: str
    entity: list[Fact]
    websites: list[WebsiteView]
    materials: list[MaterialFile]
    sms: list[SmsResult]
    returns: list[FieldReturn]
    events: list[OrderEvent]
    due_at: datetime | None
    working_days_left: int | None
    overdue: bool
    field_choices: list[tuple[str, str]]


def _display(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, (list, tuple)):
        return list_join(value) or "—"
    if isinstance(value, dict):
        return clause_join(labelled(k, v) for k, v in value.items()) or "—"
    return str(value)


_MASKED = {
    "principal_id_number": mask_id_number,
    "principal_mobile": mask_mobile,
    "emergency_mobile": mask_mobile,
    "principal_landline": mask_mobile,
}


def _facts(obj, fields: tuple[str, ...], prefix: str, id_types: dict[str, str]) -> list[Fact]:
    from filings.orders.forms import LANGUAGE_CHOICES

    languages = dict(LANGUAGE_CHOICES)
    facts = []
    for name in fields:
        field = obj._meta.get_field(name)
        label = str(field.verbose_name)
        value = getattr(obj, name)
        if name in _MASKED:
            value = _MASKED[name](value)
        elif name == "principal_id_type":
            value = id_types.get(value, value)
        elif name == "service_content":
            value = obj.service_content_labels
        elif name == "languages":
            value = [str(languages.get(code, code)) for code in value or []]
        elif name == "server":
            label = _("服务器")
        elif name == "pre_approval_details":
            value = {
                code: f"{d.get('authority', '')} {_('有效期至')} {d.get('valid_until', '')}"
                for code, d in (value or {}).items()
            }
        elif field.choices:
            value = getattr(obj, f"get_{name}_display")()
        facts.append(Fact(key=f"{prefix}{name}", label=label, value=_display(value)))
    return facts


# R-C2: the further domains right after the main one, so reviewer and authority see every domain filed.
_WEBSITE_SHOWN = (
    "name",
    "domain",
    "extra_domains",
    *(f for f in WEBSITE_FIELDS if f not in ("name", "domain_display")),
)
_WEBSITE_WITHOUT_PERSON = tuple(f for f in _WEBSITE_SHOWN if f not in PERSON_FIELDS)


def authority_order_view(*, order: FilingOrder) -> AuthorityOrderView:
    """Everything the authority's order page shows, masked (ID numbers, mobiles). Needs the order's scope."""
    now = timezone.now()
    id_types = personal_id_type_names()  # in the interface language
    entity = [
        Fact(key="order", label=_("备案类型"), value=order.get_order_type_display()),
        Fact(
            key="entity.province",
            label=_("所属区域"),
            value=f"{order.province.label} {order.city} {order.county}",
        ),
        Fact(key="entity.nature", label=_("主办单位性质"), value=str(order.nature)),
        Fact(
            key="entity.certificate_number",
            label=_("主办单位证件"),
            value=f"{order.certificate_type} {order.certificate_number}",
        ),
        *_facts(order, ENTITY_FIELDS, "entity.", id_types),
    ]
    sites = list(order.websites.select_related("server", "registry_website").order_by("position"))
    websites = [
        WebsiteView(
            position=i,
            site=s,
            # A website whose principal is the entity's shows no second, empty person.
            facts=_facts(
                s,
                _WEBSITE_SHOWN if not s.principal_same_as_entity else _WEBSITE_WITHOUT_PERSON,
                f"websites[{i}].",
                id_types,
            ),
        )
        for i, s in enumerate(sites)
    ]
    materials = list(order.materials.select_related("website").order_by("kind", "created_at", "pk"))
    latest_round = (
        SmsChallenge.objects.filter(order=order).order_by("-round").values_list("round", flat=True).first()
    )
    sms = [
        SmsResult(
            person_name=c.person_name,
            mobile=mask_mobile(c.mobile),
            people=list(c.people or []),
            verified_at=c.verified_at,
            sends=c.sends,
        )
        for c in SmsChallenge.objects.filter(order=order, round=latest_round, void_at=None).order_by("pk")
    ]
    returns = list(
        FieldReturn.objects.filter(order=order).select_related("created_by").order_by("-round", "pk")
    )
    for r in returns:  # a reader's label, never the key ("websites[0].name")
        r.label = field_label(order, r.field, sites=sites)
    events = list(OrderEvent.objects.filter(order=order).select_related("actor").order_by("at", "pk"))
    left, overdue = (
        _clock(order.authority_due_at, now)
        if order.status == OrderStatus.AUTHORITY_REVIEW
        else (
            None,
            False,
        )
    )
    choices = [("order", _("整个订单（含备案类型）"))]
    choices += [(f.key, _("主体：%(label)s") % {"label": f.label}) for f in entity if f.key != "order"]
    for w in websites:
        choices += [
            (f.key, _("网站 %(n)d：%(label)s") % {"n": w.position + 1, "label": f.label}) for f in w.facts
        ]
    kinds = dict.fromkeys(m.kind for m in materials)
    choices += [
        (f"materials.{kind}", _("材料：%(label)s") % {"label": MaterialFile(kind=kind).get_kind_display()})
        for kind in kinds
    ]
    return AuthorityOrderView(
        order=order,
        provider_name=order.tenant.name,
        entity=entity,
        websites=websites,
        materials=materials,
        sms=sms,
        returns=returns,
        events=events,
        due_at=order.authority_due_at,
        working_days_left=left,
        overdue=overdue,
        field_choices=choices,
    )


# --- the authority's own decisions ---------------------------------------------------------


@dataclass(frozen=True)
class HistoryRow:
    event: OrderEvent
    order: FilingOrder
    provider_name: str


def authority_history(*, user, limit: int = 50) -> list[HistoryRow]:
    """The orders this user approved or rejected, latest first (its own record; still province-bound)."""
    with tenant_scopes_disabled():  # the user's own decisions across providers, in its provinces (R-T3)
        events = list(
            OrderEvent.objects.filter(
                actor_id=user.pk,
                kind__in=DECISION_KINDS,
                order_id__in=_authority_orders(user=user).values("pk"),
            )
            .select_related("order", "order__tenant", "order__province")
            .order_by("-at", "-pk")[:limit]
        )
    return [HistoryRow(event=e, order=e.order, provider_name=e.order.tenant.name) for e in events]


# --- common authority return reasons (seed data) ---------------------------------------------


@dataclass(frozen=True)
class ReturnReason:
    code: str
    label: str
    field: str  # the seed's field category, for the reviewer's orientation


@lru_cache(maxsize=1)
def authority_return_reasons() -> tuple[ReturnReason, ...]:
    """The common reasons the authority stage uses (``return_reasons`` with stage or also_at authority)."""
    data = province_rules_data()  # parsed once per process, shared with the province rules
    out = []
    for item in data.get("return_reasons", []):
        if item.get("stage") == "authority" or "authority" in (item.get("also_at") or []):
            out.append(ReturnReason(code=item["code"], label=item["label_zh"], field=item.get("field", "")))
    return tuple(out)


def authority_return_reason(code: str) -> ReturnReason | None:
    return next((r for r in authority_return_reasons() if r.code == code), None)
