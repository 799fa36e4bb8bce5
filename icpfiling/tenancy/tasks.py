"""Celery tasks carry the tenant id and re-enter its scope (R-T5).

A task never inherits a scope from whatever ran before it on the same worker
thread: it starts with no scope, and ``tenant_task`` enters exactly the one
named by its ``tenant_id`` argument.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from icpfiling.tenancy.context import no_tenant_scope, tenant_scope


def tenant_task(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, tenant_id: int, **kwargs: Any) -> Any:
        with tenant_scope(int(tenant_id)):
            return fn(*args, tenant_id=tenant_id, **kwargs)

    return wrapper


def platform_task(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A task with no tenant (sweeps that fan out per tenant, platform mail)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with no_tenant_scope():
            return fn(*args, **kwargs)

    return wrapper
