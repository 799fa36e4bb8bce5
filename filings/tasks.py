"""Periodic order tasks: thin wrappers over ``filings.deadlines`` (R-B1)."""

from celery import shared_task

from filings.deadlines import deadlines_sweep, server_expiry_sweep
from icpfiling.tenancy.tasks import platform_task


@shared_task(ignore_result=True)
@platform_task
def order_deadlines_sweep() -> dict[str, int]:
    """Beat runs this every minute (embedded run included); it catches up after downtime."""
    return deadlines_sweep()


@shared_task(ignore_result=True)
@platform_task
def server_expiry_reminders() -> int:
    """R-M5: beat runs this hourly; the expiry date is a column, so a late run catches up."""
    return server_expiry_sweep()
