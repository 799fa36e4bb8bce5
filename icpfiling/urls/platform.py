"""URLs on the platform host (localhost): public pages, the authority portal, the operator."""

from django.urls import include, path

from icpfiling.operator.site import operator_site
from icpfiling.urls.common import urlpatterns as common

urlpatterns = [
    *common,
    path("operator/", operator_site.urls),
    # The simulated provincial authority (管局), scoped to its provinces (R-T3, R-S6).
    path("authority/", include(("filings.authority.urls", "authority"), namespace="authority")),
]
