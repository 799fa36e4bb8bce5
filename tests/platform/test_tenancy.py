"""Tenancy: host resolution (R-T1), fail-closed scoping (R-T2), tenant-carrying infrastructure (R-T5)."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import Client

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.tenancy.context import (
    TenantScopeError,
    no_tenant_scope,
    tenant_scope,
    tenant_scopes_disabled,
)
from icpfiling.tenancy.logging import TenantLogFilter
from icpfiling.tenancy.models import ProviderHostname
from icpfiling.tenancy.resolve import normalise_host
from icpfiling.tenancy.tasks import tenant_task


def test_r_t2_tenant_owned_query_outside_scope_raises(alpha, beta):
    # given two tenants with members, and no scope active
    # when a tenant-owned model is queried / then it raises instead of listing everyone
    with no_tenant_scope(), pytest.raises(TenantScopeError, match=r"accounts\.Membership queried outside"):
        list(Membership.objects.all())


def test_r_t2_related_access_outside_scope_raises(alpha):
    # given a user loaded without a scope (users are global identities)
    user = User.objects.get(pk=alpha.users["reviewer"].pk)
    # when the tenant-owned reverse relation is followed / then the base manager refuses too
    with no_tenant_scope(), pytest.raises(TenantScopeError):
        _ = user.membership


def test_r_t2_scope_shows_only_own_rows(alpha, beta):
    # when alpha's scope is active / then only alpha's four memberships are visible
    with tenant_scope(alpha.provider):
        emails = sorted(Membership.objects.values_list("user__email", flat=True))
    assert emails == sorted(f"{r.value}@alpha.test" for r in Role)
    # and beta's rows cannot be fetched by id from alpha's scope
    beta_id = beta.users["reviewer"].pk
    with tenant_scope(alpha.provider):
        assert not Membership.objects.filter(user_id=beta_id).exists()


def test_r_t2_saving_another_tenants_row_in_scope_raises(alpha, beta):
    with tenant_scope(beta.provider):
        m = Membership.objects.get(user=beta.users["reviewer"])
    with tenant_scope(alpha.provider), pytest.raises(TenantScopeError, match="saved in scope"):
        m.save()


def test_r_t2_disabled_scope_sees_all_tenants(alpha, beta):
    with tenant_scopes_disabled():
        assert Membership.objects.count() == 2 * len(Role)


def test_r_t1_unknown_host_gets_plain_404_without_data(alpha):
    # given a host that no provider owns
    response = Client(HTTP_HOST="gamma.localhost").get("/")
    # then a bare 404 with nothing to learn from
    assert response.status_code == 404
    assert response.content == b"Not Found"
    assert response["Content-Type"] == "text/plain"


def test_r_t1_unknown_host_gets_404_on_every_path(alpha):
    client = Client(HTTP_HOST="gamma.localhost")
    for path in ["/accounts/login/", "/accounts/register/", "/operator/", "/static/../"]:
        assert client.get(path).status_code == 404


def test_r_t1_host_resolution_ignores_case_and_port(alpha):
    response = Client(HTTP_HOST="ALPHA.localhost:8000").get("/")
    assert response.status_code == 200
    assert "Alpha Cloud" in response.content.decode()
    assert normalise_host("Alpha.LocalHost:8000") == "alpha.localhost"
    assert normalise_host("[::1]:8000") == "[::1]"


def test_r_t1_inactive_provider_host_is_unknown(alpha):
    alpha.provider.is_active = False
    alpha.provider.save()
    assert Client(HTTP_HOST=alpha.host).get("/").status_code == 404


def test_r_t1_second_hostname_resolves_to_same_provider(alpha):
    ProviderHostname.objects.create(provider=alpha.provider, hostname="Beian.Alpha.Example")
    response = Client(HTTP_HOST="beian.alpha.example").get("/")
    assert response.status_code == 200
    assert "Alpha Cloud" in response.content.decode()


def test_r_t5_cache_keys_carry_the_tenant(alpha, beta):
    # given the same key written under two tenants
    with tenant_scope(alpha.provider):
        cache.set("queue-count", 7)
    with tenant_scope(beta.provider):
        # then beta does not see alpha's value
        assert cache.get("queue-count") is None
        cache.set("queue-count", 3)
    with tenant_scope(alpha.provider):
        assert cache.get("queue-count") == 7


def test_r_t5_log_records_carry_the_tenant(alpha):
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "msg", None, None)
    with tenant_scope(alpha.provider):
        TenantLogFilter().filter(record)
    assert record.tenant == alpha.provider.pk
    with no_tenant_scope():
        TenantLogFilter().filter(record)
    assert record.tenant == "-"


def test_r_t5_tenant_task_enters_exactly_the_named_tenant(alpha, beta):
    @tenant_task
    def visible_emails(*, tenant_id: int) -> list[str]:
        return sorted(Membership.objects.values_list("user__email", flat=True))

    # given a caller running in beta's scope
    with tenant_scope(beta.provider):
        # when a task is run for alpha / then it sees alpha's rows only
        emails = visible_emails(tenant_id=alpha.provider.pk)
    assert emails == sorted(f"{r.value}@alpha.test" for r in Role)


def test_r_t1_host_cache_follows_provider_and_hostname_changes_at_once(alpha, beta):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    host = alpha.provider.hostnames.first().hostname
    client = Client(HTTP_HOST=host)
    # Given alpha's host answered once (and is now cached: a second request reads no provider row)
    assert client.get("/").status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    assert not [q for q in ctx.captured_queries if "tenancy_provider" in q["sql"]]
    # When the provider is renamed, the next page shows the new name
    alpha.provider.name = "阿尔法改名云"
    alpha.provider.save()
    assert "阿尔法改名云" in client.get("/").content.decode()
    # When the provider is deactivated, its host is unknown on the next request (beta is unaffected)
    alpha.provider.is_active = False
    alpha.provider.save()
    assert client.get("/").status_code == 404
    assert Client(HTTP_HOST=beta.provider.hostnames.first().hostname).get("/").status_code == 200
    # When a hostname is removed, it stops answering at once
    alpha.provider.is_active = True
    alpha.provider.save()
    assert client.get("/").status_code == 200
    ProviderHostname.objects.filter(hostname=host).delete()
    assert client.get("/").status_code == 404
