"""URL patterns served on every host (tenant and platform)."""

from django.urls import include, path

from icpfiling.portal import views as core_views

urlpatterns = [
    path("", core_views.home, name="home"),
    path("accounts/", include("icpfiling.accounts.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", core_views.healthz, name="healthz"),
    # The public query (公示查询, R-Q1): no login, on the platform host and every provider host.
    path("query/", include("icpfiling.publicquery.urls")),
    path("inbox/", include(("icpfiling.notifications.urls", "inbox"), namespace="inbox")),
]
