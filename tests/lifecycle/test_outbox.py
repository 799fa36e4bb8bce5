"""Notifications outbox (R-B2): written with the change, sent after commit, once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.db import transaction
from django.test import TestCase
from django.utils import timezone

from icpfiling.notifications.delivery import outbox_deliver_one
from icpfiling.notifications.models import OutboxMessage, OutboxStatus
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.notifications.tasks import outbox_sweep
from icpfiling.tenancy.context import tenant_scope

pytestmark = pytest.mark.django_db


class Boom(Exception):
    pass


class FailingSms:
    calls = 0

    def send(self, *, to, body, idempotency_key=None):
        FailingSms.calls += 1
        raise Boom("gateway down")


class RecordingSms:
    sent: list = []

    def send(self, *, to, body, idempotency_key=None):
        RecordingSms.sent.append((to, body))


def test_r_b2_rolled_back_change_sends_nothing(alpha):
    def change_that_fails():
        with transaction.atomic():
            outbox_enqueue(channel="email", recipient="a@example.com", subject="s", body="b")
            raise Boom

    with TestCase.captureOnCommitCallbacks(execute=True) as callbacks, pytest.raises(Boom):
        change_that_fails()
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    assert mail.outbox == []


def test_r_b2_committed_message_is_sent_once_after_commit(alpha):
    with tenant_scope(alpha.provider), TestCase.captureOnCommitCallbacks(execute=True):
        msg = outbox_enqueue(channel="email", recipient="a@example.com", subject="主题", body="正文")
        # nothing is sent before the commit
        assert mail.outbox == []
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.tenant_id) == (OutboxStatus.SENT, 1, alpha.provider.pk)
    assert [(m.to, m.subject, m.body) for m in mail.outbox] == [(["a@example.com"], "主题", "正文")]
    # a second delivery attempt (duplicate task, sweep) sends nothing more
    assert outbox_deliver_one(message_id=msg.pk) is False
    assert outbox_sweep() == 0
    assert len(mail.outbox) == 1


def test_r_b2_same_dedupe_key_is_written_once(alpha):
    first = outbox_enqueue(
        channel="email", recipient="a@example.com", body="x", dedupe_key="k1", tenant_id=None
    )
    second = outbox_enqueue(
        channel="email", recipient="a@example.com", body="x", dedupe_key="k1", tenant_id=None
    )
    assert first is not None
    assert second is None
    assert OutboxMessage.objects.filter(dedupe_key="k1").count() == 1


def test_r_b2_failed_sms_is_retried_with_backoff_then_given_up(settings):
    settings.SMS_BACKEND = "tests.lifecycle.test_outbox.FailingSms"
    settings.OUTBOX_MAX_ATTEMPTS = 3
    FailingSms.calls = 0
    msg = OutboxMessage.objects.create(channel="sms", recipient="13800138000", body="验证码 123456")
    before = timezone.now()
    assert outbox_deliver_one(message_id=msg.pk) is False
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.last_error) == (OutboxStatus.PENDING, 1, "gateway down")
    assert msg.next_attempt_at >= before + timedelta(seconds=60)
    # not due yet: the sweep leaves it alone
    assert outbox_sweep() == 0
    assert FailingSms.calls == 1
    for _ in range(2):
        OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now())
        outbox_sweep()
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, FailingSms.calls) == (OutboxStatus.DEAD, 3, 3)


def test_r_b2_sweep_delivers_messages_whose_dispatch_was_lost(settings):
    settings.SMS_BACKEND = "tests.lifecycle.test_outbox.RecordingSms"
    RecordingSms.sent = []
    # given a committed row whose after-commit task never ran (worker was down)
    msg = OutboxMessage.objects.create(channel="sms", recipient="13800138000", body="hello")
    # and a row claimed by a worker that died 11 minutes ago
    stale = OutboxMessage.objects.create(
        channel="sms",
        recipient="13900139000",
        body="stale",
        status=OutboxStatus.SENDING,
        claimed_at=timezone.now() - timedelta(minutes=11),
    )
    # and a row claimed a moment ago by a live worker
    OutboxMessage.objects.create(
        channel="sms",
        recipient="13700137000",
        body="busy",
        status=OutboxStatus.SENDING,
        claimed_at=timezone.now(),
    )
    assert outbox_sweep() == 2
    assert sorted(RecordingSms.sent) == [("13800138000", "hello"), ("13900139000", "stale")]
    assert set(OutboxMessage.objects.filter(pk__in=[msg.pk, stale.pk]).values_list("status", flat=True)) == {
        "sent"
    }


def test_r_b2_unknown_channel_is_refused():
    with pytest.raises(ValueError, match="unknown channel"):
        outbox_enqueue(channel="fax", recipient="x", body="y")
    assert OutboxMessage.objects.count() == 0
