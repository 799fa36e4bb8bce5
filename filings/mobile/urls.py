from django.urls import path

from filings.mobile import views

urlpatterns = [
    path("<int:order_id>/apps/", views.app_list, name="app_list"),
    path("<int:order_id>/apps/new/", views.app_edit, name="app_new"),
    path("<int:order_id>/apps/<int:app_id>/", views.app_edit, name="app_edit"),
    path("<int:order_id>/apps/<int:app_id>/delete/", views.app_delete, name="app_delete"),
]
