"""Periodic order tasks: thin wrappers over ``filings.deadlines`` (R-B1)."""

from celery import shared_task

from filings.deadlines import dashboard_pending_fold, deadlines_sweep, server_expiry_sweep
from icpfiling.tenancy.tasks import platform_task


@shared_task(ignore_result=True)
@platform_task
def order_deadlines_sweep() -> dict[str, int]:
    """Beat runs this every minute (embedded run included); it catches up after downtime."""
    result = deadlines_sweep()
    # Last, the dashboard counts what the sweeps just moved (R-M3).
    result["dashboard_folded"] = dashboard_pending_fold()
    return result


@shared_task(ignore_result=True)
@platform_task
def server_expiry_reminders() -> int:
    """R-M5: beat runs this hourly; the expiry date is a column, so a late run catches up."""
    return server_expiry_sweep()
