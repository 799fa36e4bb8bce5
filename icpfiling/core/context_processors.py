from django.conf import settings

from icpfiling.accounts.models import PlatformRole, Role

_LABELS = {**dict(Role.choices), **dict(PlatformRole.choices)}


def portal(request):
    role = getattr(request, "role", "")
    return {
        "tenant": getattr(request, "tenant", None),
        "is_platform": getattr(request, "is_platform", False),
        "role": role,
        "role_label": _LABELS.get(role, ""),
        "portal_mode": settings.MODE,
    }
