"""The provider reviewers' queue and order review (R-S2, R-S3), under /review/ (namespace ``review``)."""

from django.urls import path

from filings.review import views as v

urlpatterns = [
    path("", v.queue, name="queue"),
    path("<int:order_id>/", v.order_page, name="order"),
    path("<int:order_id>/claim/", v.order_claim, name="claim"),
    path("<int:order_id>/assign/", v.order_assign, name="assign"),
    path("<int:order_id>/phone-check/", v.phone_check, name="phone_check"),
    path("<int:order_id>/return/", v.order_return, name="return"),
    path("<int:order_id>/pass/", v.order_pass, name="pass"),
    path("<int:order_id>/submit/", v.submit_to_authority, name="submit_authority"),
    path("<int:order_id>/back-to-verification/", v.back_to_verification, name="back_to_verification"),
    path("<int:order_id>/reveal/", v.reveal, name="reveal"),
    path("<int:order_id>/materials/<int:file_id>/", v.material_file, name="material_file"),
]
