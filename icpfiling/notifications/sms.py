"""SMS gateway backends: console for the embedded run, HTTP for production."""

from __future__ import annotations

import json
import logging
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("icpfiling.sms")


class SmsError(RuntimeError):
    pass


class ConsoleSmsBackend:
    def send(self, *, to: str, body: str) -> None:
        print(f"[SMS to {to}] {body}", flush=True)


class HttpSmsBackend:
    """POSTs JSON ``{"to", "body"}`` with a bearer token; any non-2xx answer is a failure."""

    def send(self, *, to: str, body: str) -> None:
        url = settings.SMS_GATEWAY_URL
        if not url.startswith(("https://", "http://")):
            raise SmsError("SMS_GATEWAY_URL is not configured")
        req = urllib.request.Request(  # noqa: S310 - scheme checked above
            url,
            data=json.dumps({"to": to, "body": body}).encode(),
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Bearer {settings.SMS_GATEWAY_TOKEN}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310
                if not 200 <= resp.status < 300:
                    raise SmsError(f"gateway answered {resp.status}")
        except OSError as exc:
            raise SmsError(str(exc)) from exc


def get_sms_backend():
    return import_string(settings.SMS_BACKEND)()
