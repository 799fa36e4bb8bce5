"""Host name -> provider resolution (R-T1)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import caches

from icpfiling.tenancy.context import no_tenant_scope
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
    # on purpose and holds the provider row itself (or 0 for an unknown host), so
    # a request costs no query here; saving a provider or a hostname forgets it.
    key = f"tenancy:host:{name}"
    cache = caches["default"]
    # The tenant-aware key function puts the active tenant into every key; this entry must
    # have one key whoever reads or forgets it (a provider admin saving settings inside their
    # own scope must clear the entry the middleware set before any scope), so: no scope.
    with no_tenant_scope():
        found = cache.get(key)
        if found is None:
            row = (
                ProviderHostname.objects.filter(hostname=name, provider__is_active=True)
                .values_list("provider_id", flat=True)
                .first()
            )
            found = (Provider.objects.filter(pk=row, is_active=True).first() if row else None) or 0
            cache.set(key, found, _CACHE_SECONDS)
    return found or None


def forget_host(hostname: str) -> None:
    with no_tenant_scope():  # the same key resolve_host used, whatever scope the caller is in
        caches["default"].delete(f"tenancy:host:{normalise_host(hostname)}")


def forget_provider(sender, instance, **kwargs) -> None:
    """Signal receiver: drop the cached entries of every hostname of the saved provider."""
    provider_id = instance.provider_id if isinstance(instance, ProviderHostname) else instance.pk
    names = ProviderHostname.objects.filter(provider_id=provider_id).values_list("hostname", flat=True)
    for name in [*names, getattr(instance, "hostname", "")]:
        if name:
            forget_host(name)
