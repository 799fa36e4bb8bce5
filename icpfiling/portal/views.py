"""Home pages per role, and the health check."""

from __future__ import annotations

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.request import split_domain_port
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from filings.servers.selectors import server_expiring_count
from icpfiling.accounts import selectors as account_selectors
from icpfiling.accounts.models import Membership, PlatformRole, Role
from icpfiling.registry import selectors as registry_selectors
from icpfiling.tenancy.models import Provider


@never_cache
def home(request: HttpRequest) -> HttpResponse:
    role = getattr(request, "role", "")
    if not request.user.is_authenticated:
        if request.tenant is None:
            providers = Provider.objects.filter(is_active=True).prefetch_related("hostnames")
            # Each provider's site on the port this host was reached on (make run: PORTAL_PORT).
            _domain, port = split_domain_port(request.get_host())
            suffix = f":{port}" if port and port not in ("80", "443") else ""
            return render(
                request,
                "home/platform_public.html",
                {"providers": providers, "site_prefix": f"{request.scheme}://", "site_suffix": f"{suffix}/"},
            )
        return render(request, "home/tenant_public.html")
    if request.tenant is None:
        if role == PlatformRole.AUTHORITY:
            provinces = list(request.user.authority_provinces.all())
            entities = registry_selectors.filed_entity_list_for_provinces(provinces=provinces)[:20]
            from filings.authority.selectors import authority_queue_size

            return render(
                request,
                "home/authority.html",
                {
                    "provinces": provinces,
                    "entities": entities,
                    "queue_size": authority_queue_size(user=request.user),
                },
            )
        if role == PlatformRole.OPERATOR:
            providers = Provider.objects.prefetch_related("hostnames").order_by("slug")
            return render(request, "home/operator.html", {"providers": providers})
        return render(request, "home/no_role.html")
    membership = Membership.objects.filter(user=request.user, tenant=request.tenant).first()
    ctx = {"membership": membership}
    if role == Role.APPLICANT:
        return render(request, "home/applicant.html", ctx)
    if role == Role.REVIEWER:
        ctx["websites"] = registry_selectors.filed_website_list_for_provider(provider_id=request.tenant.pk)[
            :25
        ]
        return render(request, "home/reviewer.html", ctx)
    if role == Role.PROVIDER_ADMIN:
        ctx["pending"] = account_selectors.membership_list_pending_for_admin(tenant=request.tenant)
        ctx["staff"] = account_selectors.membership_list_staff(tenant=request.tenant)
        ctx["expiring_servers"] = server_expiring_count(tenant=request.tenant)
        return render(request, "home/provider_admin.html", ctx)
    if role == Role.POINT_STAFF:
        return render(request, "home/point_staff.html", ctx)
    return render(request, "home/no_role.html")


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
