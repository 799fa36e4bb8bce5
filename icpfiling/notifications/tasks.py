"""Outbox tasks: thin wrappers over the services (ids in, nothing out)."""

from celery import shared_task

from icpfiling.notifications.services import outbox_deliver_one, outbox_due_ids
from icpfiling.tenancy.tasks import platform_task


@shared_task(ignore_result=True)
@platform_task
def outbox_deliver(message_id: int) -> None:
    outbox_deliver_one(message_id=message_id)


@shared_task(ignore_result=True)
@platform_task
def outbox_sweep() -> int:
    """Periodic: sends whatever is due, including rows whose dispatch was lost."""
    sent = 0
    for message_id in outbox_due_ids():
        sent += outbox_deliver_one(message_id=message_id)
    return sent
