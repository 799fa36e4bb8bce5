"""Throttles for the anonymous and guessable endpoints (finding 3 of the outside attack).

django-ratelimit counts in its own cache alias (``ratelimit``), so the counters are shared by every
gunicorn worker and every host in production (Redis) and by the threads of the one
process in the embedded run (local memory). Each rule is a fixed window: ``n`` requests
per ``period``; the 429 page says how many minutes remain until the window ends.

Rates live in ``settings.THROTTLE_RATES`` (one entry per group, overridable from the
environment), so a deployment can tighten them without a code change.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django_ratelimit.core import get_usage

__all__ = ["DEFAULT_RATES", "client_ip", "post_field", "retry_after", "throttle", "throttled_response"]

# group -> ((key, rate), ...). Keys: "ip", "user", "session" (the session cookie's key; a request
# without one is counted by its other rules only), or "post:<field>" (case-folded).
DEFAULT_RATES: dict[str, tuple[tuple[str, str], ...]] = {
    # 8-digit claim code: 10 wrong tries per account and per address per 10 minutes (10^8 codes).
    "phone-claim": (("user", "10/10m"), ("ip", "30/10m")),
    # Anonymous /m/ link creation from a phone (each makes a row and a token).
    "phone-start": (("ip", "20/h"),),
    "register": (("ip", "10/h"), ("post:email", "3/h")),
    "password-reset": (("ip", "10/h"), ("post:email", "3/h")),
    # Anonymous point applications store up to seven 5 MB files each.
    "point-apply": (("ip", "5/h"), ("post:email", "3/d")),
    # Second-factor codes: 10 tries per account per 10 minutes (django-otp also slows repeats).
    "second-factor": (("user", "10/10m"), ("ip", "30/10m")),
    # The public query (R-Q1, rate limits instead of a captcha; GET): generous for a person, tight
    # for a scraper. Per address, and once a browser keeps a session cookie, per session too.
    "public-query": (("ip", "60/m"), ("ip", "600/h"), ("session", "30/m")),
}


def client_ip(group: str, request: HttpRequest) -> str:
    """The client's address as django-axes sees it (``AXES_PROXY_COUNT`` trusted proxies in front).

    Behind N proxies the client is the N-th address from the right of X-Forwarded-For (the
    entries further left are client-controlled); with no proxy, REMOTE_ADDR. Without this, every
    visitor behind the production proxy would share one address and one set of counters.
    """
    proxies = getattr(settings, "AXES_IPWARE_PROXY_COUNT", 0) or 0
    remote = request.META.get("REMOTE_ADDR", "")
    if proxies <= 0:
        return remote
    forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
    return forwarded[-proxies] if len(forwarded) >= proxies else remote


def post_field(name: str) -> Callable[[str, HttpRequest], str]:
    def key(group: str, request: HttpRequest) -> str:
        return request.POST.get(name, "").strip().casefold()[:254]

    return key


def _user(group: str, request: HttpRequest) -> str:
    user = getattr(request, "user", None)
    return str(user.pk) if user is not None and user.is_authenticated else client_ip(group, request)


def _session(group: str, request: HttpRequest) -> str:
    session = getattr(request, "session", None)
    return (session.session_key or "") if session is not None else ""


def _key(spec: str):
    if spec == "ip":
        return client_ip
    if spec == "user":
        return _user
    if spec == "session":
        return _session
    if spec.startswith("post:"):
        return post_field(spec.removeprefix("post:"))
    raise ValueError(f"unknown throttle key {spec!r}")


def _rules(group: str) -> Iterable[tuple[str, str]]:
    return getattr(settings, "THROTTLE_RATES", {}).get(group, DEFAULT_RATES[group])


def retry_after(request: HttpRequest, group: str, *, methods: tuple[str, ...] = ("POST",)) -> int | None:
    """Counts this request against ``group``'s rules; seconds to wait if any rule is exceeded."""
    if not getattr(settings, "RATELIMIT_ENABLE", True):
        return None
    wait = None
    for spec, rate in _rules(group):
        key = _key(spec)
        if (spec.startswith("post:") or spec == "session") and not key(group, request):
            continue  # an empty field (no session yet) is counted by the address rule only
        usage = get_usage(request, group=group, key=key, rate=rate, method=list(methods), increment=True)
        if usage and usage["should_limit"]:
            left = max(int(usage["time_left"]), 1)
            wait = max(wait or 0, left)
    return wait


def throttled_response(request: HttpRequest, seconds: int) -> HttpResponse:
    minutes = max(math.ceil(seconds / 60), 1)
    response = render(request, "errors/throttled.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def throttle(group: str, *, methods: tuple[str, ...] = ("POST",)):
    """View decorator: answer 429 (with Retry-After and a page saying when) once ``group`` is exceeded."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method in methods:
                seconds = retry_after(request, group, methods=methods)
                if seconds is not None:
                    return throttled_response(request, seconds)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
