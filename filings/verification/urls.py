"""Verification booking for applicants, and the reviewer's remote check (R-S4).

Included at ``/orders/`` with namespace ``verify``.
"""

from django.urls import path

from filings.verification import views

urlpatterns = [
    path("<int:order_id>/verification/", views.booking_page, name="booking"),
    path("<int:order_id>/verification/book/", views.book, name="book"),
    path("<int:order_id>/verification/cancel/", views.cancel, name="cancel"),
    path("<int:order_id>/verification/photo/", views.photo_upload, name="photo_upload"),
    path("<int:order_id>/verification/remote-check/", views.remote_check, name="remote_check"),
]
