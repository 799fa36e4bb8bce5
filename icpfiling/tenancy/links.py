"""Absolute links for emails and SMS, built from configuration, never from the request (finding 6).

A request's ``Host`` header is client-controlled: with ``ALLOWED_HOSTS = ["*"]`` a crafted
``Host: alpha.example:6666`` used to end up in the password-reset link mailed to a real user.
Links now use the provider's first configured host name (the operator's console lists them
in order), the scheme ``ICPFILING_LINK_SCHEME`` and the optional port ``ICPFILING_LINK_PORT``
(the embedded run's 8000; empty behind a proxy on 443).
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from icpfiling.tenancy.models import Provider, ProviderHostname

__all__ = ["site_url"]


def site_url(provider: Provider | None) -> str:
    """``scheme://host[:port]`` of the provider's portal (of the platform for ``None``), no slash."""
    if provider is None:
        host = settings.PLATFORM_HOSTS[0]
    else:
        host = (
            ProviderHostname.objects.filter(provider_id=provider.pk)
            .order_by("pk")
            .values_list("hostname", flat=True)
            .first()
        )
        if host is None:
            raise ImproperlyConfigured(f"provider {provider.slug!r} has no host name to build links with")
    port = str(getattr(settings, "ICPFILING_LINK_PORT", "") or "")
    scheme = getattr(settings, "ICPFILING_LINK_SCHEME", "https")
    default_port = {"http": "80", "https": "443"}.get(scheme)
    suffix = f":{port}" if port and port != default_port else ""
    return f"{scheme}://{host}{suffix}"
