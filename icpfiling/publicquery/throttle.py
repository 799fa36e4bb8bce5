"""Rate limits instead of captchas (R-Q1): generous for a person, tight for a scraper.

Counted by django-ratelimit in the ``ratelimit`` cache (Redis in production, so
every web worker shares one count; the embedded run serves from one process,
so its local-memory cache is shared by all its threads). Each limit is a fixed
window; the answer to an over-limit request says how long until it opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django_ratelimit.core import get_usage

# (group, key, rate): per address and, once a browser keeps a session, per session.
# The address is the proxy-aware one the other throttles use (icpfiling.core.throttle.client_ip):
# behind the production proxy, plain REMOTE_ADDR would put every visitor in one counter.
LIMITS: tuple[tuple[str, str, str], ...] = (
    ("publicquery.address.minute", "icpfiling.core.throttle.client_ip", "60/m"),
    ("publicquery.address.hour", "icpfiling.core.throttle.client_ip", "600/h"),
    (
        "publicquery.session.minute",
        "icpfiling.publicquery.throttle.session_key",
        "icpfiling.publicquery.throttle.session_rate",
    ),
)


def session_key(group: str, request: HttpRequest) -> str:
    return request.session.session_key or ""


def session_rate(group: str, request: HttpRequest) -> str | None:
    # Without a session cookie only the address limits apply (None: this limit is skipped).
    return "30/m" if request.session.session_key else None


@dataclass(frozen=True)
class Verdict:
    limited: bool
    retry_after: int = 0


def throttle_search(request: HttpRequest) -> Verdict:
    """Count this search against every limit; limited when any is exceeded."""
    wait = 0
    for group, key, rate in LIMITS:
        usage = get_usage(request, group=group, key=key, rate=rate, increment=True)
        if usage and usage["should_limit"]:
            wait = max(wait, int(usage["time_left"]) + 1)
    return Verdict(limited=wait > 0, retry_after=wait)
