"""Load test of the whole filing journey against the production-shaped stack (issue 17 item 8).

Run from the checkout (locust is the optional ``bench`` extra: ``.venv/bin/pip install -e '.[bench]'``)::

    .venv/bin/python scripts/bench_load.py                       # 50 users for 5 minutes
    .venv/bin/python scripts/bench_load.py --users 5 --minutes 0.5   # a short try

The script starts and stops everything itself, on loopback only:

- its OWN PostgreSQL database (``--db``, dropped and recreated; a database the script did not
  create itself, which carries no bench comment, is never dropped) and its own Redis database
  (``--redis-url``, flushed at the start: cache, rate limits and the Celery broker);
- a private S3 API on loopback (moto, from the ``test`` extra) for the identity documents,
  because production stores them in a private bucket;
- ``ICPFILING_MODE=production`` (DEBUG off, PostgreSQL, Redis, S3, secure cookies, staff need
  their TOTP second factor, ``ICPFILING_DEMO_PASSWORD_ONLY_LOGIN`` off): gunicorn with
  ``--workers`` sync workers (the docker-compose command), one Celery worker and one beat;
- the demo providers alpha and beta (two tenants) and the two demo authorities, plus the bench's
  own accounts: applicants with servers, reviewers, point staff and authority reviewers, each
  staff account with a confirmed TOTP device whose key the simulated users use to compute codes.

Requests go to 127.0.0.1 with the Host header of the tenant and the headers the TLS proxy in front
of production sets (X-Forwarded-Proto, X-Forwarded-For: one address per simulated user).

Users (``scripts/bench_load_locustfile.py``): applicants create orders through the detection
form, fill the entity and website steps, upload generated JPEGs to every required material
slot, submit, fix and resubmit what was returned, book a slot at the verification point and
type the SMS codes the console SMS gateway wrote (the demo's "phone"); reviewers claim, return
(a share of first rounds) or record the phone check and pass, and submit rechecked orders to
the authority; point staff record the on-site check with a curtain photo; the authorities
approve. Each request is named by its page kind.

Pacing (``--pace``): by default each user spends 1-3 s reading a page or filling a form before
each click or submit (a browser following a redirect makes no pause), which is still several
times faster than people fill an entity form. ``--pace task`` pauses only between steps and runs
each step's pages back to back (a whole filing, about 15 requests, in about a second): 50 such
users ask for about as much as 150 paced ones, and that shape is kept for comparison.

Two passes in one run: a light pass (one user per kind, its p50 per page kind is the baseline
on this machine now), then the load pass (``--users`` for ``--minutes``). Afterwards, in SQL:
every bench order's event log is a valid path through ``filings.states.TRANSITIONS`` ending in
the order's status, no (order, round, action) appears twice, and the counts of each action
match the simulated users' own counters.

Goals: 0 errors, p99 <= 500 ms per page kind, no lost or doubled transition. Exits 1 when a
goal is missed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import csv
import importlib.util
import itertools
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Self
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
LOCUSTFILE = ROOT / "scripts" / "bench_load_locustfile.py"
DEFAULT_SERVER = "postgres://postgres@127.0.0.1:5432/"
DB_NAME = re.compile(r"^[a-z][a-z0-9_]{2,40}$")
DB_MARK = "icpfiling scripts/bench_load.py"
GOAL_P99_MS = 500.0
TENANTS = ("alpha", "beta")
PROVINCES = ("ZJ", "GD")
# Kinds of simulated users; the locustfile defines one class each.
KINDS = ("applicant", "reviewer", "verifier", "authority")
# Actions counted by the simulated users and in the event log (filings.states names).
COUNTED = (
    "submit",
    "resubmit",
    "provider_return",
    "provider_pass",
    "verified",
    "submit_to_authority",
    "sms_passed",
    "authority_approve",
)


# ---------------------------------------------------------------------------------------------
# Arguments and the user mix
# ---------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="simulated users in the load pass")
    parser.add_argument("--minutes", type=float, default=5.0, help="length of the load pass")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second")
    parser.add_argument("--workers", type=int, default=5, help="gunicorn sync workers (compose: 5)")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="threads per gunicorn worker; more than 1 runs gthread workers instead of sync (compose: 1)",
    )
    parser.add_argument(
        "--pace",
        choices=("page", "task"),
        default="page",
        help="page: 1-3 s of reading or filling before each click or submit (default); "
        "task: 1-3 s only between steps, a step's pages back to back (a harsher, unhuman shape)",
    )
    parser.add_argument(
        "--busy-cores",
        type=int,
        default=0,
        help="processes that spin on a core through both passes: the goal on a machine with fewer or "
        "slower cores, or a noisy neighbour (default 0)",
    )
    parser.add_argument(
        "--baseline-seconds", type=float, default=None, help="length of the light pass (default: scaled)"
    )
    parser.add_argument("--port", type=int, default=8300, help="gunicorn's port; moto S3 uses port + 1")
    parser.add_argument("--server", default=os.environ.get("BENCH_DATABASE_SERVER", DEFAULT_SERVER))
    parser.add_argument("--db", default="icp_bench_load", help="the benchmark's own database")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/12", help="the benchmark's own Redis db (flushed)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the database and var dir afterwards")
    parser.add_argument("--json", metavar="PATH", help="write the figures as JSON")
    parser.add_argument("--seed-child", metavar="PATH", help=argparse.SUPPRESS)
    parser.add_argument("--check-child", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.users < len(KINDS) * 2:
        parser.error(f"--users must be at least {len(KINDS) * 2} (one of each kind per tenant)")
    if args.minutes <= 0 or args.spawn_rate <= 0 or args.workers < 1 or args.threads < 1:
        parser.error("--minutes and --spawn-rate must be positive, --workers and --threads at least 1")
    if not 0 <= args.busy_cores < (os.cpu_count() or 1):
        parser.error(
            f"--busy-cores must be from 0 to {(os.cpu_count() or 1) - 1} (one core left for the stack)"
        )
    if not DB_NAME.match(args.db):
        parser.error(f"--db must match {DB_NAME.pattern}")
    return args


def user_mix(users: int) -> dict[str, int]:
    """How many simulated users of each kind: most are applicants (they create the work).

    Per 50: 30 applicants, 8 reviewers, 6 point staff, 6 authority reviewers, split over the two
    tenants (authorities over the two provinces); every kind gets at least one per tenant.
    """
    shares = {"reviewer": 8 / 50, "verifier": 6 / 50, "authority": 6 / 50}
    mix = {kind: max(2, 2 * round(users * share / 2)) for kind, share in shares.items()}
    mix["applicant"] = users - sum(mix.values())
    return {k: mix[k] for k in KINDS}


def baseline_mix() -> dict[str, int]:
    return {kind: 2 for kind in KINDS}  # one per tenant (authorities: one per province)


# ---------------------------------------------------------------------------------------------
# Database, Redis and the environment of the stack
# ---------------------------------------------------------------------------------------------


def server_params(server_url: str) -> dict:
    parts = urlsplit(server_url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 5432,
        "user": parts.username or "postgres",
        "password": parts.password or "",
    }


def _connect(server_url: str, dbname: str):
    import psycopg2

    conn = psycopg2.connect(dbname=dbname, **server_params(server_url))
    conn.autocommit = True
    return conn


def _is_ours(cur, name: str) -> bool | None:
    """None when absent; else whether the database carries this script's comment."""
    cur.execute("SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [name])
    row = cur.fetchone()
    return None if row is None else row[0] == DB_MARK


def recreate_database(server_url: str, name: str) -> None:
    conn = _connect(server_url, "postgres")
    try:
        with conn.cursor() as cur:
            ours = _is_ours(cur, name)
            if ours is False:
                raise SystemExit(f"database {name!r} exists and was not created by this script; refusing")
            if ours:
                cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            cur.execute(f'CREATE DATABASE "{name}"')
            cur.execute(f"COMMENT ON DATABASE \"{name}\" IS '{DB_MARK}'")
    finally:
        conn.close()


def checkpoint(server_url: str) -> float | None:
    """Seconds a CHECKPOINT took; None when this role may not run one.

    Migrating a new database writes every table and index file. The server's first timed
    checkpoint after that flushes and syncs all of them (about 950 files here), and at its end
    every commit on the server waited about two seconds; steady production never syncs its whole
    schema at once. Checkpointing before the passes keeps that one-off out of the figures;
    the timed checkpoints of the load itself still happen inside them.
    """
    import psycopg2

    conn = _connect(server_url, "postgres")
    try:
        with conn.cursor() as cur:
            started = time.perf_counter()
            cur.execute("CHECKPOINT")
            return time.perf_counter() - started
    except psycopg2.errors.InsufficientPrivilege:
        return None
    finally:
        conn.close()


def drop_database(server_url: str, name: str) -> None:
    conn = _connect(server_url, "postgres")
    try:
        with conn.cursor() as cur:
            if _is_ours(cur, name):
                cur.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    finally:
        conn.close()


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def stack_env(args: argparse.Namespace, var: Path) -> dict[str, str]:
    """Production settings (icpfiling/settings.py) with loopback services and console SMS."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "ICPFILING_", "S3_"))}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "icpfiling.settings",
            "ICPFILING_MODE": "production",
            "ICPFILING_VAR_DIR": str(var),
            "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
            # R-X1: production refuses to start without its own field and blind-index keys.
            "ICPFILING_FIELD_KEYS": base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
            "ICPFILING_BLIND_INDEX_KEY": secrets.token_hex(32),
            "DATABASE_URL": args.server.rstrip("/") + "/" + args.db,
            "REDIS_URL": args.redis_url,
            "S3_BUCKET": "icpfiling-bench",
            "S3_ENDPOINT_URL": f"http://127.0.0.1:{args.port + 1}",
            "S3_ACCESS_KEY_ID": "bench",
            "S3_SECRET_ACCESS_KEY": "bench-secret",
            "DJANGO_ALLOWED_HOSTS": "localhost,.localhost",
            "ICPFILING_PLATFORM_HOSTS": "localhost",
            "ICPFILING_LINK_PORT": str(args.port),
            # One proxy in front (compose's default): the client is the last X-Forwarded-For entry.
            "AXES_PROXY_COUNT": "1",
            # Nothing leaves the machine: emails are dropped, SMS go to files under var/sms (the
            # embedded run's gateway), where the simulated applicants read their codes.
            "EMAIL_URL": "dummymail://",
            "SMS_BACKEND": "icpfiling.notifications.sms.ConsoleSmsBackend",
            "LOG_LEVEL": "WARNING",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


# ---------------------------------------------------------------------------------------------
# Processes
# ---------------------------------------------------------------------------------------------


class Stack:
    """The processes this run started; stopped (only these, by their pids) on exit."""

    def __init__(self, env: dict[str, str], var: Path) -> None:
        self.env, self.var = env, var
        self.procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, cmd: list[str]) -> None:
        log = (self.var / f"{name}.log").open("ab")
        self.procs[name] = subprocess.Popen(
            cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def check_alive(self) -> None:
        for name, p in self.procs.items():
            if p.poll() is not None:
                tail = (self.var / f"{name}.log").read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{name} exited with {p.returncode}:\n{tail}")

    def stop(self) -> None:
        for p in self.procs.values():
            if p.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for p in self.procs.values():
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.pid, signal.SIGKILL)
                p.wait()


def port_in_use(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def manage(env: dict[str, str], *cmd: str) -> None:
    subprocess.run([PY, "manage.py", *cmd], cwd=ROOT, env=env, check=True)


def wait_http(url: str, headers: dict[str, str], stack: Stack, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        stack.check_alive()
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=5) as r:  # noqa: S310 - loopback
                if r.status < 500:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")
        time.sleep(0.5)


def make_bucket(env: dict[str, str]) -> None:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=env["S3_ENDPOINT_URL"],
        aws_access_key_id=env["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=env["S3_SECRET_ACCESS_KEY"],
        region_name="cn-north-1",
    )
    s3.create_bucket(Bucket=env["S3_BUCKET"], CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})


# ---------------------------------------------------------------------------------------------
# Seeding (a child process with Django configured for the stack)
# ---------------------------------------------------------------------------------------------

PASSWORD = "bench-pass-2026-load"  # noqa: S105 - throwaway accounts in a throwaway database
SERVERS_PER_APPLICANT = 60  # one server carries at most 5 websites (R-W4)
SLOT_CAPACITY = 50


def seed_child(path: str) -> None:
    """Runs in a child with the stack's environment; writes the accounts as JSON to ``path``."""
    import datetime as dt

    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.db.models import Max
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from filings.models import OrderEvent, Server
    from icpfiling.accounts.models import Membership, PlatformRole, Role, User
    from icpfiling.demo.points import demo_point_programme_seed
    from icpfiling.demo.seed import demo_seed
    from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
    from icpfiling.tenancy.models import Provider
    from verification_points.models import AppointmentSlot, PointStaff, VerificationPoint
    from verification_points.operations.slots import slots_generate

    spec = json.loads(Path(path).read_text())
    counts: dict[str, int] = spec["counts"]  # per kind, per tenant (authority: per province)
    demo_seed(lifecycle=False)
    now = timezone.now()
    accounts: dict = {"tenants": {}, "authority": {}}

    hashed = make_password(PASSWORD)  # one Argon2 hash for every bench account: seeding stays quick

    def user(email: str, provider, full_name: str, **extra) -> User:
        u = User.objects.create_user(
            email, None, provider=provider, full_name=full_name, email_confirmed_at=now, **extra
        )
        User.objects.filter(pk=u.pk).update(password=hashed)
        return u

    def totp(u: User) -> str:
        device = TOTPDevice.objects.create(user=u, name="totp", confirmed=True)
        return device.key  # hex; the simulated user computes the codes an app would show

    for slug in TENANTS:
        provider = Provider.objects.get(slug=slug)
        with tenant_scope(provider):
            demo_verifier = User.objects.get(email=f"verifier@{slug}.demo", provider=provider)
            point = demo_point_programme_seed(provider, verifier_user=demo_verifier)
            # A busy point: enough places for every order the run books.
            VerificationPoint.objects.filter(pk=point.pk).update(slot_capacity=SLOT_CAPACITY)
            # One operating point per tenant, so every booking lands where the bench's staff work.
            VerificationPoint.objects.exclude(pk=point.pk).filter(status="operating").update(
                status="suspended"
            )
            point.refresh_from_db()
            slots_generate(point=point, start=timezone.localdate(), days=14)
            # And half-hour slots from the one in progress to the end of the day in Shanghai, on
            # any day at any hour: applicants book the slot in progress (a walk-in) and the staff
            # record the check on its day (R-S4), as during opening hours on a working day.
            AppointmentSlot.objects.bulk_create(
                [
                    AppointmentSlot(
                        tenant=provider,
                        point=point,
                        starts_at=start,
                        ends_at=start + timedelta(minutes=30),
                        capacity=SLOT_CAPACITY,
                    )
                    for start in walk_in_slot_starts(now)
                ],
                ignore_conflicts=True,
            )
            rows: dict[str, list] = {"applicant": [], "reviewer": [], "verifier": []}
            for kind, role in (
                ("applicant", Role.APPLICANT),
                ("reviewer", Role.REVIEWER),
                ("verifier", Role.POINT_STAFF),
            ):
                for i in range(counts[kind]):
                    email = f"bench-{kind}-{i}@{slug}.bench"
                    u = user(email, provider, f"压测{kind}{i}（{slug}）")
                    Membership.objects.create(user=u, tenant=provider, role=role, approved_at=now)
                    row = {"email": email, "password": PASSWORD, "name": u.full_name}
                    if kind == "applicant":
                        Server.objects.bulk_create(
                            Server(
                                tenant=provider,
                                owner=u,
                                ip_address=f"198.{18 + (slug == 'beta')}.{i}.{n + 1}",
                                label=f"压测服务器 {n + 1}",
                                instance_id=f"ins-bench-{slug}-{i}-{n}",
                                paid_until=timezone.localdate() + dt.timedelta(days=365),
                            )
                            for n in range(SERVERS_PER_APPLICANT)
                        )
                    else:
                        row["totp_key"] = totp(u)
                    if kind == "verifier":
                        PointStaff.objects.create(tenant=provider, point=point, user=u)
                    rows[kind].append(row)
            accounts["tenants"][slug] = {"host": provider.hostnames.first().hostname, **rows}
    for province in PROVINCES:
        rows = []
        for i in range(counts["authority"]):
            email = f"bench-authority-{province.lower()}-{i}@gov.bench"
            u = user(email, None, f"压测管局{province}{i}", platform_role=PlatformRole.AUTHORITY)
            u.authority_provinces.add(province)
            rows.append({"email": email, "password": PASSWORD, "totp_key": totp(u), "province": province})
        accounts["authority"][province] = rows
    with tenant_scopes_disabled():  # the first event id of the run, over both tenants
        accounts["first_event_id"] = (OrderEvent.objects.aggregate(m=Max("pk"))["m"] or 0) + 1
    accounts["sms_dir"] = str(Path(os.environ["ICPFILING_VAR_DIR"]) / "sms")
    Path(path).write_text(json.dumps(accounts, ensure_ascii=False, indent=1))


# ---------------------------------------------------------------------------------------------
# The transitions check (a child with Django configured; the queries are plain SQL)
# ---------------------------------------------------------------------------------------------


def path_errors(events: list[tuple[str, str, str]], final_status: str, transitions: dict) -> list[str]:
    """What is wrong with one order's event log [(kind, from, to)] as a path through the table."""
    errors = []
    current = "draft"
    for kind, source, target in events:
        t = transitions.get(kind)
        if t is None:
            errors.append(f"unknown action {kind}")
            continue
        if source != current:
            errors.append(f"{kind} from {source} but the order was {current}")
        if source not in t.sources or target != t.target:
            errors.append(f"{kind} {source}->{target} is not in the table")
        current = target
    if current != final_status:
        errors.append(f"log ends in {current}, order is {final_status}")
    return errors


def duplicate_keys(events: list[tuple[str, str, str]]) -> list[tuple[int, str]]:
    """(round, action) pairs seen twice; a round starts when the order enters provider_review.

    The loops of the table (sms_failed, back_to_verification) may repeat an action within a
    round legitimately; the bench drives neither, so any repeat here is a doubled transition.
    """
    seen, dupes, rnd = set(), [], 0
    for kind, _source, target in events:
        if target == "provider_review":
            rnd += 1
        key = (rnd, kind)
        if key in seen:
            dupes.append(key)
        seen.add(key)
    return dupes


def check_child(path: str) -> None:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection

    from filings.states import TRANSITIONS

    spec = json.loads(Path(path).read_text())
    with connection.cursor() as cur:
        # The orders of the run: the bench applicants' and any other one staff acted on (the demo's
        # queues hold a few); every status event of the run, over both tenants.
        cur.execute(
            """
            SELECT o.id, o.status FROM filings_filingorder o
            WHERE o.applicant_id IN (SELECT id FROM accounts_user WHERE email LIKE 'bench-applicant-%%')
               OR o.id IN (SELECT order_id FROM filings_orderevent WHERE id >= %s)
            ORDER BY o.id
            """,
            [spec["first_event_id"]],
        )
        orders = dict(cur.fetchall())
        cur.execute(
            """
            SELECT e.order_id, e.kind, e.from_status, e.to_status FROM filings_orderevent e
            WHERE e.order_id = ANY(%s) AND e.to_status <> '' ORDER BY e.order_id, e.at, e.id
            """,
            [list(orders)],
        )
        logs: dict[int, list] = {pk: [] for pk in orders}
        for order_id, kind, source, target in cur.fetchall():
            logs[order_id].append((kind, source, target))
        cur.execute(
            "SELECT kind, count(*) FROM filings_orderevent WHERE id >= %s GROUP BY kind",
            [spec["first_event_id"]],
        )
        by_kind = dict(cur.fetchall())
    with connection.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM filings_filingorder WHERE applicant_id IN"
            " (SELECT id FROM accounts_user WHERE email LIKE 'bench-applicant-%%')"
        )
        bench_orders = cur.fetchone()[0]
    bad = {pk: errs for pk in orders if (errs := path_errors(logs[pk], orders[pk], TRANSITIONS))}
    dupes = {pk: d for pk in orders if (d := duplicate_keys(logs[pk]))}
    statuses: dict[str, int] = {}
    for status in orders.values():
        statuses[status] = statuses.get(status, 0) + 1
    result = {
        "orders": len(orders),
        "bench_orders": bench_orders,
        "events": sum(len(v) for v in logs.values()),
        "invalid_paths": len(bad),
        "invalid_examples": {str(k): v for k, v in list(bad.items())[:5]},
        "duplicates": len(dupes),
        "duplicate_examples": {str(k): v for k, v in list(dupes.items())[:5]},
        "events_by_kind": {k: by_kind.get(k, 0) for k in COUNTED},
        "statuses": statuses,
    }
    Path(path).write_text(json.dumps(result, indent=1))


# ---------------------------------------------------------------------------------------------
# Locust passes and the table
# ---------------------------------------------------------------------------------------------


def run_locust(
    *,
    env: dict[str, str],
    var: Path,
    name: str,
    mix: dict[str, int],
    offsets: dict[str, int],
    seconds: float,
    spawn_rate: float,
    port: int,
    pace: str,
) -> tuple[dict, dict]:
    """One headless locust pass; returns (stats per page kind, the users' counters)."""
    counters = var / f"{name}-counters.json"
    prefix = var / name
    locust_env = {
        **os.environ,
        "BENCH_ACCOUNTS": str(var / "accounts.json"),
        "BENCH_MIX": json.dumps(mix),
        "BENCH_OFFSETS": json.dumps(offsets),
        "BENCH_COUNTERS": str(counters),
        "BENCH_RUN": f"{name}{secrets.token_hex(2)}",
        "BENCH_PORT": str(port),
        "BENCH_PACE": pace,
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    cmd = [
        PY,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        f"http://127.0.0.1:{port}",
        "--users",
        str(sum(mix.values())),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        f"{max(1, round(seconds))}s",
        # Long enough for every user to finish its step, so no counted action is cut in half.
        "--stop-timeout",
        "120",
        "--csv",
        str(prefix),
        "--only-summary",
        "--loglevel",
        "WARNING",
        "--exit-code-on-error",
        "0",
    ]
    with (var / f"{name}-locust.log").open("wb") as log:
        subprocess.run(cmd, cwd=ROOT, env=locust_env, stdout=log, stderr=subprocess.STDOUT, check=True)
    stats = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            if row["Name"] == "Aggregated":
                continue
            stats[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "p50": float(row["50%"] or 0),
                "p95": float(row["95%"] or 0),
                "p99": float(row["99%"] or 0),
                "max": float(row["Max Response Time"] or 0),
            }
    failures = []
    with open(f"{prefix}_failures.csv", newline="") as fh:
        failures = [
            {"name": row["Name"], "error": row["Error"][:300], "count": int(row["Occurrences"])}
            for row in csv.DictReader(fh)
        ]
    result = json.loads(counters.read_text()) if counters.exists() else {}
    result["failures"] = failures
    return stats, result


def walk_in_slot_starts(now: datetime) -> list[datetime]:
    """Starts of the half-hour slots from the one in progress to the end of ``now``'s day in Shanghai."""
    shanghai = ZoneInfo("Asia/Shanghai")
    local = now.astimezone(shanghai)
    start = local.replace(minute=0 if local.minute < 30 else 30, second=0, microsecond=0)
    starts = []
    while start.date() == local.date():
        starts.append(start)
        start += timedelta(minutes=30)
    return starts


CPU_GROUPS = ("gunicorn", "celery", "postgres", "redis-server", "moto")


def process_group(cmd: str, detail: bool = False) -> str | None:
    """The group a command line belongs to (None: not the stack's).

    ``detail`` (the CpuProbe's timeline) also tells PostgreSQL's background work apart from its
    backends, and sees locust, whose CPU the totals take from the waited child's times instead.
    """
    if cmd.startswith("postgres") or "/postgresql/" in cmd:
        # The server's processes, not a command line that mentions it.
        if detail and "autovacuum" in cmd:
            return "pg autovacuum"
        if detail and ("checkpointer" in cmd or "walwriter" in cmd or "background writer" in cmd):
            return "pg checkpointer"
        return "postgres"
    if detail and "locust" in cmd:
        return "locust"
    return next((g for g in CPU_GROUPS if g != "postgres" and g in cmd), None)


def cpu_snapshot(
    groups_of: dict[int, str | None] | None = None, detail: bool = False
) -> dict[int, tuple[str, float]]:
    """CPU seconds used so far by every process of the stack, by pid: (group, seconds).

    ``groups_of`` keeps each pid's group between calls, so that a sampler reads one file per
    process instead of two.
    """
    tick = os.sysconf("SC_CLK_TCK")
    known = {} if groups_of is None else groups_of
    snap = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        pid = int(entry.name)
        try:
            if pid not in known:
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                known[pid] = process_group(cmd, detail)
            group = known[pid]
            if group is None:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # utime and stime are fields 14 and 15 of stat; the split starts at field 3
        snap[pid] = (group, (int(fields[11]) + int(fields[12])) / tick)
    return snap


def cpu_used(before: dict, after: dict, locust_seconds: float) -> dict[str, float]:
    """CPU seconds each group used between two snapshots (locust from the waited child's times)."""
    used = dict.fromkeys(CPU_GROUPS, 0.0)
    for pid, (group, seconds) in after.items():
        old = before.get(pid)
        used[group] += seconds - (old[1] if old and old[0] == group else 0.0)
    used["locust"] = locust_seconds
    return used


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


class Sampler:
    """A thread that samples something while a ``with`` block runs (``_run`` loops until ``_stop``)."""

    def __init__(self, name: str) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def _run(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


class DiskProbe(Sampler):
    """Times an fdatasync of 512 bytes every 0.1 s in ``folder`` while the load pass runs.

    Every commit waits for PostgreSQL's WAL to reach the disk. On this kind of virtual disk
    that wait sometimes takes most of a second, and then every request that commits in that
    moment takes that long whatever the portal does. The probe shows when the disk stalled, so
    that slow requests can be told apart: the disk's, or the portal's.
    """

    STALL_MS = 200.0

    def __init__(self, folder: Path) -> None:
        self.path = folder / "fsync-probe"
        self.samples: list[tuple[float, float]] = []  # (epoch at the end, ms)
        super().__init__("disk-probe")

    def _run(self) -> None:
        fd = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while not self._stop.wait(0.1):
                os.pwrite(fd, secrets.token_bytes(512), 0)
                started = time.perf_counter()
                os.fdatasync(fd)
                self.samples.append((time.time(), (time.perf_counter() - started) * 1000))
        finally:
            os.close(fd)

    def figures(self) -> dict:
        ms = sorted(m for _t, m in self.samples)
        stalls = [(round(t - m / 1000, 2), round(m)) for t, m in self.samples if m >= self.STALL_MS]
        return {
            "folder": str(self.path.parent),
            "samples": len(ms),
            "p50_ms": round(ms[len(ms) // 2], 1) if ms else None,
            "p99_ms": round(ms[int(len(ms) * 0.99)], 1) if ms else None,
            "stalls": stalls,  # (epoch it started, ms), each at least STALL_MS
        }


class CpuProbe(Sampler):
    """Samples every 0.5 s where the cores went while the load pass runs.

    For each group of the stack: CPU seconds used; for the host: time stolen by the hypervisor,
    I/O wait and idle (from /proc/stat). A burst of slow requests with no disk stall beside it
    can then be put down to a sweep of the worker, PostgreSQL's background work, the benchmark
    itself, or the host taking the CPU away.
    """

    EVERY = 0.5

    def __init__(self) -> None:
        # (epoch, the host's cumulative seconds, each process's (group, cumulative seconds))
        self.samples: list[tuple[float, dict[str, float], dict[int, tuple[str, float]]]] = []
        self._groups: dict[int, str | None] = {}
        super().__init__("cpu-probe")

    @staticmethod
    def host_seconds() -> dict[str, float]:
        """Cumulative seconds of all CPUs: busy, idle, iowait, steal (the first line of /proc/stat)."""
        tick = os.sysconf("SC_CLK_TCK")
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        user, nice, system, idle, iowait, irq, softirq, steal = (values + [0] * 8)[:8]
        return {
            "busy": (user + nice + system + irq + softirq) / tick,
            "idle": idle / tick,
            "iowait": iowait / tick,
            "steal": steal / tick,
        }

    def sample(self) -> None:
        self.samples.append((time.time(), self.host_seconds(), cpu_snapshot(self._groups, detail=True)))

    def _run(self) -> None:
        self.sample()
        while not self._stop.wait(self.EVERY):
            self.sample()

    def timeline(self) -> list[tuple[float, float, dict[str, float]]]:
        """(start, end, cores used per group and host state) for each interval between samples.

        Counted per process, so that one ending or starting within an interval (PostgreSQL's
        backends, autovacuum workers) moves its group's figure by what it used, not by its total.
        """
        out = []
        for (t0, host0, procs0), (t1, host1, procs1) in itertools.pairwise(self.samples):
            span = t1 - t0
            if span <= 0:
                continue
            used = {k: host1[k] - host0[k] for k in host1}
            for pid, (group, seconds) in procs1.items():
                before = procs0.get(pid)
                used[group] = used.get(group, 0.0) + seconds - (before[1] if before else 0.0)
            out.append(
                (round(t0, 2), round(t1, 2), {k: round(max(0.0, v) / span, 2) for k, v in used.items()})
            )
        return out


class WaitProbe(Sampler):
    """Counts, every 0.25 s, what the run database's active backends are waiting on.

    From ``pg_stat_activity``: ``IO:WALSync`` is a commit waiting for the disk, ``Lock:…`` a row or
    tuple lock held by another transaction (a hot counter row), ``LWLock:…`` the server's own
    latches, and ``cpu`` a backend working with nothing to wait for. A burst of slow requests can
    then be told apart: the disk, lock queues, or the cores.
    """

    EVERY = 0.25
    QUERY = (
        "SELECT coalesce(wait_event_type || ':' || wait_event, 'cpu'), count(*) FROM pg_stat_activity "
        "WHERE datname = %s AND state = 'active' AND pid <> pg_backend_pid() GROUP BY 1"
    )

    def __init__(self, server_url: str, db: str) -> None:
        self.server_url, self.db = server_url, db
        self.samples: list[tuple[float, dict[str, int]]] = []
        self.error = ""
        super().__init__("wait-probe")

    def _run(self) -> None:
        import psycopg2

        try:
            conn = _connect(self.server_url, self.db)
        except psycopg2.Error as exc:
            self.error = str(exc).strip()
            return
        try:
            with conn.cursor() as cur:
                while not self._stop.wait(self.EVERY):
                    cur.execute(self.QUERY, [self.db])
                    self.samples.append((time.time(), dict(cur.fetchall())))
        except psycopg2.Error as exc:  # the figures so far still count; the report says it stopped
            self.error = str(exc).strip()
        finally:
            conn.close()


def mean_by_key(rows: list[dict[str, float]]) -> dict[str, float]:
    """Each key's mean over ``rows``, a key missing from a row counting 0 ({} for no rows)."""
    keys = {k for row in rows for k in row}
    return {k: round(sum(row.get(k, 0.0) for row in rows) / len(rows), 2) for k in keys}


def waits_between(samples: list[tuple[float, dict[str, int]]], start: float, end: float) -> dict[str, float]:
    """Mean backends in each wait over the samples taken in [start, end]."""
    return mean_by_key([w for t, w in samples if start <= t <= end])


def bursts(
    slow: list[tuple[float, str, float]], gap: float = 1.0, least: int = 5
) -> list[tuple[float, float, int]]:
    """Runs of slow requests whose starts lie within ``gap`` s of each other: (first, last, count)."""
    out: list[tuple[float, float, int]] = []
    for started in sorted(s for s, _n, _ms in slow):
        if out and started - out[-1][1] <= gap:
            first, _last, n = out[-1]
            out[-1] = (first, started, n + 1)
        else:
            out.append((started, started, 1))
    return [b for b in out if b[2] >= least]


def cores_between(
    timeline: list[tuple[float, float, dict[str, float]]], start: float, end: float
) -> dict[str, float]:
    """Mean cores per group (and host state) over the intervals that overlap [start, end]."""
    return mean_by_key([v for t0, t1, v in timeline if t0 < end and start < t1])


TASK_LINE = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}) \w+ .*?celery\.app\.trace: "
    r"Task ([\w.]+)\[[^\]]*\] (?:succeeded in ([\d.]+)s|(raised|retry))"
)


def task_runs(
    log: str, since: float, until: float, zone: str = "Asia/Shanghai"
) -> list[tuple[float, float, str, str]]:
    """The worker's tasks that started between two epochs: (start, seconds, task, outcome).

    Read from celery's trace lines. The worker logs in the portal's TIME_ZONE (Django sets TZ
    from it); a task's start is its end minus the time it says it took. A failed or retried
    task's line gives no time, so it counts as starting when it ended.
    """
    tz = ZoneInfo(zone)
    runs = []
    for line in log.splitlines():
        m = TASK_LINE.match(line)
        if not m:
            continue
        end = datetime.strptime(m[1], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=tz).timestamp()
        took = float(m[3] or 0.0)
        if since <= end - took <= until:
            runs.append((round(end - took, 3), took, m[2].rsplit(".", 1)[-1], m[4] or "succeeded"))
    return runs


def took_by_task(runs: Iterable[tuple[float, float, str, str]]) -> dict[str, list[float]]:
    """The seconds each run of a task took, by task (from ``task_runs``)."""
    out: dict[str, list[float]] = {}
    for _start, took, task, _outcome in runs:
        out.setdefault(task, []).append(took)
    return out


def same_disk_as_database(server_url: str, folder: Path) -> bool | None:
    """Whether ``folder`` is on the filesystem of PostgreSQL's data (None: not known here)."""
    host = server_params(server_url).get("host") or "localhost"
    if host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
        return None
    try:
        conn = _connect(server_url, "postgres")
        try:
            with conn.cursor() as cur:
                cur.execute("SHOW data_directory")
                data = cur.fetchone()[0]
        finally:
            conn.close()
        return os.stat(data).st_dev == os.stat(folder).st_dev
    except Exception:  # no privilege, or no access to the folder: say "not known"
        return None


def overlaps_stall(started: float, ms: float, stalls: list[tuple[float, float]]) -> bool:
    """Whether a request running from ``started`` for ``ms`` overlapped one of the disk's stalls."""
    end = started + ms / 1000
    return any(s < end and started < s + d / 1000 for s, d in stalls)


def soon_after_stall(started: float, stalls: list[tuple[float, float]], within: float = 2.0) -> bool:
    """Whether a request started within ``within`` s after a stall ended (the queue it left)."""
    return any(0 <= started - (s + d / 1000) <= within for s, d in stalls)


def report(figures: dict) -> list[tuple[str, str, str, bool]]:
    """Prints the table; returns the goals as (what, measured, goal, met)."""
    stats, base = figures["load"], figures["baseline"]
    width = max([len(k) for k in stats] + [20])
    print()
    print(
        f"Load pass: {figures['users']} users ({figures['mix']}) for {figures['minutes']:g} min, "
        f"paced by {figures['pace']}, gunicorn {figures['workers']} workers "
        f"× {figures.get('threads', 1)} threads"
        + (
            f", {figures['busy_cores']} core(s) kept busy by spinning processes"
            if figures.get("busy_cores")
            else ""
        )
        + "; load average before/after: "
        f"{figures['load_before']} / {figures['load_after']} ({os.cpu_count()} CPUs)"
    )
    head = (
        f"{'page kind':<{width}} {'requests':>8} {'errors':>6} {'p50':>6} {'p95':>6} {'p99':>6}  "
        f"{'base p50':>8}"
    )
    print(head)
    print("-" * len(head))
    goals = []
    for name in sorted(stats):
        s = stats[name]
        b = base.get(name, {}).get("p50")
        print(
            f"{name:<{width}} {s['requests']:>8} {s['errors']:>6} {s['p50']:>6.0f} {s['p95']:>6.0f} "
            f"{s['p99']:>6.0f}  {'' if b is None else f'{b:>8.0f}'}"
        )
    total = sum(s["requests"] for s in stats.values())
    errors = sum(s["errors"] for s in stats.values())
    print("-" * len(head))
    print(
        f"{'all':<{width}} {total:>8} {errors:>6}   ({total / (figures['minutes'] * 60):.1f} requests/s; "
        "times in ms; base p50 = light pass, one user per kind)"
    )
    # Where the two cores went during the load pass: the portal (gunicorn), its worker, the
    # database, and what only the benchmark runs (locust, the S3 stand-in).
    cpu = figures.get("cpu") or {}
    if cpu and total:
        seconds = figures["minutes"] * 60
        print(
            "CPU during the load pass (s; ms per request; share of 2 cores): "
            + "; ".join(
                f"{g} {v:.0f} s, {v * 1000 / total:.1f} ms, {v / (seconds * (os.cpu_count() or 1)):.0%}"
                for g, v in sorted(cpu.items(), key=lambda kv: -kv[1])
            )
        )
    # Requests of 400 ms or more by half minute of the load pass: a burst points at a stall
    # (a sweep, a checkpoint), a spread at queueing for the cores.
    tail, origin = figures.get("slow") or [], figures.get("started") or 0.0
    if tail:
        windows = Counter(int((started - origin) // 30) for started, _name, _ms in tail)
        print(
            f"Requests >= 400 ms by the half minute they started in ({len(tail)}): "
            + ", ".join(f"{w * 30}-{w * 30 + 30} s: {n}" for w, n in sorted(windows.items()))
        )
    disk = figures.get("disk")
    if disk and disk["samples"]:
        where = {
            True: "PostgreSQL's data is on it",
            False: "PostgreSQL's data is elsewhere",
            None: "not known",
        }
        stalls = disk["stalls"]
        print(
            f"Disk: fdatasync of 512 bytes every 0.1 s in {disk['folder']} "
            f"({where[disk['same_as_database']]}): "
            f"{disk['samples']} samples, p50 {disk['p50_ms']} ms, p99 {disk['p99_ms']} ms, "
            f"{len(stalls)} of {DiskProbe.STALL_MS:.0f} ms or more"
            + (
                " (" + ", ".join(f"{started - origin:.0f} s: {ms} ms" for started, ms in stalls[:12]) + ")"
                if stalls
                else ""
            )
        )
        if tail:
            during = [overlaps_stall(started, ms, stalls) for started, _n, ms in tail]
            after = sum(
                not d and soon_after_stall(started, stalls)
                for d, (started, _n, _ms) in zip(during, tail, strict=True)
            )
            print(
                f"Requests >= 400 ms: {sum(during)} of {len(tail)} overlapped one of those disk stalls, "
                f"{after} more started within 2 s after one ended (the queue it left behind)"
            )
    tasks = figures.get("tasks") or []
    if tasks:
        by_task = took_by_task(tasks)
        failed = Counter(task for *_r, task, outcome in tasks if outcome != "succeeded")
        print(
            "Worker tasks during the load pass (runs, seconds in all, longest): "
            + "; ".join(
                f"{task} {len(t)}, {sum(t):.1f} s, {max(t):.2f} s"
                + (f" ({failed[task]} failed or retried)" if failed[task] else "")
                for task, t in sorted(by_task.items(), key=lambda kv: -sum(kv[1]))
            )
        )
    wait_samples = figures.get("waits") or []
    if wait_samples:
        whole = waits_between(wait_samples, 0.0, float("inf"))
        print(
            f"PostgreSQL backends of the run, mean over {len(wait_samples)} samples every "
            f"{WaitProbe.EVERY} s: "
            + (
                ", ".join(f"{k} {v:.2f}" for k, v in sorted(whole.items(), key=lambda kv: -kv[1]))
                or "none active"
            )
        )
    if figures.get("waits_error"):
        print(f"The wait probe stopped: {figures['waits_error']}")
    timeline = figures.get("timeline") or []
    if tail and timeline:
        # Where the cores went while each burst of slow requests started, against the run's
        # median interval: a sweep shows as celery, a vacuum or checkpoint as pg, the host as steal.
        groups = sorted({k for _a, _b, v in timeline for k in v})
        median = {k: sorted(v.get(k, 0.0) for _a, _b, v in timeline)[len(timeline) // 2] for k in groups}
        stalls = (disk or {}).get("stalls") or []
        found = bursts(tail)
        print(
            f"Bursts of 5 or more requests >= 400 ms starting within 1 s of each other: {len(found)}; "
            "cores used in the second before and during each (run median in brackets):"
        )
        for first, last, n in found[:12]:
            used = cores_between(timeline, first - 1.0, last + 0.5)
            stalled = overlaps_stall(first - 1.0, (last - first + 1.5) * 1000, stalls)
            print(
                f"  {first - origin:.1f}-{last - origin:.1f} s, {n} requests"
                f"{', disk stall' if stalled else ''}: "
                + ", ".join(
                    f"{k} {used.get(k, 0.0):.2f} ({median[k]:.2f})"
                    for k in groups
                    if used.get(k, 0.0) >= 0.05 or median[k] >= 0.05
                )
            )
            waiting = waits_between(wait_samples, first - 1.0, last + 0.5)
            if waiting:
                print(
                    "    PostgreSQL backends (mean over the window): "
                    + ", ".join(f"{k} {v:.1f}" for k, v in sorted(waiting.items(), key=lambda kv: -kv[1]))
                )
            running = took_by_task(r for r in tasks if r[0] < last + 0.5 and first - 1.0 < r[0] + r[1])
            if running:
                print(
                    "    worker tasks running then: "
                    + ", ".join(
                        f"{task} × {len(t)} (longest {max(t):.2f} s)" for task, t in sorted(running.items())
                    )
                )
    slow = [n for n, s in stats.items() if s["p99"] > GOAL_P99_MS]
    goals.append(
        (
            "errors (both passes)",
            str(errors + figures["baseline_errors"]),
            "0",
            errors + figures["baseline_errors"] == 0,
        )
    )
    goals.append(
        (
            f"page kinds with p99 > {GOAL_P99_MS:.0f} ms",
            ", ".join(slow) or "none",
            "none",
            not slow,
        )
    )
    check, client = figures["check"], figures["client"]
    print()
    print(
        f"Transitions: {check['orders']} orders of the run ({check['bench_orders']} filed by the bench), "
        f"{check['events']} status events; invalid paths "
        f"{check['invalid_paths']}, duplicate (order, round, action) {check['duplicates']}; "
        f"statuses {check['statuses']}"
    )
    print(f"{'action':<22} {'event log':>9} {'users counted':>13}")
    mismatched = []
    for action in COUNTED:
        db, seen = check["events_by_kind"][action], client.get(action, 0)
        print(f"{action:<22} {db:>9} {seen:>13}{'' if db == seen else '   MISMATCH'}")
        if db != seen:
            mismatched.append(action)
    goals.append(("invalid event paths", str(check["invalid_paths"]), "0", check["invalid_paths"] == 0))
    goals.append(("doubled (order, round, action)", str(check["duplicates"]), "0", check["duplicates"] == 0))
    goals.append(
        (
            "actions: event log = users' counters",
            ", ".join(mismatched) or "all equal",
            "all equal",
            not mismatched,
        )
    )
    goals.append(
        (
            "orders approved in the run",
            str(client.get("authority_approve", 0)),
            "> 0",
            client.get("authority_approve", 0) > 0,
        )
    )
    races = {}
    for counts in figures["client_other"].values():
        for key, n in counts.items():
            if key.startswith("conflict"):
                races[key] = races.get(key, 0) + n
    print(f"Races lost (another user acted first; an answer, not an error): {races or 'none'}")
    if figures.get("failures"):
        print("\nFailures:")
        for f in figures["failures"][:15]:
            print(f"  {f['count']:>4} × {f['name']}: {f['error']}")
    print()
    for what, measured, goal, met in goals:
        print(f"{'PASS' if met else 'FAIL'}  {what}: {measured} (goal {goal})")
    return goals


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.seed_child:
        seed_child(args.seed_child)
        return 0
    if args.check_child:
        check_child(args.check_child)
        return 0
    # Not imported here: locust patches the standard library with gevent on import.
    if importlib.util.find_spec("locust") is None:
        raise SystemExit("locust is missing: .venv/bin/pip install -e '.[bench]'")

    busy = [p for p in (args.port, args.port + 1) if port_in_use(p)]
    if busy:
        raise SystemExit(f"port {busy[0]} is in use on 127.0.0.1; choose another --port")
    mix, light = user_mix(args.users), baseline_mix()
    per_side = {k: (mix[k] + light[k]) // 2 for k in KINDS}  # per tenant / per province
    baseline_seconds = args.baseline_seconds or min(90.0, max(20.0, args.minutes * 60 / 4))
    var = Path(tempfile.mkdtemp(prefix="bench-load-"))
    print(f"Bench load: database {args.db}, Redis {args.redis_url}, var {var}", flush=True)
    left = len(walk_in_slot_starts(datetime.now().astimezone())) * 30
    if left < args.minutes + baseline_seconds / 60 + 10:
        print(
            f"Note: about {left} min of today's slots are left in Shanghai; checks of slots booked "
            "before midnight are refused after it (R-S4), so verifications may stall near the end.",
            flush=True,
        )
    recreate_database(args.server, args.db)
    flush_redis(args.redis_url)
    env = stack_env(args, var)
    stack = Stack(env, var)
    code = 1
    try:
        started = time.perf_counter()
        stack.start("s3", [str(Path(PY).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(args.port + 1)])
        wait_http(f"http://127.0.0.1:{args.port + 1}/", {}, stack)
        make_bucket(env)
        manage(env, "migrate", "--no-input", "-v", "0")
        manage(env, "collectstatic", "--no-input", "-v", "0")
        spec = var / "accounts.json"
        spec.write_text(json.dumps({"counts": per_side}))
        subprocess.run([PY, __file__, "--seed-child", str(spec)], cwd=ROOT, env=env, check=True)
        took = checkpoint(args.server)
        print(
            f"Migrated and seeded in {time.perf_counter() - started:.0f} s; "
            + ("no CHECKPOINT (not allowed)" if took is None else f"CHECKPOINT took {took:.1f} s")
            + "; starting the stack",
            flush=True,
        )
        stack.start(
            "web",
            [
                PY,
                "-m",
                "gunicorn",
                "icpfiling.wsgi",
                f"--bind=127.0.0.1:{args.port}",
                f"--workers={args.workers}",
                *(
                    ["--worker-class=sync"]
                    if args.threads == 1
                    else ["--worker-class=gthread", f"--threads={args.threads}"]
                ),
                "--timeout=30",
                "--graceful-timeout=10",
            ],
        )
        stack.start("worker", [PY, "-m", "celery", "-A", "icpfiling", "worker", "--loglevel", "WARNING"])
        stack.start(
            "beat",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "icpfiling",
                "beat",
                "--loglevel",
                "WARNING",
                "--schedule",
                str(var / "beat"),
            ],
        )
        wait_http(
            f"http://127.0.0.1:{args.port}/healthz/",
            {"Host": f"localhost:{args.port}", "X-Forwarded-Proto": "https"},
            stack,
        )
        for n in range(args.busy_cores):
            stack.start(f"busy-{n}", [PY, "-c", "while True: pass"])
        common = {"env": env, "var": var, "spawn_rate": args.spawn_rate, "port": args.port, "pace": args.pace}
        print(f"Light pass: one user per kind for {baseline_seconds:.0f} s ...", flush=True)
        base_stats, base_client = run_locust(
            name="baseline", mix=light, offsets=dict.fromkeys(KINDS, 0), seconds=baseline_seconds, **common
        )
        stack.check_alive()
        load_before = load_average()
        print(
            f"Load pass: {args.users} users for {args.minutes:g} min (load average {load_before}) ...",
            flush=True,
        )
        cpu_before, children_before = cpu_snapshot(), os.times()
        with DiskProbe(var) as probe, CpuProbe() as cpu_probe, WaitProbe(args.server, args.db) as waits:
            stats, client = run_locust(
                name="load",
                mix=mix,
                offsets={k: light[k] // 2 for k in KINDS},
                seconds=args.minutes * 60,
                **common,
            )
        disk = {**probe.figures(), "same_as_database": same_disk_as_database(args.server, var)}
        load_after = load_average()
        children_after = os.times()
        cpu = cpu_used(
            cpu_before,
            cpu_snapshot(),
            (children_after.children_user + children_after.children_system)
            - (children_before.children_user + children_before.children_system),
        )
        stack.check_alive()
        check_path = var / "check.json"
        check_path.write_text(json.dumps({"first_event_id": json.loads(spec.read_text())["first_event_id"]}))
        subprocess.run([PY, __file__, "--check-child", str(check_path)], cwd=ROOT, env=env, check=True)
        check = json.loads(check_path.read_text())
        totals = {
            a: base_client.get("counts", {}).get(a, 0) + client.get("counts", {}).get(a, 0) for a in COUNTED
        }
        figures = {
            "users": args.users,
            "mix": mix,
            "minutes": args.minutes,
            "workers": args.workers,
            "threads": args.threads,
            "pace": args.pace,
            "busy_cores": args.busy_cores,
            "load": stats,
            "baseline": base_stats,
            "baseline_errors": sum(s["errors"] for s in base_stats.values()),
            "load_before": load_before,
            "load_after": load_after,
            "check": check,
            "client": totals,
            "client_other": {"baseline": base_client.get("counts", {}), "load": client.get("counts", {})},
            "failures": base_client["failures"] + client["failures"],
            "slow": client.get("slow", []),
            "started": client.get("started"),
            "disk": disk,
            "cpu": cpu,
            "timeline": cpu_probe.timeline(),
            "waits": waits.samples,
            "waits_error": waits.error,
            "tasks": task_runs(
                (var / "worker.log").read_text(errors="replace"),
                since=client.get("started") or 0.0,
                until=time.time(),
            ),
        }
        goals = report(figures)
        figures["goals"] = [{"what": w, "measured": m, "goal": g, "met": ok} for w, m, g, ok in goals]
        if args.json:
            Path(args.json).write_text(json.dumps(figures, ensure_ascii=False, indent=1))
        code = 0 if all(g[3] for g in goals) else 1
    finally:
        stack.stop()
        if not args.keep:
            drop_database(args.server, args.db)
            flush_redis(args.redis_url)
            shutil.rmtree(var, ignore_errors=True)
        else:
            print(f"Kept: database {args.db}, var {var}")
    return code


if __name__ == "__main__":
    sys.exit(main())
