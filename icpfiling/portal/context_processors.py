from django.conf import settings

from icpfiling.accounts.models import PlatformRole, Role

_LABELS = {**dict(Role.choices), **dict(PlatformRole.choices)}


def portal(request):
    role = getattr(request, "role", "")
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        from icpfiling.notifications.selectors import inbox_unread_count

        unread = inbox_unread_count(user_id=user.pk, tenant=getattr(request, "tenant", None))
    return {
        "inbox_unread": unread,
        "tenant": getattr(request, "tenant", None),
        "is_platform": getattr(request, "is_platform", False),
        "role": role,
        "role_label": _LABELS.get(role, ""),
        "portal_mode": settings.MODE,
    }
