from django.urls import path

from icpfiling.accounts.second_factor import views

urlpatterns = [
    path("2fa/setup/", views.setup, name="second_factor_setup"),
    path("2fa/verify/", views.verify, name="second_factor_verify"),
]
