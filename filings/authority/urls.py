"""The authority portal, included on the platform host at /authority/ (namespace ``authority``)."""

from django.urls import path

from filings.authority import views

urlpatterns = [
    path("", views.queue, name="queue"),
    path("history/", views.history, name="history"),
    path("orders/<int:order_id>/", views.order_detail, name="order"),
    path("orders/<int:order_id>/approve/", views.order_approve, name="approve"),
    path("orders/<int:order_id>/reject/", views.order_reject, name="reject"),
    path("orders/<int:order_id>/files/<int:file_id>/", views.material_file, name="material_file"),
]
