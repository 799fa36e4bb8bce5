"""The load benchmark (``scripts/bench_load.py``, issue 17 item 8) keeps its options and its checks.

The load test itself needs locust (the optional ``bench`` extra), PostgreSQL, Redis and minutes of
run time, so it is run by hand; these tests check what can break silently without running it: the
options and the user mix, that ``--help`` works without locust, and the SQL check's judgement of an
order's event log (a valid path through the transition table, nothing doubled, nothing lost).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from filings.states import TRANSITIONS
from tests.services import requires_postgres

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "bench_load.py"


def _bench():
    spec = importlib.util.spec_from_file_location("bench_load", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_r_s1_help_lists_the_options_without_importing_locust():
    # given the script, when asked for --help in a fresh interpreter
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
    )
    # then it exits 0 and names every option of the brief
    assert proc.returncode == 0, proc.stderr
    for option in ("--users", "--minutes", "--spawn-rate", "--workers", "--db", "--redis-url", "--keep"):
        assert option in proc.stdout
    # and the module itself does not pull locust (and gevent's patching) in
    before = set(sys.modules)
    _bench()
    assert not {m for m in set(sys.modules) - before if m.split(".")[0] in ("locust", "gevent")}


def test_r_s1_short_mode_parses_and_the_mix_covers_every_kind_on_both_sides():
    # given the short mode of the brief, when parsed
    args = _bench().parse_args(["--users", "8", "--minutes", "0.5", "--spawn-rate", "4", "--workers", "2"])
    # then the values arrive as typed
    assert (args.users, args.minutes, args.spawn_rate, args.workers) == (8, 0.5, 4.0, 2)
    # and the mix of 50 users is the documented one; a small run still has each kind on both sides
    assert _bench().user_mix(50) == {"applicant": 30, "reviewer": 8, "verifier": 6, "authority": 6}
    assert _bench().user_mix(8) == {"applicant": 2, "reviewer": 2, "verifier": 2, "authority": 2}
    assert sum(_bench().user_mix(37).values()) == 37
    # and users pause before each page unless asked to pace by step
    assert args.pace == "page"
    assert _bench().parse_args(["--pace", "task"]).pace == "task"
    # and no core is kept busy unless asked
    assert args.busy_cores == 0
    top = (os.cpu_count() or 1) - 1  # one core is always left for the stack
    assert _bench().parse_args(["--busy-cores", str(top)]).busy_cores == top


def test_r_s1_a_slow_request_overlapping_a_disk_stall_is_told_apart():
    # Given one disk stall of 700 ms starting at t=100.0
    stalls = [(100.0, 700)]
    overlaps = _bench().overlaps_stall
    # Then requests running across it overlap it, and requests wholly before or after do not
    assert overlaps(99.8, 450, stalls) is True  # starts before, ends inside
    assert overlaps(100.3, 500, stalls) is True  # starts inside
    assert overlaps(99.0, 900, stalls) is False  # ends at 99.9
    assert overlaps(100.7, 600, stalls) is False  # starts as the stall ends
    assert overlaps(100.3, 500, []) is False
    # And a request starting within 2 s after the stall ended is counted as the queue it left
    soon = _bench().soon_after_stall
    assert soon(101.5, stalls) is True
    assert soon(102.7, stalls) is True
    assert soon(102.8, stalls) is False
    assert soon(100.2, stalls) is False  # inside the stall: counted as overlapping instead


def test_r_s1_the_disk_probe_times_syncs_while_it_runs(tmp_path):
    # Given the probe on a folder, when it runs for about half a second
    probe = _bench().DiskProbe(tmp_path)
    with probe:
        time.sleep(0.55)
    figures = probe.figures()
    # Then it took a sample every 0.1 s, each a positive time, and wrote only its own file
    assert 3 <= figures["samples"] <= 6
    assert figures["folder"] == str(tmp_path)
    assert all(ms > 0 for _t, ms in probe.samples)
    assert figures["p50_ms"] <= figures["p99_ms"]
    assert [p.name for p in tmp_path.iterdir()] == ["fsync-probe"]
    # And it stopped: no sample after it left the block
    count = len(probe.samples)
    time.sleep(0.25)
    assert len(probe.samples) == count


def test_r_s1_bursts_group_slow_requests_that_start_close_together():
    # Given slow requests: six within a second of each other, then two alone, then five spaced 0.9 s
    slow = [(t, "page", 450.0) for t in (10.0, 10.2, 10.4, 10.5, 10.9, 11.3, 20.0, 40.0)]
    slow += [(t, "page", 600.0) for t in (50.0, 50.9, 51.8, 52.7, 53.6)]
    # When they are grouped
    found = _bench().bursts(slow)
    # Then the two runs of five or more are bursts, with their first and last start, and the lone ones are not
    assert found == [(10.0, 11.3, 6), (50.0, 53.6, 5)]
    assert _bench().bursts(slow, least=7) == []


def test_r_s1_cpu_timeline_counts_each_process_by_what_it_used(monkeypatch):
    # Given three samples: a PostgreSQL backend that ends after the second, and an autovacuum
    # worker that starts before the third
    bench = _bench()
    probe = bench.CpuProbe()
    host = [
        {"busy": 10.0, "idle": 100.0, "iowait": 1.0, "steal": 0.0},
        {"busy": 10.8, "idle": 100.2, "iowait": 1.0, "steal": 0.1},
        {"busy": 11.6, "idle": 100.4, "iowait": 1.2, "steal": 0.1},
    ]
    procs = [
        {1: ("gunicorn", 5.0), 2: ("postgres", 30.0)},
        {1: ("gunicorn", 5.4), 2: ("postgres", 30.2)},
        {1: ("gunicorn", 5.6), 3: ("pg autovacuum", 0.3)},
    ]
    probe.samples = [(100.0 + i * 0.5, host[i], procs[i]) for i in range(3)]
    # When the timeline is read
    timeline = probe.timeline()
    # Then each interval gives cores used per group: the ended backend counts 0, not -60 cores,
    # and the new worker counts what it used
    assert [(a, b) for a, b, _v in timeline] == [(100.0, 100.5), (100.5, 101.0)]
    assert timeline[0][2] == {
        "busy": 1.6,
        "idle": 0.4,
        "iowait": 0.0,
        "steal": 0.2,
        "gunicorn": 0.8,
        "postgres": 0.4,
    }
    assert timeline[1][2] == {
        "busy": 1.6,
        "idle": 0.4,
        "iowait": 0.4,
        "steal": 0.0,
        "gunicorn": 0.4,
        "pg autovacuum": 0.6,
    }
    # And a window's mean covers the intervals it overlaps
    assert bench.cores_between(timeline, 100.6, 100.9)["gunicorn"] == 0.4
    assert bench.cores_between(timeline, 100.2, 100.9)["gunicorn"] == 0.6
    assert bench.cores_between(timeline, 200.0, 201.0) == {}


def test_r_s1_the_cpu_probe_samples_this_machine_and_stops():
    # Given the probe, when it runs for about a second
    probe = _bench().CpuProbe()
    with probe:
        time.sleep(1.1)
    # Then it sampled every half second, and the host's shares of the interval add up to the CPUs
    assert 2 <= len(probe.samples) <= 4
    for _a, _b, used in probe.timeline():
        assert (
            0.5 <= used["busy"] + used["idle"] + used["iowait"] + used["steal"] <= (os.cpu_count() or 1) * 1.3
        )
    count = len(probe.samples)
    time.sleep(0.6)
    assert len(probe.samples) == count


@requires_postgres
@pytest.mark.django_db
def test_r_s1_the_wait_probe_sees_a_backend_queued_on_a_lock():
    # Given the test database, where one session holds an advisory lock and a second waits for it
    from django.db import connection

    bench = _bench()
    conf = connection.settings_dict
    server = f"postgres://{conf['USER'] or 'postgres'}@{conf['HOST'] or '127.0.0.1'}:{conf['PORT'] or 5432}"
    holder, waiter = bench._connect(server, conf["NAME"]), bench._connect(server, conf["NAME"])
    try:
        holder.cursor().execute("SELECT pg_advisory_lock(171717)")
        queued = threading.Thread(target=lambda: waiter.cursor().execute("SELECT pg_advisory_lock(171717)"))
        queued.start()
        # When the probe samples for a second
        probe = bench.WaitProbe(server, conf["NAME"])
        with probe:
            time.sleep(1.0)
        holder.cursor().execute("SELECT pg_advisory_unlock(171717)")
        queued.join(timeout=10)
    finally:
        holder.close()
        waiter.close()
    # Then every sample saw the waiting backend as a lock wait, and the mean over the window says so
    assert 3 <= len(probe.samples) <= 5
    assert all(w.get("Lock:advisory") == 1 for _t, w in probe.samples)
    assert bench.waits_between(probe.samples, 0, float("inf"))["Lock:advisory"] == 1.0
    assert bench.waits_between(probe.samples, 0, 1) == {}


def test_r_s1_worker_tasks_are_read_from_celerys_trace_lines():
    # Given a worker log in Shanghai time: two sweeps that succeeded, one task that failed, other lines
    log = "\n".join(
        [
            "2026-12-03 13:00:00,000 INFO [tenant=-] celery.app.trace: "
            "Task filings.tasks.order_deadlines_sweep[ab-1] succeeded in 0.25s: 3",
            "2026-12-03 13:00:05,500 INFO [tenant=-] celery.app.trace: "
            "Task icpfiling.notifications.tasks.outbox_sweep[ab-2] succeeded in 1.5s: None",
            "2026-12-03 13:00:06,000 ERROR [tenant=-] celery.app.trace: "
            "Task icpfiling.notifications.tasks.deliver[ab-3] raised unexpected: OperationalError()",
            "2026-12-03 13:00:07,000 WARNING [tenant=-] celery.worker: something else",
            "2026-12-03 12:59:00,000 INFO [tenant=-] celery.app.trace: "
            "Task filings.tasks.order_deadlines_sweep[ab-0] succeeded in 0.1s: 0",
        ]
    )
    start = 1796274000.0  # 2026-12-03 05:00:00 UTC = 13:00 in Shanghai
    # When the runs since 12:59:30 are read
    runs = _bench().task_runs(log, since=start - 30, until=start + 60)
    # Then each gives its start (end minus time taken), time, short name and outcome;
    # the one before 12:59:30 is left out
    assert runs == [
        (start - 0.25, 0.25, "order_deadlines_sweep", "succeeded"),
        (start + 4.0, 1.5, "outbox_sweep", "succeeded"),
        (start + 6.0, 0.0, "deliver", "raised"),
    ]


def test_r_s1_the_report_puts_each_burst_beside_the_disk_cpu_waits_and_tasks(capsys):
    # Given a run whose slow requests came in one burst at 100 s, while a sweep ran, gunicorn took
    # both cores and two backends waited on a row lock; and a disk stall at 200 s with no burst
    bench = _bench()
    origin = 1_000_000.0
    slow = [(origin + 100 + i / 10, "reviewer: pass", 600.0) for i in range(6)]
    slow.append((origin + 200.1, "applicant: submit", 450.0))
    timeline = [
        (origin + t / 2, origin + t / 2 + 0.5, {"busy": 0.6, "idle": 1.4, "gunicorn": 0.4, "celery": 0.0})
        for t in range(600)
    ]
    for i, (a, b, _v) in enumerate(timeline):
        if 99 <= a - origin < 101:
            timeline[i] = (a, b, {"busy": 2.0, "idle": 0.0, "gunicorn": 1.5, "celery": 0.5})
    waits = [(origin + t / 4, {"cpu": 1}) for t in range(1200)]
    waits = [(t, {"Lock:tuple": 2, "cpu": 1} if 99 <= t - origin <= 101 else w) for t, w in waits]
    counted = dict.fromkeys(bench.COUNTED, 3)
    figures = {
        "users": 10,
        "mix": {"applicant": 4, "reviewer": 2, "verifier": 2, "authority": 2},
        "minutes": 5,
        "workers": 5,
        "threads": 1,
        "pace": "page",
        "busy_cores": 1,
        "load": {
            "reviewer: pass": {"requests": 150, "errors": 0, "p50": 30, "p95": 90, "p99": 600, "max": 610},
            "applicant: submit": {"requests": 150, "errors": 0, "p50": 30, "p95": 90, "p99": 120, "max": 450},
        },
        "baseline": {},
        "baseline_errors": 0,
        "load_before": "0.1 0.1 0.1",
        "load_after": "0.5 0.4 0.2",
        "check": {
            "orders": 3,
            "bench_orders": 3,
            "events": 24,
            "invalid_paths": 0,
            "duplicates": 0,
            "statuses": {"approved": 3},
            "events_by_kind": counted,
        },
        "client": counted,
        "client_other": {"baseline": {}, "load": {}},
        "failures": [],
        "slow": slow,
        "started": origin,
        "disk": {
            "folder": "var",
            "samples": 3000,
            "p50_ms": 0.9,
            "p99_ms": 4.0,
            "stalls": [(origin + 199.9, 700)],
            "same_as_database": True,
        },
        "cpu": {"gunicorn": 120.0, "postgres": 30.0, "celery": 10.0, "locust": 15.0},
        "timeline": timeline,
        "waits": waits,
        "waits_error": "",
        "tasks": [
            (origin + 99.8, 1.2, "order_deadlines_sweep", "succeeded"),
            (origin + 100.1, 0.02, "outbox_deliver", "succeeded"),
            (origin + 100.3, 0.04, "outbox_deliver", "succeeded"),
            (origin + 150, 0.0, "outbox_deliver", "raised"),
        ],
    }
    # When the report is printed
    goals = bench.report(figures)
    out = capsys.readouterr().out
    # Then the burst at 100 s is listed with the cores, the waits and the task of that second
    # against the run's medians, and the lone request in the stall at 200 s is no burst
    assert "1 core(s) kept busy by spinning processes" in out
    assert "Bursts of 5 or more requests >= 400 ms starting within 1 s of each other: 1;" in out
    cores = "busy 2.00 (0.60), celery 0.50 (0.00), gunicorn 1.50 (0.40), idle 0.00 (1.40)"
    assert f"  100.0-100.5 s, 6 requests: {cores}" in out
    assert "    PostgreSQL backends (mean over the window): Lock:tuple 2.0, cpu 1.0" in out
    assert (
        "    worker tasks running then: order_deadlines_sweep × 1 (longest 1.20 s), "
        "outbox_deliver × 2 (longest 0.04 s)\n"
    ) in out
    assert (
        "order_deadlines_sweep 1, 1.2 s, 1.20 s; outbox_deliver 3, 0.1 s, 0.04 s (1 failed or retried)" in out
    )
    assert "Requests >= 400 ms: 1 of 7 overlapped one of those disk stalls" in out
    # And the goal on p99 fails for the one page kind over 500 ms, the others pass
    assert [(what, measured, met) for what, measured, _g, met in goals][:2] == [
        ("errors (both passes)", "0", True),
        ("page kinds with p99 > 500 ms", "reviewer: pass", False),
    ]


@pytest.mark.parametrize(
    "argv",
    [
        ["--users", "7"],  # fewer than one user of each kind per tenant
        ["--minutes", "0"],
        ["--workers", "0"],
        ["--db", "icp; DROP"],
        ["--db", "A"],
        ["--pace", "none"],
        ["--busy-cores", "-1"],
        ["--busy-cores", str(os.cpu_count() or 1)],  # no core left for the stack
    ],
)
def test_r_s1_refuses_bad_options(argv):
    # given an impossible option, when parsed, then argparse stops with its usage error
    with pytest.raises(SystemExit) as exc:
        _bench().parse_args(argv)
    assert exc.value.code == 2


WHOLE = [
    ("submit", "draft", "provider_review"),
    ("provider_return", "provider_review", "returned"),
    ("resubmit", "returned", "provider_review"),
    ("provider_pass", "provider_review", "verification"),
    ("verified", "verification", "provider_recheck"),
    ("submit_to_authority", "provider_recheck", "sms_verification"),
    ("sms_passed", "sms_verification", "authority_review"),
    ("authority_approve", "authority_review", "approved"),
]


def test_r_s1_a_whole_journey_with_one_return_is_a_valid_path():
    # given the events of an order returned once and then approved, when judged
    bench = _bench()
    # then nothing is wrong and nothing is doubled (the return starts a second round)
    assert bench.path_errors(WHOLE, "approved", TRANSITIONS) == []
    assert bench.duplicate_keys(WHOLE) == []


def test_r_s1_a_doubled_transition_is_found_twice_over():
    # given the pass written twice (two reviewers both "won")
    bench = _bench()
    doubled = [*WHOLE[:4], ("provider_pass", "provider_review", "verification"), *WHOLE[4:]]
    # when judged, then the second pass starts from a state the order had left, and its round repeats it
    assert bench.path_errors(doubled, "approved", TRANSITIONS) == [
        "provider_pass from provider_review but the order was verification"
    ]
    assert bench.duplicate_keys(doubled) == [(2, "provider_pass")]


def test_r_s1_a_lost_transition_and_a_stale_status_are_found():
    # given a log missing the on-site check, and a log that stops before the order's status
    bench = _bench()
    lost = [e for e in WHOLE if e[0] != "verified"]
    # when judged, then the gap and the mismatch are named
    assert bench.path_errors(lost, "approved", TRANSITIONS) == [
        "submit_to_authority from provider_recheck but the order was verification"
    ]
    assert bench.path_errors(WHOLE[:3], "approved", TRANSITIONS) == [
        "log ends in provider_review, order is approved"
    ]
    # and an action the table does not allow from that state
    assert bench.path_errors([("authority_approve", "draft", "approved")], "approved", TRANSITIONS) == [
        "authority_approve draft->approved is not in the table"
    ]


def test_r_x1_the_stacks_settings_start_in_production_mode(tmp_path):
    # Given the environment the benchmark gives its gunicorn, Celery and manage.py commands
    bench = _bench()
    env = bench.stack_env(bench.parse_args([]), tmp_path)
    # When Django's system checks load the production settings with it
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    # Then the settings start (every key production requires is there, R-X1 included)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ImproperlyConfigured" not in done.stderr


@pytest.mark.parametrize(
    ("utc", "first", "count"),
    [
        ("2026-12-02T16:05:00+00:00", "2026-12-03T00:00:00+08:00", 48),  # just after midnight
        ("2026-12-02T03:44:59+00:00", "2026-12-02T11:30:00+08:00", 25),  # mid-day: the slot in progress
        ("2026-12-02T15:59:00+00:00", "2026-12-02T23:30:00+08:00", 1),  # the day's last slot
    ],
)
def test_r_s4_walk_in_slots_run_from_the_one_in_progress_to_the_end_of_the_day(utc, first, count):
    from datetime import datetime

    # Given the time the benchmark seeds at, When it lays out its walk-in slots
    starts = _bench().walk_in_slot_starts(datetime.fromisoformat(utc))
    # Then they begin with the half hour in progress in Shanghai and stop at its midnight
    assert starts[0] == datetime.fromisoformat(first)
    assert len(starts) == count
    assert {s.date() for s in starts} == {starts[0].date()}
