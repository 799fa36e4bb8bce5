"""URLs on a provider's host (alpha.localhost): applicants and provider staff."""

from django.urls import include, path

from icpfiling.urls_common import urlpatterns as common

urlpatterns = [*common, path("orders/", include("filings.urls"))]
