"""The order lifecycle as one table of data (R-S1), and its single entry point.

Every transition goes through ``order_transition``: it checks the table and the
actor's role, updates the row conditionally (exactly one row or somebody else
got there first), writes the audit event in the same transaction, and queues
the notification through the outbox, which dispatches after commit.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from filings.models import FilingOrder, OrderEvent, ReturnedBy
from filings.notifications import order_status_notify, order_status_notify_many
from filings.ordertypes import type_forbids
from filings.rollups import (
    SLA_STAGES,
    rollup_order_moved,
    rollup_pending_add,
)
from filings.states import AUTHORITY, EDITABLE_STATUSES, SYSTEM, TRANSITIONS, OrderStatus
from icpfiling.core.bulk import insert_select
from icpfiling.core.workdays import add_working_days_at
from icpfiling.registry.province_rules import province_rules_for

S = OrderStatus

# Provider-side SLA in working days (R-S2: 1-2 days, seed 003). The authority's
# (R-S6) is a province rule read when the order enters its review: see
# authority_review_days.
PROVIDER_REVIEW_DAYS = 2
PROVIDER_RECHECK_DAYS = 1
SMS_WINDOW = timedelta(hours=24)
# Idle reminders after 7, 15 and 30 days without the applicant's activity (R-S8).
IDLE_REMINDER_DAYS = (7, 15, 30)


def _entry_fields(order: FilingOrder, target: str, now) -> dict:
    """The deadline timestamps a state starts with (R-B1); every other deadline is cleared."""
    fields: dict = {
        "review_due_at": None,
        "sla_reminded_at": None,
        "sms_deadline_at": None,
        "authority_due_at": None,
        "expires_at": None,
        "next_reminder_at": None,
        "resubmit_due_at": None,
        "resubmit_reminded_at": None,
        "returned_by": "",
    }
    if target == S.PROVIDER_REVIEW:
        fields.update(
            submitted_at=now,
            review_due_at=add_working_days_at(now, PROVIDER_REVIEW_DAYS),
            review_round=F("review_round") + 1,
        )
    elif target == S.PROVIDER_RECHECK:
        fields["review_due_at"] = add_working_days_at(now, PROVIDER_RECHECK_DAYS)
    elif target == S.SMS_VERIFICATION:
        fields.update(sms_deadline_at=now + SMS_WINDOW, sms_wrong_entries=0)
    elif target == S.AUTHORITY_REVIEW:
        fields["authority_due_at"] = add_working_days_at(now, authority_review_days(order, now))
    elif target in (S.DRAFT, S.RETURNED):
        fields.update(idle_fields(order, now))
    if target == S.RETURNED:
        fields.update(resubmit_fields(order, now))
    elif target == S.APPROVED:
        fields["approved_at"] = now
    return fields


def authority_review_days(order: FilingOrder, now) -> int:
    """R-S6: the authority's working days in the order's province on the day it enters review."""
    rules = province_rules_for(
        province_code=order.province_id,
        scope="personal" if order.is_individual else "unit",
        on=timezone.localdate(now),
    )
    return rules.authority_review_working_days


def resubmit_fields(order: FilingOrder, now) -> dict:
    """R-M1 / seed 001 ("5日内再次提交"): the provider's resubmission window starts at the return."""
    days = order.tenant.resubmission_window_days if order.tenant_id else 5
    return {"resubmit_due_at": now + timedelta(days=days), "resubmit_reminded_at": None}


def idle_fields(order: FilingOrder, now) -> dict:
    """Restart the idle clock: expiry after the provider's limit, first reminder after 7 days."""
    days = order.tenant.order_expiry_days if order.tenant_id else 45
    return {
        "expires_at": now + timedelta(days=days),
        "next_reminder_at": now + timedelta(days=IDLE_REMINDER_DAYS[0]),
        "reminders_sent": 0,
    }


class TransitionError(Exception):
    """The action is not possible from the order's state or for this actor."""


class TransitionConflict(TransitionError):
    """Somebody else changed the order first; ``by`` says who, when known."""

    def __init__(self, message: str, *, current_status: str, by: str = "") -> None:
        super().__init__(message)
        self.current_status = current_status
        self.by = by


def allowed_actions(*, order: FilingOrder, actor_kind: str) -> list[str]:
    return [
        name
        for name, t in TRANSITIONS.items()
        if order.status in t.sources and actor_kind in t.actors and not type_forbids(order.order_type, name)
    ]


@transaction.atomic
def order_transition(
    *, order: FilingOrder, action: str, actor, actor_kind: str, message: str = "", extra: dict | None = None
) -> FilingOrder:
    """Perform ``action`` exactly once. Needs the order's tenant scope.

    Raises TransitionError when the table forbids it, TransitionConflict when
    another request moved the order first (the loser sees who handled it).
    """
    t = TRANSITIONS.get(action)
    if t is None:
        raise TransitionError(f"unknown action {action!r}")
    if actor_kind not in t.actors:
        raise TransitionError(f"{actor_kind} may not {action}")
    if order.status not in t.sources:
        raise TransitionError(f"cannot {action} from {order.status}")
    if type_forbids(order.order_type, action):  # the type's own rules (R-S7, ordertypes)
        raise TransitionError(f"a {order.order_type} order may not {action}")
    # R-X2: an expired order whose identity data was purged cannot come back (nothing to file with).
    guard = {"identity_purged_at__isnull": True} if action == "reactivate" else {}
    if guard and order.identity_purged_at is not None:
        raise TransitionError("identity data purged after the retention period")
    now = timezone.now()
    fields = {
        "status": t.target,
        "status_changed_at": now,
        **_entry_fields(order, t.target, now),
        **(extra or {}),
    }
    if t.target == S.RETURNED:
        # Seed 001 tells 退回主办者修改 (provider) from 管局退回 (authority) apart.
        fields["returned_by"] = ReturnedBy.AUTHORITY if AUTHORITY in t.actors else ReturnedBy.PROVIDER
    updated = FilingOrder.objects.filter(
        pk=order.pk, tenant_id=order.tenant_id, status=order.status, **guard
    ).update(**fields)
    if updated != 1:
        current = FilingOrder.objects.filter(pk=order.pk).values_list("status", flat=True).first() or ""
        last = (
            OrderEvent.objects.filter(order_id=order.pk)
            .select_related("actor")
            .order_by("-at", "-pk")
            .first()
        )
        who = (last.actor.full_name or last.actor.email) if last and last.actor else ""
        raise TransitionConflict("already handled", current_status=current, by=who)
    from_status = order.status
    entered_at = order.status_changed_at or now
    due = order.authority_due_at if from_status == S.AUTHORITY_REVIEW else order.review_due_at
    for k, v in fields.items():
        if hasattr(v, "resolve_expression"):  # computed by the database (the round counter)
            setattr(order, k, FilingOrder.objects.filter(pk=order.pk).values_list(k, flat=True).get())
        else:
            setattr(order, k, v)
    OrderEvent.objects.create(
        tenant_id=order.tenant_id,
        order=order,
        actor=actor if getattr(actor, "pk", None) else None,
        kind=action,
        from_status=from_status,
        to_status=t.target,
        message=message[:500],
    )
    # The dashboard's counters move in the same transaction (R-M3).
    rollup_order_moved(
        order=order,
        action=action,
        from_status=from_status,
        to_status=t.target,
        entered_at=entered_at,
        now=now,
        breached=bool(from_status in SLA_STAGES and due and now > due),
    )
    order_status_notify(order=order, action=action, message=message)
    return order


def order_transition_many(*, order_ids: list[int], action: str, message: str = "") -> list[int]:
    """The set-based form of ``order_transition`` for system sweeps (R-B1).

    Same table, same conditional update (each row only from a source state),
    same audit event and notifications, done as a few statements per batch
    (UPDATE, INSERT … SELECT of events, INSERT … SELECT of outbox rows) with no
    per-order Python, so a sweep over 100,000 deadlines stays within a minute.
    The caller holds the rows (``select_for_update(skip_locked=True)``) inside
    its transaction; rows another sweep moved first are skipped. Returns the
    ids actually moved.
    """
    t = TRANSITIONS[action]
    if SYSTEM not in t.actors:
        raise TransitionError(f"{action} is not a system transition")
    # per-order entry fields (idle clock, the province's authority days) or texts
    if t.target in (S.DRAFT, S.RETURNED, S.APPROVED, S.AUTHORITY_REVIEW):
        raise TransitionError(f"{action} cannot run in bulk")
    now = timezone.now()
    found = list(
        FilingOrder.objects.filter(pk__in=order_ids, status__in=t.sources).values_list(
            "pk", "status", "tenant_id", "province_id", "order_type", "created_at", "status_changed_at"
        )
    )
    fields = {"status": t.target, "status_changed_at": now, **_entry_fields(FilingOrder(), t.target, now)}
    moved: list[int] = []
    for source in t.sources:
        ids = [row[0] for row in found if row[1] == source]
        if not ids:
            continue
        updated = FilingOrder.objects.filter(pk__in=ids, status=source).update(**fields)
        if updated != len(ids):
            # Some rows were moved by someone else in between (the caller did not
            # lock them): keep exactly those this UPDATE moved.
            ids = list(
                FilingOrder.objects.filter(pk__in=ids, status=t.target, status_changed_at=now).values_list(
                    "pk", flat=True
                )
            )
        insert_select(
            OrderEvent._meta.db_table,
            ("tenant_id", "order_id", "at", "actor_id", "kind", "from_status", "to_status", "message"),
            "SELECT o.tenant_id, o.id, %s, NULL, %s, %s, %s, %s "
            "FROM filings_filingorder o WHERE o.id IN ({ids})",
            [now, action, source, t.target, message[:500]],
            ids,
        )
        moved += ids
        # The dashboard's counters (R-M3): queued here, one multi-row INSERT, and folded
        # in by the deadline sweep once the run is over (rollups.rollup_pending_fold).
        kept = set(ids)
        rollup_pending_add(
            rows=[
                (tenant, pk, province, otype, created, entered, status, t.target, action, now)
                for pk, status, tenant, province, otype, created, entered in found
                if pk in kept
            ]
        )
    order_status_notify_many(order_ids=moved, action=action, status=t.target, changed_at=now, message=message)
    return moved


def order_touch(*, order: FilingOrder) -> None:
    """The applicant worked on the order: restart its idle clock and reminders (R-S8)."""
    fields = idle_fields(order, timezone.now())
    FilingOrder.objects.filter(pk=order.pk, status__in=EDITABLE_STATUSES).update(**fields)
    for k, v in fields.items():
        setattr(order, k, v)
