"""Fallback URLconf. TenantMiddleware always sets request.urlconf to the tenant
or platform URLconf; this one is only used outside a request (reverse() in
emails built by tasks), where the tenant URLs are the relevant ones."""

from icpfiling.urls.tenant import urlpatterns  # noqa: F401
