"""Account writes: registration, email confirmation, approval, disabling (R-A1, R-A2)."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.tenancy.models import Provider

CONFIRM_SALT = "icpfiling.accounts.email-confirm"


def _email(*, user: User, template: str, context: dict, dedupe_key: str | None = None) -> None:
    ctx = {"user": user, "provider": user.provider, **context}
    subject = render_to_string(f"emails/{template}_subject.txt", ctx).strip()
    body = render_to_string(f"emails/{template}_body.txt", ctx)
    outbox_enqueue(
        channel=Channel.EMAIL,
        recipient=user.email,
        subject=subject,
        body=body,
        tenant_id=user.provider_id,
        dedupe_key=dedupe_key,
    )


def email_confirmation_token(user: User) -> str:
    # Binding the address means a token stops working if the email changes.
    return signing.dumps({"u": user.pk, "e": user.email}, salt=CONFIRM_SALT)


def _account_exists_send(*, user: User, site_url: str) -> None:
    links = {
        "login": site_url + reverse("accounts:login"),
        "reset": site_url + reverse("accounts:password_reset"),
    }
    _email(user=user, template="account_exists", context={"links": links})


def email_confirmation_send(*, user: User, site_url: str) -> None:
    link = site_url + reverse("accounts:confirm_email", args=[email_confirmation_token(user)])
    _email(user=user, template="confirm_email", context={"link": link})


@transaction.atomic
def applicant_register(
    *, tenant: Provider, email: str, full_name: str, password: str, site_url: str
) -> User | None:
    """Create an applicant at ``tenant`` and send the confirmation email.

    Raises ValidationError naming the field when the password is weak. When the address is
    already registered here nothing is created, the owner gets an "you already have an
    account" email, and ``None`` comes back: the caller answers exactly as for a new account.
    Needs the tenant's scope (the membership is tenant-owned).
    """
    email = User.objects.normalize_email(email).strip().lower()
    # The password is judged first and the same way for every address, so the answer never
    # depends on whether the address is registered (finding 3).
    candidate = User(email=email, full_name=full_name, provider=tenant)
    validate_password(password, user=candidate)
    existing = User.objects.filter(provider=tenant, email__iexact=email).first()
    if existing is not None:
        _account_exists_send(user=existing, site_url=site_url)
        return None
    try:
        with transaction.atomic():
            user = User.objects.create_user(email, password, full_name=full_name, provider=tenant)
    except IntegrityError:
        # Two registrations raced; the unique constraint decided. The winner got its confirmation.
        return None
    Membership.objects.create(
        tenant=tenant,
        user=user,
        role=Role.APPLICANT,
        approved_at=None if tenant.require_account_approval else timezone.now(),
    )
    email_confirmation_send(user=user, site_url=site_url)
    return user


class ConfirmationError(Exception):
    pass


@transaction.atomic
def email_confirm(*, tenant: Provider | None, token: str, site_url: str) -> User:
    """Mark the address confirmed. Tokens are bound to the user, the address and the host's tenant."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=settings.EMAIL_CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ConfirmationError(_("确认链接已过期，请登录后重新发送确认邮件。")) from None
    except signing.BadSignature:
        raise ConfirmationError(_("确认链接无效，请检查邮件中的链接是否完整。")) from None
    user = User.objects.filter(
        pk=data.get("u"), email=data.get("e"), provider_id=tenant.pk if tenant else None
    ).first()
    if user is None:
        raise ConfirmationError(_("确认链接无效，请检查邮件中的链接是否完整。"))
    first_time = user.email_confirmed_at is None
    if first_time:
        User.objects.filter(pk=user.pk, email_confirmed_at__isnull=True).update(
            email_confirmed_at=timezone.now()
        )
        user.refresh_from_db(fields=["email_confirmed_at"])
        membership = Membership.objects.filter(user=user).first()
        if membership and membership.approved_at is None:
            _notify_admins_of_pending_applicant(user=user, site_url=site_url)
    return user


def _notify_admins_of_pending_applicant(*, user: User, site_url: str) -> None:
    admins = User.objects.filter(
        provider_id=user.provider_id, membership__role=Role.PROVIDER_ADMIN, is_active=True
    ).order_by("pk")
    link = site_url + reverse("home")
    for admin in admins:
        _email(
            user=admin,
            template="applicant_pending",
            context={"applicant": user, "link": link},
            dedupe_key=f"applicant-pending:{user.pk}:{admin.pk}",
        )


def _require_provider_admin(actor: User, tenant: Provider) -> None:
    m = Membership.objects.filter(user=actor, tenant=tenant).first()
    if not (actor.is_active and m and m.role == Role.PROVIDER_ADMIN):
        raise PermissionDenied


@transaction.atomic
def applicant_approve(*, actor: User, membership: Membership, site_url: str) -> bool:
    """Approve a waiting applicant (seed 001). False when someone already did it."""
    _require_provider_admin(actor, membership.tenant)
    done = Membership.objects.filter(pk=membership.pk, role=Role.APPLICANT, approved_at__isnull=True).update(
        approved_at=timezone.now(), approved_by=actor
    )
    if done:
        _email(
            user=membership.user,
            template="applicant_approved",
            context={"link": site_url + reverse("home")},
            dedupe_key=f"applicant-approved:{membership.user_id}",
        )
    return bool(done)


@transaction.atomic
def user_disable(*, actor: User, user: User) -> int:
    """Disable an account and end every session it has (R-A2). Returns sessions ended."""
    if user.provider_id is not None:
        _require_provider_admin(actor, user.provider)
    elif not (actor.is_superuser or actor.platform_role == "operator"):
        raise PermissionDenied
    if user.pk == actor.pk:
        raise ValidationError(_("不能停用自己的账户。"))
    User.objects.filter(pk=user.pk).update(is_active=False)
    keys = list(user.sessions.values_list("session_key", flat=True))
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store(session_key=key).delete()  # the cached copy too, where sessions are cached
    Session.objects.filter(session_key__in=keys).delete()
    user.sessions.all().delete()
    return len(keys)
