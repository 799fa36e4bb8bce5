"""The Celery app. Configuration comes from Django settings (CELERY_*).

Tasks take ids (and a tenant id) only; ``icpfiling.tenancy.tasks`` wrappers put
each task inside exactly the scope it names (R-T5).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icpfiling.settings")

app = Celery("icpfiling")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["icpfiling.notifications", "filings", "verification_points"])
