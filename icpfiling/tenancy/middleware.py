"""Resolve the tenant from the host and run the whole request inside its scope."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseNotFound

from icpfiling.tenancy.context import no_tenant_scope, tenant_scope
from icpfiling.tenancy.resolve import PLATFORM, resolve_host

log = logging.getLogger("icpfiling.tenancy")

TENANT_URLCONF = "icpfiling.urls.tenant"
PLATFORM_URLCONF = "icpfiling.urls.platform"


class TenantMiddleware:
    """R-T1: host -> provider. Unknown hosts get a plain 404 with no data at all.

    The scope stays active while the view runs and while its template renders
    (TemplateResponse renders inside ``get_response``), so tenant-owned queries
    anywhere in the request are filtered, and raise on the platform host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = request.get_host()
        found = resolve_host(host)
        if found is None:
            log.info("unknown host %r", host)
            # Deliberately bare: no template, no branding, nothing to learn from.
            return HttpResponseNotFound(b"Not Found", content_type="text/plain")
        if found == PLATFORM:
            request.tenant = None
            request.is_platform = True
            request.urlconf = PLATFORM_URLCONF
            with no_tenant_scope():
                return self.get_response(request)
        request.tenant = found
        request.is_platform = False
        request.urlconf = TENANT_URLCONF
        with tenant_scope(found):
            return self.get_response(request)
