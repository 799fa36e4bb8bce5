"""Reads of the in-app inbox."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.core.cache import cache
from django.db.models import QuerySet

from icpfiling.notifications.models import InboxMessage
from icpfiling.tenancy.context import no_tenant_scope, tenant_scope


def inbox_list(*, user_id: int, tenant) -> QuerySet[InboxMessage]:
    # A user belongs to one host (provider or platform); the tenant filter is a second lock.
    return InboxMessage.objects.filter(user_id=user_id, tenant_id=getattr(tenant, "pk", None)).order_by(
        "-created_at", "-pk"
    )


# The menu badge shows "99+" beyond this: a capped count stays cheap however many are unread.
UNREAD_CAP = 99


# The badge's count is kept in the cache between changes (a delivered message or "mark read"
# forgets it: inbox_unread_forget below); the expiry bounds how long a count read while a
# message was being delivered can lag behind it.
UNREAD_CACHE_SECONDS = 60


@contextmanager
def _owner_scope(tenant_id: int | None) -> Iterator[None]:
    # The key carries the user's tenant whoever computes or forgets it (a web request on the
    # user's host, or the Celery worker delivering with no request at all).
    with tenant_scope(tenant_id) if tenant_id is not None else no_tenant_scope():
        yield


def _unread_key(user_id: int) -> str:
    return f"inbox:unread:{user_id}"


def inbox_unread_count(*, user_id: int, tenant) -> int:
    """Unread messages, counted up to ``UNREAD_CAP + 1`` (every page shows it)."""
    tenant_id = getattr(tenant, "pk", None)
    with _owner_scope(tenant_id):
        count = cache.get(_unread_key(user_id))
        if count is None:
            unread = inbox_list(user_id=user_id, tenant=tenant).filter(read_at__isnull=True)
            count = unread.values("pk")[: UNREAD_CAP + 1].count()
            cache.set(_unread_key(user_id), count, UNREAD_CACHE_SECONDS)
    return count


def inbox_unread_forget(*, user_id: int, tenant_id: int | None) -> None:
    """The next page counts again (after a message arrives or is read)."""
    with _owner_scope(tenant_id):
        cache.delete(_unread_key(user_id))
