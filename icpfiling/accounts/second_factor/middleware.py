"""Sends a signed-in user who must use a second factor to set it up or enter it (R-X3)."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from icpfiling.accounts.models import PlatformRole, Role
from icpfiling.accounts.second_factor.services import second_factor_enabled

# Roles that must use a second factor; applicants only once they opted in.
REQUIRED_ROLES = {
    Role.REVIEWER,
    Role.PROVIDER_ADMIN,
    Role.POINT_STAFF,
    PlatformRole.AUTHORITY,
    PlatformRole.OPERATOR,
}
_EXEMPT = ("/accounts/2fa/", "/accounts/logout/", "/static/", "/healthz/", "/i18n/")


def second_factor_required(request) -> bool:
    user = request.user
    if getattr(settings, "ICPFILING_DEMO_PASSWORD_ONLY_LOGIN", False):
        return second_factor_enabled(user=user)  # the demo: only who opted in is asked
    return (
        getattr(request, "role", "") in REQUIRED_ROLES
        or user.is_superuser
        or second_factor_enabled(user=user)
    )


class SecondFactorMiddleware:
    """After AccountGuardMiddleware (which sets ``request.role``) and django-otp's OTPMiddleware."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(_EXEMPT)
            and not user.is_verified()
            and second_factor_required(request)
        ):
            target = (
                "accounts:second_factor_verify"
                if second_factor_enabled(user=user)
                else "accounts:second_factor_setup"
            )
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
