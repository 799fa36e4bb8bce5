"""Delivery side of the outbox: claim a due message, send it, record the outcome.

The enqueue side (``services``) dispatches the tasks in ``tasks``, and the tasks
call this module; keeping delivery apart from enqueueing is what lets that
chain run one way (services -> tasks -> delivery) without an import cycle.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from icpfiling.notifications.models import Channel, InboxMessage, OutboxMessage, OutboxStatus
from icpfiling.notifications.selectors import inbox_unread_forget
from icpfiling.notifications.sms import get_sms_backend

log = logging.getLogger("icpfiling.outbox")

# A worker that died mid-send leaves a claim behind; after this long the sweep
# retries it (at-least-once in that rare case, exactly-once otherwise).
STALE_CLAIM = timedelta(minutes=10)
# What a sensitive message's body becomes once sent or given up.
REDACTED = "[redacted after delivery]"


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
        _message, created = InboxMessage.objects.get_or_create(
            source=msg,
            defaults={
                "tenant_id": msg.tenant_id,
                "user_id": int(msg.recipient),
                "subject": msg.subject,
                "body": msg.body,
                "url": msg.url,
            },
        )
        if created:
            user_id, tenant_id = int(msg.recipient), msg.tenant_id
            transaction.on_commit(lambda: inbox_unread_forget(user_id=user_id, tenant_id=tenant_id))
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
