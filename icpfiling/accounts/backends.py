"""Email login bound to the host's provider (R-A1, R-A2)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from icpfiling.accounts.models import User


def host_provider_id(request: HttpRequest | None) -> int | None:
    tenant = getattr(request, "tenant", None)
    return tenant.pk if tenant is not None else None


class TenantEmailBackend(ModelBackend):
    """``username`` is the email; the provider comes from the host, never from the form.

    The same address at alpha and at beta are two different accounts, and a
    beta account cannot log in on alpha's host.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> User | None:
        if request is None or username is None or password is None:
            return None
        user = (
            User.objects.filter(email__iexact=username.strip(), provider_id=host_provider_id(request))
            .select_related("provider")
            .first()
        )
        if user is None:
            # Same cost as a real check, so timing does not reveal which emails exist.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id: Any) -> User | None:
        # Every signed-in request loads its user here; the role check that follows on every
        # request (accounts.middleware.user_role) reads the joined membership instead of
        # asking the database a second time.
        try:
            user = User._default_manager.select_related("membership").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None


def axes_username(request: HttpRequest, credentials: dict[str, Any]) -> str:
    """Lockouts count per account *on this host*: alpha's lockout never blocks beta's user."""
    email = (credentials or {}).get("username") or request.POST.get("username", "")
    tenant = getattr(request, "tenant", None)
    return f"{tenant.slug if tenant else 'platform'}:{email.strip().lower()}"
