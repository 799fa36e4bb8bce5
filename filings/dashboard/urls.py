from django.urls import path

from filings.dashboard import views

# On a provider's host, under /dashboard/ (namespace "dashboard"): the provider admin's.
urlpatterns = [
    path("", views.provider_dashboard, name="index"),
    path("orders.csv", views.provider_export, name="export"),
]

# On the platform host, under /ops/dashboard/ (namespace "ops_dashboard"): the operator's.
platform_urlpatterns = [
    path("", views.operator_dashboard, name="index"),
    path("orders.csv", views.operator_export, name="export"),
]
