"""Session bookkeeping: auth events are infrastructure, not domain flow."""

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from icpfiling.accounts.models import UserSession


@receiver(user_logged_in)
def remember_session(sender, request, user, **kwargs) -> None:
    key = request.session.session_key
    if key is None:
        request.session.save()
        key = request.session.session_key
    UserSession.objects.get_or_create(session_key=key, defaults={"user": user})


@receiver(user_logged_out)
def forget_session(sender, request, user, **kwargs) -> None:
    if request.session.session_key:
        UserSession.objects.filter(session_key=request.session.session_key).delete()
