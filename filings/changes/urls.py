from django.urls import path

from filings.changes import views

app_name = "changes"

urlpatterns = [
    path("start/", views.change_start, name="start"),
    path("<int:order_id>/transfer/", views.transfer_set, name="transfer"),
    path("hosted/", views.hosted_services, name="hosted"),
    path("offline-kit/<int:entity_id>.pdf", views.offline_kit, name="offline_kit"),
    path(
        "hosted/<int:service_id>/cancel-access/", views.provider_cancel_access, name="provider_cancel_access"
    ),
    path(
        "hosted/app/<int:app_id>/cancel-access/",
        views.provider_cancel_app_access,
        name="provider_cancel_app_access",
    ),
]
