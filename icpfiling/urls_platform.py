"""URLs on the platform host (localhost): public pages, the authority portal, the operator."""

from django.urls import path

from icpfiling.core.admin import operator_site
from icpfiling.urls_common import urlpatterns as common

urlpatterns = [
    *common,
    path("operator/", operator_site.urls),
]
