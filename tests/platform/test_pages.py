"""Error pages, security headers, file names (R-L1, R-T5, reliability scorecard)."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings
from django.urls import path

from icpfiling.tenancy.storage import tenant_file_name, tenant_of_file_name
from icpfiling.urls.tenant import urlpatterns as tenant_patterns


def boom(request):
    raise RuntimeError("simulated failure")


urlpatterns = [*tenant_patterns, path("boom/", boom)]


def test_404_page_is_friendly_and_in_chinese(alpha):
    r = alpha.client().get("/no-such-page/")
    assert r.status_code == 404
    body = r.content.decode()
    assert "页面不存在" in body
    assert "Alpha Cloud" in body  # the provider's own layout


def test_403_page_for_a_forbidden_action(alpha):
    r = alpha.client("reviewer").post("/accounts/staff/users/1/disable/")
    assert r.status_code == 403
    assert "没有权限" in r.content.decode()


@pytest.mark.django_db
def test_500_page_needs_no_context_and_says_nothing_is_lost(alpha):
    client = Client(HTTP_HOST=alpha.host, raise_request_exception=False)
    # the tenant URLconf is swapped for one with a failing view
    from icpfiling.tenancy import middleware

    original = middleware.TENANT_URLCONF
    middleware.TENANT_URLCONF = __name__
    try:
        r = client.get("/boom/")
    finally:
        middleware.TENANT_URLCONF = original
    assert r.status_code == 500
    body = r.content.decode()
    assert "服务器错误" in body
    assert "simulated failure" not in body


def test_security_headers_on_every_page(alpha):
    r = alpha.client().get("/accounts/login/")
    assert r["X-Frame-Options"] == "DENY"
    assert r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"
    assert r["Cross-Origin-Opener-Policy"] == "same-origin"
    csp = r["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp


def test_no_inline_scripts_or_styles_in_templates():
    # CSP allows only same-origin scripts and styles: inline ones would be blocked.
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = [
        str(p.relative_to(root))
        for p in root.rglob("*.html")
        if re.search(r"<script(?![^>]*\bsrc=)|<style|\sstyle=\"|\son[a-z]+=\"", p.read_text())
    ]
    assert offenders == []


def test_r_l1_pages_fit_a_phone(alpha):
    body = alpha.client().get("/accounts/login/").content.decode()
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in body
    assert '<label for="id_username">' in body


@override_settings(TIME_ZONE="Asia/Shanghai")
def test_r_t5_stored_file_names_carry_the_tenant_and_ignore_client_names():
    name = tenant_file_name(tenant_id=7, kind="id_front", extension=".JPEG")
    assert re.fullmatch(r"t7/id_front/\d{4}/[0-9a-f]{32}\.jpg", name)
    assert tenant_of_file_name(name) == 7
    assert tenant_file_name(tenant_id=7, kind="id_front", extension="jpg") != name
    for bad, message in [
        ({"tenant_id": 0, "kind": "x", "extension": "jpg"}, "needs its tenant"),
        ({"tenant_id": 7, "kind": "../etc", "extension": "jpg"}, "invalid file kind"),
        ({"tenant_id": 7, "kind": "id_front", "extension": "html"}, "unsupported file extension"),
    ]:
        with pytest.raises(ValueError, match=message):
            tenant_file_name(**bad)


def test_r_l1_platform_home_links_each_provider_site_on_the_same_port(alpha, beta):
    # Given the platform host reached on port 8101 (PORTAL_PORT=8101 make run)
    from django.test import Client

    html = Client(HTTP_HOST="localhost:8101").get("/").content.decode()
    # Then each provider is a link to its own site, on that port
    assert '<a href="http://alpha.localhost:8101/"><strong>Alpha Cloud</strong></a>' in html
    assert '<a href="http://beta.localhost:8101/"><code>beta.localhost</code></a>' in html
