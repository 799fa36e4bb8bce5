"""The demo data: idempotent, and every demo account logs in on its own host."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from icpfiling.accounts.models import User
from icpfiling.demo.seed import demo_seed
from icpfiling.registry.models import AccessRecord, FiledEntity, FiledWebsite
from icpfiling.registry.selectors import filed_entity_find, filed_website_find
from icpfiling.tenancy.models import Provider

pytestmark = pytest.mark.django_db
DEMO_PASSWORD = "demo-pass-2026"

# (host, email, a heading the home page of that role shows)
DEMO_HOMES = [
    ("alpha.localhost", "applicant@alpha.demo", "我的备案"),
    ("alpha.localhost", "reviewer@alpha.demo", "审核工作台"),
    ("alpha.localhost", "admin@alpha.demo", "接入商管理"),
    ("alpha.localhost", "verifier@alpha.demo", "核验点工作台"),
    ("beta.localhost", "applicant@beta.demo", "我的备案"),
    ("beta.localhost", "reviewer@beta.demo", "审核工作台"),
    ("beta.localhost", "admin@beta.demo", "接入商管理"),
    ("beta.localhost", "verifier@beta.demo", "核验点工作台"),
    ("localhost", "authority-zj@gov.demo", "管局审核"),
    ("localhost", "authority-gd@gov.demo", "管局审核"),
    ("localhost", "operator@platform.demo", "平台运营"),
]


def test_demo_seed_is_idempotent():
    first = demo_seed()
    counts = (
        User.objects.count(),
        FiledEntity.objects.count(),
        FiledWebsite.objects.count(),
        AccessRecord.objects.count(),
    )
    second = demo_seed()
    assert first == second
    assert counts == (11, 7, 8, 9)  # two entities filed by the demo authority approvals
    assert (
        User.objects.count(),
        FiledEntity.objects.count(),
        FiledWebsite.objects.count(),
        AccessRecord.objects.count(),
    ) == counts
    assert sorted(Provider.objects.values_list("slug", flat=True)) == ["alpha", "beta"]


def test_seed_demo_command_prints_every_login(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    for host, email, _ in DEMO_HOMES:
        assert f"http://{host}:8000/accounts/login/" in out
        assert email in out
    assert DEMO_PASSWORD in out


@pytest.mark.parametrize(("host", "email", "heading"), DEMO_HOMES)
def test_every_demo_account_logs_in_on_its_host_and_sees_its_home(host, email, heading):
    demo_seed(lifecycle=False)
    client = Client(HTTP_HOST=host)
    response = client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert f"<h1>{heading}</h1>" in home.content.decode()


def test_demo_accounts_cannot_log_in_on_another_host():
    demo_seed(lifecycle=False)
    response = Client(HTTP_HOST="beta.localhost").post(
        "/accounts/login/", {"username": "admin@alpha.demo", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session


def test_demo_registry_supports_every_detection_case():
    demo_seed(lifecycle=False)
    alpha, beta = Provider.objects.get(slug="alpha"), Provider.objects.get(slug="beta")
    # new website at alpha: the entity is filed and hosted at alpha
    alpha_co = filed_entity_find(
        certificate_number=FiledEntity.objects.get(name__startswith="杭州").certificate_number
    )
    assert alpha_co.websites.get().access_records.get().provider == alpha
    # found by its pre-三证合一 number
    assert filed_entity_find(certificate_number="330106000012345") == alpha_co
    # new access at alpha: the website is hosted at beta only
    beta_site = filed_website_find(domain="beta-demo.cn")
    assert list(beta_site.access_records.values_list("provider__slug", flat=True)) == ["beta"]
    # hosted at both
    shared = filed_website_find(domain="shuangxian-demo.cn")
    assert sorted(shared.access_records.values_list("provider__slug", flat=True)) == ["alpha", "beta"]
    assert beta in Provider.objects.filter(access_records__website=shared)


def test_r_s1_demo_holds_every_state_at_both_providers_and_every_queue_has_content():
    # Given the full demo
    demo_seed()
    from filings.models import FilingOrder, OrderStatus
    from icpfiling.tenancy.context import tenant_scopes_disabled

    # Then both providers hold an order in every state
    with tenant_scopes_disabled():
        states = set(FilingOrder.objects.values_list("tenant__slug", "status").distinct())
        # and each authority province has orders from both providers waiting
        waiting = set(
            FilingOrder.objects.filter(status=OrderStatus.AUTHORITY_REVIEW).values_list(
                "province_id", "tenant__slug"
            )
        )
    assert set(OrderStatus.values) == {st for slug, st in states if slug == "alpha"}
    assert set(OrderStatus.values) == {st for slug, st in states if slug == "beta"}
    assert waiting == {("ZJ", "alpha"), ("ZJ", "beta"), ("GD", "alpha"), ("GD", "beta")}
    # When each role opens its queue, it has rows
    pages = [
        ("alpha.localhost", "reviewer@alpha.demo", "/review/", "杭州复审示例科技有限公司"),
        ("beta.localhost", "reviewer@beta.demo", "/review/", "广州复审示例网络有限公司"),
        ("alpha.localhost", "verifier@alpha.demo", "/desk/", "杭州核验示例科技有限公司"),
        ("beta.localhost", "verifier@beta.demo", "/desk/", "广州核验示例网络有限公司"),
        ("localhost", "authority-zj@gov.demo", "/authority/", "宁波管局示例网络有限公司"),
        ("localhost", "authority-gd@gov.demo", "/authority/", "深圳管局示例科技有限公司"),
        ("alpha.localhost", "admin@alpha.demo", "/vp/applications/", "示例已开通核验服务有限公司"),
        ("alpha.localhost", "applicant@alpha.demo", "/orders/", "杭州短信示例科技有限公司"),
    ]
    for host, email, path, expected in pages:
        client = Client(HTTP_HOST=host)
        assert (
            client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD}).status_code == 302
        )
        body = client.get(path).content.decode()
        assert expected in body, f"{email} {path}"


def test_r_b3_printed_logins_honour_the_portal_port(capsys):
    # Given the portal served on another port (PORTAL_PORT=8101 make run)
    # When the demo is seeded the way the run script seeds it
    call_command("seed_demo", "--port", "8101")
    # Then every printed login points at that port and none at the default
    out = capsys.readouterr().out
    for host, email, _ in DEMO_HOMES:
        assert f"http://{host}:8101/accounts/login/  {email}" in out
    assert ":8000" not in out


def test_r_b3_run_script_passes_portal_port_to_the_demo_seed(monkeypatch, tmp_path):
    # Given PORTAL_PORT=8101 when the run script is loaded
    import importlib.util
    from pathlib import Path

    monkeypatch.setenv("PORTAL_PORT", "8101")
    path = Path(__file__).resolve().parents[2] / "scripts" / "portal.py"
    spec = importlib.util.spec_from_file_location("portal_script_under_test", path)
    portal = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(portal)
    calls = []
    monkeypatch.setattr(portal, "manage", lambda *args: calls.append(args))
    # When it prepares the run
    portal.prepare(tmp_path)
    # Then the seed is told the port the server binds
    assert calls == [("migrate", "--no-input", "-v", "0"), ("seed_demo", "--port", "8101")]
    assert portal.PORT == 8101


@pytest.mark.parametrize("today", ["2026-12-15", "2027-03-01", "2027-07-31"])
def test_r_k4_demo_shows_monthly_statements_whatever_day_it_starts(monkeypatch, today):
    # Given the demo started on a day that is neither the 1st nor the 2nd of a month (or is)
    import datetime as dt

    from django.utils import timezone

    started = dt.datetime.fromisoformat(f"{today}T10:00:00+08:00")
    monkeypatch.setattr(timezone, "now", lambda: started)
    demo_seed()
    # When each provider's admin opens the monthly statements
    for slug in ("alpha", "beta"):
        client = Client(HTTP_HOST=f"{slug}.localhost")
        client.post("/accounts/login/", {"username": f"admin@{slug}.demo", "password": DEMO_PASSWORD})
        html = client.get("/points/statements/").content.decode()
        # Then the last two months are listed
        assert "共 0 份" not in html
        assert "共 2 份" in html
        month = started.date().replace(day=1) - dt.timedelta(days=1)
        assert f"{month:%Y-%m}" in html
