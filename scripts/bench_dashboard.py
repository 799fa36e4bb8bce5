"""Benchmark of the dashboard and the CSV export of orders at a million orders (issue 11, R-M3).

Run from the checkout: ``.venv/bin/python scripts/bench_dashboard.py [--orders N] [--runs N]``.

It builds the queue benchmark's data set (``scripts/bench_review_queue.py``: ``--orders`` orders
over 20 providers, in SQL) in its OWN PostgreSQL database (``icp_bench_dashboard`` by default,
dropped and recreated; the name must start with ``icp_bench``), then:

1. backfills the rollups with ``manage.py dashboard_rollups_rebuild`` (timed); the seed has no
   event history, so the history-derived cells (stage times, SLA breaches, approvals, return
   reasons) are then added in SQL at the density a real history of these orders would give
   (five stages per submitted order, a return for one order in five), so the page reads as many
   rollup rows as it would in production;
2. measures the dashboard page (median of ``--runs``, Django test client, server time including
   the template) for the biggest provider's admin (13 and 52 weeks, and with a province and type
   filter) and for the operator across all providers (52 weeks), with its query count, against
   the baseline measured in the same run: the naive aggregates over ``filings_filingorder``
   that the page would need without rollups (orders by state and approvals per week only);
3. streams the operator's CSV export of every order (and, for comparison, of 4 weeks) in a
   fresh child process each, reporting rows, bytes, time and the child's peak RSS.

Goals: page <= 50 ms with the same query count for every filter; the export's peak RSS the same
(within 10 MB) for 1M rows as for a few thousand. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

import bench_review_queue as base  # noqa: E402  (the data set and database helpers are shared)

GOAL_MS = 50.0
GOAL_RSS_SPREAD_MB = 10.0

# Rollup cells a real history of the seeded orders would have written: for every submitted order,
# one time per stage (days spread as the SLA makes likely), an SLA breach when a step ran over, the
# approval of approved orders and, for one order in five, a returned field. Grouping sets write the
# four filter levels (province and type, province only, type only, neither) as the transitions do.
HISTORY_SQL = """
INSERT INTO filings_dashboardrollup (tenant_id, week, province, order_type, metric, key, count)
SELECT tenant_id, week, COALESCE(province_id, ''), COALESCE(order_type, ''), metric, key, count(*)
FROM (
    SELECT o.tenant_id, o.province_id, o.order_type,
           (date_trunc('week', (COALESCE(o.approved_at, o.submitted_at) AT TIME ZONE 'Asia/Shanghai')))::date
               AS week,
           h.metric, h.key
    FROM filings_filingorder o
    CROSS JOIN LATERAL (
        SELECT 'stage' AS metric, s.stage || ':' || ((o.id * (s.n + 7)) %% s.span) AS key
        FROM (VALUES (1, 'provider_review', 5), (2, 'verification', 11), (3, 'provider_recheck', 3),
                     (4, 'sms_verification', 2), (5, 'authority_review', 26)) AS s(n, stage, span)
        UNION ALL
        SELECT 'breach', s.stage FROM (VALUES ('provider_review', 2, 5), ('provider_recheck', 1, 3),
                                             ('authority_review', 20, 26)) AS s(stage, sla, span)
        WHERE (o.id * 11) %% s.span > s.sla
        UNION ALL
        SELECT 'moved', 'authority_approve' WHERE o.status = 'approved'
        UNION ALL
        SELECT 'return', (ARRAY['entity.entity_name', 'entity.registered_address', 'websites.domain',
                                'websites.name', 'materials.licence', 'materials.curtain_photo',
                                'entity.principal_mobile', 'websites.service_content', 'order',
                                'materials.verification_sheet'])[1 + o.id %% 10]
        WHERE o.id %% 5 = 0
    ) AS h
    WHERE o.submitted_at IS NOT NULL
) AS x
GROUP BY GROUPING SETS ((tenant_id, week, province_id, order_type, metric, key),
                        (tenant_id, week, province_id, metric, key),
                        (tenant_id, week, order_type, metric, key),
                        (tenant_id, week, metric, key))
"""


def add_history_cells() -> tuple[float, int]:
    from django.db import connection, transaction

    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(HISTORY_SQL, [])
    with connection.cursor() as cur:
        cur.execute("VACUUM (ANALYZE) filings_dashboardrollup")
        cur.execute("SELECT count(*) FROM filings_dashboardrollup")
        rows = cur.fetchone()[0]
    return time.perf_counter() - started, rows


def naive_baseline(tenant_id: int | None, weeks: int) -> float:
    """What the page would cost without rollups: states and approvals aggregated from the orders."""
    from datetime import timedelta

    from django.db.models import Count
    from django.db.models.functions import TruncWeek
    from django.utils import timezone

    from filings.models import FilingOrder
    from icpfiling.tenancy.context import tenant_scopes_disabled

    today = timezone.localdate()
    start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
    started = time.perf_counter()
    with tenant_scopes_disabled():  # the benchmark reads as the operator would, across tenants
        qs = FilingOrder.objects.all()
        if tenant_id is not None:
            qs = qs.filter(tenant_id=tenant_id)
        list(qs.filter(created_at__date__gte=start).values("status").annotate(n=Count("id")).order_by())
        list(
            qs.filter(approved_at__date__gte=start)
            .annotate(w=TruncWeek("approved_at"))
            .values("w")
            .annotate(n=Count("id"))
            .order_by()
        )
    return (time.perf_counter() - started) * 1000


def measure_dashboard(world, *, runs: int) -> dict:
    from django.test import Client

    from icpfiling.accounts.models import User

    backend = "icpfiling.accounts.backends.TenantEmailBackend"
    admin_user = User.objects.get(email=f"admin@{world.providers[0].slug}.bench.test")
    admin = Client(HTTP_HOST=world.hosts[0])
    admin.force_login(admin_user, backend=backend)
    operator = Client(HTTP_HOST="localhost")
    operator.force_login(world.operator, backend=backend)
    pages = {
        "admin_13w": (admin, "/dashboard/", {}),
        "admin_52w": (admin, "/dashboard/", {"weeks": "52"}),
        "admin_52w_zj_entity": (
            admin,
            "/dashboard/",
            {"weeks": "52", "province": "ZJ", "order_type": "new_entity"},
        ),
        "operator_52w": (operator, "/ops/dashboard/", {"weeks": "52"}),
    }
    for client, url, params in pages.values():  # warm-up
        base._get(client, url + "?" + "&".join(f"{k}={v}" for k, v in params.items()))
    samples: dict[str, list[float]] = {k: [] for k in pages}
    naive: dict[str, list[float]] = {"admin_52w": [], "operator_52w": []}
    for _ in range(runs):
        for name, (client, url, params) in pages.items():
            started = time.perf_counter()
            r = client.get(url, params)
            samples[name].append((time.perf_counter() - started) * 1000)
            if r.status_code != 200:
                raise SystemExit(f"{name} answered {r.status_code}")
        naive["admin_52w"].append(naive_baseline(world.providers[0].pk, 52))
        naive["operator_52w"].append(naive_baseline(None, 52))
    queries, rollup_queries, order_queries = {}, {}, {}
    for name, (client, url, params) in pages.items():
        # Counted on the second of two requests in a row: the first may refresh the session or the
        # host-to-tenant cache (framework work every page shares, not the dashboard's).
        full = url + "?" + "&".join(f"{k}={v}" for k, v in params.items())
        base.count_queries(client, full)
        count, sql = base.count_queries(client, full)
        queries[name] = count
        rollup_queries[name] = sum("dashboardrollup" in q for q in sql)
        order_queries[name] = sum("filings_filingorder" in q for q in sql)
    return {
        "page_ms": {k: statistics.median(v) for k, v in samples.items()},
        "naive_ms": {k: statistics.median(v) for k, v in naive.items()},
        "queries": queries,
        "rollup_queries": rollup_queries,
        "order_queries": order_queries,
    }


def reused_world(n_providers: int):
    """The people and sizes of a database an earlier run seeded (``--reuse``)."""
    from django.db import connection

    from icpfiling.accounts.models import User
    from icpfiling.tenancy.models import Provider

    world = base.World()
    world.providers = list(Provider.objects.filter(slug__startswith="p").order_by("slug")[:n_providers])
    world.hosts = [f"{p.slug}.bench.localhost" for p in world.providers]
    world.operator = User.objects.get(email="operator@bench.test")
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM filings_filingorder WHERE tenant_id = %s", [world.providers[0].pk])
        biggest = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM filings_dashboardrollup")
        rollup_rows = cur.fetchone()[0]
    return world, {"per_tenant": [biggest]}, float("nan"), float("nan"), rollup_rows


def export_child(db_url: str, var_dir: str, weeks: int) -> None:
    """In a fresh process: stream the operator's export and print rows, bytes, seconds, peak RSS."""
    base.configure_django(db_url, var_dir)
    from django.test import Client

    from icpfiling.accounts.models import User

    operator = Client(HTTP_HOST="localhost")
    operator.force_login(
        User.objects.get(email="operator@bench.test"),
        backend="icpfiling.accounts.backends.TenantEmailBackend",
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    r = operator.get("/ops/dashboard/orders.csv", {"weeks": str(weeks)})
    lines = size = 0
    for chunk in r.streaming_content:
        size += len(chunk)
        lines += chunk.count(b"\n")
    seconds = time.perf_counter() - started
    r.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "rows": lines - 1,
                "bytes": size,
                "seconds": seconds,
                "rss_before_kb": rss_before,
                "peak_rss_kb": peak,
            }
        )
    )


def measure_export(db_url: str, var_dir: str, weeks: int) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--export-child", str(weeks), "--db-url", db_url, "--var-dir", var_dir],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=1_000_000)
    parser.add_argument("--providers", type=int, default=20)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_SERVER", base.DEFAULT_SERVER))
    parser.add_argument(
        "--db", default="icp_bench_dashboard", help="the benchmark's own database (dropped first)"
    )
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument(
        "--reuse", action="store_true", help="measure an existing benchmark database again (no seeding)"
    )
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    parser.add_argument("--export-child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.export_child:
        export_child(args.db_url, args.var_dir, args.export_child)
        return 0
    base._check_name(args.db)
    if not args.reuse:
        print(f"Database {args.db}: dropping and creating ...", flush=True)
        base.recreate_database(args.server, args.db)
    var_dir = tempfile.mkdtemp(prefix="bench-dashboard-")
    db_url = base.database_url(args.server, args.db)
    base.configure_django(db_url, var_dir)
    try:
        from django.core.management import call_command
        from django.db import connection
        from django.utils import timezone

        if args.reuse:
            world, seed, backfill_s, history_s, rollup_rows = reused_world(args.providers)
        else:
            base.migrate()
            world = base.seed_people(args.providers)
            seed = base.seed_orders(world, args.orders, now=timezone.now())
            print(f"Seeded {args.orders:,} orders in {seed['timings']['total']:.1f} s; backfilling ...")
            started = time.perf_counter()
            call_command("dashboard_rollups_rebuild", stdout=open(os.devnull, "w"))  # noqa: SIM115
            backfill_s = time.perf_counter() - started
            history_s, rollup_rows = add_history_cells()
        print(
            f"Backfill {backfill_s:.1f} s; history cells {history_s:.1f} s; {rollup_rows:,} rollup rows; "
            "measuring pages ...",
            flush=True,
        )
        figures = {
            "orders": args.orders,
            "providers": args.providers,
            "runs": args.runs,
            "biggest_provider_orders": seed["per_tenant"][0],
            "backfill_seconds": backfill_s,
            "history_cells_seconds": history_s,
            "rollup_rows": rollup_rows,
            "postgres": connection.pg_version,
        }
        figures.update(measure_dashboard(world, runs=args.runs))
        connection.close()
        print("Streaming the CSV export in child processes ...", flush=True)
        figures["export_small"] = measure_export(db_url, var_dir, 4)
        figures["export_all"] = measure_export(db_url, var_dir, 52)
    finally:
        if args.drop:
            base.drop_database(args.server, args.db)
    page_ms, queries, naive = figures["page_ms"], figures["queries"], figures["naive_ms"]
    small, full = figures["export_small"], figures["export_all"]
    print()
    print(
        f"{args.orders:,} orders over {args.providers} providers "
        f"(biggest {figures['biggest_provider_orders']:,}); "
        f"{figures['rollup_rows']:,} rollup rows; backfill {figures['backfill_seconds']:.1f} s"
    )
    for name, ms in page_ms.items():
        print(
            f"  dashboard {name:<22} {ms:7.1f} ms  {queries[name]} queries "
            f"({figures['rollup_queries'][name]} on the rollups, "
            f"{figures['order_queries'][name]} on the orders)"
        )
    for name, ms in naive.items():
        print(
            f"  baseline (naive aggregate over the orders, states + approvals only) {name:<14} {ms:8.1f} ms"
        )
    for label, e in (("4 weeks", small), ("all (52 weeks)", full)):
        print(
            f"  CSV export {label:<15} {e['rows']:>9,} rows {e['bytes'] / 1e6:8.1f} MB "
            f"{e['seconds']:7.1f} s  "
            f"peak RSS {e['peak_rss_kb'] / 1024:6.1f} MB (at start {e['rss_before_kb'] / 1024:.1f} MB)"
        )
    results = [
        (
            "dashboard page, slowest",
            f"{max(page_ms.values()):.1f} ms",
            f"<= {GOAL_MS:g} ms",
            max(page_ms.values()) <= GOAL_MS,
        ),
        (
            "query count, every filter",
            "/".join(str(q) for q in queries.values()),
            "all equal",
            len(set(queries.values())) == 1,
        ),
        (
            "export peak RSS, all vs 4 weeks",
            f"{(full['peak_rss_kb'] - small['peak_rss_kb']) / 1024:.1f} MB",
            f"<= {GOAL_RSS_SPREAD_MB:g} MB",
            (full["peak_rss_kb"] - small["peak_rss_kb"]) / 1024 <= GOAL_RSS_SPREAD_MB,
        ),
    ]
    figures["goals"] = [{"what": w, "measured": m, "goal": g, "met": ok} for w, m, g, ok in results]
    print()
    for w, m, g, ok in results:
        print(f"  {'OK  ' if ok else 'MISS'} {w}: {m} (goal {g})")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2, default=str))
    return 0 if all(ok for *_x, ok in results) else 1


if __name__ == "__main__":
    sys.exit(main())
