"""The verification-point staff's desk (R-T4): their point's bookings and checks.

Included at ``/desk/`` with namespace ``desk``.
"""

from django.urls import path

from filings.verification.desk import views

urlpatterns = [
    path("", views.bookings, name="bookings"),
    path("bookings/<int:booking_id>/", views.check, name="check"),
    path("bookings/<int:booking_id>/files/<int:file_id>/", views.material_file, name="material_file"),
]
