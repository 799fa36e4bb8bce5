"""Outbox tasks: thin wrappers over the services (ids in, nothing out)."""

import time

from celery import shared_task

from icpfiling.notifications.delivery import outbox_deliver_one, outbox_due_ids
from icpfiling.tenancy.tasks import platform_task


@shared_task(ignore_result=True)
@platform_task
def outbox_deliver(message_id: int) -> None:
    outbox_deliver_one(message_id=message_id)


@shared_task(ignore_result=True)
@platform_task
def outbox_sweep() -> int:
    """Periodic: sends whatever is due, including rows whose dispatch was lost.

    Drains in batches for up to 50 s so that a burst (a sweep that notified
    thousands of orders) goes out in one run, yet the next beat tick never overlaps much.
    """
    sent = 0
    started = time.monotonic()
    while time.monotonic() - started < 50:
        ids = outbox_due_ids()
        if not ids:
            break
        for message_id in ids:
            sent += outbox_deliver_one(message_id=message_id)
    return sent
