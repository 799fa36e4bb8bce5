"""Writing and delivering outbox messages (R-B2)."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from icpfiling.core.bulk import insert_rows
from icpfiling.notifications.models import Channel, InboxMessage, OutboxMessage, OutboxStatus
from icpfiling.notifications.sms import get_sms_backend
from icpfiling.tenancy.context import current_tenant_id

log = logging.getLogger("icpfiling.outbox")

# A worker that died mid-send leaves a claim behind; after this long the sweep
# retries it (at-least-once in that rare case, exactly-once otherwise).
STALE_CLAIM = timedelta(minutes=10)
# What a sensitive message's body becomes once sent or given up.
REDACTED = "[redacted after delivery]"


def outbox_enqueue(
    *,
    channel: str,
    recipient: str,
    body: str,
    subject: str = "",
    tenant_id: int | None = None,
    dedupe_key: str | None = None,
    url: str = "",
    sensitive: bool = False,
) -> OutboxMessage | None:
    """Write a message in the caller's transaction; dispatch it after commit.

    ``tenant_id`` defaults to the active scope's tenant. Returns None when a
    message with the same ``dedupe_key`` already exists.
    """
    if channel not in Channel.values:
        raise ValueError(f"unknown channel {channel!r}")
    if tenant_id is None:
        tenant_id = current_tenant_id()
    try:
        with transaction.atomic():
            msg = OutboxMessage.objects.create(
                tenant_id=tenant_id,
                channel=channel,
                recipient=recipient,
                subject=subject[:200],
                body=body,
                url=url[:300],
                dedupe_key=dedupe_key,
                sensitive=sensitive,
            )
    except IntegrityError:
        if dedupe_key and OutboxMessage.objects.filter(dedupe_key=dedupe_key).exists():
            return None
        raise
    from icpfiling.notifications.tasks import outbox_deliver

    # .delay() only after commit: a task must never see a row that may roll back.
    transaction.on_commit(lambda: outbox_deliver.delay(msg.pk))
    return msg


# The columns a multi-row insert of new outbox rows fills, in this order (the
# rest are nullable): used here and by set-based sweeps that build rows in SQL.
OUTBOX_INSERT_COLUMNS = (
    "tenant_id",
    "channel",
    "recipient",
    "subject",
    "body",
    "url",
    "dedupe_key",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sensitive",
)


def outbox_enqueue_many(rows: list[dict]) -> int:
    """Bulk form of ``outbox_enqueue`` for sweeps: one INSERT, one dispatch task after commit.

    Rows whose ``dedupe_key`` already exists are skipped by the database (the
    event was notified before). Returns how many rows were offered.
    """
    if not rows:
        return 0
    now = timezone.now()
    values = [
        (
            r.get("tenant_id"),
            r["channel"],
            r["recipient"],
            r.get("subject", "")[:200],
            r["body"],
            r.get("url", "")[:300],
            r.get("dedupe_key"),
            OutboxStatus.PENDING,
            0,
            now,
            "",
            now,
            bool(r.get("sensitive", False)),
        )
        for r in rows
    ]
    # A row whose dedupe key exists (the event was notified before) is skipped by the database.
    insert_rows(
        OutboxMessage._meta.db_table,
        OUTBOX_INSERT_COLUMNS,
        values,
        on_conflict_ignore=True,
    )
    from icpfiling.notifications.tasks import outbox_sweep

    # One task drains the batch (a multi-row insert returns no ids to dispatch one by one).
    transaction.on_commit(lambda: outbox_sweep.delay())
    return len(values)


def _claim(message_id: int, now) -> bool:
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    )
    return (
        OutboxMessage.objects.filter(due, pk=message_id).update(status=OutboxStatus.SENDING, claimed_at=now)
        == 1
    )


def _send(msg: OutboxMessage) -> None:
    if msg.channel == Channel.EMAIL:
        EmailMessage(subject=msg.subject, body=msg.body, to=[msg.recipient]).send()
    elif msg.channel == Channel.INBOX:
        # get_or_create on the one-to-one source: a re-delivery never shows twice.
        InboxMessage.objects.get_or_create(
            source=msg,
            defaults={
                "tenant_id": msg.tenant_id,
                "user_id": int(msg.recipient),
                "subject": msg.subject,
                "body": msg.body,
                "url": msg.url,
            },
        )
    else:
        # The outbox row id is stable across retries: a gateway that honours the
        # key drops a re-delivery after a lost answer.
        get_sms_backend().send(to=msg.recipient, body=msg.body, idempotency_key=f"outbox-{msg.pk}")


def outbox_deliver_one(*, message_id: int) -> bool:
    """Send one message if it is due and nobody else holds it. True when sent now."""
    now = timezone.now()
    if not _claim(message_id, now):
        return False
    msg = OutboxMessage.objects.get(pk=message_id)
    try:
        _send(msg)
    except Exception as exc:  # any gateway failure is retried with back-off
        attempts = msg.attempts + 1
        dead = attempts >= settings.OUTBOX_MAX_ATTEMPTS
        OutboxMessage.objects.filter(pk=msg.pk, status=OutboxStatus.SENDING).update(
            **({"body": REDACTED} if dead and msg.sensitive else {}),
            status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
            attempts=F("attempts") + 1,
            next_attempt_at=now + timedelta(seconds=min(3600, 30 * 2**attempts)),
            last_error=str(exc)[:500],
            claimed_at=None,
        )
        log.warning("outbox %s attempt %s failed: %s", msg.pk, attempts, exc)
        return False
    done = {
        "status": OutboxStatus.SENT,
        "sent_at": timezone.now(),
        "attempts": F("attempts") + 1,
        "last_error": "",
    }
    if msg.sensitive:
        # A verification code lives in the database only until it is handed to the gateway.
        done["body"] = REDACTED
    OutboxMessage.objects.filter(pk=msg.pk, status=OutboxStatus.SENDING).update(**done)
    return True


def outbox_due_ids(*, limit: int = 500) -> list[int]:
    now = timezone.now()
    due = Q(status=OutboxStatus.PENDING, next_attempt_at__lte=now) | Q(
        status=OutboxStatus.SENDING, claimed_at__lt=now - STALE_CLAIM
    )
    return list(
        OutboxMessage.objects.filter(due).order_by("next_attempt_at").values_list("pk", flat=True)[:limit]
    )


def inbox_mark_read(*, user_id: int, message_ids: list[int] | None = None) -> int:
    """Marks the user's messages read (all when ``message_ids`` is None); returns how many."""
    qs = InboxMessage.objects.filter(user_id=user_id, read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=message_ids)
    return qs.update(read_at=timezone.now())
