"""Provider admins' pages for operating points and statements, at /points/ (namespace ``points``)."""

from django.urls import path

from verification_points.operations import views

urlpatterns = [
    path("", views.point_list, name="point_list"),
    path("<int:point_id>/", views.point_detail, name="point_detail"),
    path("statements/", views.statement_list, name="statement_list"),
    path("statements/<int:statement_id>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:statement_id>/csv/", views.statement_csv, name="statement_csv"),
    path("statements/<int:statement_id>/pdf/", views.statement_pdf, name="statement_pdf"),
    path("statements/<int:statement_id>/paid/", views.statement_paid, name="statement_paid"),
]
