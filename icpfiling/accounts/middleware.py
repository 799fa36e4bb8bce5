"""Binds the logged-in user to the host and enforces the staff idle timeout (R-A2)."""

from __future__ import annotations

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from icpfiling.accounts.models import Membership, PlatformRole

LAST_SEEN_KEY = "_icp_last_seen"
_TOUCH_EVERY = 60  # seconds; avoids a session write on every request


def user_role(request) -> str:
    """The user's role on this host: a provider Role, a PlatformRole, or ''."""
    user = request.user
    if not user.is_authenticated:
        return ""
    if request.tenant is None:
        return user.platform_role or (PlatformRole.OPERATOR if user.is_superuser else "")
    try:
        m = user.membership  # joined when the session's user was loaded (TenantEmailBackend)
    except Membership.DoesNotExist:
        return ""
    return m.role if m.tenant_id == request.tenant.pk else ""


class AccountGuardMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            expected = request.tenant.pk if request.tenant is not None else None
            if user.provider_id != expected:
                # A session from another host never counts here (fail closed).
                logout(request)
                return redirect(settings.LOGIN_URL)
            request.role = user_role(request)
            if request.role and request.role != "applicant":
                now = int(time.time())
                last = request.session.get(LAST_SEEN_KEY, now)
                if now - last > settings.STAFF_IDLE_TIMEOUT_SECONDS:
                    logout(request)
                    messages.info(request, _("由于长时间未操作，您已自动退出，请重新登录。"))
                    return redirect_to_login(request.get_full_path())
                if now - last >= _TOUCH_EVERY or LAST_SEEN_KEY not in request.session:
                    request.session[LAST_SEEN_KEY] = now
        else:
            request.role = ""
        return self.get_response(request)
