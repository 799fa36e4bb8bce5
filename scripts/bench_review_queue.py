"""Benchmark of the reviewer queue at a million orders (issue 5, R-S2, R-B1).

Run from the checkout: ``.venv/bin/python scripts/bench_review_queue.py [--orders N] [--sms N]``.

It creates its OWN PostgreSQL database (``icp_bench`` by default, dropped and recreated; the
name must start with ``icp_bench`` so that no other database can ever be dropped), migrates it,
loads the reference data, seeds ``--orders`` filing orders (default 1,000,000) over 20 providers
in SQL (``INSERT … SELECT generate_series``, indexes and foreign keys dropped during the load and
rebuilt/validated afterwards), VACUUM ANALYZEs, and then measures in one run:

1. the reviewer queue page (``review:queue``, Django test client on the biggest provider's host,
   a reviewer logged in): page 1 and page 400 reached by following the page's own "next" link;
2. the Django admin changelist of FilingOrder (stock paginator, so COUNT(*)) on the platform host
   as the operator: page 1 and ``?p=400``;
3. their ratios (goal: the queue >= 10× faster on both pages);
4. the queue page's query count (goal: <= 8, identical on page 1 and page 400);
5. ``filings.deadlines.sms_deadline_sweep()`` over ``--sms`` overdue SMS deadlines (default
   100,000; goal <= 60 s), checking with SQL exactly one ``sms_failed`` event and exactly one
   outbox row per channel per order, then a second sweep that must move nothing.

Times are medians of ``--runs`` runs, the four pages interleaved so that load from other
processes on the machine hits them alike. Exits 1 when a goal is missed. ``--json PATH`` writes
the figures (the test ``tests/review/test_bench_review_queue.py`` runs a tiny size through it).
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import os
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
SAFE_DB_NAME = re.compile(r"^icp_bench[a-z0-9_]*$")

# Status spread over the lifecycle: mostly approved and drafts, a few % in the provider's queue.
STATUS_SHARES = (
    ("approved", 0.58),
    ("draft", 0.18),
    ("expired", 0.04),
    ("returned", 0.03),
    ("provider_review", 0.06),
    ("verification", 0.03),
    ("provider_recheck", 0.02),
    ("sms_verification", 0.01),
    ("authority_review", 0.05),
)
# The first filings dominate; the change and cancel types (R-C1…R-C6) share the same queue.
ORDER_TYPE_SHARES = (
    ("new_entity", 0.48),
    ("new_website", 0.2),
    ("new_access", 0.1),
    ("new_app", 0.02),  # R-AP1 (issue 15): apps and mini-programs share the queue too
    ("change_entity", 0.06),
    ("change_website", 0.06),
    ("change_access", 0.02),
    ("change_app", 0.005),  # apps are changed and cancelled like websites (issues 13 and 15)
    ("cancel_app", 0.005),
    ("cancel_entity", 0.02),
    ("cancel_website", 0.02),
    ("cancel_access", 0.01),
)
# (nature, certificate type, share): companies and individuals dominate.
NATURE_SHARES = (
    (4, "business_licence", 0.55),
    (5, "resident_id", 0.35),
    (3, "public_institution", 0.04),
    (2, "uscc", 0.03),
    (6, "social_group", 0.03),
)
APPLICANTS_PER_PROVIDER = 8
# Orders the SMS step may take: open states outside the provider's queue, so the partial
# unique constraint (one open order per entity) keeps holding and the queue stays as measured.
SMS_SOURCE_STATUSES = ("draft", "returned", "verification", "sms_verification", "authority_review")
# The admin's stock changelist (Django 6.1) reads the changelist's page via OFFSET.
ADMIN_URL = "/operator/filings/filingorder/"

GOAL_RATIO = 10.0
GOAL_QUERIES = 8
GOAL_SWEEP_SECONDS = 60.0


# ---------------------------------------------------------------------------------------------
# The database and Django
# ---------------------------------------------------------------------------------------------


def server_params(server_url: str) -> dict:
    parts = urlsplit(server_url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password or "",
    }


def database_url(server_url: str, name: str) -> str:
    return server_url.rstrip("/") + "/" + name


def _admin_connection(server_url: str):
    import psycopg2

    conn = psycopg2.connect(dbname="postgres", **server_params(server_url))
    conn.autocommit = True
    return conn


def _check_name(name: str) -> None:
    if not SAFE_DB_NAME.match(name):
        raise SystemExit(f"refusing database name {name!r}: it must match {SAFE_DB_NAME.pattern}")


def recreate_database(server_url: str, name: str) -> None:
    """Drop and create the benchmark's own database (never any other)."""
    _check_name(name)
    conn = _admin_connection(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
    finally:
        conn.close()


def drop_database(server_url: str, name: str) -> None:
    _check_name(name)
    from django.db import connections

    connections.close_all()
    conn = _admin_connection(server_url)
    try:
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        conn.close()


def configure_django(db_url: str, var_dir: str) -> None:
    """The real settings module in embedded mode, pointed at the benchmark database.

    No Redis (a locmem cache and the file-system Celery broker under a temporary var dir, so
    the sweep's after-commit ``.delay()`` lands in files nobody reads) and no eager tasks: the
    sweep is timed without delivering 300,000 messages.
    """
    os.environ["DATABASE_URL"] = db_url
    os.environ["ICPFILING_MODE"] = "embedded"
    os.environ["ICPFILING_VAR_DIR"] = var_dir
    os.environ["REDIS_URL"] = ""
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
    os.environ["LOG_LEVEL"] = "ERROR"
    os.environ["DJANGO_SETTINGS_MODULE"] = "icpfiling.settings"
    for sub in ("celery/queue", "celery/processed", "celery/control", "private"):
        Path(var_dir, sub).mkdir(parents=True, exist_ok=True)
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


@dataclass
class World:
    providers: list = field(default_factory=list)  # Provider, biggest first
    hosts: list[str] = field(default_factory=list)
    reviewers: list = field(default_factory=list)  # one User per provider
    applicants: list[list] = field(default_factory=list)  # per provider
    operator: object = None


def seed_people(n_providers: int) -> World:
    """Providers with a host each, a reviewer, an admin and a handful of applicants; the operator."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from icpfiling.accounts.models import Membership, Role, User
    from icpfiling.registry.reference import reference_data_load
    from icpfiling.tenancy.context import tenant_scopes_disabled
    from icpfiling.tenancy.models import Provider, ProviderHostname

    reference_data_load()
    now = timezone.now()
    world = World()
    providers = Provider.objects.bulk_create(
        [Provider(slug=f"p{k:02d}", name=f"基准云 {k:02d}") for k in range(1, n_providers + 1)]
    )
    ProviderHostname.objects.bulk_create(
        [ProviderHostname(provider=p, hostname=f"{p.slug}.bench.localhost") for p in providers]
    )
    unusable = make_password(None)  # force_login only: no password hashing cost
    users, memberships = [], []
    for p in providers:
        people = [(Role.REVIEWER, "reviewer"), (Role.PROVIDER_ADMIN, "admin")] + [
            (Role.APPLICANT, f"applicant{a}") for a in range(APPLICANTS_PER_PROVIDER)
        ]
        for role, local in people:
            user = User(
                email=f"{local}@{p.slug}.bench.test",
                full_name=f"{p.slug}-{local}",
                provider=p,
                password=unusable,
                email_confirmed_at=now,
            )
            users.append(user)
            memberships.append((p, user, role))
    User.objects.bulk_create(users)
    with tenant_scopes_disabled():  # seeding every tenant at once, deliberately
        Membership.objects.bulk_create(
            [Membership(tenant=p, user=u, role=r, approved_at=now) for p, u, r in memberships]
        )
    for p in providers:
        mine = [(u, r) for q, u, r in memberships if q.pk == p.pk]
        world.providers.append(p)
        world.hosts.append(f"{p.slug}.bench.localhost")
        world.reviewers.append(next(u for u, r in mine if r == Role.REVIEWER))
        world.applicants.append([u for u, r in mine if r == Role.APPLICANT])
    world.operator = User.objects.create_superuser("operator@bench.test", None)
    return world


def _cumulative(shares) -> list[float]:
    """Bucket lower bounds for width_bucket(): [0, s1, s1+s2, …] (one per bucket)."""
    out, total = [], 0.0
    for share in shares:
        out.append(round(total, 6))
        total += share
    return out


def provider_shares(n: int) -> list[float]:
    """Zipf-like market: provider k gets 1/k of the weight (the biggest has ~28% with 20)."""
    weights = [1 / k for k in range(1, n + 1)]
    return [w / sum(weights) for w in weights]


def order_columns() -> dict[str, str]:
    """SQL for every column of filings_filingorder, computed from the row's random draws.

    ``g`` provides: i (1..N), k (provider index, 1-based), st (status), ca (created_at),
    and r_* uniform draws in [0, 1). Checked against the model so that a new NOT NULL column
    fails the benchmark loudly instead of the INSERT.
    """
    work = "st IN ('provider_review', 'provider_recheck')"
    return {
        "tenant_id": "(%(tenants)s::bigint[])[k]",
        "applicant_id": f"(%(applicants)s::bigint[])[(k - 1) * {APPLICANTS_PER_PROVIDER} + 1 + "
        f"floor(r_app * {APPLICANTS_PER_PROVIDER})::int]",
        "order_type": "(%(order_types)s::text[])[width_bucket(r_type, %(order_type_bounds)s::float8[])]",
        "status": "st",
        "province_id": "(%(provinces)s::text[])[1 + floor(r_prov * %(n_provinces)s)::int]",
        "city": "'市' || (i %% 97)",
        "county": "'区' || (i %% 89)",
        "nature_id": "(%(natures)s::int[])[nb]",
        "certificate_type_id": "(%(certs)s::text[])[nb]",
        "certificate_number": "'9133' || lpad(i::text, 14, '0')",
        # Unique per order: the partial unique constraint on open orders holds by construction.
        "entity_key": "(%(certs)s::text[])[nb] || ':9133' || lpad(i::text, 14, '0')",
        "registry_entity_id": "NULL",
        "registry_website_id": "NULL",
        "registry_app_id": "NULL",
        "entity_name": "'基准测试科技有限公司' || i",
        "registered_address": "'浙江省杭州市西湖区文三路' || (i %% 999) || '号'",
        "communication_address": "'浙江省杭州市西湖区文三路' || (i %% 999) || '号'",
        "investor": "'基准测试投资人' || (i %% 1000)",
        "principal_is_legal_rep": "true",
        "principal_landline": "''",
        "emergency_mobile": "'139' || lpad((i %% 100000000)::text, 8, '0')",
        "residence_proof": "''",
        "remarks": "''",
        "principal_name": "'张' || (i %% 1000)",
        "principal_id_type": "'resident_id'",
        "principal_id_number": "'33010619900101' || lpad((i %% 10000)::text, 4, '0')",
        "principal_id_valid_until": "DATE '2036-01-01'",
        "principal_id_long_term": "false",
        "principal_mobile": "'138' || lpad((i %% 100000000)::text, 8, '0')",
        "principal_email": "'p' || i || '@bench.test'",
        "created_at": "ca",
        "updated_at": "LEAST(ca + interval '3 days', %(now)s)",
        "submitted_at": "CASE WHEN st = 'draft' THEN NULL ELSE LEAST(ca + interval '1 day', %(now)s) END",
        "status_changed_at": f"CASE WHEN {work} THEN %(now)s - r_due * interval '2 days' "
        "ELSE LEAST(ca + interval '3 days', %(now)s) END",
        # A third of the queue is claimed by the provider's reviewer.
        "assigned_to_id": f"CASE WHEN {work} AND r_assign < 0.3 THEN (%(reviewers)s::bigint[])[k] END",
        "claimed_at": f"CASE WHEN {work} AND r_assign < 0.3 THEN %(now)s - interval '1 hour' END",
        # From 3 days overdue to 5 days ahead; the overdue ones were already reminded (SLA sweep idle).
        "review_due_at": f"CASE WHEN {work} THEN %(now)s + (r_due * 8 - 3) * interval '1 day' END",
        "sla_reminded_at": f"CASE WHEN {work} AND r_due * 8 - 3 < 0 "
        "THEN %(now)s + (r_due * 8 - 3) * interval '1 day' END",
        "review_round": "CASE WHEN st = 'draft' THEN 0 ELSE 1 + floor(r_assign * 3)::int END",
        # Pending SMS checks are 2 to 24 hours from their deadline, so none runs out while the
        # benchmark runs: the sweep's overdue rows are exactly the ones the SMS step sets up.
        "sms_deadline_at": "CASE WHEN st = 'sms_verification' "
        "THEN %(now)s + interval '2 hours' + r_due * interval '22 hours' END",
        "sms_wrong_entries": "0",
        "authority_due_at": "CASE WHEN st = 'authority_review' THEN %(now)s + r_due * interval '28 days' END",
        "expires_at": "CASE WHEN st IN ('draft', 'returned') "
        "THEN %(now)s + (1 + r_due * 44) * interval '1 day' END",
        "next_reminder_at": "CASE WHEN st IN ('draft', 'returned') "
        "THEN %(now)s + (1 + r_due * 6) * interval '1 day' END",
        "reminders_sent": "0",
        "approved_at": "CASE WHEN st = 'approved' THEN LEAST(ca + interval '15 days', %(now)s) END",
        "licence_valid_until": "NULL",
        "licence_long_term": "true",
        "business_scope": "'技术开发、技术服务'",
        # returned rows were returned by the provider, with the default 5-day window still open
        "returned_by": "CASE WHEN st = 'returned' THEN 'provider' ELSE '' END",
        "resubmit_due_at": "CASE WHEN st = 'returned' THEN %(now)s + (1 + r_due * 4) * interval '1 day' END",
        "resubmit_reminded_at": "NULL",
        "identity_purged_at": "NULL",  # R-X2: nothing purged yet
        # R-X1: the seed writes identity in clear (as rows from before the encryption migration,
        # which the fields still read) and leaves the blind indexes empty: nothing here looks up by them.
        "certificate_number_bidx": "''",
        "principal_id_number_bidx": "''",
        "principal_mobile_bidx": "''",
    }


def website_columns() -> dict[str, str]:
    """One website per order (every real order has at least one); ``o`` is the order row."""
    return {
        "tenant_id": "o.tenant_id",
        "order_id": "o.id",
        "position": "1",
        "name": "'基准测试网站' || o.id",
        "address_kind": "'domain'",
        "domain": "'site' || o.id || '.example.cn'",
        "domain_display": "'site' || o.id || '.example.cn'",
        # R-C2: one order in ten lists a further domain of the same website.
        "extra_domains": "CASE WHEN o.id % 10 = 0 THEN jsonb_build_array('site' || o.id || '.example.net') "
        "ELSE '[]'::jsonb END",
        "homepage_url": "'https://site' || o.id || '.example.cn/'",
        "service_content": "'[\"news\"]'::jsonb",
        "languages": "'[\"zh-hans\"]'::jsonb",
        "pre_approvals": "'{}'::jsonb",
        "principal_same_as_entity": "true",
        "server_id": "NULL",
        "domain_real_name_on": "DATE '2026-01-05'",
        "domain_expires_on": "DATE '2028-01-05'",
        "domain_registrant": "o.entity_name",
        "domain_registrar": "'阿里云计算有限公司'",
        "pre_approval_details": "'{}'::jsonb",
        "remarks": "''",
        "registry_website_id": "NULL",
        "principal_name": "o.principal_name",
        "principal_id_type": "o.principal_id_type",
        "principal_id_number": "o.principal_id_number",
        "principal_id_valid_until": "o.principal_id_valid_until",
        "principal_id_long_term": "o.principal_id_long_term",
        "principal_mobile": "o.principal_mobile",
        "principal_email": "o.principal_email",
        "principal_id_number_bidx": "''",
        "principal_mobile_bidx": "''",
    }


def _check_columns(model, columns: dict[str, str]) -> list[str]:
    expected = [f.column for f in model._meta.concrete_fields if not f.primary_key]
    missing = set(expected) - set(columns)
    extra = set(columns) - set(expected)
    if missing or extra:
        raise SystemExit(
            f"{model._meta.db_table}: seed columns out of date; missing {missing}, unknown {extra}"
        )
    return expected


@contextlib.contextmanager
def indexes_dropped(cursor, table: str):
    """Bulk load without index maintenance or per-row FK triggers, then rebuild and validate.

    Indexes that back constraints (the primary key, plain unique constraints) stay; every other
    index is dropped and recreated from its own definition; foreign keys are dropped and added
    back, which re-checks every row in one pass.
    """
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
        "AND contype = 'f'",
        [table],
    )
    fks = cursor.fetchall()
    cursor.execute(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid "
        "WHERE i.indrelid = %s::regclass AND c.oid IS NULL",
        [table],
    )
    indexes = cursor.fetchall()
    for name, _definition in fks:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    yield
    for _name, definition in indexes:
        cursor.execute(definition)
    for name, definition in fks:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def seed_orders(world: World, n_orders: int, *, now: datetime, seed: float = 0.42) -> dict:
    """``n_orders`` orders and one website each, in SQL; returns timings and counts."""
    from django.db import connection, transaction

    from filings.models import FilingOrder, OrderWebsite
    from icpfiling.registry.models import Province

    order_cols = order_columns()
    order_fields = _check_columns(FilingOrder, order_cols)
    site_cols = website_columns()
    site_fields = _check_columns(OrderWebsite, site_cols)
    statuses = [s for s, _ in STATUS_SHARES]
    params = {
        "n": n_orders,
        "now": now,
        "tenants": [p.pk for p in world.providers],
        "provider_bounds": _cumulative(provider_shares(len(world.providers))),
        "applicants": [u.pk for group in world.applicants for u in group],
        "reviewers": [u.pk for u in world.reviewers],
        "statuses": statuses,
        "status_bounds": _cumulative(s for _, s in STATUS_SHARES),
        "order_types": [t for t, _ in ORDER_TYPE_SHARES],
        "order_type_bounds": _cumulative(s for _, s in ORDER_TYPE_SHARES),
        "natures": [n for n, _c, _s in NATURE_SHARES],
        "certs": [c for _n, c, _s in NATURE_SHARES],
        "nature_bounds": _cumulative(s for _n, _c, s in NATURE_SHARES),
        "provinces": list(Province.objects.order_by("code").values_list("code", flat=True)),
    }
    params["n_provinces"] = len(params["provinces"])
    # Column SQL comes from this module; every value is a bound parameter.
    order_sql = (
        f"INSERT INTO filings_filingorder ({', '.join(order_fields)}) "  # noqa: S608
        "SELECT " + ", ".join(order_cols[c] for c in order_fields) + " FROM (SELECT d.*, "
        "(%(statuses)s::text[])[width_bucket(r_status, %(status_bounds)s::float8[])] AS st, "
        "width_bucket(r_tenant, %(provider_bounds)s::float8[]) AS k, "
        "width_bucket(r_nat, %(nature_bounds)s::float8[]) AS nb, "
        "%(now)s - r_age * interval '365 days' AS ca "
        "FROM (SELECT i, random() AS r_tenant, random() AS r_status, random() AS r_type, "
        "random() AS r_prov, random() AS r_nat, random() AS r_age, random() AS r_due, "
        "random() AS r_app, random() AS r_assign FROM generate_series(1, %(n)s) AS i) AS d) AS g "
        "ORDER BY ca"  # ids follow creation time, as in a real table
    )
    site_sql = (
        f"INSERT INTO filings_orderwebsite ({', '.join(site_fields)}) "  # noqa: S608
        "SELECT " + ", ".join(site_cols[c] for c in site_fields) + " FROM filings_filingorder o ORDER BY o.id"
    )
    timings = {}
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        cur.execute("SELECT setseed(%s)", [seed])
        with indexes_dropped(cur, "filings_filingorder"):
            cur.execute(order_sql, params)
            timings["insert_orders"] = time.perf_counter() - started
        timings["index_orders"] = time.perf_counter() - started - timings["insert_orders"]
        mark = time.perf_counter()
        with indexes_dropped(cur, "filings_orderwebsite"):
            cur.execute(site_sql)
        timings["websites"] = time.perf_counter() - mark
    mark = time.perf_counter()
    with connection.cursor() as cur:  # VACUUM cannot run in a transaction; Django autocommits here
        cur.execute("VACUUM (ANALYZE) filings_filingorder")
        cur.execute("VACUUM (ANALYZE) filings_orderwebsite")
    timings["vacuum_analyze"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    with connection.cursor() as cur:
        cur.execute(
            "SELECT pg_size_pretty(pg_total_relation_size('filings_filingorder')), "
            "pg_size_pretty(pg_relation_size('filings_filingorder'))"
        )
        total_size, heap_size = cur.fetchone()
        cur.execute("SELECT status, count(*) FROM filings_filingorder GROUP BY status ORDER BY count(*) DESC")
        by_status = dict(cur.fetchall())
        cur.execute(
            "SELECT count(*) FROM filings_filingorder WHERE tenant_id = %s "
            "AND status IN ('provider_review', 'provider_recheck')",
            [world.providers[0].pk],
        )
        queue_rows = cur.fetchone()[0]
        cur.execute("SELECT tenant_id, count(*) FROM filings_filingorder GROUP BY tenant_id ORDER BY 2 DESC")
        per_tenant = [c for _t, c in cur.fetchall()]
    return {
        "timings": timings,
        "table_size": total_size,
        "heap_size": heap_size,
        "by_status": by_status,
        "queue_rows": queue_rows,
        "per_tenant": per_tenant,
    }


# ---------------------------------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------------------------------

NEXT_LINK = re.compile(r"""<a\b[^>]*\bhref="([^"]*[?&](?:amp;)?after=[^"]*)\"""")


def next_href(page_html: str) -> str | None:
    """The queue page's link to the next keyset page (the only link carrying ``after=``)."""
    found = NEXT_LINK.findall(page_html)
    return html.unescape(found[-1]) if found else None


def clients(world: World):
    from django.test import Client

    backend = "icpfiling.accounts.backends.TenantEmailBackend"
    reviewer = Client(HTTP_HOST=world.hosts[0])
    reviewer.force_login(world.reviewers[0], backend=backend)
    operator = Client(HTTP_HOST="localhost")
    operator.force_login(world.operator, backend=backend)
    return reviewer, operator


def _get(client, url: str):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")
    return response


def count_queries(client, url: str) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        _get(client, url)
    return len(ctx.captured_queries), [f"{q['time']:>6}s {q['sql'][:160]}" for q in ctx.captured_queries]


def measure_pages(world: World, *, runs: int, deep_page: int) -> dict:
    from django.urls import reverse

    reviewer, operator = clients(world)
    queue_url = reverse("review:queue", urlconf="icpfiling.urls.tenant")
    # Page N of the queue is reached as a reviewer reaches it: following "next" N-1 times.
    deep_url, reached = queue_url, 1
    follow_started = time.perf_counter()
    while reached < deep_page:
        href = next_href(_get(reviewer, deep_url).content.decode())
        if href is None:
            break
        deep_url = href if href.startswith("/") else queue_url + href
        reached += 1
    follow_seconds = time.perf_counter() - follow_started
    admin_first, admin_deep = ADMIN_URL, f"{ADMIN_URL}?p={deep_page}"
    urls = {
        "queue_first": (reviewer, queue_url),
        "queue_deep": (reviewer, deep_url),
        "admin_first": (operator, admin_first),
        "admin_deep": (operator, admin_deep),
    }
    for client, url in urls.values():  # warm-up: connection, templates, caches
        _get(client, url)
    samples: dict[str, list[float]] = {name: [] for name in urls}
    load = os.getloadavg()[0]
    for _ in range(runs):
        for name, (client, url) in urls.items():
            started = time.perf_counter()
            _get(client, url)
            samples[name].append(time.perf_counter() - started)
    first_count, first_sql = count_queries(reviewer, queue_url)
    deep_count, deep_sql = count_queries(reviewer, deep_url)
    admin_count, admin_sql = count_queries(operator, admin_deep)
    ms = {name: statistics.median(values) * 1000 for name, values in samples.items()}
    return {
        "queue_url": queue_url,
        "pages_loadavg": load,
        "queue_deep_url": deep_url,
        "queue_deep_page": reached,
        "queue_follow_seconds": follow_seconds,
        "queue_first_ms": ms["queue_first"],
        "queue_deep_ms": ms["queue_deep"],
        "admin_first_ms": ms["admin_first"],
        "admin_deep_ms": ms["admin_deep"],
        "ratio_first": ms["admin_first"] / ms["queue_first"],
        "ratio_deep": ms["admin_deep"] / ms["queue_deep"],
        "queue_queries_first": first_count,
        "queue_queries_deep": deep_count,
        "admin_queries_deep": admin_count,
        "queue_sql_deep": deep_sql,
        "admin_sql_deep": admin_sql,
        "queue_sql_first": first_sql,
    }


# ---------------------------------------------------------------------------------------------
# The SMS deadline sweep
# ---------------------------------------------------------------------------------------------


def _scalar(sql: str, params=None):
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()[0]


OUTBOX_OF_SMS_FAILED = "dedupe_key LIKE 'order:%:sms_failed:%'"  # the sweep's notification keys


def _outbox_counts() -> dict[str, tuple[int, int, int]]:
    """Per channel: rows, distinct orders, rows whose order is not one the benchmark set up."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT channel, count(*), count(DISTINCT split_part(dedupe_key, ':', 2)), "  # noqa: S608
            "count(*) FILTER (WHERE split_part(dedupe_key, ':', 2)::bigint NOT IN "
            "(SELECT id FROM bench_sms_orders)) "
            f"FROM notifications_outboxmessage WHERE {OUTBOX_OF_SMS_FAILED} GROUP BY channel ORDER BY channel"
        )
        return {channel: (rows, distinct, foreign) for channel, rows, distinct, foreign in cur.fetchall()}


def _event_counts() -> tuple[int, int, int]:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*), count(DISTINCT order_id), "
            "count(*) FILTER (WHERE order_id NOT IN (SELECT id FROM bench_sms_orders)) "
            "FROM filings_orderevent WHERE kind = 'sms_failed'"
        )
        return tuple(cur.fetchone())


def sweep_plan() -> list[str]:
    """EXPLAIN ANALYZE of one batch's locking query, captured from the sweep's own helper.

    Runs inside a transaction that is rolled back, so the rows it locks stay as they were.
    """
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from filings.deadlines import BATCH, _locked_ids
    from filings.models import FilingOrder, OrderStatus
    from icpfiling.tenancy.context import tenant_scopes_disabled

    class Rollback(Exception):
        pass

    plan: list[str] = []
    with tenant_scopes_disabled(), contextlib.suppress(Rollback), transaction.atomic():
        due = FilingOrder.objects.filter(
            status=OrderStatus.SMS_VERIFICATION, sms_deadline_at__lte=timezone.now()
        )
        with CaptureQueriesContext(connection) as ctx:
            _locked_ids(due, BATCH)
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + ctx.captured_queries[-1]["sql"])
            plan = [row[0] for row in cur.fetchall()]
        raise Rollback
    return plan


@contextlib.contextmanager
def timing_lock_batches(samples: list[float]):
    """Record how long each batch's locking query takes inside the real sweep (behaviour unchanged)."""
    from filings import deadlines

    original = deadlines._locked_ids

    def timed(qs, batch):
        started = time.perf_counter()
        try:
            return original(qs, batch)
        finally:
            samples.append(time.perf_counter() - started)

    deadlines._locked_ids = timed
    try:
        yield
    finally:
        deadlines._locked_ids = original


def measure_sms_sweep(n_sms: int, *, now: datetime) -> dict:
    """Make ``n_sms`` orders overdue in the SMS state, time the sweep, check exactly-once in SQL."""
    from django.db import connection

    from filings.deadlines import sms_deadline_sweep

    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_sms_orders")
        cur.execute(
            "CREATE TABLE bench_sms_orders AS SELECT id FROM filings_filingorder "
            "WHERE status = ANY(%s) ORDER BY md5(id::text) LIMIT %s",
            [list(SMS_SOURCE_STATUSES), n_sms],
        )
        cur.execute("ALTER TABLE bench_sms_orders ADD PRIMARY KEY (id)")
        mark = time.perf_counter()
        # What order_transition("submit_to_authority") leaves on a row, with the 24 h long gone
        # (1 minute to 3 days overdue: a normal minute's backlog up to a long outage).
        cur.execute(
            "UPDATE filings_filingorder o SET status = 'sms_verification', "
            "sms_deadline_at = %(now)s - (1 + (o.id %% 4320)) * interval '1 minute', "
            "status_changed_at = %(now)s - (1 + (o.id %% 4320)) * interval '1 minute' - interval '24 hours', "
            "submitted_at = COALESCE(o.submitted_at, %(now)s - interval '5 days'), "
            "review_round = GREATEST(o.review_round, 1), sms_wrong_entries = 0, review_due_at = NULL, "
            "sla_reminded_at = NULL, authority_due_at = NULL, expires_at = NULL, next_reminder_at = NULL "
            "FROM bench_sms_orders b WHERE o.id = b.id",
            {"now": now},
        )
        updated = cur.rowcount
        cur.execute("ANALYZE filings_filingorder")
        update_seconds = time.perf_counter() - mark
    if updated != n_sms:
        raise SystemExit(
            f"only {updated} open orders outside the queue to put in the SMS state; need {n_sms}"
        )
    overdue = _scalar(
        "SELECT count(*) FROM filings_filingorder "
        "WHERE status = 'sms_verification' AND sms_deadline_at <= now()"
    )
    plan = sweep_plan()
    load = os.getloadavg()[0]
    lock_samples: list[float] = []
    started = time.perf_counter()
    with timing_lock_batches(lock_samples):
        moved = sms_deadline_sweep()
    sweep_seconds = time.perf_counter() - started
    events = _event_counts()
    outbox = _outbox_counts()
    in_recheck = _scalar(
        "SELECT count(*) FROM filings_filingorder o JOIN bench_sms_orders b ON b.id = o.id "
        "WHERE o.status = 'provider_recheck' AND o.sms_deadline_at IS NULL"
    )
    started = time.perf_counter()
    moved_again = sms_deadline_sweep()
    sweep2_seconds = time.perf_counter() - started
    return {
        "sms_orders": n_sms,
        "sms_update_seconds": update_seconds,
        "sms_overdue_before": overdue,
        "sweep_plan": plan,
        "sweep_loadavg": load,
        "sweep_seconds": sweep_seconds,
        "sweep_lock_ms": [round(x * 1000, 1) for x in lock_samples],
        "sweep_moved": moved,
        "sweep_in_recheck": in_recheck,
        "sweep_events": events[0],
        "sweep_events_distinct": events[1],
        "sweep_events_foreign": events[2],
        "sweep_outbox": {channel: list(v) for channel, v in outbox.items()},
        "sweep2_seconds": sweep2_seconds,
        "sweep2_moved": moved_again,
        "sweep2_events": _event_counts()[0],
        "sweep2_outbox": sum(rows for rows, _d, _f in _outbox_counts().values()),
    }


# ---------------------------------------------------------------------------------------------
# Goals and report
# ---------------------------------------------------------------------------------------------

CHANNELS = ("email", "inbox", "sms")


def goals(figures: dict, *, deep_page: int) -> list[tuple[str, str, str, bool]]:
    """(what, measured, goal, met) for every goal of the issue."""
    n = figures["sms_orders"]
    outbox = figures["sweep_outbox"]
    once_per_channel = all(outbox.get(c) == [n, n, 0] for c in CHANNELS) and set(outbox) == set(CHANNELS)
    q1, qd = figures["queue_queries_first"], figures["queue_queries_deep"]
    return [
        (
            f"queue page reached page {deep_page} by its next links",
            f"page {figures['queue_deep_page']}",
            f"page {deep_page}",
            figures["queue_deep_page"] == deep_page,
        ),
        (
            "admin / queue, page 1",
            f"{figures['ratio_first']:.1f}×",
            f">= {GOAL_RATIO:g}×",
            figures["ratio_first"] >= GOAL_RATIO,
        ),
        (
            f"admin / queue, page {deep_page}",
            f"{figures['ratio_deep']:.1f}×",
            f">= {GOAL_RATIO:g}×",
            figures["ratio_deep"] >= GOAL_RATIO,
        ),
        (
            f"queue queries, page 1 / page {deep_page}",
            f"{q1} / {qd}",
            f"<= {GOAL_QUERIES}, equal",
            q1 == qd and q1 <= GOAL_QUERIES,
        ),
        (
            f"sweep of {n:,} overdue SMS deadlines",
            f"{figures['sweep_seconds']:.1f} s",
            f"<= {GOAL_SWEEP_SECONDS:g} s",
            figures["sweep_seconds"] <= GOAL_SWEEP_SECONDS,
        ),
        (
            "orders moved / back with the provider",
            f"{figures['sweep_moved']:,} / {figures['sweep_in_recheck']:,}",
            f"{n:,} / {n:,}",
            figures["sweep_moved"] == n and figures["sweep_in_recheck"] == n,
        ),
        (
            "sms_failed events (rows / orders / others)",
            " / ".join(
                f"{figures[k]:,}" for k in ("sweep_events", "sweep_events_distinct", "sweep_events_foreign")
            ),
            f"{n:,} / {n:,} / 0",
            (figures["sweep_events"], figures["sweep_events_distinct"], figures["sweep_events_foreign"])
            == (n, n, 0),
        ),
        (
            "outbox rows per channel (rows / orders / others)",
            "; ".join(f"{c} {r:,}/{d:,}/{f}" for c, (r, d, f) in sorted(outbox.items())) or "none",
            f"{', '.join(CHANNELS)}: {n:,}/{n:,}/0 each",
            once_per_channel,
        ),
        (
            "second sweep (moved / events / outbox rows)",
            f"{figures['sweep2_moved']} / {figures['sweep2_events']:,} / {figures['sweep2_outbox']:,}",
            f"0 / {n:,} / {n * len(CHANNELS):,}",
            figures["sweep2_moved"] == 0
            and figures["sweep2_events"] == n
            and figures["sweep2_outbox"] == n * len(CHANNELS),
        ),
    ]


def report(figures: dict, seed: dict, results, *, deep_page: int) -> None:
    t = seed["timings"]
    print()
    print(
        f"Seeded {figures['orders']:,} orders (+1 website each) over {figures['providers']} providers "
        f"in {t['total']:.1f} s: INSERT orders {t['insert_orders']:.1f} s, rebuild indexes + validate FKs "
        f"{t['index_orders']:.1f} s, websites {t['websites']:.1f} s, "
        f"VACUUM ANALYZE {t['vacuum_analyze']:.1f} s"
    )
    print(f"  filings_filingorder: {seed['heap_size']} heap, {seed['table_size']} with indexes")
    print("  by status: " + ", ".join(f"{s} {c:,}" for s, c in seed["by_status"].items()))
    print(
        f"  orders per provider: {seed['per_tenant'][0]:,} (biggest, measured) … {seed['per_tenant'][-1]:,}; "
        f"the biggest has {seed['queue_rows']:,} in provider_review/provider_recheck"
    )
    print()
    print(
        f"Pages, median of {figures['runs']} interleaved runs (Django test client, in-process; "
        f"1-minute load average {figures['pages_loadavg']:.1f} on {os.cpu_count()} CPUs):"
    )
    print(f"  reviewer queue, page 1                   {figures['queue_first_ms']:8.1f} ms")
    print(
        f"  reviewer queue, page {figures['queue_deep_page']:<4} (keyset)        "
        f"{figures['queue_deep_ms']:8.1f} ms   ({figures['queue_deep_page'] - 1} next links followed "
        f"in {figures['queue_follow_seconds']:.1f} s)"
    )
    print(f"  admin changelist, page 1                 {figures['admin_first_ms']:8.1f} ms")
    print(f"  admin changelist, ?p={deep_page:<4} (OFFSET)      {figures['admin_deep_ms']:8.1f} ms")
    print(
        f"  queries: queue page 1 {figures['queue_queries_first']}, page {figures['queue_deep_page']} "
        f"{figures['queue_queries_deep']}; admin ?p={deep_page} {figures['admin_queries_deep']}"
    )
    print(f"  queue page {figures['queue_deep_page']} queries (seconds, SQL):")
    for line in figures["queue_sql_deep"]:
        print(f"    {line}")
    print()
    print(
        f"SMS sweep: {figures['sms_orders']:,} orders put in sms_verification with the deadline passed "
        f"(UPDATE + ANALYZE {figures['sms_update_seconds']:.1f} s; {figures['sms_overdue_before']:,} overdue)"
    )
    print(
        f"  sms_deadline_sweep(): {figures['sweep_seconds']:.1f} s "
        f"({figures['sweep_moved'] / max(figures['sweep_seconds'], 1e-9):,.0f} orders/s); "
        f"second run {figures['sweep2_seconds'] * 1000:.1f} ms, moved {figures['sweep2_moved']} "
        f"(load average {figures['sweep_loadavg']:.1f} at the start)"
    )
    locks = figures["sweep_lock_ms"]
    if locks:
        print(
            f"  {len(locks)} batches; their locking query took {sum(locks) / 1000:.1f} s in all "
            f"(first {locks[0]:.0f} ms, median {statistics.median(locks):.0f} ms, last {locks[-1]:.0f} ms); "
            "the rest is moving the rows and writing events and outbox rows"
        )
    print("  the first batch's locking query (EXPLAIN ANALYZE before the sweep):")
    for line in figures["sweep_plan"]:
        print(f"    {line}")
    print()
    width = max(len(r[0]) for r in results)
    mwidth = max(len(r[1]) for r in results)
    print(f"{'figure':<{width}}  {'measured':<{mwidth}}  {'goal':<22}  result")
    print("-" * (width + mwidth + 36))
    for what, measured, goal, met in results:
        print(f"{what:<{width}}  {measured:<{mwidth}}  {goal:<22}  {'PASS' if met else 'FAIL'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--sms", type=int, default=100_000)
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--runs", type=int, default=9, help="timed runs per page (median)")
    parser.add_argument("--deep-page", type=int, default=400)
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER))
    parser.add_argument("--db", default="icp_bench", help="the benchmark's own database (dropped first)")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    args = parser.parse_args(argv)
    _check_name(args.db)

    total_started = time.perf_counter()
    print(
        f"Database {args.db} on {server_params(args.server)['host']}: dropping and creating ...", flush=True
    )
    recreate_database(args.server, args.db)
    var_dir = tempfile.mkdtemp(prefix="bench-queue-")
    configure_django(database_url(args.server, args.db), var_dir)
    try:
        from django.db import connection
        from django.utils import timezone

        mark = time.perf_counter()
        migrate()
        print(f"Migrated in {time.perf_counter() - mark:.1f} s; seeding ...", flush=True)
        world = seed_people(args.providers)
        now = timezone.now()
        seed = seed_orders(world, args.orders, now=now)
        print(f"Seeded in {seed['timings']['total']:.1f} s; measuring pages ...", flush=True)
        figures: dict = {
            "orders": args.orders,
            "providers": args.providers,
            "runs": args.runs,
            "seed_seconds": seed["timings"]["total"],
            "queue_rows": seed["queue_rows"],
            "postgres": connection.pg_version,
        }
        figures.update(measure_pages(world, runs=args.runs, deep_page=args.deep_page))
        print("Measuring the SMS deadline sweep ...", flush=True)
        figures.update(measure_sms_sweep(args.sms, now=timezone.now()))
        results = goals(figures, deep_page=args.deep_page)
        figures["goals"] = [{"what": w, "measured": m, "goal": g, "met": ok} for w, m, g, ok in results]
        figures["total_seconds"] = time.perf_counter() - total_started
        report(figures, seed, results, deep_page=args.deep_page)
        print()
        print(
            f"Total {figures['total_seconds']:.0f} s. PostgreSQL {connection.pg_version}, "
            f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs shared with other processes."
        )
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    finally:
        if args.drop:
            drop_database(args.server, args.db)
    failed = [w for w, _m, _g, ok in results if not ok]
    if failed:
        print(f"\nGOALS MISSED: {'; '.join(failed)}")
        return 1
    print("\nAll goals met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
