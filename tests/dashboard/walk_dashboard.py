"""URL-walk recipes for the dashboard (R-M3): its pages address no object.

The walk fetches them as every role on alpha's host (only the admin gets the
page; it must show nothing of beta's) and as the authority on the platform host
(refused). ``test_dashboard.py`` checks the figures and the CSV of each tenant.
"""

from __future__ import annotations

from filings.models import DashboardRollup
from icpfiling.tenancy.context import tenant_scope

NO_OBJECT = {"dashboard:index", "dashboard:export", "ops_dashboard:index", "ops_dashboard:export"}


def snapshot(w) -> object:
    """A dashboard page only reads: beta's rollup cells must stay as they were."""
    with tenant_scope(w.beta.provider):
        return list(DashboardRollup.objects.order_by("pk").values_list("pk", "metric", "key", "count"))
