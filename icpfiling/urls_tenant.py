"""URLs on a provider's host (alpha.localhost): applicants and provider staff."""

from django.urls import include, path

from filings.urls import phone_urlpatterns
from icpfiling.urls_common import urlpatterns as common

urlpatterns = [
    *common,
    path("orders/", include("filings.urls")),
    # Phone hand-off pages (R-D6): same namespace, short path, no login.
    path("m/", include((phone_urlpatterns, "phone"), namespace="phone")),
]
