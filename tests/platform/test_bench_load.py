"""The load benchmark (``scripts/bench_load.py``, issue 17 item 8) keeps its options and its checks.

The load test itself needs locust (the optional ``bench`` extra), PostgreSQL, Redis and minutes of
run time, so it is run by hand; these tests check what can break silently without running it: the
options and the user mix, that ``--help`` works without locust, and the SQL check's judgement of an
order's event log (a valid path through the transition table, nothing doubled, nothing lost).
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

from filings.states import TRANSITIONS

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


@pytest.mark.parametrize(
    "argv",
    [
        ["--users", "7"],  # fewer than one user of each kind per tenant
        ["--minutes", "0"],
        ["--workers", "0"],
        ["--db", "icp; DROP"],
        ["--db", "A"],
        ["--pace", "none"],
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
