"""R-X3: staff, authority reviewers and the operator sign in with a TOTP second factor."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from django.test import override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import platform_client
from tests.platform.test_deployment_files import ROOT, production_env

REQUIRED = override_settings(ICPFILING_DEMO_PASSWORD_ONLY_LOGIN=False)


def _code(device: TOTPDevice, *, steps_ahead: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def _enrol(client, user) -> list[str]:
    client.get("/accounts/2fa/setup/")
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post("/accounts/2fa/setup/", {"token": _code(device), "next": "/"})
    assert response.status_code == 200
    return response.context["codes"]


@REQUIRED
@pytest.mark.parametrize("role", ["reviewer", "provider_admin", "point_staff"])
def test_r_x3_provider_staff_are_sent_to_set_up_a_second_factor(alpha, beta, role):
    for tenant in (alpha, beta):
        # given staff signed in with the password only / when they open any page
        response = tenant.client(role).get("/")
        # then they are sent to the set-up page, and remember where they were going
        assert response.status_code == 302
        assert response["Location"] == "/accounts/2fa/setup/?next=%2F"


@REQUIRED
def test_r_x3_applicants_are_not_asked_unless_they_opted_in(alpha, beta):
    assert alpha.client("applicant").get("/orders/").status_code == 200
    assert beta.client("applicant").get("/orders/").status_code == 200


@REQUIRED
def test_r_x3_authority_and_operator_are_asked_too(platform_users):
    for user in platform_users.values():
        response = platform_client(user).get("/operator/" if user.is_superuser else "/authority/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/2fa/setup/")


@REQUIRED
def test_r_x3_enrolment_gives_ten_recovery_codes_and_opens_the_pages(alpha, beta):
    reviewer = alpha.users["reviewer"]
    client = alpha.client("reviewer")
    # when the reviewer scans the code and confirms with the app's code
    codes = _enrol(client, reviewer)
    # then ten single-use recovery codes are shown once and the session is verified
    assert len(codes) == len(set(codes)) == 10
    assert client.get("/review/").status_code == 200
    assert TOTPDevice.objects.filter(user=reviewer, confirmed=True).count() == 1
    # and beta's reviewer is still asked (nothing of alpha's enrolment counts there)
    assert beta.client("reviewer").get("/review/").status_code == 302


@REQUIRED
def test_r_x3_next_sign_in_needs_a_code_and_recovery_codes_work_once(alpha, beta):
    reviewer = alpha.users["reviewer"]
    codes = _enrol(alpha.client("reviewer"), reviewer)
    # given a new session signed in with the password
    client = alpha.client("reviewer")
    assert client.get("/review/")["Location"] == "/accounts/2fa/verify/?next=%2Freview%2F"
    # a wrong code is refused with a message, and the pages stay closed
    wrong = client.post("/accounts/2fa/verify/", {"token": "000000", "next": "/review/"})
    assert wrong.status_code == 400
    assert "验证码不正确" in wrong.content.decode()
    assert client.get("/review/").status_code == 302
    # a recovery code opens them, and is used up
    assert (
        client.post("/accounts/2fa/verify/", {"token": codes[0], "next": "/review/"})["Location"]
        == "/review/"
    )
    assert client.get("/review/").status_code == 200
    assert not StaticToken.objects.filter(token=codes[0]).exists()
    again = alpha.client("reviewer")
    assert again.post("/accounts/2fa/verify/", {"token": codes[0]}).status_code == 400
    # and the app's next code works in yet another session (once django-otp's back-off after the
    # failures above has passed; the test resets it instead of sleeping)
    device = TOTPDevice.objects.get(user=reviewer, confirmed=True)
    assert device.throttling_failure_count >= 1
    device.throttle_reset()
    assert again.post("/accounts/2fa/verify/", {"token": _code(device, steps_ahead=1)}).status_code == 302
    assert again.get("/review/").status_code == 200


@REQUIRED
def test_r_x3_verify_refuses_an_outside_next_url(alpha):
    codes = _enrol(alpha.client("reviewer"), alpha.users["reviewer"])
    client = alpha.client("reviewer")
    response = client.post("/accounts/2fa/verify/", {"token": codes[1], "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_r_x3_the_embedded_demo_keeps_password_only_logins(alpha, beta):
    # given the embedded default (ICPFILING_DEMO_PASSWORD_ONLY_LOGIN on) / then staff pages open
    assert alpha.client("reviewer").get("/review/").status_code == 200
    assert beta.client("provider_admin").get("/points/").status_code == 200


def test_r_x3_production_refuses_to_start_with_password_only_logins(tmp_path):
    env = {**production_env(tmp_path), "ICPFILING_DEMO_PASSWORD_ONLY_LOGIN": "true"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    assert "ICPFILING_DEMO_PASSWORD_ONLY_LOGIN" in result.stderr
