"""Celery task of the application programme (ids in, nothing out).

Beat schedule entry (dotted path): ``verification_points.applications.tasks.applications_sweep_task``.
"""

from celery import shared_task

from icpfiling.tenancy.tasks import platform_task
from verification_points.applications.services import applications_sweep


@shared_task(ignore_result=True)
@platform_task
def applications_sweep_task() -> int:
    """Periodic: withdraw late supplement answers, lapse expired rectifications (R-K3, R-B1)."""
    return applications_sweep()
