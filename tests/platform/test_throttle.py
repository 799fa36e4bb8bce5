"""Finding 3 of the outside attack: the guessable and anonymous endpoints are throttled.

Counters live in the cache (local memory here, Redis in production), so they are shared
by every thread of the process; each 429 page says in how many minutes to retry.
"""

from __future__ import annotations

import pytest
from django.core import mail

from filings.models import PhoneUploadLink
from icpfiling.accounts.models import User
from icpfiling.core.throttle import DEFAULT_RATES
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order
from verification_points.models.applications import PointApplication


def _limit(group: str, spec: str) -> int:
    return int(dict(DEFAULT_RATES[group])[spec].split("/")[0])


def _assert_429(response) -> None:
    assert response.status_code == 429
    seconds = int(response["Retry-After"])
    assert 0 < seconds <= 24 * 3600
    body = response.content.decode()
    assert "分钟后再试" in body
    assert f"{max(-(-seconds // 60), 1)} 分钟后再试" in body


def test_finding_3_phone_claim_code_guessing_is_stopped(alpha, beta):
    # given an applicant's order on alpha
    order = complete_order(alpha, materials=False)
    client = alpha.client("applicant")
    url = f"/orders/{order.pk}/phone-link/claim/"
    limit = _limit("phone-claim", "user")
    # when the applicant guesses codes: the first `limit` are answered normally
    for i in range(limit):
        assert client.post(url, {"code": f"{10000000 + i}"}).status_code == 302
    # then the next guess is refused with a 429 that says when to retry
    _assert_429(client.post(url, {"code": "99999999"}))
    # and beta's applicant, from the same address, still gets answers
    beta_order = complete_order(beta, materials=False)
    other = beta.client("applicant").post(f"/orders/{beta_order.pk}/phone-link/claim/", {"code": "12345678"})
    assert other.status_code == 302


def test_finding_3_anonymous_phone_links_are_limited_per_address(alpha, beta):
    limit = _limit("phone-start", "ip")
    client = alpha.client()
    # when a phone asks for links over and over
    for _ in range(limit):
        assert client.post("/m/").status_code == 302
    # then the next one is refused and creates nothing
    _assert_429(client.post("/m/"))
    with tenant_scope(alpha.provider):
        assert PhoneUploadLink.objects.count() == limit
    with tenant_scope(beta.provider):
        assert PhoneUploadLink.objects.count() == 0


def test_finding_3_registration_is_limited_per_address(alpha, beta):
    limit = _limit("register", "ip")
    client = alpha.client()
    for i in range(limit):
        data = {"email": f"r{i}@example.com", "full_name": "甲", "password1": "a-Good-pass-2026"}
        assert client.post("/accounts/register/", {**data, "password2": data["password1"]}).status_code == 200
    extra = {"email": "late@example.com", "full_name": "甲", "password1": "a-Good-pass-2026"}
    _assert_429(client.post("/accounts/register/", {**extra, "password2": extra["password1"]}))
    assert not User.objects.filter(email="late@example.com").exists()
    assert User.objects.filter(email__endswith="@example.com").count() == limit
    assert not User.objects.filter(provider=beta.provider, email__endswith="@example.com").exists()


def test_finding_3_password_reset_mails_to_one_address_are_limited(alpha, beta):
    # given alpha's applicant / when eleven reset requests for them arrive (the attack's pattern)
    per_email = _limit("password-reset", "post:email")
    answers = [
        alpha.client().post("/accounts/password-reset/", {"email": "applicant@alpha.test"}).status_code
        for _ in range(11)
    ]
    # then only the first few are mailed and the rest are refused with a 429
    assert answers[:per_email] == [302] * per_email
    assert set(answers[per_email:]) == {429}
    assert [m.to for m in mail.outbox] == [["applicant@alpha.test"]] * per_email


def test_finding_3_password_reset_answers_the_same_for_unknown_addresses(alpha, beta):
    known = alpha.client().post("/accounts/password-reset/", {"email": "applicant@alpha.test"})
    unknown = alpha.client().post("/accounts/password-reset/", {"email": "nobody@example.com"})
    assert (known.status_code, known["Location"]) == (unknown.status_code, unknown["Location"])
    # and the email says which case it is, only to the mailbox's owner
    bodies = {m.to[0]: m.body for m in mail.outbox}
    assert "/accounts/reset/" in bodies["applicant@alpha.test"]
    assert "/accounts/reset/" not in bodies["nobody@example.com"]
    assert "没有用这个邮箱注册的可用账户" in bodies["nobody@example.com"]


def test_finding_3_anonymous_point_applications_are_limited(alpha, beta):
    limit = _limit("point-apply", "ip")
    client = alpha.client()
    # when empty applications are posted (each refused by the form with a 400)
    for _ in range(limit):
        assert client.post("/vp/apply/", {}).status_code == 400
    # then the next one is refused before the form reads any file
    _assert_429(client.post("/vp/apply/", {}))
    with tenant_scope(alpha.provider):
        assert PointApplication.objects.count() == 0


@pytest.mark.parametrize("path", ["/accounts/register/", "/accounts/password-reset/", "/vp/apply/", "/m/"])
def test_finding_3_reading_the_forms_is_never_throttled(alpha, path):
    client = alpha.client()
    assert {client.get(path).status_code for _ in range(30)} == {200}


def test_finding_3_behind_the_proxy_each_client_has_its_own_counter(alpha, beta, settings):
    # given one trusted proxy in front (docker-compose's AXES_PROXY_COUNT=1)
    settings.AXES_IPWARE_PROXY_COUNT = 1
    limit = _limit("phone-start", "ip")
    client = alpha.client()
    # when one client uses up its links (a forged left-most entry does not help it)
    for i in range(limit):
        client.post("/m/", HTTP_X_FORWARDED_FOR=f"10.9.9.{i}, 203.0.113.7")
    assert client.post("/m/", HTTP_X_FORWARDED_FOR="10.0.0.1, 203.0.113.7").status_code == 429
    # then another client behind the same proxy is still served
    assert client.post("/m/", HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 302
