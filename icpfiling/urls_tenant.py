"""URLs on a provider's host (alpha.localhost): applicants and provider staff."""

from icpfiling.urls_common import urlpatterns as common

urlpatterns = [*common]
