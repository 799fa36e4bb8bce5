"""Login lockout (R-A2): per (account, address), plus a higher limit per address.

django-axes counts failed logins. Its lockout parameters are set to the pair
``[["username", "ip_address"]]``: failures of one account from one address lock
that pair only, so nobody can lock a reviewer out from their own address, and
a successful login resets only its own pair (with the parameters listed
separately, one success from an address wiped every failure recorded for that
address, whatever the account: unlimited guessing by interleaving one's own
login).

Guessing many accounts from one address (a few tries each, below the pair's
limit) is caught by a second, higher limit over every failure from that
address within the same cool-off window. Successes never reset it.
"""

from __future__ import annotations

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest


def address_failures(request: HttpRequest) -> int:
    """Failed logins from the request's address within the cool-off window, over all accounts."""
    total = AccessAttempt.objects.filter(
        ip_address=request.axes_ip_address, attempt_time__gte=get_cool_off_threshold(request)
    ).aggregate(n=Sum("failures_since_start"))["n"]
    return total or 0


class PairAndAddressHandler(AxesDatabaseHandler):
    """Axes' database handler with the per-address limit added to the pair's."""

    def get_failures(self, request: HttpRequest, credentials: dict | None = None) -> int:
        # Axes compares this number with AXES_FAILURE_LIMIT, both before a login
        # (is the client locked?) and after a failure (does this one lock it?);
        # an address over its own limit answers "at the limit" for every account.
        own = super().get_failures(request, credentials)
        limit = get_failure_limit(request, credentials)
        if own < limit and address_failures(request) >= settings.AXES_ADDRESS_FAILURE_LIMIT:
            return limit
        return own
