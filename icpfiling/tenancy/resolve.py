"""Host name -> provider resolution (R-T1)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches

from icpfiling.tenancy.models import Provider, ProviderHostname

PLATFORM = "platform"
_CACHE_SECONDS = 30


def normalise_host(host: str) -> str:
    """``Alpha.LocalHost:8000`` -> ``alpha.localhost`` (port and case do not matter)."""
    host = host.strip().lower()
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def resolve_host(host: str) -> Provider | str | None:
    """The provider for ``host``, ``PLATFORM`` for a platform host, or None (unknown)."""
    name = normalise_host(host)
    if name in {h.lower() for h in settings.PLATFORM_HOSTS}:
        return PLATFORM
    # Keyed by host, not tenant: this lookup *finds* the tenant. The key is global
    # on purpose and holds only the provider id.
    key = f"tenancy:host:{name}"
    cache = caches["default"]
    provider_id = cache.get(key)
    if provider_id is None:
        row = (
            ProviderHostname.objects.filter(hostname=name, provider__is_active=True)
            .values_list("provider_id", flat=True)
            .first()
        )
        provider_id = row or 0
        cache.set(key, provider_id, _CACHE_SECONDS)
    if not provider_id:
        return None
    return Provider.objects.filter(pk=provider_id, is_active=True).first()


def forget_host(hostname: str) -> None:
    caches["default"].delete(f"tenancy:host:{normalise_host(hostname)}")
