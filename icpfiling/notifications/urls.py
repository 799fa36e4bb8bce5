from django.urls import path

from icpfiling.notifications import views

urlpatterns = [
    path("", views.inbox_list, name="list"),
    path("read/", views.inbox_read_all, name="read_all"),
]
