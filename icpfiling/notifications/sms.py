"""SMS gateway backends (R-B2): console for the embedded run, HTTP for production.

A backend's ``send`` returns when the gateway accepted the message and raises
otherwise; the outbox (``notifications.delivery.outbox_deliver_one``) turns a
raise into a retry with back-off, so a backend never retries by itself.
Message bodies carry verification codes: no backend puts a body into an
exception, a log line or ``OutboxMessage.last_error``.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings
from django.utils.module_loading import import_string

from icpfiling.core.scrub import mask_code, scrub

log = logging.getLogger("icpfiling.sms")

DEFAULT_TIMEOUT = 10.0  # seconds per connect/read; well below the outbox's claim timeout
_MAX_ANSWER = 64 * 1024


class SmsError(RuntimeError):
    """The gateway did not accept the message; the outbox retries it later."""


def _masked(to: str) -> str:
    return f"{to[:3]}****{to[-4:]}" if len(to) >= 8 else "****"


class ConsoleSmsBackend:
    """The embedded run's gateway: the message is printed where the operator sees it (R-B3)."""

    def send(self, *, to: str, body: str, idempotency_key: str | None = None) -> None:
        # The console is a log (finding 7): masked mobile, codes shown by their last two digits.
        # The demo still needs the full message to type the code: it goes to a private file under
        # var/, like Django's file-based email backend, never to the log.
        path = _demo_sms_file(to=to, body=body)
        where = f" (full text: {path})" if path else ""
        print(f"[SMS to {_masked(to)}] {scrub(mask_code(body))}{where}", flush=True)


def _demo_sms_file(*, to: str, body: str) -> str:
    folder = getattr(settings, "CONSOLE_SMS_DIR", None)
    if not folder:
        return ""
    os.makedirs(folder, mode=0o700, exist_ok=True)
    name = f"{time.strftime('%Y%m%d-%H%M%S')}-{_masked(to).replace('*', 'x')}-{secrets.token_hex(3)}.txt"
    path = os.path.join(folder, name)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(f"to: {to}\n\n{body}\n")
    return path


# What LocmemSmsBackend "sent" in this process, like django.core.mail.outbox (tests only).
sent: list[dict] = []


class LocmemSmsBackend:
    """The test settings' gateway: keeps each message in ``sent`` so a test reads it like a phone."""

    def send(self, *, to: str, body: str, idempotency_key: str | None = None) -> None:
        sent.append({"to": to, "body": body, "idempotency_key": idempotency_key})


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    # A redirect would turn the POST into a GET (or resend it elsewhere with the
    # token); a gateway answering 3xx is misconfigured, and that is a failure.
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class HttpSmsBackend:
    """POSTs JSON ``{"to", "body"}`` to ``SMS_GATEWAY_URL``; only a 2xx answer counts as sent.

    Settings: ``SMS_GATEWAY_URL`` (http or https), ``SMS_GATEWAY_TOKEN`` (sent as
    ``Authorization: Bearer …`` when set) and ``SMS_GATEWAY_TIMEOUT`` (seconds,
    default 10). An ``idempotency_key`` is sent as the ``Idempotency-Key``
    header so that a gateway that supports it drops a re-delivery. Redirects,
    non-2xx answers, timeouts and connection errors raise ``SmsError``.
    """

    def __init__(self, *, url: str | None = None, token: str | None = None, timeout: float | None = None):
        self.url = settings.SMS_GATEWAY_URL if url is None else url
        self.token = settings.SMS_GATEWAY_TOKEN if token is None else token
        self.timeout = float(
            timeout if timeout is not None else getattr(settings, "SMS_GATEWAY_TIMEOUT", DEFAULT_TIMEOUT)
        )
        self._opener = urllib.request.build_opener(_NoRedirect)

    def send(self, *, to: str, body: str, idempotency_key: str | None = None) -> None:
        parts = urlsplit(self.url or "")
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise SmsError("SMS_GATEWAY_URL is not configured (an http or https URL is required)")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": "icpfiling-sms/1",
        }
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        payload = json.dumps({"to": to, "body": body}, ensure_ascii=False).encode()
        req = urllib.request.Request(self.url, data=payload, headers=headers, method="POST")  # noqa: S310 - scheme checked above
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                status = resp.status
                resp.read(_MAX_ANSWER)  # drain a little so the connection closes cleanly
        except urllib.error.HTTPError as exc:
            # Not the answer's body: a gateway may echo the message (and its code) back.
            exc.close()
            raise SmsError(f"gateway answered HTTP {exc.code}") from None
        except TimeoutError:
            raise SmsError(f"gateway did not answer within {self.timeout:g} s") from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise SmsError(f"gateway did not answer within {self.timeout:g} s") from None
            raise SmsError(f"gateway unreachable: {type(reason).__name__}: {reason}") from None
        if not 200 <= status < 300:
            raise SmsError(f"gateway answered HTTP {status}")
        log.info("sms to %s accepted by the gateway (HTTP %s)", _masked(to), status)


def get_sms_backend():
    return import_string(settings.SMS_BACKEND)()
