"""The HTTP SMS gateway backend (R-B2) against a small gateway on 127.0.0.1.

The gateway is a real HTTP server on an ephemeral port (threading
``http.server``); each test sets how it answers: accept, fail with 500,
redirect, or never answer (the client's timeout must fire).
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import TestCase
from django.utils import timezone

from filings.models import OrderStatus
from filings.sms.services import sms_check_start
from icpfiling.notifications.delivery import outbox_deliver_one
from icpfiling.notifications.models import OutboxMessage, OutboxStatus
from icpfiling.notifications.sms import HttpSmsBackend, SmsError
from icpfiling.tenancy.context import tenant_scope
from tests.sms.test_sms_check import _to_recheck

pytestmark = pytest.mark.django_db

TOKEN = "gw-token-123"
HTTP_BACKEND = "icpfiling.notifications.sms.HttpSmsBackend"


@dataclass
class Gateway:
    url: str
    mode: str = "ok"  # ok | fail | redirect | hang
    received: list[dict] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def gateway():
    state = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            state.received.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "json": json.loads(self.rfile.read(length).decode()),
                }
            )
            if state.mode == "hang":
                state.release.wait(timeout=10)
                return
            if state.mode == "redirect":
                self.send_response(302)
                self.send_header("Location", "/elsewhere")
                self.end_headers()
                return
            status = 200 if state.mode == "ok" else 500
            answer = json.dumps({"ok": status == 200, "echo": state.received[-1]["json"]}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def http_sms(settings, gateway):
    settings.SMS_BACKEND = HTTP_BACKEND
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_GATEWAY_TOKEN = TOKEN
    settings.SMS_GATEWAY_TIMEOUT = 0.5
    return gateway


def _sms_row(body: str = "【工信部备案】您的备案短信核验码为654321") -> OutboxMessage:
    return OutboxMessage.objects.create(channel="sms", recipient="13905710001", body=body)


def test_r_b2_gateway_gets_json_with_the_token_and_the_row_is_sent_once(http_sms):
    msg = _sms_row()
    # when the outbox delivers the row
    assert outbox_deliver_one(message_id=msg.pk) is True
    # then the gateway got one JSON POST with the bearer token
    [req] = http_sms.received
    assert req["path"] == "/sms/send"
    assert req["json"] == {"to": "13905710001", "body": "【工信部备案】您的备案短信核验码为654321"}
    assert req["headers"]["authorization"] == f"Bearer {TOKEN}"
    assert req["headers"]["content-type"] == "application/json; charset=utf-8"
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.last_error) == (OutboxStatus.SENT, 1, "")
    # and a second delivery attempt sends nothing
    assert outbox_deliver_one(message_id=msg.pk) is False
    assert len(http_sms.received) == 1


def test_r_b2_idempotency_key_is_sent_as_a_header(http_sms):
    HttpSmsBackend().send(to="13905710001", body="x", idempotency_key="outbox-42")
    assert http_sms.received[0]["headers"]["idempotency-key"] == "outbox-42"


def test_r_b2_gateway_500_leaves_the_row_for_a_later_retry(http_sms):
    http_sms.mode = "fail"
    msg = _sms_row()
    before = timezone.now()
    # when the gateway answers 500
    assert outbox_deliver_one(message_id=msg.pk) is False
    # then the row waits for a retry with back-off, and the error does not carry the code
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.last_error) == (
        OutboxStatus.PENDING,
        1,
        "gateway answered HTTP 500",
    )
    assert msg.next_attempt_at >= before + timedelta(seconds=60)
    # not due yet: nothing is sent
    http_sms.mode = "ok"
    assert outbox_deliver_one(message_id=msg.pk) is False
    assert len(http_sms.received) == 1
    # once due, the retry reaches the (now healthy) gateway and the row is sent
    OutboxMessage.objects.filter(pk=msg.pk).update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox_deliver_one(message_id=msg.pk) is True
    msg.refresh_from_db()
    assert (msg.status, msg.attempts, msg.last_error) == (OutboxStatus.SENT, 2, "")
    assert [r["json"]["to"] for r in http_sms.received] == ["13905710001", "13905710001"]


def test_r_b2_gateway_that_never_answers_times_out_and_is_retried(http_sms):
    http_sms.mode = "hang"
    msg = _sms_row()
    started = time.monotonic()
    assert outbox_deliver_one(message_id=msg.pk) is False
    # the 0.5 s timeout fired; the worker was not held for the gateway's 10 s
    assert time.monotonic() - started < 5
    msg.refresh_from_db()
    assert (msg.status, msg.attempts) == (OutboxStatus.PENDING, 1)
    assert msg.last_error == "gateway did not answer within 0.5 s"


def test_r_b2_a_redirect_is_a_failure_and_is_not_followed(http_sms):
    http_sms.mode = "redirect"
    with pytest.raises(SmsError, match="HTTP 302"):
        HttpSmsBackend().send(to="13905710001", body="x")
    assert [r["path"] for r in http_sms.received] == ["/sms/send"]


def test_r_b2_unreachable_or_unconfigured_gateway_raises(settings):
    settings.SMS_GATEWAY_TOKEN = TOKEN
    # nothing listens on a port we just closed
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(SmsError, match="unreachable"):
        HttpSmsBackend(url=f"http://127.0.0.1:{port}/", timeout=1).send(to="13905710001", body="x")
    for url in ("", "ftp://gateway.example/", "gateway.example/send"):
        with pytest.raises(SmsError, match="not configured"):
            HttpSmsBackend(url=url).send(to="13905710001", body="x")


def test_r_s5_the_check_code_reaches_the_gateway_but_never_an_error_or_a_log(alpha, http_sms, caplog):
    # given the gateway fails, when the reviewer submits an order to the authority
    http_sms.mode = "fail"
    order = _to_recheck(alpha)
    with TestCase.captureOnCommitCallbacks(execute=True), tenant_scope(alpha.provider):
        sms_check_start(order=order, actor=alpha.users["reviewer"])
    # then the gateway received the code SMS, and the failed row keeps no trace of the code
    code_requests = [r for r in http_sms.received if "核验码" in r["json"]["body"]]
    assert len(code_requests) == 1
    code = re.search(r"核验码为(\d{6})", code_requests[0]["json"]["body"]).group(1)
    row = OutboxMessage.objects.get(dedupe_key__startswith="sms-code:")
    assert (row.status, row.attempts, row.last_error) == (
        OutboxStatus.PENDING,
        1,
        "gateway answered HTTP 500",
    )
    assert all(code not in r.getMessage() for r in caplog.records)
    with tenant_scope(alpha.provider):
        order.refresh_from_db()
    assert order.status == OrderStatus.SMS_VERIFICATION
