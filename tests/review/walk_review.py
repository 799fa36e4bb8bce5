"""Tenant-walk recipes for the reviewer's pages (R-S2, R-S3, R-T2); merged by tests/platform/test_url_walk.py.

Reviewers only see submitted orders, so beta's order gets a submission time
(it stays a draft, as after a withdrawal: the walk's main snapshot holds order
states, which must not change). Alpha's reviewer must then get the same 404 for
it as for a missing order, on every page and action.
"""

from __future__ import annotations

from django.utils import timezone

from filings.models import FieldReturn, FileAccessLog, FilingOrder, PhoneCheck
from icpfiling.tenancy.context import tenant_scope

_MISSING = 987654


def _beta_order_visible_to_its_reviewers(w) -> None:
    if getattr(w, "_review_submitted", False):
        return
    with tenant_scope(w.beta.provider):
        FilingOrder.objects.filter(pk=w.beta_order.pk, submitted_at__isnull=True).update(
            submitted_at=timezone.now()
        )
    w._review_submitted = True


def _order_kwargs(w) -> tuple[dict, dict]:
    _beta_order_visible_to_its_reviewers(w)
    return {"order_id": w.beta_order.pk}, {"order_id": _MISSING}


FOREIGN = {
    f"review:{name}": _order_kwargs
    for name in (
        "order",
        "claim",
        "assign",
        "phone_check",
        "return",
        "pass",
        "submit_authority",
        "back_to_verification",
        "reveal",
    )
}
FOREIGN["review:material_file"] = lambda w: (
    _order_kwargs(w)[0] | {"file_id": w.beta_file_id},
    {"order_id": _MISSING, "file_id": _MISSING},
)

NO_OBJECT = {"review:queue"}


def snapshot(w) -> object:
    """Beta's review state a leaking action could change: holder, reasons, calls, audited reveals/views."""
    _beta_order_visible_to_its_reviewers(w)  # before the first snapshot, so it is no change
    with tenant_scope(w.beta.provider):
        return (
            list(
                FilingOrder.objects.order_by("pk").values_list(
                    "pk", "assigned_to_id", "claimed_at", "review_round"
                )
            ),
            list(FieldReturn.objects.order_by("pk").values_list("pk", "field", "reason")),
            list(PhoneCheck.objects.order_by("pk").values_list("pk", "outcome")),
            list(FileAccessLog.objects.order_by("pk").values_list("pk", "action", "kind")),
        )
