"""Writing and delivering outbox messages (R-B2)."""

from __future__ import annotations

import logging

from django.db import IntegrityError, transaction
from django.utils import timezone

from icpfiling.core.bulk import insert_rows
from icpfiling.notifications.models import Channel, InboxMessage, OutboxMessage, OutboxStatus
from icpfiling.notifications.selectors import inbox_unread_forget
from icpfiling.notifications.tasks import outbox_deliver, outbox_sweep
from icpfiling.tenancy.context import current_tenant_id

log = logging.getLogger("icpfiling.outbox")


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
    # One task drains the batch (a multi-row insert returns no ids to dispatch one by one).
    transaction.on_commit(lambda: outbox_sweep.delay())
    return len(values)


def inbox_mark_read(*, user_id: int, message_ids: list[int] | None = None) -> int:
    """Marks the user's messages read (all when ``message_ids`` is None); returns how many."""
    qs = InboxMessage.objects.filter(user_id=user_id, read_at__isnull=True)
    if message_ids is not None:
        qs = qs.filter(pk__in=message_ids)
    tenant_ids = set(qs.values_list("tenant_id", flat=True).distinct())
    marked = qs.update(read_at=timezone.now())
    for tenant_id in tenant_ids:
        transaction.on_commit(lambda t=tenant_id: inbox_unread_forget(user_id=user_id, tenant_id=t))
    return marked
