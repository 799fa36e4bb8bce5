"""Fixtures shared by the whole suite: two tenants in every fixture set.

``alpha`` and ``beta`` are two providers with one user per role each, so every
test can act as one tenant and probe the other.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client, TestCase
from django.utils import timezone

from icpfiling.accounts.models import Membership, PlatformRole, Role, User
from icpfiling.core.refcache import clear_all_local
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider, ProviderHostname
from tests.services import chromium_path

PASSWORD = "correct-horse-battery-9"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Reference data (provinces, natures, certificate types) is loaded once."""
    from icpfiling.registry.reference import reference_data_load

    with django_db_blocker.unblock():
        reference_data_load()


@pytest.fixture(autouse=True)
def _clear_cache():
    # The default cache and the rate limiters' own (Redis when REDIS_URL is set): no test sees
    # another's counters.
    # The web processes' reference caches too: a test's rolled-back rows must not outlive it.
    names = list(settings.CACHES)  # default, ratelimit, and sessions where they are cached
    for name in names:
        caches[name].clear()
    clear_all_local()
    yield
    for name in names:
        caches[name].clear()
    clear_all_local()


class CommittingClient(Client):
    """A test client whose requests end as a real request does: committed.

    Tests run inside a transaction that never commits, so after-commit work
    (outbox dispatch) would never happen; each request here runs its
    on_commit callbacks when it returns, as production does at COMMIT.
    """

    def request(self, **request):
        with TestCase.captureOnCommitCallbacks(execute=True):
            return super().request(**request)


@dataclass
class Tenant:
    provider: Provider
    host: str
    users: dict[str, User] = field(default_factory=dict)

    def client(self, role: str | None = None) -> Client:
        c = CommittingClient(HTTP_HOST=self.host)
        if role:
            c.force_login(self.users[role], backend="icpfiling.accounts.backends.TenantEmailBackend")
        return c


def make_tenant(slug: str, *, require_approval: bool = False) -> Tenant:
    provider = Provider.objects.create(
        slug=slug, name=f"{slug.title()} Cloud", require_account_approval=require_approval
    )
    host = f"{slug}.localhost"
    ProviderHostname.objects.create(provider=provider, hostname=host)
    tenant = Tenant(provider=provider, host=host)
    with tenant_scope(provider):
        for role in Role:
            user = User.objects.create_user(
                f"{role.value}@{slug}.test",
                PASSWORD,
                provider=provider,
                full_name=f"{slug}-{role.value}",
                email_confirmed_at=timezone.now(),
            )
            Membership.objects.create(tenant=provider, user=user, role=role, approved_at=timezone.now())
            tenant.users[role.value] = user
    return tenant


@pytest.fixture
def alpha(db) -> Tenant:
    return make_tenant("alpha", require_approval=True)


@pytest.fixture
def beta(db) -> Tenant:
    return make_tenant("beta")


@pytest.fixture
def platform_users(db) -> dict[str, User]:
    authority = User.objects.create_user(
        "authority-zj@gov.test",
        PASSWORD,
        platform_role=PlatformRole.AUTHORITY,
        email_confirmed_at=timezone.now(),
    )
    authority.authority_provinces.add("ZJ")
    operator = User.objects.create_superuser("operator@platform.test", PASSWORD)
    return {"authority": authority, "operator": operator}


def platform_client(user: User | None = None) -> Client:
    c = CommittingClient(HTTP_HOST="localhost")
    if user is not None:
        c.force_login(user, backend="icpfiling.accounts.backends.TenantEmailBackend")
    return c


def pytest_sessionfinish(session, exitstatus):
    """In CI nothing may be skipped: a skip there means a missing service or browser."""
    if not IN_CI:
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.exitstatus == 0:
        reporter.write_line(
            f"CI=true: {skipped} test(s) were skipped; CI requires every test to run.", red=True
        )
        session.exitstatus = 1


# --- the shared browser (one Chromium for the whole run) ------------------------------


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls made by
    # the test itself (seeding, assertions) are still synchronous and safe. The
    # variable is removed again so that no later test or subprocess inherits it.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=chromium_path(),
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")  # a phone
    pg = context.new_page()
    pg.set_default_timeout(15000)
    yield pg
    context.close()
