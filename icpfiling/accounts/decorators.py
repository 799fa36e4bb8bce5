"""View guards by role on a provider's host."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from icpfiling.accounts.models import Role


def provider_role_required(*roles: str):
    """Logged in on a provider host with one of ``roles``; anyone else gets 403."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.tenant is None or getattr(request, "role", "") not in roles:
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


provider_admin_required = provider_role_required(Role.PROVIDER_ADMIN)
