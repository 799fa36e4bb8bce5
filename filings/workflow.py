"""The order lifecycle as one table of data (R-S1), and its single entry point.

Every transition goes through ``order_transition``: it checks the table and the
actor's role, updates the row conditionally (exactly one row or somebody else
got there first), writes the audit event in the same transaction, and queues
the notification through the outbox, which dispatches after commit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import FilingOrder, OrderEvent, OrderStatus

S = OrderStatus
APPLICANT, REVIEWER, POINT_STAFF, AUTHORITY, SYSTEM = (
    "applicant",
    "reviewer",
    "point_staff",
    "authority",
    "system",
)


@dataclass(frozen=True)
class Transition:
    sources: tuple[str, ...]
    target: str
    actors: tuple[str, ...]
    label: object  # lazy translated text shown in the timeline


TRANSITIONS: dict[str, Transition] = {
    "submit": Transition((S.DRAFT,), S.PROVIDER_REVIEW, (APPLICANT,), _("提交备案")),
    "withdraw": Transition((S.PROVIDER_REVIEW,), S.DRAFT, (APPLICANT,), _("撤回修改")),
    "resubmit": Transition((S.RETURNED,), S.PROVIDER_REVIEW, (APPLICANT,), _("修改后重新提交")),
    "provider_return": Transition((S.PROVIDER_REVIEW,), S.RETURNED, (REVIEWER,), _("接入商退回")),
    "provider_pass": Transition((S.PROVIDER_REVIEW,), S.VERIFICATION, (REVIEWER,), _("接入商初审通过")),
    "verified": Transition((S.VERIFICATION,), S.PROVIDER_RECHECK, (POINT_STAFF, REVIEWER), _("核验完成")),
    "recheck_return": Transition((S.PROVIDER_RECHECK,), S.RETURNED, (REVIEWER,), _("复审退回")),
    "back_to_verification": Transition((S.PROVIDER_RECHECK,), S.VERIFICATION, (REVIEWER,), _("退回重新核验")),
    "submit_to_authority": Transition((S.PROVIDER_RECHECK,), S.SMS_VERIFICATION, (REVIEWER,), _("提交管局")),
    "sms_passed": Transition((S.SMS_VERIFICATION,), S.AUTHORITY_REVIEW, (SYSTEM,), _("短信核验通过")),
    "sms_failed": Transition((S.SMS_VERIFICATION,), S.PROVIDER_RECHECK, (SYSTEM,), _("短信核验失败")),
    "authority_approve": Transition((S.AUTHORITY_REVIEW,), S.APPROVED, (AUTHORITY,), _("管局审核通过")),
    "authority_reject": Transition((S.AUTHORITY_REVIEW,), S.RETURNED, (AUTHORITY,), _("管局退回")),
    "expire": Transition((S.DRAFT, S.RETURNED), S.EXPIRED, (SYSTEM,), _("闲置失效")),
    "reactivate": Transition((S.EXPIRED,), S.DRAFT, (APPLICANT,), _("重新激活")),
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
    return [name for name, t in TRANSITIONS.items() if order.status in t.sources and actor_kind in t.actors]


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
    now = timezone.now()
    fields = {"status": t.target, "status_changed_at": now, **(extra or {})}
    if t.target == S.PROVIDER_REVIEW:
        fields["submitted_at"] = now
    updated = FilingOrder.objects.filter(pk=order.pk, tenant_id=order.tenant_id, status=order.status).update(
        **fields
    )
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
    for k, v in fields.items():
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
    from filings.notifications import order_status_notify

    order_status_notify(order=order, action=action, message=message)
    return order
