"""URLs on the platform host (localhost): public pages, the authority portal, the operator."""

from django.urls import include, path

from filings.dashboard.urls import platform_urlpatterns as dashboard_urls
from icpfiling.operator.site import operator_site
from icpfiling.urls.common import urlpatterns as common

urlpatterns = [
    *common,
    path("operator/", operator_site.urls),
    # The operator's dashboard across providers and CSV export of orders (R-M3).
    path("ops/dashboard/", include((dashboard_urls, "ops_dashboard"), namespace="ops_dashboard")),
    # The simulated provincial authority (管局), scoped to its provinces (R-T3, R-S6).
    path("authority/", include(("filings.authority.urls", "authority"), namespace="authority")),
]
