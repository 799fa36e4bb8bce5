"""The operator's admin site, on the platform host only.

Provider staff never get Django admin (reliability reference §3: admin crosses
tenants). The operator does cross tenants, deliberately: every admin view runs
inside ``tenant_scopes_disabled()``. The models are registered by
``icpfiling.operator.admin`` (found by Django's admin autodiscovery) and
``icpfiling.operator.rules``.
"""

from __future__ import annotations

import functools

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from icpfiling.accounts.models import PlatformRole
from icpfiling.operator.onboarding import make_onboard_view
from icpfiling.tenancy.context import tenant_scopes_disabled


class OperatorSite(admin.AdminSite):
    site_header = _("ICP备案平台运营")
    site_title = _("平台运营")
    index_title = _("接入商与平台数据")

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and user.provider_id is None
            and (user.is_superuser or user.platform_role == PlatformRole.OPERATOR)
        )

    def get_urls(self):
        # R-M4: onboarding a provider is its own page, not the stock "add provider" form.
        onboard = path("onboard/", self.admin_view(make_onboard_view(self)), name="provider_onboard")
        return [onboard, *super().get_urls()]

    def admin_view(self, view, cacheable=False):
        inner = super().admin_view(view, cacheable)

        @functools.wraps(inner)
        def scoped(request, *args, **kwargs):
            with tenant_scopes_disabled():  # the operator manages every tenant
                response = inner(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
                return response

        return scoped


operator_site = OperatorSite(name="operator")
