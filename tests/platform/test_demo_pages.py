"""Every staff and applicant page of the full demo renders for its role (no 500 anywhere).

The demo holds an order in every state at both providers, applications in
every review state and an operating point with bookings and checks, so this
walks the pages a user would open on each of them, both languages.
"""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from filings.models import FilingOrder
from icpfiling.demo.seed import demo_seed
from icpfiling.tenancy.context import tenant_scopes_disabled
from verification_points.models import Booking, MonthlyStatement, PointApplication, VerificationPoint

pytestmark = pytest.mark.django_db
PASSWORD = "demo-pass-2026"
TENANT = "icpfiling.urls.tenant"
PLATFORM = "icpfiling.urls.platform"


def _client(host: str, email: str, language: str) -> Client:
    client = Client(HTTP_HOST=host, HTTP_ACCEPT_LANGUAGE=language)
    assert client.post("/accounts/login/", {"username": email, "password": PASSWORD}).status_code == 302
    return client


def _pages(slug: str) -> dict[str, list[str]]:
    with tenant_scopes_disabled():
        orders = list(FilingOrder.objects.filter(tenant__slug=slug).values_list("pk", "status"))
        bookings = list(
            Booking.objects.filter(tenant__slug=slug, mode="in_person").values_list("pk", flat=True)
        )
        applications = list(PointApplication.objects.filter(tenant__slug=slug).values_list("pk", flat=True))
        points = list(VerificationPoint.objects.filter(tenant__slug=slug).values_list("pk", flat=True))
        statements = list(MonthlyStatement.objects.filter(tenant__slug=slug).values_list("pk", flat=True))
    submitted = [pk for pk, status in orders if status != "draft"]
    return {
        "applicant": [reverse("filings:order_list", TENANT), reverse("filings:filed_info", TENANT), "/inbox/"]
        + [reverse("filings:order_detail", TENANT, kwargs={"order_id": pk}) for pk, _s in orders]
        + [
            reverse("verify:booking", TENANT, kwargs={"order_id": pk})
            for pk, s in orders
            if s == "verification"
        ]
        + [
            reverse("sms:check", TENANT, kwargs={"order_id": pk})
            for pk, s in orders
            if s == "sms_verification"
        ],
        "reviewer": [reverse("review:queue", TENANT), "/review/?status=approved", "/inbox/"]
        + [reverse("review:order", TENANT, kwargs={"order_id": pk}) for pk in submitted],
        "verifier": [reverse("desk:bookings", TENANT)]
        + [reverse("desk:check", TENANT, kwargs={"booking_id": pk}) for pk in bookings],
        "admin": [reverse("vp:admin_list", TENANT), reverse("points:point_list", TENANT)]
        + [reverse("points:statement_list", TENANT)]
        + [reverse("vp:admin_detail", TENANT, kwargs={"application_id": pk}) for pk in applications]
        + [reverse("points:point_detail", TENANT, kwargs={"point_id": pk}) for pk in points]
        + [reverse("points:statement_detail", TENANT, kwargs={"statement_id": pk}) for pk in statements],
    }


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_demo_page_renders_for_its_role(language):
    # Given the full demo
    demo_seed()
    opened = 0
    for slug in ("alpha", "beta"):
        for role, urls in _pages(slug).items():
            client = _client(f"{slug}.localhost", f"{role}@{slug}.demo", language)
            # When each page of the role is opened, Then it answers 200
            for url in urls:
                assert client.get(url).status_code == 200, f"{role}@{slug} {url}"
                opened += 1
    with tenant_scopes_disabled():
        at_authority = list(
            FilingOrder.objects.filter(status="authority_review").values_list("pk", "province_id")
        )
    for province in ("zj", "gd"):
        client = _client("localhost", f"authority-{province}@gov.demo", language)
        urls = [reverse("authority:queue", PLATFORM), reverse("authority:history", PLATFORM)] + [
            reverse("authority:order", PLATFORM, kwargs={"order_id": pk})
            for pk, code in at_authority
            if code.lower() == province
        ]
        for url in urls:
            assert client.get(url).status_code == 200, f"authority-{province} {url}"
            opened += 1
    assert opened > 80
