"""The verification-point application's steps as one table of data (R-K3), and its entry point.

Every change of state goes through ``application_transition``: it checks the
table and the actor, updates the row conditionally (exactly one row, or
somebody else got there first), writes the event row in the same transaction
and queues the company's email through the outbox (sent after commit).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from icpfiling.core.workdays import add_working_days_at
from verification_points.applications.notifications import application_status_notify
from verification_points.models.applications import (
    ApplicationEvent,
    PointApplication,
)
from verification_points.states import TRANSITIONS, ApplicationStatus

A = ApplicationStatus

# Working-day SLAs of the provider's own steps (seed 000: material review in 3-5 working days).
MATERIAL_REVIEW_DAYS = 5
INSPECTION_DAYS = 10  # our choice: the seed gives no number for scheduling the visit
# Default answer window offered when asking for supplements (the admin may pick another date).
SUPPLEMENT_DEFAULT_DAYS = 5
# Calendar days a failed point has to rectify and ask for re-inspection (seed 000: 15 日内).
RECTIFY_DAYS = 15


class ApplicationTransitionError(Exception):
    """The step is not possible from the application's state or for this actor."""


class ApplicationConflict(ApplicationTransitionError):
    """Somebody else moved the application first."""

    def __init__(self, message: str, *, current_status: str) -> None:
        super().__init__(message)
        self.current_status = current_status


def end_of_local_day(day: dt.date) -> dt.datetime:
    """The first instant after ``day`` in local time: a deadline "by <day>" includes all of it."""
    tz = timezone.get_current_timezone()
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), tz)


def rectify_deadline(failed_at: dt.datetime) -> dt.datetime:
    """Day 15 after the failed inspection is still allowed, day 16 is late."""
    return end_of_local_day(timezone.localtime(failed_at).date() + dt.timedelta(days=RECTIFY_DAYS))


def _entry_fields(target: str, now: dt.datetime) -> dict:
    """The deadlines a state starts with (R-B1); the other deadlines are cleared."""
    fields: dict = {"review_due_at": None, "inspection_due_at": None}
    if target == A.MATERIAL_REVIEW:
        fields["review_due_at"] = add_working_days_at(now, MATERIAL_REVIEW_DAYS)
    elif target in (A.INSPECTION, A.REINSPECTION):
        fields["inspection_due_at"] = add_working_days_at(now, INSPECTION_DAYS)
        fields["inspection_scheduled_for"] = None
    if target != A.SUPPLEMENT:
        fields["supplement_due_at"] = None
    if target != A.RECTIFYING:
        fields["rectify_due_at"] = None
    return fields


def event_add(
    *, application: PointApplication, kind: str, actor=None, actor_kind: str, message: str = ""
) -> ApplicationEvent:
    return ApplicationEvent.objects.create(
        tenant_id=application.tenant_id,
        application=application,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_kind=actor_kind,
        kind=kind,
        from_status=application.status,
        to_status=application.status,
        message=message[:500],
    )


@transaction.atomic
def application_transition(
    *,
    application: PointApplication,
    action: str,
    actor=None,
    actor_kind: str,
    message: str = "",
    extra: dict | None = None,
    now: dt.datetime | None = None,
) -> PointApplication:
    """Perform ``action`` exactly once. Needs the application's tenant scope.

    Raises ApplicationTransitionError when the table forbids it, ApplicationConflict
    when another request moved the application first.
    """
    t = TRANSITIONS.get(action)
    if t is None:
        raise ApplicationTransitionError(f"unknown action {action!r}")
    if actor_kind not in t.actors:
        raise ApplicationTransitionError(f"{actor_kind} may not {action}")
    if application.status not in t.sources:
        raise ApplicationTransitionError(f"cannot {action} from {application.status}")
    now = now or timezone.now()
    fields = {"status": t.target, "status_changed_at": now, **_entry_fields(t.target, now), **(extra or {})}
    updated = PointApplication.objects.filter(
        pk=application.pk, tenant_id=application.tenant_id, status=application.status
    ).update(**fields)
    if updated != 1:
        current = PointApplication.objects.filter(pk=application.pk).values_list("status", flat=True).first()
        raise ApplicationConflict("already handled", current_status=current or "")
    from_status = application.status
    for k, v in fields.items():
        setattr(application, k, v)
    ApplicationEvent.objects.create(
        tenant_id=application.tenant_id,
        application=application,
        actor=actor if getattr(actor, "pk", None) else None,
        actor_kind=actor_kind,
        kind=action,
        from_status=from_status,
        to_status=t.target,
        message=message[:500],
    )
    application_status_notify(application=application, action=action, message=message)
    return application
