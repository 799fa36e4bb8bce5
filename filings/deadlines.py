"""Deadline sweeps (R-B1, R-S5, R-S8, R-S2, R-M1): timestamps on rows, enforced by a periodic scan.

Nothing here waits for a countdown: each deadline is a column, each sweep
selects the rows whose moment has passed, in batches locked with
``SKIP LOCKED`` on PostgreSQL (two sweeps running at once split the work and
never handle a row twice), and moves them with a conditional update, so a
sweep that runs again, or late after downtime, changes nothing that was
already handled and catches up on everything that was missed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from django.core.files.storage import storages
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.models import (
    IDENTITY_KINDS,
    PERSON_FIELDS,
    FilingOrder,
    MaterialFile,
    OrderStatus,
    OrderWebsite,
    Server,
)
from filings.notifications import order_reminder_notify_many
from filings.rollups import rollup_pending_fold
from filings.workflow import IDLE_REMINDER_DAYS, order_transition_many
from icpfiling.accounts.models import Membership, Role
from icpfiling.core.links import id_url_template
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue_many
from icpfiling.tenancy.context import tenant_scopes_disabled
from icpfiling.tenancy.models import Provider

log = logging.getLogger("icpfiling.retention")

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


# The applicant is reminded once, this long before the resubmission window closes.
RESUBMIT_REMINDER_BEFORE = timedelta(days=1)


def resubmit_deadline_sweep(*, now=None, batch: int = BATCH) -> int:
    """R-M1, seed 001 ("5日内再次提交"): a returned order not resubmitted within the
    provider's window expires, once (the applicant can reactivate it and resubmit)."""
    now = now or timezone.now()
    with tenant_scopes_disabled():  # platform sweep; see sms_deadline_sweep
        return _sweep(
            lambda: FilingOrder.objects.filter(status=S.RETURNED, resubmit_due_at__lte=now).order_by(
                "resubmit_due_at", "pk"
            ),
            lambda ids: len(
                order_transition_many(
                    order_ids=ids,
                    action="expire",
                    message=_("未在接入商规定的期限内修改并重新提交，订单已失效；可重新激活后修改提交。"),
                )
            ),
            batch,
        )


def _remind_resubmit(ids: list[int], now) -> int:
    orders = list(FilingOrder.objects.filter(pk__in=ids).select_related("applicant"))
    sent = [
        o
        for o in orders
        if FilingOrder.objects.filter(pk=o.pk, resubmit_reminded_at__isnull=True).update(
            resubmit_reminded_at=now
        )
    ]
    for o in sent:
        # The stamp ties the reminder to this return's deadline: a re-run never sends it twice.
        order_reminder_notify_many(orders=[o], reminder="resubmit", stamp=o.resubmit_due_at.isoformat())
    return len(sent)


def resubmit_reminder_sweep(*, now=None, batch: int = BATCH) -> int:
    """R-M1: one reminder a day before the resubmission window closes."""
    now = now or timezone.now()
    with tenant_scopes_disabled():  # platform sweep; see sms_deadline_sweep
        return _sweep(
            lambda: FilingOrder.objects.filter(
                status=S.RETURNED,
                resubmit_reminded_at__isnull=True,
                resubmit_due_at__gt=now,
                resubmit_due_at__lte=now + RESUBMIT_REMINDER_BEFORE,
            ).order_by("resubmit_due_at", "pk"),
            lambda ids: _remind_resubmit(ids, now),
            batch,
        )


# R-M5: an assigned server this many days (or fewer) before its paid_until reminds its owner once.
SERVER_EXPIRY_WARNING_DAYS = 30


def _remind_server_expiry(ids: list[int]) -> int:
    servers = list(Server.objects.filter(pk__in=ids).select_related("owner"))
    rows = []
    for server in servers:
        ctx = {"server": server}
        subject = render_to_string("emails/server_expiry_subject.txt", ctx).strip()
        body = render_to_string("emails/server_expiry_body.txt", ctx)
        # Keyed by the expiry date: renewing (a new paid_until) re-arms the reminder.
        key = f"server-expiry:{server.pk}:{server.paid_until.isoformat()}"
        for channel, recipient in (
            (Channel.EMAIL, server.owner.email),
            (Channel.INBOX, str(server.owner_id)),
        ):
            rows.append(
                {
                    "channel": channel,
                    "recipient": recipient,
                    "subject": subject,
                    "body": body,
                    "tenant_id": server.tenant_id,
                    "dedupe_key": f"{key}:{channel}",
                }
            )
    Server.objects.filter(pk__in=ids).update(expiry_reminded_for=F("paid_until"))
    outbox_enqueue_many(rows)
    return len(servers)


def server_expiry_sweep(*, now=None, batch: int = BATCH) -> int:
    """R-M5: owners of servers expiring within 30 days are reminded once per expiry date."""
    today = timezone.localdate(now or timezone.now())
    warn = today + timedelta(days=SERVER_EXPIRY_WARNING_DAYS)
    with tenant_scopes_disabled():  # platform sweep; see sms_deadline_sweep
        return _sweep(
            lambda: (
                Server.objects.filter(owner__isnull=False, paid_until__lte=warn)
                .filter(Q(expiry_reminded_for__isnull=True) | ~Q(expiry_reminded_for=F("paid_until")))
                .order_by("paid_until", "pk")
            ),
            _remind_server_expiry,
            batch,
        )


# R-X2: what an order that ended without approval stops holding after the retention period.
# Text fields are blanked; the person's name stays (the timeline and statements name people).
_PURGED_TEXT = tuple(
    f
    for f in PERSON_FIELDS
    if f not in ("principal_name", "principal_id_type", "principal_id_long_term", "principal_id_valid_until")
)
# R-X1: the blind indexes of the blanked ID number and mobile go with them.
_PURGED_TEXT += ("principal_id_number_bidx", "principal_mobile_bidx")
_PURGED_ORDER_FIELDS = {
    **dict.fromkeys(_PURGED_TEXT, ""),
    "emergency_mobile": "",
    "principal_id_valid_until": None,
}
_PURGED_SITE_FIELDS = {**dict.fromkeys(_PURGED_TEXT, ""), "principal_id_valid_until": None}


def _purge_identity(ids: list[int], now) -> int:
    """Delete identity images (curtain photos included) and blank ID numbers, mobiles and emails.

    Conditional on the order still being expired and not yet purged: a reactivated order
    (or a second sweep) is left alone. Files are deleted after the commit, so a rollback
    never leaves rows pointing at missing files; the log line carries counts and ids only.
    """
    purged = list(
        FilingOrder.objects.filter(pk__in=ids, status=S.EXPIRED, identity_purged_at__isnull=True).values_list(
            "pk", "tenant_id"
        )
    )
    if not purged:
        return 0
    order_ids = [pk for pk, _tenant in purged]
    # An individual's certificate number is their resident ID (and keys the entity): cleared too.
    # Compared through the blind indexes (R-X1): the encrypted columns never compare equal.
    FilingOrder.objects.filter(
        pk__in=order_ids, certificate_number_bidx=F("principal_id_number_bidx")
    ).update(certificate_number="", certificate_number_bidx="", entity_key="")
    FilingOrder.objects.filter(pk__in=order_ids).update(identity_purged_at=now, **_PURGED_ORDER_FIELDS)
    OrderWebsite.objects.filter(order_id__in=order_ids).update(**_PURGED_SITE_FIELDS)
    files = MaterialFile.objects.filter(order_id__in=order_ids, kind__in=IDENTITY_KINDS)
    names = list(files.values_list("storage_name", flat=True))
    files.delete()
    storage = storages["default"]

    def remove_files() -> None:
        for name in names:
            try:
                storage.delete(name)
            except OSError:
                log.warning("retention purge: could not delete one stored file; it is unreferenced now")

    transaction.on_commit(remove_files)
    for pk, tenant_id in purged:
        log.info(
            "retention purge: order %s of tenant %s: identity images and personal data removed", pk, tenant_id
        )
    log.info("retention purge: %d orders, %d identity files", len(purged), len(names))
    return len(purged)


def retention_purge_sweep(*, now=None, batch: int = BATCH) -> int:
    """R-X2: expired orders older than their provider's ``retention_days`` lose their identity data, once."""
    now = now or timezone.now()
    total = 0
    with tenant_scopes_disabled():  # platform sweep over every tenant's rows; see sms_deadline_sweep
        for provider_id, days in Provider.objects.values_list("pk", "retention_days"):
            cutoff = now - timedelta(days=days)
            total += _sweep(
                lambda provider_id=provider_id, cutoff=cutoff: FilingOrder.objects.filter(
                    tenant_id=provider_id,
                    status=S.EXPIRED,
                    status_changed_at__lte=cutoff,
                    identity_purged_at__isnull=True,
                ).order_by("status_changed_at", "pk"),
                lambda ids: _purge_identity(ids, now),
                batch,
            )
    return total


def deadlines_sweep(*, now=None) -> dict[str, int]:
    """Every order deadline, in the order that makes catch-up right (expiry before reminders)."""
    now = now or timezone.now()
    return {
        "sms_expired": sms_deadline_sweep(now=now),
        "expired": idle_expiry_sweep(now=now),
        "resubmit_expired": resubmit_deadline_sweep(now=now),
        "idle_reminders": idle_reminder_sweep(now=now),
        "resubmit_reminders": resubmit_reminder_sweep(now=now),
        "sla_reminders": sla_reminder_sweep(now=now),
        "identity_purged": retention_purge_sweep(now=now),
    }


def dashboard_pending_fold() -> int:
    """Count the orders the sweeps moved into the dashboard's rollups (R-M3); after the sweeps."""
    with tenant_scopes_disabled():  # the queue holds every tenant's moves; each keeps its tenant
        return rollup_pending_fold()
