"""The demo data: idempotent, and every demo account logs in on its own host."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client

from icpfiling.accounts.models import User
from icpfiling.core.demo import demo_seed
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
    assert counts == (11, 5, 6, 7)
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
    demo_seed()
    client = Client(HTTP_HOST=host)
    response = client.post("/accounts/login/", {"username": email, "password": DEMO_PASSWORD})
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 200
    assert f"<h1>{heading}</h1>" in home.content.decode()


def test_demo_accounts_cannot_log_in_on_another_host():
    demo_seed()
    response = Client(HTTP_HOST="beta.localhost").post(
        "/accounts/login/", {"username": "admin@alpha.demo", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 200
    assert "_auth_user_id" not in response.client.session


def test_demo_registry_supports_every_detection_case():
    demo_seed()
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
