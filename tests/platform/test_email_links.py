"""Finding 6: links in emails come from the provider's configured host name, never the Host header."""

from __future__ import annotations

import re
import subprocess
import sys

from django.core import mail
from django.test import override_settings

from icpfiling.tenancy.links import site_url
from tests.platform.test_deployment_files import ROOT, production_env

LINKS = re.compile(r"https?://\S+")


def _links(body: str) -> list[str]:
    return LINKS.findall(body)


def test_finding_6_reset_and_confirmation_links_ignore_the_request_port(alpha, beta):
    # given a request to alpha whose Host header carries an attacker's port
    client = alpha.client()
    client.defaults["HTTP_HOST"] = "alpha.localhost:6666"
    # when a password reset and a registration are asked for
    client.post("/accounts/password-reset/", {"email": "applicant@alpha.test"})
    client.post(
        "/accounts/register/",
        {
            "email": "n@example.com",
            "full_name": "甲",
            "password1": "a-Good-pass-2026",
            "password2": "a-Good-pass-2026",
        },
    )
    # then every link in both emails is on alpha's configured host, with no port
    links = [link for m in mail.outbox for link in _links(m.body)]
    assert len(links) == 2
    assert all(link.startswith("http://alpha.localhost/") for link in links), links
    assert not any("6666" in m.body for m in mail.outbox)


@override_settings(ICPFILING_LINK_SCHEME="https", ICPFILING_LINK_PORT="8443")
def test_finding_6_scheme_and_port_are_configuration(alpha, beta):
    # given the configured scheme and port / then each provider's links use its own first host name
    assert site_url(alpha.provider) == "https://alpha.localhost:8443"
    assert site_url(beta.provider) == "https://beta.localhost:8443"
    assert site_url(None) == "https://localhost:8443"


@override_settings(ICPFILING_LINK_SCHEME="https", ICPFILING_LINK_PORT="443")
def test_finding_6_default_port_is_left_out(alpha):
    assert site_url(alpha.provider) == "https://alpha.localhost"


def test_finding_6_production_refuses_a_wildcard_allowed_hosts(tmp_path):
    # given a production environment with ALLOWED_HOSTS "*" / when Django starts / then it refuses
    env = {**production_env(tmp_path), "DJANGO_ALLOWED_HOSTS": "*"}
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
    assert "DJANGO_ALLOWED_HOSTS" in result.stderr
