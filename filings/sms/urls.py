"""The applicant's SMS check page (R-S5), included at /orders/ with namespace ``sms``."""

from django.urls import path

from filings.sms import views as sms_views

urlpatterns = [
    path("<int:order_id>/sms/", sms_views.sms_check, name="check"),
    path("<int:order_id>/sms/<int:challenge_id>/enter/", sms_views.sms_enter, name="enter"),
    path("<int:order_id>/sms/<int:challenge_id>/resend/", sms_views.sms_resend_view, name="resend"),
]
