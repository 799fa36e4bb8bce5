"""The active tenant scope.

A ``ContextVar`` (never a thread-local) holds the provider whose rows may be
read. Outside any scope, tenant-owned querysets raise :class:`TenantScopeError`
instead of returning every tenant's rows (fail closed, R-T2). Crossing tenants
is only possible inside :func:`tenant_scopes_disabled`, which callers use
deliberately (migrations, the operator's admin, the authority selectors).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from icpfiling.tenancy.models import Provider


class TenantScopeError(RuntimeError):
    """A tenant-owned model was queried with no tenant scope active."""


@dataclass(frozen=True)
class _Scope:
    tenant_id: int | None
    disabled: bool = False


_current: ContextVar[_Scope | None] = ContextVar("icpfiling_tenant_scope", default=None)


@contextmanager
def tenant_scope(tenant: Provider | int) -> Iterator[None]:
    """Run the block with ``tenant`` as the only tenant whose rows are visible."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    if tenant_id is None:
        raise TenantScopeError("tenant_scope() needs a saved provider")
    token = _current.set(_Scope(tenant_id=tenant_id))
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def no_tenant_scope() -> Iterator[None]:
    """Run the block with no tenant: tenant-owned queries raise (the platform host)."""
    token = _current.set(None)
    try:
        yield
    finally:
        _current.reset(token)


@contextmanager
def tenant_scopes_disabled() -> Iterator[None]:
    """Run the block across all tenants. Every use must say why at the call site."""
    token = _current.set(_Scope(tenant_id=None, disabled=True))
    try:
        yield
    finally:
        _current.reset(token)


def current_scope() -> _Scope | None:
    return _current.get()


def current_tenant_id() -> int | None:
    scope = _current.get()
    return scope.tenant_id if scope else None


def scopes_are_disabled() -> bool:
    scope = _current.get()
    return bool(scope and scope.disabled)
