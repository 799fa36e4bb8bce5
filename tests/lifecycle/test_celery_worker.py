"""A real Celery worker process, against Redis, runs a task the portal queued (R-B2)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.db import connection

from icpfiling.celery import app as celery_app
from icpfiling.notifications.models import OutboxMessage, OutboxStatus
from icpfiling.notifications.tasks import outbox_deliver
from tests.services import redis_url, requires_postgres, requires_redis

ROOT = Path(__file__).resolve().parents[2]


@requires_redis
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_b2_real_worker_delivers_an_outbox_message_through_redis(tmp_path):
    # given a committed outbox row (the worker shares the test database)
    msg = OutboxMessage.objects.create(channel="email", recipient="worker@example.com", subject="s", body="b")
    db = connection.settings_dict
    queue = f"test-{uuid.uuid4().hex[:12]}"  # private queue: no other worker can take the task
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))},
        "DJANGO_SETTINGS_MODULE": "icpfiling.settings",
        "DATABASE_URL": "postgres://{}:{}@{}:{}/{}".format(
            db["USER"], db["PASSWORD"] or "", db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["NAME"]
        ),
        "REDIS_URL": redis_url(),
        "ICPFILING_VAR_DIR": str(tmp_path),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "icpfiling",
            "worker",
            "--pool",
            "solo",
            "-Q",
            queue,
            "--loglevel",
            "INFO",
            "--without-mingle",
            "--without-gossip",
            "--hostname",
            f"{queue}@test",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        # when the portal queues the delivery task on Redis
        outbox_deliver.apply_async(args=[msg.pk], queue=queue)
        # then the worker process sends it (bounded wait for the worker to boot)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            msg.refresh_from_db()
            # "sending" is the worker's claim, not the end: wait for a final state.
            if msg.status in (OutboxStatus.SENT, OutboxStatus.DEAD) or worker.poll() is not None:
                break
            time.sleep(0.2)
    finally:
        celery_app.conf.task_always_eager = eager
        worker.terminate()
        output, _ = worker.communicate(timeout=30)
    assert msg.status == OutboxStatus.SENT, output[-3000:]
    assert msg.attempts == 1
    assert "outbox_deliver" in output
