"""Deadline sweeps (R-B1): SMS 24 h (R-S5), idle expiry and reminders (R-S8), review SLA (R-S2)."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from filings.deadlines import (
    deadlines_sweep,
    idle_expiry_sweep,
    sla_reminder_sweep,
    sms_deadline_sweep,
)
from filings.models import FilingOrder, OrderEvent, OrderStatus
from icpfiling.notifications.models import OutboxMessage
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.factories import advance, complete_order
from tests.services import requires_postgres

ROOT = Path(__file__).resolve().parents[2]


def _events(order, kind):
    with tenant_scopes_disabled():
        return list(
            OrderEvent.objects.filter(order_id=order.pk, kind=kind).values_list("from_status", "to_status")
        )


def _status(order):
    with tenant_scopes_disabled():
        return FilingOrder.objects.filter(pk=order.pk).values_list("status", flat=True).get()


def _outbox(prefix):
    return sorted(
        OutboxMessage.objects.filter(dedupe_key__startswith=prefix).values_list("channel", flat=True)
    )


def _set(order, **fields):
    with tenant_scopes_disabled():
        FilingOrder.objects.filter(pk=order.pk).update(**fields)
        return FilingOrder.objects.get(pk=order.pk)


def test_r_b1_r_s5_downtime_sms_deadline_returns_the_order_exactly_once(alpha, beta):
    # Given alpha's order waiting for SMS codes and beta's whose 24 h end later,
    # and no worker running while the clock passes alpha's deadline
    order = advance(alpha, complete_order(alpha), OrderStatus.SMS_VERIFICATION)
    other = advance(beta, complete_order(beta), OrderStatus.SMS_VERIFICATION)
    deadline = _set(order).sms_deadline_at
    assert deadline - _set(order).status_changed_at == timedelta(hours=24)
    _set(other, sms_deadline_at=deadline + timedelta(hours=12))
    # When a sweep runs one second before the deadline, nothing happens
    assert sms_deadline_sweep(now=deadline - timedelta(seconds=1)) == 0
    assert _status(order) == OrderStatus.SMS_VERIFICATION
    # When the first sweep after six hours of downtime runs
    assert sms_deadline_sweep(now=deadline + timedelta(hours=6)) == 1
    # Then alpha's order is back with the provider, with one event and one notification per channel
    assert _status(order) == OrderStatus.PROVIDER_RECHECK
    assert _events(order, "sms_failed") == [("sms_verification", "provider_recheck")]
    assert _outbox(f"order:{order.pk}:sms_failed:") == ["email", "inbox", "sms"]
    with tenant_scopes_disabled():
        moved = FilingOrder.objects.get(pk=order.pk)
    assert moved.sms_deadline_at is None
    assert moved.review_due_at is not None
    # and beta's order, still inside its 24 hours, is untouched
    assert _status(other) == OrderStatus.SMS_VERIFICATION
    assert _events(other, "sms_failed") == []
    # When a second sweep runs, nothing changes
    total = OutboxMessage.objects.count()
    assert sms_deadline_sweep(now=deadline + timedelta(hours=7)) == 0
    assert _events(order, "sms_failed") == [("sms_verification", "provider_recheck")]
    assert OutboxMessage.objects.count() == total


def test_r_s8_idle_reminders_at_7_15_30_days_then_expiry_at_the_providers_limit(alpha, beta):
    # Given a draft whose idle clock started now (45-day limit) and beta's fresh draft
    order = complete_order(alpha)
    other = complete_order(beta)
    start = timezone.now()
    _set(
        order,
        expires_at=start + timedelta(days=45),
        next_reminder_at=start + timedelta(days=7),
        reminders_sent=0,
    )
    _set(
        other,
        expires_at=start + timedelta(days=45),
        next_reminder_at=start + timedelta(days=7),
        reminders_sent=0,
    )
    _set(other, expires_at=start + timedelta(days=90), next_reminder_at=start + timedelta(days=60))
    sent = []
    # When the sweeps run every day for 46 days
    for day in range(47):
        result = deadlines_sweep(now=start + timedelta(days=day, minutes=1))
        if result["idle_reminders"] or result["expired"]:
            sent.append((day, result["idle_reminders"], result["expired"]))
    # Then reminders went out on days 7, 15 and 30 and the order expired on day 45, each once
    assert sent == [(7, 1, 0), (15, 1, 0), (30, 1, 0), (45, 0, 1)]
    assert _status(order) == OrderStatus.EXPIRED
    assert _events(order, "expire") == [("draft", "expired")]
    assert _outbox(f"order:{order.pk}:idle-") == ["email"] * 3 + ["inbox"] * 3 + ["sms"] * 3
    # and beta's draft (its own, longer clock) is untouched
    assert _status(other) == OrderStatus.DRAFT
    assert _outbox(f"order:{other.pk}:") == []


def test_r_s8_r_b1_after_long_downtime_an_idle_order_expires_without_stale_reminders(alpha):
    # Given a returned order whose limit passed during 50 days without any sweep
    order = advance(alpha, complete_order(alpha), OrderStatus.PROVIDER_REVIEW)
    with tenant_scope(alpha.provider):
        from filings.workflow import order_transition

        order = order_transition(
            order=FilingOrder.objects.get(pk=order.pk),
            action="provider_return",
            actor=alpha.users["reviewer"],
            actor_kind="reviewer",
        )
    assert order.expires_at is not None
    assert order.reminders_sent == 0
    # When the first sweep runs
    result = deadlines_sweep(now=order.expires_at + timedelta(days=5))
    # Then it expires once and no reminder for the missed days is sent afterwards
    assert result["expired"] == 1
    assert result["idle_reminders"] == 0
    assert _status(order) == OrderStatus.EXPIRED
    assert _outbox(f"order:{order.pk}:idle-") == []
    assert deadlines_sweep(now=order.expires_at + timedelta(days=6)) == {
        "sms_expired": 0,
        "expired": 0,
        "resubmit_expired": 0,
        "idle_reminders": 0,
        "resubmit_reminders": 0,
        "sla_reminders": 0,
        "identity_purged": 0,
    }


def test_r_s8_an_expired_order_can_be_reactivated_with_a_fresh_idle_clock(alpha):
    # Given an expired draft
    order = complete_order(alpha)
    _set(order, expires_at=timezone.now() - timedelta(minutes=1))
    assert idle_expiry_sweep() == 1
    # When the applicant reactivates it
    from filings.workflow import order_transition

    with tenant_scope(alpha.provider):
        order = order_transition(
            order=FilingOrder.objects.get(pk=order.pk),
            action="reactivate",
            actor=alpha.users["applicant"],
            actor_kind="applicant",
        )
    # Then it is a draft again with a new 45-day limit and the first reminder after 7 days
    assert order.status == OrderStatus.DRAFT
    assert timedelta(days=44, hours=23) < order.expires_at - timezone.now() <= timedelta(days=45)
    assert order.reminders_sent == 0
    assert order.next_reminder_at < order.expires_at


def test_r_s2_review_sla_reminds_the_assigned_reviewer_once_and_everyone_when_unclaimed(alpha, beta):
    # Given two submitted alpha orders past their SLA, one claimed, and beta's within its SLA
    claimed = advance(alpha, complete_order(alpha), OrderStatus.PROVIDER_REVIEW)
    free = advance(alpha, complete_order(alpha), OrderStatus.PROVIDER_REVIEW)
    other = advance(beta, complete_order(beta), OrderStatus.PROVIDER_REVIEW)
    past = timezone.now() - timedelta(minutes=5)
    _set(claimed, review_due_at=past, assigned_to=alpha.users["reviewer"])
    _set(free, review_due_at=past)
    # When the SLA sweep runs twice
    assert sla_reminder_sweep() == 2
    assert sla_reminder_sweep() == 0
    # Then each overdue order reminded alpha's reviewer by email and inbox exactly once
    reviewer = alpha.users["reviewer"]
    for order in (claimed, free):
        rows = list(
            OutboxMessage.objects.filter(dedupe_key__startswith=f"sla:{order.pk}:").values_list(
                "channel", "recipient"
            )
        )
        assert sorted(rows) == [("email", reviewer.email), ("inbox", str(reviewer.pk))]
    assert not OutboxMessage.objects.filter(dedupe_key__startswith=f"sla:{other.pk}:").exists()
    assert OutboxMessage.objects.filter(tenant=beta.provider, dedupe_key__startswith="sla:").count() == 0


def test_r_b2_every_transition_writes_email_sms_and_inbox_once(alpha):
    # Given a submittable order
    order = complete_order(alpha)
    # When it is submitted
    order = advance(alpha, order, OrderStatus.PROVIDER_REVIEW)
    # Then the applicant has exactly one email, one SMS to the principal and one inbox row
    rows = list(
        OutboxMessage.objects.filter(dedupe_key__startswith=f"order:{order.pk}:submit:").values_list(
            "channel", "recipient"
        )
    )
    assert sorted(rows) == [
        ("email", alpha.users["applicant"].email),
        ("inbox", str(alpha.users["applicant"].pk)),
        ("sms", order.principal_mobile),
    ]


def test_r_b1_no_countdown_or_eta_longer_than_five_minutes_anywhere():
    # Given every Python file of the project
    offenders = []
    for path in ROOT.glob("**/*.py"):
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith((".venv/", "var/", "tests/")) or "/migrations/" in rel:
            continue
        text = path.read_text(encoding="utf-8")
        # Then no task is scheduled with an ETA, and every countdown is a literal of at most 300 s
        for m in re.finditer(r"\b(countdown|eta)\s*=\s*([^,)\n]+)", text):
            kind, value = m.group(1), m.group(2).strip()
            if kind == "eta" or not value.isdigit() or int(value) > 300:
                offenders.append(f"{rel}: {m.group(0)}")
    assert offenders == []


def test_r_s8_the_applicants_work_restarts_the_idle_clock(alpha, beta):
    # Given a draft idle for 20 days with one reminder sent, and beta's draft
    order = complete_order(alpha)
    other = complete_order(beta)
    start = timezone.now() - timedelta(days=20)
    _set(
        order,
        expires_at=start + timedelta(days=45),
        next_reminder_at=start + timedelta(days=30),
        reminders_sent=1,
    )
    before_other = _set(other)
    # When the applicant saves the entity step
    from filings.orders.services import order_entity_save

    with tenant_scope(alpha.provider):
        order_entity_save(
            order=FilingOrder.objects.get(pk=order.pk),
            actor=alpha.users["applicant"],
            values={"remarks": "继续填写"},
        )
    # Then the order has a fresh 45-day limit and its reminders start over
    fresh = _set(order)
    assert timedelta(days=44, hours=23) < fresh.expires_at - timezone.now() <= timedelta(days=45)
    assert fresh.reminders_sent == 0
    assert timedelta(days=6, hours=23) < fresh.next_reminder_at - timezone.now() <= timedelta(days=7)
    # and beta's draft is untouched
    after_other = _set(other)
    assert (after_other.expires_at, after_other.next_reminder_at) == (
        before_other.expires_at,
        before_other.next_reminder_at,
    )


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_b1_two_sweeps_at_once_split_the_work_and_handle_each_deadline_once():
    import threading

    from django.db import connection

    from icpfiling.registry.reference import reference_data_load
    from tests.conftest import make_tenant

    # Given 30 overdue SMS deadlines over two providers
    reference_data_load()  # transactional tests start from an empty database
    tenants = [make_tenant("alpha"), make_tenant("beta")]
    orders = [
        advance(t, complete_order(t, materials=False), OrderStatus.SMS_VERIFICATION)
        for t in tenants
        for _ in range(15)
    ]
    with tenant_scopes_disabled():
        FilingOrder.objects.filter(pk__in=[o.pk for o in orders]).update(
            sms_deadline_at=timezone.now() - timedelta(minutes=1)
        )
    barrier = threading.Barrier(2)
    moved: list[int] = []

    def sweep() -> None:
        try:
            barrier.wait(timeout=10)
            moved.append(sms_deadline_sweep(batch=4))  # small batches: the two sweeps interleave
        finally:
            connection.close()

    # When two workers sweep at the same moment
    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    # Then together they moved every order exactly once, with one event and one SMS each
    assert sum(moved) == 30
    with tenant_scopes_disabled():
        assert (
            FilingOrder.objects.filter(pk__in=[o.pk for o in orders], status="provider_recheck").count() == 30
        )
        assert OrderEvent.objects.filter(kind="sms_failed").count() == 30
    assert OutboxMessage.objects.filter(dedupe_key__contains=":sms_failed:", channel="sms").count() == 30


def test_r_b2_inbox_badge_counts_unread_messages_up_to_99_plus(alpha, beta):
    from icpfiling.notifications.models import InboxMessage

    # Given 120 unread messages for alpha's applicant and one for beta's
    user = alpha.users["applicant"]
    InboxMessage.objects.bulk_create(
        [InboxMessage(tenant=alpha.provider, user=user, subject=f"消息{i}", body="") for i in range(120)]
    )
    InboxMessage.objects.create(tenant=beta.provider, user=beta.users["applicant"], subject="beta", body="")
    client = alpha.client("applicant")
    # When the applicant opens any page, the badge says 99+
    assert '<span class="badge" aria-label="未读">99+</span>' in client.get("/").content.decode()
    # When everything is marked read, the badge is gone and beta's message is still unread
    client.post("/inbox/read/")
    assert 'class="badge" aria-label="未读"' not in client.get("/").content.decode()
    assert InboxMessage.objects.filter(user=beta.users["applicant"], read_at__isnull=True).count() == 1


def test_r_b2_the_badge_follows_delivery_and_reading_without_counting_on_every_page(
    alpha, beta, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from icpfiling.notifications.models import InboxMessage
    from icpfiling.notifications.selectors import inbox_unread_count
    from icpfiling.notifications.services import outbox_enqueue

    badge = '<span class="badge" aria-label="未读">{}</span>'
    user, client = alpha.users["applicant"], alpha.client("applicant")
    # Given a page without unread messages: the count is kept between pages
    assert 'class="badge" aria-label="未读"' not in client.get("/").content.decode()
    with tenant_scope(alpha.provider), django_assert_num_queries(0):
        assert inbox_unread_count(user_id=user.pk, tenant=alpha.provider) == 0
    # When a message is enqueued and committed, and the worker delivers it (eager here: at commit)
    with django_capture_on_commit_callbacks(execute=True), tenant_scope(alpha.provider):
        outbox_enqueue(channel="inbox", recipient=str(user.pk), body="正文", subject="订单已通过",
                       tenant_id=alpha.provider.pk)  # fmt: skip
    assert InboxMessage.objects.filter(user=user, read_at__isnull=True).count() == 1
    # Then the next page counts it; beta's user of the same id space sees nothing of it
    assert badge.format(1) in client.get("/").content.decode()
    assert 'class="badge" aria-label="未读"' not in beta.client("applicant").get("/").content.decode()
    # When it is read, the next page says so at once
    client.post("/inbox/read/")
    assert 'class="badge" aria-label="未读"' not in client.get("/").content.decode()


def test_r_b2_a_sweeps_messages_read_exactly_as_a_single_transitions_would(alpha, beta):
    from filings.notifications import _messages

    # Given two orders of different types in two tenants whose SMS deadlines passed
    order = advance(alpha, complete_order(alpha), OrderStatus.SMS_VERIFICATION)
    _set(order, sms_deadline_at=timezone.now() - timedelta(minutes=1))
    other = advance(beta, complete_order(beta), OrderStatus.SMS_VERIFICATION)
    _set(other, sms_deadline_at=timezone.now() - timedelta(minutes=2), order_type="cancel_website")
    # When one sweep batch moves both
    assert sms_deadline_sweep() == 2
    # Then each channel's row of each order carries the texts, recipient and link its own
    # transition would write (the type's own wording, not the other order's)
    for o, tenant in ((order, alpha), (other, beta)):
        with tenant_scopes_disabled():
            moved = FilingOrder.objects.select_related("applicant").get(pk=o.pk)
        expected = {
            row["channel"]: row
            for row in _messages(
                moved, "sms_failed", "短信核验超时：24 小时内未完成全部验证码。", kind="status"
            )
        }
        rows = {
            m.channel: m
            for m in OutboxMessage.objects.filter(dedupe_key__startswith=f"order:{o.pk}:sms_failed:")
        }
        assert set(rows) == set(expected) == {"email", "inbox", "sms"}
        for channel, row in rows.items():
            want = expected[channel]
            assert (row.recipient, row.subject, row.body, row.url, row.dedupe_key, row.tenant_id) == (
                want["recipient"],
                want.get("subject", ""),
                want["body"],
                want.get("url", ""),
                want["dedupe_key"],
                tenant.provider.pk,
            ), channel
        assert rows["inbox"].url == f"/orders/{o.pk}/"
        assert f"#{o.pk}" in rows["email"].subject
    assert (
        "注销网站"
        in OutboxMessage.objects.get(
            dedupe_key__startswith=f"order:{other.pk}:sms_failed:", channel="email"
        ).body
    )
    assert (
        "注销网站"
        not in OutboxMessage.objects.get(
            dedupe_key__startswith=f"order:{order.pk}:sms_failed:", channel="email"
        ).body
    )


def test_r_b3_embedded_run_sweeps_deadlines_and_delivers_without_redis(tmp_path):
    import json
    import os
    import subprocess
    import sys

    # Given the embedded default: no REDIS_URL, no DATABASE_URL
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(
        ICPFILING_MODE="embedded",
        DJANGO_SETTINGS_MODULE="icpfiling.settings",
        ICPFILING_VAR_DIR=str(tmp_path),
    )
    probe = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps({'broker': s.CELERY_BROKER_URL, 'eager': s.CELERY_TASK_ALWAYS_EAGER, "
        "'beat': {k: [v['task'], v['schedule'] if isinstance(v['schedule'], float) else None] "
        "for k, v in s.CELERY_BEAT_SCHEDULE.items()}, 'sms': s.SMS_BACKEND}))"
    )
    # When its settings load
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    found = json.loads(result.stdout.strip().splitlines()[-1])
    # Then a real worker gets its tasks from a folder (no Redis), the console gateway sends SMS,
    assert found["broker"] == "filesystem://localhost/"
    assert found["eager"] is False
    assert found["sms"] == "icpfiling.notifications.sms.ConsoleSmsBackend"
    # and beat sweeps the order deadlines and the outbox every minute
    assert found["beat"]["order-deadlines"] == ["filings.tasks.order_deadlines_sweep", 60.0]
    assert found["beat"]["outbox-sweep"] == ["icpfiling.notifications.tasks.outbox_sweep", 60.0]
    # and the run command starts that worker with its beat
    portal = (ROOT / "scripts" / "portal.py").read_text(encoding="utf-8")
    assert '"worker",' in portal
    assert '"--beat",' in portal


def test_r_p1_approval_sends_the_numbers_footer_snippet_and_public_security_reminder(alpha, platform_users):
    from filings.authority.services import authority_approve

    # Given a Zhejiang order with the authority
    order = advance(alpha, complete_order(alpha), OrderStatus.AUTHORITY_REVIEW)
    # When the Zhejiang authority approves it
    authority_approve(order=order, reviewer=platform_users["authority"])
    with tenant_scopes_disabled():
        order = FilingOrder.objects.select_related("registry_entity").get(pk=order.pk)
        site_number = order.websites.select_related("registry_website").get().registry_website.website_number
    entity_number = order.registry_entity.entity_number
    rows = {
        m.channel: m
        for m in OutboxMessage.objects.filter(dedupe_key__startswith=f"order:{order.pk}:authority_approve:")
    }
    # Then the email (and the inbox copy) carry both numbers, the footer snippet and the 30-day reminder
    assert set(rows) == {"email", "inbox", "sms"}
    for channel in ("email", "inbox"):
        body = rows[channel].body
        assert entity_number in body
        assert site_number == f"{entity_number}-1"
        assert (
            f'<a href="https://beian.miit.gov.cn/" target="_blank" rel="noopener">{site_number}</a>' in body
        )
        assert "30 日内办理公安联网备案" in body
    # and the SMS gives the entity number and the reminder
    assert entity_number in rows["sms"].body
    assert "30 日内办理公安联网备案" in rows["sms"].body
