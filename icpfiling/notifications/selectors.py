"""Reads of the in-app inbox."""

from __future__ import annotations

from django.db.models import QuerySet

from icpfiling.notifications.models import InboxMessage


def inbox_list(*, user_id: int, tenant) -> QuerySet[InboxMessage]:
    # A user belongs to one host (provider or platform); the tenant filter is a second lock.
    return InboxMessage.objects.filter(user_id=user_id, tenant_id=getattr(tenant, "pk", None)).order_by(
        "-created_at", "-pk"
    )


def inbox_unread_count(*, user_id: int, tenant) -> int:
    return inbox_list(user_id=user_id, tenant=tenant).filter(read_at__isnull=True).count()
