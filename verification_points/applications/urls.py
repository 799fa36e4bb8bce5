"""URLs of the application programme, included at /vp/ with namespace ``vp`` (R-K1..R-K3)."""

from django.urls import path

from verification_points.applications import views

urlpatterns = [
    # The company: public form, then its secret tracking link (no login).
    path("apply/", views.apply, name="apply"),
    path("track/<str:token>/", views.track, name="track"),
    path("track/<str:token>/supplement/", views.track_supplement, name="track_supplement"),
    path("track/<str:token>/reinspection/", views.track_reinspection, name="track_reinspection"),
    path("track/<str:token>/agreement/", views.track_agreement, name="track_agreement"),
    path("track/<str:token>/scans/<int:scan_id>/", views.track_scan, name="track_scan"),
    # The provider's admins.
    path("applications/", views.admin_list, name="admin_list"),
    path("applications/<int:application_id>/", views.admin_detail, name="admin_detail"),
    path("applications/<int:application_id>/reveal/", views.admin_reveal, name="admin_reveal"),
    path("applications/<int:application_id>/accept/", views.admin_accept, name="admin_accept"),
    path("applications/<int:application_id>/supplement/", views.admin_supplement, name="admin_supplement"),
    path("applications/<int:application_id>/schedule/", views.admin_schedule, name="admin_schedule"),
    path("applications/<int:application_id>/inspection/", views.admin_inspection, name="admin_inspection"),
    path("applications/<int:application_id>/agreement/", views.admin_agreement, name="admin_agreement"),
    path(
        "applications/<int:application_id>/agreement.pdf",
        views.admin_agreement_pdf,
        name="admin_agreement_pdf",
    ),
    path(
        "applications/<int:application_id>/agreement/signed/",
        views.admin_agreement_signed,
        name="admin_agreement_signed",
    ),
    path("applications/<int:application_id>/training/", views.admin_training, name="admin_training"),
    path("applications/<int:application_id>/activate/", views.admin_activate, name="admin_activate"),
    path("applications/<int:application_id>/refuse/", views.admin_refuse, name="admin_refuse"),
    path("applications/<int:application_id>/scans/<int:scan_id>/", views.admin_scan, name="admin_scan"),
]
