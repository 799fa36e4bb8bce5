"""The million-order queue benchmark (``scripts/bench_review_queue.py``) keeps working.

The script configures Django itself (its own database, embedded settings), so the PostgreSQL
test runs it as a subprocess at a tiny size against a throwaway database of its own and reads
the figures it writes; the other tests check its pure helpers without a database.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from tests.services import requires_postgres

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bench_review_queue.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_review_queue", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def _server_url() -> str:
    """The PostgreSQL server of this test run (not its database: the script makes its own)."""
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/"


FIGURE_KEYS = {
    "orders",
    "providers",
    "seed_seconds",
    "queue_rows",
    "queue_first_ms",
    "queue_deep_ms",
    "queue_deep_page",
    "admin_first_ms",
    "admin_deep_ms",
    "ratio_first",
    "ratio_deep",
    "queue_queries_first",
    "queue_queries_deep",
    "sms_orders",
    "sweep_seconds",
    "sweep_lock_ms",
    "sweep_moved",
    "sweep_in_recheck",
    "sweep_events",
    "sweep_events_distinct",
    "sweep_events_foreign",
    "sweep_outbox",
    "sweep2_moved",
    "sweep2_events",
    "sweep2_outbox",
    "goals",
}


@requires_postgres
def test_r_s2_r_b1_benchmark_runs_at_a_tiny_size_with_exactly_once_sweep(tmp_path):
    # given: a database name of this run's own, which the script creates and drops again
    bench = _bench()
    name = f"icp_bench_pytest_{os.getpid()}"
    out = tmp_path / "figures.json"
    # when: 3,000 orders over 3 providers, 500 overdue SMS deadlines, page 3 as the deep page
    proc = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            *("--orders", "3000", "--sms", "500", "--providers", "3", "--deep-page", "3", "--runs", "1"),
            *("--db", name, "--server", _server_url(), "--json", str(out), "--drop"),
        ],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=ROOT,
    )
    # then: it ran to the end (exit 1 = a speed goal missed, which a tiny table may do) and the
    # figures are complete
    assert proc.returncode in (0, 1), proc.stdout[-2000:] + proc.stderr[-4000:]
    figures = json.loads(out.read_text())
    assert set(figures) >= FIGURE_KEYS, FIGURE_KEYS - set(figures)
    assert figures["orders"] == 3000
    assert figures["queue_deep_page"] == 3
    assert figures["queue_queries_first"] == figures["queue_queries_deep"]
    assert figures["queue_first_ms"] > 0
    assert figures["admin_deep_ms"] > 0
    # the sweep moved each order once, with one event and one outbox row per channel each
    assert figures["sms_orders"] == 500
    assert len(figures["sweep_lock_ms"]) >= 1  # one locking query per batch, 1,000 rows a batch
    assert (figures["sweep_moved"], figures["sweep_in_recheck"]) == (500, 500)
    assert (figures["sweep_events"], figures["sweep_events_distinct"], figures["sweep_events_foreign"]) == (
        500,
        500,
        0,
    )
    assert figures["sweep_outbox"] == {"email": [500, 500, 0], "inbox": [500, 500, 0], "sms": [500, 500, 0]}
    # and the second sweep changed nothing
    assert (figures["sweep2_moved"], figures["sweep2_events"], figures["sweep2_outbox"]) == (0, 500, 1500)
    met = {g["what"]: g["met"] for g in figures["goals"]}
    correctness = [w for w in met if w.startswith(("orders moved", "sms_failed", "outbox", "second sweep"))]
    assert len(correctness) == 4
    assert all(met[w] for w in correctness), figures["goals"]
    assert "PASS" in proc.stdout
    # and its database is gone again
    conn = bench._admin_connection(_server_url())
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_database WHERE datname = %s", [name])
            assert cur.fetchone()[0] == 0
    finally:
        conn.close()


def _figures(n: int, **overrides) -> dict:
    figures = {
        "queue_deep_page": 400,
        "ratio_first": 12.0,
        "ratio_deep": 15.0,
        "queue_queries_first": 7,
        "queue_queries_deep": 7,
        "sweep_seconds": 30.0,
        "sms_orders": n,
        "sweep_moved": n,
        "sweep_in_recheck": n,
        "sweep_events": n,
        "sweep_events_distinct": n,
        "sweep_events_foreign": 0,
        "sweep_outbox": {c: [n, n, 0] for c in ("email", "inbox", "sms")},
        "sweep2_moved": 0,
        "sweep2_events": n,
        "sweep2_outbox": 3 * n,
    }
    figures.update(overrides)
    return figures


def _failed(figures: dict) -> list[str]:
    return [what for what, _m, _g, met in _bench().goals(figures, deep_page=400) if not met]


def test_r_s2_goals_all_pass_on_good_figures():
    # given figures meeting every goal, when judged, then nothing fails
    assert _failed(_figures(100)) == []


@pytest.mark.parametrize(
    ("overrides", "failed"),
    [
        ({"ratio_first": 9.9}, "admin / queue, page 1"),
        ({"ratio_deep": 3.0}, "admin / queue, page 400"),
        ({"queue_queries_deep": 8}, "queue queries, page 1 / page 400"),  # not the same count
        ({"queue_queries_first": 9, "queue_queries_deep": 9}, "queue queries, page 1 / page 400"),
        ({"queue_deep_page": 37}, "queue page reached page 400 by its next links"),
        ({"sweep_seconds": 60.5}, "sweep of 100 overdue SMS deadlines"),
        ({"sweep_events": 101, "sweep_events_distinct": 100}, "sms_failed events (rows / orders / others)"),
        ({"sweep_events_foreign": 1}, "sms_failed events (rows / orders / others)"),
        (
            {"sweep_outbox": {"email": [100, 100, 0], "inbox": [100, 100, 0]}},
            "outbox rows per channel (rows / orders / others)",
        ),
        (
            {"sweep_outbox": {"email": [101, 100, 0], "inbox": [100, 100, 0], "sms": [100, 100, 0]}},
            "outbox rows per channel (rows / orders / others)",
        ),
        ({"sweep2_moved": 1}, "second sweep (moved / events / outbox rows)"),
        ({"sweep2_outbox": 301}, "second sweep (moved / events / outbox rows)"),
        ({"sweep_in_recheck": 99}, "orders moved / back with the provider"),
    ],
)
def test_r_s2_r_b1_goals_fail_exactly_the_missed_one(overrides, failed):
    # given figures with one goal missed, when judged, then exactly that goal fails
    assert _failed(_figures(100, **overrides)) == [failed]


def test_r_s2_next_link_is_the_keyset_cursor_link():
    # given a queue page with filter links and a next link (HTML-escaped &)
    page = (
        '<a href="?status=provider_review">x</a>'
        '<a class="button" href="?status=provider_review&amp;after=WyIyMDI2Il0">下一页</a>'
    )
    # when/then: the next link is found and unescaped; a last page has none
    assert _bench().next_href(page) == "?status=provider_review&after=WyIyMDI2Il0"
    assert _bench().next_href('<a href="?status=provider_review">x</a>') is None


def test_r_s2_refuses_any_database_but_its_own():
    # given the names of databases other people use, when checked, then the script refuses them
    bench = _bench()
    for name in ("test", "postgres", "test_icpfiling", "icp_bench; DROP", "ICP_BENCH"):
        with pytest.raises(SystemExit):
            bench._check_name(name)
    bench._check_name("icp_bench")  # and accepts its own


def test_r_s2_r_c1_benchmark_data_set_holds_every_order_type():
    # given the order types the engine runs (first filings, apps, changes and cancellations)
    from filings.states import OrderType

    # when the benchmark draws its orders' types
    shares = dict(_bench().ORDER_TYPE_SHARES)
    # then every type is in the data set, and the shares cover every order
    assert set(shares) == set(OrderType.values)
    assert min(shares.values()) > 0
    assert round(sum(shares.values()), 6) == 1.0
