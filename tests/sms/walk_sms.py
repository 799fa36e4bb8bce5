"""Tenant-walk recipes for the SMS check pages (R-S5, R-T2); merged by tests/platform/test_url_walk.py."""

from __future__ import annotations

from django.utils import timezone

from filings.models import FilingOrder, SmsChallenge
from filings.sms.services import _code_hash
from icpfiling.tenancy.context import tenant_scope

_MISSING = 987654
BETA_MOBILE = "13905719999"
BETA_CODE = "123456"  # a valid code for beta's challenge: a leaking view would accept it


def _beta_challenge(w) -> SmsChallenge:
    """One challenge with a known code on beta's order (created once, then reused)."""
    order = w.beta_order
    with tenant_scope(w.beta.provider):
        challenge, _ = SmsChallenge.objects.get_or_create(
            order=order,
            round=order.review_round,
            mobile_bidx=BETA_MOBILE,  # R-X1: the mobile is encrypted; its blind index compares
            defaults={
                "mobile": BETA_MOBILE,
                "tenant_id": order.tenant_id,
                "people": ["entity"],
                "person_name": "SECRET-BETA 负责人",
                "code_hash": _code_hash(
                    tenant_id=order.tenant_id,
                    order_id=order.pk,
                    round_=order.review_round,
                    mobile=BETA_MOBILE,
                    send=1,
                    code=BETA_CODE,
                ),
                "last_sent_at": timezone.now(),
            },
        )
    return challenge


def _challenge_kwargs(w) -> tuple[dict, dict]:
    challenge = _beta_challenge(w)
    return (
        {"order_id": w.beta_order.pk, "challenge_id": challenge.pk},
        {"order_id": _MISSING, "challenge_id": _MISSING},
    )


FOREIGN = {
    "sms:check": lambda w: ({"order_id": w.beta_order.pk}, {"order_id": _MISSING}),
    "sms:enter": _challenge_kwargs,
    "sms:resend": _challenge_kwargs,
}
NO_OBJECT: set[str] = set()


def snapshot(w) -> object:
    """Beta's SMS state a leaking entry or resend could change."""
    _beta_challenge(w)  # exists before the walk's first snapshot, so creating it is no change
    with tenant_scope(w.beta.provider):
        challenges = list(
            SmsChallenge.objects.order_by("pk").values_list(
                "pk", "verified_at", "sends", "code_hash", "last_sent_at"
            )
        )
        orders = list(
            FilingOrder.objects.order_by("pk").values_list("pk", "sms_wrong_entries", "sms_deadline_at")
        )
    return challenges, orders
