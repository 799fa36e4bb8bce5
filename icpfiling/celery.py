"""The Celery app. Configuration comes from Django settings (CELERY_*).

Tasks take ids (and a tenant id) only; ``icpfiling.tenancy.tasks`` wrappers put
each task inside exactly the scope it names (R-T5).
"""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icpfiling.settings")

app = Celery("icpfiling")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["icpfiling.notifications", "filings", "verification_points"])


@signals.after_setup_logger.connect
@signals.after_setup_task_logger.connect
def _scrub_worker_logs(logger=None, **kwargs):
    """The worker replaces the root logger's handlers with its own; they get the same scrubbing (R-X5)."""
    from icpfiling.core.scrub import ScrubFilter

    for handler in getattr(logger, "handlers", []):
        if not any(isinstance(f, ScrubFilter) for f in handler.filters):
            handler.addFilter(ScrubFilter())
