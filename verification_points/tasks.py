"""Periodic tasks of the verification-point programme (R-K4): thin wrappers over the services.

Both are platform tasks: they start with no tenant scope and enter each
provider's scope themselves. Both are idempotent, so beat may run them daily
(and again after downtime) without harm.
"""

from celery import shared_task

from icpfiling.tenancy.tasks import platform_task
from verification_points.operations.settlement import settlement_catch_up
from verification_points.operations.slots import slots_roll_forward


@shared_task(ignore_result=True)
@platform_task
def settlement_monthly() -> int:
    """Settles the previous month if not yet settled (meant for the 1st; safe daily)."""
    return settlement_catch_up()


@shared_task(ignore_result=True)
@platform_task
def slots_roll_forward_task() -> int:
    """Keeps every operating point's slots open for booking two weeks ahead."""
    return slots_roll_forward()


# Celery autoloads each app's tasks.py only; the application programme's sweep lives beside it.
from verification_points.applications.tasks import applications_sweep_task  # noqa: E402,F401
