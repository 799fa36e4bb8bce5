"""Writes of the provider's review (R-S2, R-S3): claim, assign, phone check, return, pass, reveal.

Every service needs the order's tenant scope and runs in one transaction. The
acting service first locks the order row (``select_for_update``; a no-op on
SQLite, where writers are serialised anyway) and compares the state the caller
saw with the state now: when somebody else moved the order first the caller
gets ``TransitionConflict`` naming who, and nothing of theirs is written. The
holder is set with a conditional update (only when unassigned or already
theirs), so two reviewers can never both hold one order.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.models import (
    FileAccessLog,
    FilingOrder,
    OrderEvent,
    OrderStatus,
    OrderWebsite,
    PhoneCheck,
    PhoneCheckOutcome,
    ReturnSource,
)
from filings.ordertypes import action_for_type
from filings.returns import field_returns_record
from filings.review.selectors import WORK_STATUSES
from filings.snapshots import field_key_valid, field_label, is_sensitive
from filings.states import REVIEWER
from filings.workflow import TransitionConflict, TransitionError, order_transition
from icpfiling.accounts.models import Membership, Role
from icpfiling.core.text import clause_join, labelled

S = OrderStatus
# Orders that can still change hands: everything the provider may yet have to handle.
ASSIGNABLE_STATUSES = (S.PROVIDER_REVIEW, S.PROVIDER_RECHECK, S.VERIFICATION, S.RETURNED, S.SMS_VERIFICATION)
MAX_RETURN_ITEMS = 50


@dataclass(frozen=True)
class ReturnItem:
    field: str
    reason: str
    suggestion: str = ""


class ClaimConflict(Exception):
    """Another reviewer holds the order; ``holder`` names them."""

    def __init__(self, message: str, *, holder: str) -> None:
        super().__init__(message)
        self.holder = holder


def _name(user) -> str:
    return (user.full_name or user.email) if user else ""


def _role_of(user, tenant_id: int) -> str:
    m = Membership.objects.filter(user=user, tenant_id=tenant_id).only("role").first()
    return m.role if m and user.is_active else ""


def _require_reviewer(user, order: FilingOrder) -> None:
    if _role_of(user, order.tenant_id) != Role.REVIEWER:
        raise PermissionDenied


def _conflict(order_id: int) -> TransitionConflict:
    """The loser's error: the state now and who made the last change."""
    current = FilingOrder.objects.filter(pk=order_id).values_list("status", flat=True).first() or ""
    last = OrderEvent.objects.filter(order_id=order_id).select_related("actor").order_by("-at", "-pk").first()
    return TransitionConflict("already handled", current_status=current, by=_name(last.actor) if last else "")


def _locked(order: FilingOrder) -> FilingOrder:
    """The order row, locked for this transaction, as it is now (not as the caller saw it)."""
    fresh = FilingOrder.objects.select_for_update().filter(pk=order.pk, tenant_id=order.tenant_id).first()
    if fresh is None:
        raise TransitionError("order vanished")
    if fresh.status != order.status:
        raise _conflict(order.pk)
    return fresh


def _hold(order: FilingOrder, reviewer) -> None:
    """Make ``reviewer`` the holder unless another reviewer holds the order (conditional update)."""
    if order.assigned_to_id == reviewer.pk:
        return
    now = timezone.now()
    taken = (
        FilingOrder.objects.filter(pk=order.pk, tenant_id=order.tenant_id, status=order.status)
        .filter(Q(assigned_to__isnull=True) | Q(assigned_to=reviewer))
        .update(assigned_to=reviewer, claimed_at=now)
    )
    if taken != 1:
        row = FilingOrder.objects.filter(pk=order.pk).select_related("assigned_to").first()
        if row is None or row.status != order.status:
            raise _conflict(order.pk)
        holder = _name(row.assigned_to)
        raise ClaimConflict(_("该订单已由 %(name)s 认领。") % {"name": holder}, holder=holder)
    order.assigned_to, order.claimed_at = reviewer, now


def _require_work_state(order: FilingOrder) -> None:
    if order.status not in WORK_STATUSES:
        raise TransitionError(f"not in a provider work state: {order.status}")


@transaction.atomic
def order_claim(*, order: FilingOrder, reviewer) -> FilingOrder:
    """Take an order in a work state. Raises ClaimConflict when another reviewer holds it."""
    _require_reviewer(reviewer, order)
    fresh = _locked(order)
    _require_work_state(fresh)
    _hold(fresh, reviewer)
    return fresh


@transaction.atomic
def order_assign(*, order: FilingOrder, by, assignee) -> FilingOrder:
    """Hand the order to another reviewer of the same provider.

    A reviewer may hand over an order they hold (or an unassigned one); the
    provider admin may reassign any order (managers distribute the work).
    """
    role = _role_of(by, order.tenant_id)
    if role not in (Role.REVIEWER, Role.PROVIDER_ADMIN):
        raise PermissionDenied
    if assignee is None or _role_of(assignee, order.tenant_id) != Role.REVIEWER:
        raise ValidationError({"assignee": _("请选择本接入商的一位审核员。")})
    fresh = _locked(order)
    if fresh.status not in ASSIGNABLE_STATUSES:
        raise TransitionError(f"cannot assign in {fresh.status}")
    qs = FilingOrder.objects.filter(pk=fresh.pk, tenant_id=fresh.tenant_id, status=fresh.status)
    if role == Role.REVIEWER:
        qs = qs.filter(Q(assigned_to__isnull=True) | Q(assigned_to=by))
    now = timezone.now()
    if qs.update(assigned_to=assignee, claimed_at=now) != 1:
        holder = _name(
            FilingOrder.objects.filter(pk=fresh.pk).select_related("assigned_to").get().assigned_to
        )
        raise ClaimConflict(
            _("该订单已由 %(name)s 认领，只有认领人可以转交。") % {"name": holder}, holder=holder
        )
    fresh.assigned_to, fresh.claimed_at = assignee, now
    return fresh


@transaction.atomic
def phone_check_record(
    *, order: FilingOrder, reviewer, person: str, outcome: str, notes: str = ""
) -> PhoneCheck:
    """Record the call to the legal representative / principal (R-S2); claims the order."""
    _require_reviewer(reviewer, order)
    person, notes = (person or "").strip(), (notes or "").strip()
    errors: dict[str, list[str]] = {}
    if not person:
        errors["person"] = [_("请填写接听人姓名。")]
    elif len(person) > 50:
        errors["person"] = [_("接听人姓名最多 50 个字。")]
    if outcome not in PhoneCheckOutcome.values:
        errors["outcome"] = [_("请选择通话结果。")]
    if len(notes) > 500:
        errors["notes"] = [_("备注最多 500 个字。")]
    if errors:
        raise ValidationError(errors)
    fresh = _locked(order)
    _require_work_state(fresh)
    _hold(fresh, reviewer)
    return PhoneCheck.objects.create(
        tenant_id=fresh.tenant_id, order=fresh, reviewer=reviewer, person=person, outcome=outcome, notes=notes
    )


def _clean_items(items: list[ReturnItem]) -> list[ReturnItem]:
    """Every problem with the reasons at once, each naming its row and field."""
    if not items:
        raise ValidationError({"items": [_("请至少填写一条退回原因（字段和原因）。")]})
    if len(items) > MAX_RETURN_ITEMS:
        raise ValidationError({"items": [_("一次最多 %(n)d 条退回原因。") % {"n": MAX_RETURN_ITEMS}]})
    errors, cleaned = [], []
    for n, item in enumerate(items, start=1):
        field, reason, suggestion = (
            (item.field or "").strip(),
            (item.reason or "").strip(),
            (item.suggestion or "").strip(),
        )
        if not field:
            errors.append(_("第 %(n)d 条：请选择字段。") % {"n": n})
        if not reason:
            errors.append(_("第 %(n)d 条：请填写退回原因。") % {"n": n})
        elif len(reason) > 300:
            errors.append(_("第 %(n)d 条：退回原因最多 300 个字。") % {"n": n})
        if len(suggestion) > 300:
            errors.append(_("第 %(n)d 条：修改建议最多 300 个字。") % {"n": n})
        cleaned.append(ReturnItem(field=field, reason=reason, suggestion=suggestion))
    if errors:
        raise ValidationError({"items": errors})
    return cleaned


@transaction.atomic
def order_return(*, order: FilingOrder, reviewer, items: list[ReturnItem]) -> FilingOrder:
    """Send the order back to the applicant with all field-level reasons at once (R-S3).

    From provider_review this is ``provider_return``, from provider_recheck
    ``recheck_return``. The reasons belong to the current round. Raises
    ValidationError (nothing written), ClaimConflict or TransitionConflict.
    """
    _require_reviewer(reviewer, order)
    items = _clean_items(items)
    fresh = _locked(order)
    _require_work_state(fresh)
    website_count = OrderWebsite.objects.filter(order=fresh, tenant_id=fresh.tenant_id).count()
    bad = [
        _("第 %(n)d 条：字段“%(f)s”不是本订单的字段。") % {"n": n, "f": item.field}
        for n, item in enumerate(items, start=1)
        if not field_key_valid(fresh, item.field, website_count=website_count)
    ]
    if bad:
        raise ValidationError({"items": bad})
    _hold(fresh, reviewer)
    field_returns_record(order=fresh, items=items, source=ReturnSource.PROVIDER, by=reviewer)
    action = "provider_return" if fresh.status == S.PROVIDER_REVIEW else "recheck_return"
    sites = list(fresh.websites.order_by("position"))
    summary = clause_join(labelled(field_label(fresh, i.field, sites=sites), i.reason) for i in items)
    return order_transition(order=fresh, action=action, actor=reviewer, actor_kind=REVIEWER, message=summary)


def confirmed_phone_check(order: FilingOrder) -> PhoneCheck | None:
    """The latest call of this round when it confirmed the filing; else None."""
    if order.submitted_at is None:
        return None
    latest = (
        PhoneCheck.objects.filter(order=order, tenant_id=order.tenant_id, called_at__gte=order.submitted_at)
        .order_by("-called_at", "-pk")
        .first()
    )
    return latest if latest and latest.outcome == PhoneCheckOutcome.CONFIRMED else None


@transaction.atomic
def order_pass(*, order: FilingOrder, reviewer) -> FilingOrder:
    """Pass the first review (``provider_pass`` → verification).

    Requires that the latest phone check of this round confirmed the filing
    (R-S2): a later "no answer" or "denied" call outweighs an earlier confirmation.
    """
    _require_reviewer(reviewer, order)
    fresh = _locked(order)
    if fresh.status != S.PROVIDER_REVIEW:
        raise TransitionError(f"cannot pass from {fresh.status}")
    if confirmed_phone_check(fresh) is None:
        raise ValidationError(
            {"phone_check": [_("请先电话联系主体负责人并记录结果为“已确认备案意愿”，然后再通过初审。")]}
        )
    _hold(fresh, reviewer)
    # A type without an identity check goes straight to the recheck (ordertypes: verification).
    action = action_for_type(fresh.order_type, "provider_pass")
    return order_transition(order=fresh, action=action, actor=reviewer, actor_kind=REVIEWER)


def _audit_kind(key: str) -> str:
    """``field:<key>`` shortened to fit FileAccessLog.kind (30 characters): e. / w<i>. prefixes."""
    short = key.replace("entity.", "e.", 1)
    if short.startswith("websites["):
        index, rest = short[len("websites[") :].split("].", 1)
        short = f"w{index}.{rest}"
    if short.startswith("apps["):
        index, rest = short[len("apps[") :].split("].", 1)
        short = f"a{index}.{rest}"
    return f"field:{short}"[:30]


def field_value(order: FilingOrder, key: str) -> str | None:
    """The raw value behind a sensitive key, or None when the key names nothing of this order."""
    from filings.snapshots import APP_KEY, WEBSITE_KEY

    if key.startswith("entity."):
        return str(getattr(order, key.split(".", 1)[1], "") or "")
    m = WEBSITE_KEY.match(key)
    if m:
        sites = list(order.websites.all())
        index = int(m.group(1))
        if index < len(sites):
            return str(getattr(sites[index], m.group(2), "") or "")
    m = APP_KEY.match(key)
    if m and not m.group(2):  # R-AP2: an app principal of their own, revealed like a website's
        apps = list(order.apps.order_by("position"))
        index = int(m.group(1))
        if index < len(apps) and not apps[index].principal_same_as_entity:
            return str(getattr(apps[index], m.group(3), "") or "")
    return None


@transaction.atomic
def order_field_reveal(*, order: FilingOrder, actor, key: str) -> str:
    """Show one masked ID number or mobile in full, writing the audit row first (R-D4)."""
    if _role_of(actor, order.tenant_id) not in (Role.REVIEWER, Role.PROVIDER_ADMIN):
        raise PermissionDenied
    value = field_value(order, key) if is_sensitive(order, key) else None
    if value is None:
        raise ValidationError({"field": [_("这个字段不能显示。")]})
    FileAccessLog.objects.create(
        tenant_id=order.tenant_id,
        actor=actor,
        order=order,
        material=None,
        kind=_audit_kind(key),
        action="reveal",
    )
    return value
