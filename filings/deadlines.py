"""Deadline sweeps (R-B1, R-S5, R-S8, R-S2): timestamps on rows, enforced by a periodic scan.

Nothing here waits for a countdown: each deadline is a column, each sweep
selects the rows whose moment has passed, in batches locked with
``SKIP LOCKED`` on PostgreSQL (two sweeps running at once split the work and
never handle a row twice), and moves them with a conditional update, so a
sweep that runs again, or late after downtime, changes nothing that was
already handled and catches up on everything that was missed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.db import connection, transaction
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.models import FilingOrder, OrderStatus
from filings.notifications import order_reminder_notify_many
from filings.rollups import rollup_pending_fold
from filings.workflow import IDLE_REMINDER_DAYS, order_transition_many
from icpfiling.accounts.models import Membership, Role
from icpfiling.core.links import id_url_template
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue_many
from icpfiling.tenancy.context import tenant_scopes_disabled

BATCH = 1000
S = OrderStatus


def _locked_ids(qs: QuerySet, batch: int) -> list[int]:
    # The caller orders by its deadline column then id, which its partial index
    # serves: oldest deadlines first, and no re-walk of rows already handled.
    if connection.features.has_select_for_update_skip_locked:
        qs = qs.select_for_update(skip_locked=True, of=("self",))
    return list(qs.values_list("pk", flat=True)[:batch])


def _sweep(due: Callable[[], QuerySet], handle: Callable[[list[int]], int], batch: int) -> int:
    """Lock a batch of due rows, handle it, commit; repeat until none is due."""
    total = 0
    while True:
        with transaction.atomic():
            ids = _locked_ids(due(), batch)
            if not ids:
                return total
            done = handle(ids)
        total += done
        if done == 0 or len(ids) < batch:
            # Nothing moved (all raced away) or the last short batch: stop rather than spin.
            return total


def sms_deadline_sweep(*, now=None, batch: int = BATCH) -> int:
    """R-S5: 24 h passed without every code → back to the provider (``sms_failed``), once."""
    now = now or timezone.now()
    # The sweep is platform work over every tenant's rows, addressed by id; each
    # row keeps its own tenant on every write (events, outbox).
    with tenant_scopes_disabled():
        return _sweep(
            lambda: FilingOrder.objects.filter(status=S.SMS_VERIFICATION, sms_deadline_at__lte=now).order_by(
                "sms_deadline_at", "pk"
            ),
            lambda ids: len(
                order_transition_many(
                    order_ids=ids, action="sms_failed", message=_("短信核验超时：24 小时内未完成全部验证码。")
                )
            ),
            batch,
        )


def idle_expiry_sweep(*, now=None, batch: int = BATCH) -> int:
    """R-S8: drafts and returned orders idle past the provider's limit expire, once."""
    now = now or timezone.now()
    with tenant_scopes_disabled():  # platform sweep; see sms_deadline_sweep
        return _sweep(
            lambda: FilingOrder.objects.filter(
                status__in=(S.DRAFT, S.RETURNED), expires_at__lte=now
            ).order_by("expires_at", "pk"),
            lambda ids: len(
                order_transition_many(order_ids=ids, action="expire", message=_("长时间未操作，订单已失效。"))
            ),
            batch,
        )


def _remind_idle(ids: list[int], now) -> int:
    orders = list(FilingOrder.objects.filter(pk__in=ids).select_related("applicant", "tenant"))
    sent = []
    for order in orders:
        n = order.reminders_sent + 1
        # The next reminder counts from the start of this idle period.
        started = order.expires_at - timedelta(days=order.tenant.order_expiry_days)
        later = [d for d in IDLE_REMINDER_DAYS[n:] if started + timedelta(days=d) < order.expires_at]
        nxt = started + timedelta(days=later[0]) if later else None
        moved = FilingOrder.objects.filter(pk=order.pk, reminders_sent=order.reminders_sent).update(
            reminders_sent=n, next_reminder_at=nxt
        )
        if moved:
            order.reminders_sent, order.next_reminder_at = n, nxt
            sent.append(order)
    for o in sent:
        # The stamp ties a reminder to this idle period: a re-run never sends it twice.
        order_reminder_notify_many(
            orders=[o], reminder=f"idle-{o.reminders_sent}", stamp=o.expires_at.isoformat()
        )
    return len(sent)


def idle_reminder_sweep(*, now=None, batch: int = BATCH) -> int:
    """R-S8: reminders after 7, 15 and 30 idle days; skipped once the order has expired."""
    now = now or timezone.now()
    with tenant_scopes_disabled():  # platform sweep; see sms_deadline_sweep
        return _sweep(
            lambda: FilingOrder.objects.filter(
                status__in=(S.DRAFT, S.RETURNED), next_reminder_at__lte=now, expires_at__gt=now
            ).order_by("next_reminder_at", "pk"),
            lambda ids: _remind_idle(ids, now),
            batch,
        )


def _remind_sla(ids: list[int], now) -> int:
    orders = list(FilingOrder.objects.filter(pk__in=ids).select_related("assigned_to"))
    FilingOrder.objects.filter(pk__in=ids, sla_reminded_at__isnull=True).update(sla_reminded_at=now)
    reviewers: dict[int, list] = {}
    rows = []
    review_url = id_url_template("review:order", urlconf="icpfiling.urls.tenant")
    for order in orders:
        if order.assigned_to_id:
            people = [order.assigned_to]
        else:
            if order.tenant_id not in reviewers:
                reviewers[order.tenant_id] = [
                    m.user
                    for m in Membership.objects.filter(
                        tenant_id=order.tenant_id, role=Role.REVIEWER, user__is_active=True
                    ).select_related("user")
                ]
            people = reviewers[order.tenant_id]
        ctx = {"order": order}
        subject = render_to_string("emails/review_sla_subject.txt", ctx).strip()
        body = render_to_string("emails/review_sla_body.txt", ctx)
        key = f"sla:{order.pk}:{order.review_due_at.isoformat()}"
        for user in people:
            for channel, recipient in ((Channel.EMAIL, user.email), (Channel.INBOX, str(user.pk))):
                rows.append(
                    {
                        "channel": channel,
                        "recipient": recipient,
                        "subject": subject,
                        "body": body,
                        "url": review_url % order.pk,
                        "tenant_id": order.tenant_id,
                        "dedupe_key": f"{key}:{user.pk}:{channel}",
                    }
                )
    outbox_enqueue_many(rows)
    return len(orders)


def sla_reminder_sweep(*, now=None, batch: int = BATCH) -> int:
    """R-S2: a provider step past its working-day SLA reminds its reviewer (or all reviewers) once."""
    now = now or timezone.now()
    with tenant_scopes_disabled():  # platform sweep; see sms_deadline_sweep
        return _sweep(
            lambda: FilingOrder.objects.filter(
                status__in=(S.PROVIDER_REVIEW, S.PROVIDER_RECHECK),
                review_due_at__lte=now,
                sla_reminded_at__isnull=True,
            ).order_by("review_due_at", "pk"),
            lambda ids: _remind_sla(ids, now),
            batch,
        )


def deadlines_sweep(*, now=None) -> dict[str, int]:
    """Every order deadline, in the order that makes catch-up right (expiry before reminders)."""
    now = now or timezone.now()
    return {
        "sms_expired": sms_deadline_sweep(now=now),
        "expired": idle_expiry_sweep(now=now),
        "idle_reminders": idle_reminder_sweep(now=now),
        "sla_reminders": sla_reminder_sweep(now=now),
    }


def dashboard_pending_fold() -> int:
    """Count the orders the sweeps moved into the dashboard's rollups (R-M3); after the sweeps."""
    with tenant_scopes_disabled():  # the queue holds every tenant's moves; each keeps its tenant
        return rollup_pending_fold()
