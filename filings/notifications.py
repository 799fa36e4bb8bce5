"""Status-change notifications for the applicant, through the outbox (R-B2)."""

from __future__ import annotations

from django.template.loader import render_to_string

from filings.models import FilingOrder
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue


def order_status_notify(*, order: FilingOrder, action: str, message: str = "") -> None:
    applicant = order.applicant
    ctx = {"order": order, "action": action, "message": message}
    outbox_enqueue(
        channel=Channel.EMAIL,
        recipient=applicant.email,
        subject=render_to_string("emails/order_status_subject.txt", ctx).strip(),
        body=render_to_string("emails/order_status_body.txt", ctx),
        tenant_id=order.tenant_id,
        # One message per order state change, even if a sweep or retry calls again.
        dedupe_key=f"order-status:{order.pk}:{action}:{order.status_changed_at.isoformat()}",
    )
