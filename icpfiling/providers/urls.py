from django.urls import path

from icpfiling.providers import views

urlpatterns = [
    path("settings/", views.provider_settings, name="settings"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:membership_id>/", views.staff_edit, name="staff_edit"),
    path("staff/<int:membership_id>/disable/", views.staff_disable, name="staff_disable"),
    path("staff/<int:membership_id>/enable/", views.staff_enable, name="staff_enable"),
    path("logo/", views.logo, name="logo"),
    path("brand.css", views.brand_css, name="brand_css"),
]
