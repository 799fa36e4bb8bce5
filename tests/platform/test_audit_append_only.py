"""R-X4: in production the application's database role cannot change or delete audit rows."""

from __future__ import annotations

import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, transaction

from filings.models import FileAccessLog, OrderEvent
from icpfiling.operator.management.commands.audit_append_only import AUDIT_MODELS, set_null_columns
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.factories import complete_order
from tests.services import requires_postgres


def test_r_x4_audit_models_and_their_set_null_columns():
    # the four audit tables, and only the FK columns SET NULL writes stay updatable
    assert {m._meta.db_table for m in AUDIT_MODELS} == {
        "filings_orderevent",
        "filings_fileaccesslog",
        "verification_points_applicationevent",
        "verification_points_applicationfileaccess",
    }
    assert set_null_columns(FileAccessLog) == ["material_id"]
    assert set_null_columns(OrderEvent) == []


@pytest.mark.django_db
def test_r_x4_command_refuses_sqlite_and_unknown_roles():
    # SQLite (the embedded run) has no roles; on PostgreSQL the role must exist
    expected = "no PostgreSQL role" if connection.vendor == "postgresql" else "needs PostgreSQL"
    with pytest.raises(CommandError, match=expected):
        call_command("audit_append_only", role="no_such_role_r_x4")


def _as(role: str, sql: str, params=()):
    """Run ``sql`` as ``role`` inside a savepoint; the savepoint rolls back on refusal."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {connection.ops.quote_name(role)}")
        cursor.execute(sql, params)
        return cursor.rowcount


@requires_postgres
def test_r_x4_restricted_role_can_insert_but_not_update_or_delete_audit_rows(alpha, beta):
    # given a restricted application role with ordinary rights on every table, then locked down
    role = f"icp_app_{secrets.token_hex(4)}"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
        cursor.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {role}")
    call_command("audit_append_only", role=role)
    order = complete_order(alpha)
    other = complete_order(beta)
    with tenant_scopes_disabled():
        event = OrderEvent.objects.filter(order_id=order.pk).first()
        log = FileAccessLog.objects.create(tenant_id=order.tenant_id, order=order, kind="x", action="view")
        before = OrderEvent.objects.count()
    assert event is not None
    # when the role inserts, it may
    assert (
        _as(
            role,
            "INSERT INTO filings_orderevent (tenant_id, order_id, at, kind, from_status, to_status, message) "
            "VALUES (%s, %s, now(), 'note', '', '', '')",
            [other.tenant_id, other.pk],
        )
        == 1
    )
    # and it may clear the material column a purge's SET NULL writes
    assert _as(role, "UPDATE filings_fileaccesslog SET material_id = NULL WHERE id = %s", [log.pk]) == 1
    # but every update or delete of an audit row is refused, and nothing changes
    for sql in (
        "UPDATE filings_orderevent SET message = 'rewritten' WHERE id = %s",
        "DELETE FROM filings_orderevent WHERE id = %s",
        "UPDATE filings_fileaccesslog SET action = 'none' WHERE id = %s",
        "DELETE FROM filings_fileaccesslog WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="permission denied"):
            _as(role, sql, [event.pk if "orderevent" in sql else log.pk])
    with pytest.raises(DatabaseError, match="permission denied"):
        _as(role, "TRUNCATE filings_orderevent")
    with tenant_scopes_disabled():
        assert OrderEvent.objects.count() == before + 1
        assert OrderEvent.objects.get(pk=event.pk).message == event.message
        assert FileAccessLog.objects.get(pk=log.pk).action == "view"
    # and ordinary tables stay writable for the role
    with tenant_scope(alpha.provider):
        assert _as(role, "UPDATE filings_filingorder SET remarks = 'x' WHERE id = %s", [order.pk]) == 1


@pytest.mark.django_db
def test_r_x4_app_role_command_refuses_sqlite_the_owner_and_a_short_password(monkeypatch):
    if connection.vendor != "postgresql":
        with pytest.raises(CommandError, match="needs PostgreSQL"):
            call_command("app_db_role", role="icp_app_x")
        return
    owner = connection.get_connection_params()["user"]
    # the owner bypasses grants, so it cannot be the application's role
    with pytest.raises(CommandError, match="must not be the tables' owner"):
        call_command("app_db_role", role=owner)
    monkeypatch.setenv("ICP_APP_PW", "short")
    with pytest.raises(CommandError, match="12\\+ characters"):
        call_command("app_db_role", role="icp_app_x", password_env="ICP_APP_PW")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_roles WHERE rolname = 'icp_app_x'")
        assert cursor.fetchone()[0] == 0


@requires_postgres
def test_r_x4_app_role_serves_every_table_but_cannot_rewrite_audit_rows(alpha, beta, monkeypatch):
    # given a new application role made by the command, with a password (it can log in)
    role = f"icp_app_{secrets.token_hex(4)}"
    monkeypatch.setenv("ICP_APP_PW", secrets.token_urlsafe(18))
    call_command("app_db_role", role=role, password_env="ICP_APP_PW")
    # when the command runs again (every deploy), it updates rather than fails
    call_command("app_db_role", role=role, password_env="ICP_APP_PW")
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolcanlogin, rolsuper FROM pg_roles WHERE rolname = %s", [role])
        assert cursor.fetchone() == (True, False)
    order = complete_order(alpha)
    with tenant_scopes_disabled():
        event = OrderEvent.objects.filter(order_id=order.pk).first()
    # then the role reads and writes ordinary tables and draws ids from their sequences
    assert _as(role, "SELECT id FROM filings_filingorder WHERE id = %s", [order.pk]) == 1
    assert _as(role, "UPDATE filings_filingorder SET remarks = 'x' WHERE id = %s", [order.pk]) == 1
    assert (
        _as(
            role,
            "INSERT INTO filings_orderevent (tenant_id, order_id, at, kind, from_status, to_status, message) "
            "VALUES (%s, %s, now(), 'note', '', '', '')",
            [order.tenant_id, order.pk],
        )
        == 1
    )
    # but it cannot rewrite or delete an audit row, and the row is unchanged
    for sql in (
        "UPDATE filings_orderevent SET message = 'rewritten' WHERE id = %s",
        "DELETE FROM filings_orderevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="permission denied"):
            _as(role, sql, [event.pk])
    with tenant_scopes_disabled():
        assert OrderEvent.objects.get(pk=event.pk).message == event.message
