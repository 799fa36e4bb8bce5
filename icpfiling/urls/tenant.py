"""URLs on a provider's host (alpha.localhost): applicants and provider staff."""

from django.urls import include, path

from filings.orders.urls import phone_urlpatterns
from icpfiling.urls.common import urlpatterns as common

urlpatterns = [
    *common,
    path("orders/", include("filings.orders.urls")),
    # Applicant-side verification booking and the SMS check (R-S4, R-S5).
    path("orders/", include(("filings.verification.urls", "verify"), namespace="verify")),
    path("orders/", include(("filings.sms.urls", "sms"), namespace="sms")),
    # Apps, mini-programs and quick apps of an order (R-AP1…R-AP3).
    path("orders/", include(("filings.mobile.urls", "mobile"), namespace="mobile")),
    # Change and cancel orders after approval (R-C1…R-C9), started from 已备案信息 (R-P2).
    path("changes/", include(("filings.changes.urls", "changes"), namespace="changes")),
    # Provider reviewers' queue and order review (R-S2, R-S3).
    path("review/", include(("filings.review.urls", "review"), namespace="review")),
    # Verification-point staff: their point's bookings and check records (R-T4).
    path("desk/", include(("filings.verification.desk.urls", "desk"), namespace="desk")),
    # Verification points: applications (R-K1..R-K3) and operations (R-K4).
    path("vp/", include(("verification_points.applications.urls", "vp"), namespace="vp")),
    path("points/", include(("verification_points.operations.urls", "points"), namespace="points")),
    # The provider admin's dashboard and CSV export of orders (R-M3).
    path("dashboard/", include(("filings.dashboard.urls", "dashboard"), namespace="dashboard")),
    # The provider's own extra materials and their templates (seed 001: 信息安全协议).
    path(
        "provider/documents/",
        include(("filings.provider_documents.urls", "provider_docs"), namespace="provider_docs"),
    ),
    # The provider's server inventory (R-M5) and its own administration (R-M1, R-M2).
    path("servers/", include(("filings.servers.urls", "servers"), namespace="servers")),
    path("manage/", include(("icpfiling.providers.urls", "manage"), namespace="manage")),
    # Phone hand-off pages (R-D6): same namespace, short path, no login.
    path("m/", include((phone_urlpatterns, "phone"), namespace="phone")),
]
