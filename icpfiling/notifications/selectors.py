"""Reads of the in-app inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from icpfiling.notifications.models import InboxMessage


def inbox_list(*, user_id: int, tenant) -> QuerySet[InboxMessage]:
    # A user belongs to one host (provider or platform); the tenant filter is a second lock.
    return InboxMessage.objects.filter(user_id=user_id, tenant_id=getattr(tenant, "pk", None)).order_by(
        "-created_at", "-pk"
    )


# The menu badge shows "99+" beyond this: a capped count stays cheap however many are unread.
UNREAD_CAP = 99


def inbox_unread_count(*, user_id: int, tenant) -> int:
    """Unread messages, counted up to ``UNREAD_CAP + 1`` (every page shows it)."""
    unread = inbox_list(user_id=user_id, tenant=tenant).filter(read_at__isnull=True)
    return unread.values("pk")[: UNREAD_CAP + 1].count()
