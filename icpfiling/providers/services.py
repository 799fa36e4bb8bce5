"""Writes for a provider's administration: onboarding (R-M4), settings (R-M1), staff (R-M2).

Every change is recorded in ``AdminChange`` (who, when, before -> after) in the same transaction
as the change itself. Invitations and the first admin's welcome are emails through the outbox
carrying a password-set link (Django's password-reset token) on the provider's own hostname.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from icpfiling.accounts.models import Membership, PlatformRole, Role, User
from icpfiling.accounts.services import user_disable
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.providers import selectors
from icpfiling.providers.models import AdminChange
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.links import site_url as configured_site_url
from icpfiling.tenancy.models import UPLOAD_FORMATS, Provider, ProviderHostname, hostname_validator
from icpfiling.tenancy.resolve import forget_host, normalise_host
from icpfiling.tenancy.storage import tenant_file_name
from icpfiling.uploads.images import UploadPolicy, process_upload
from verification_points.models import PointStaff, VerificationPoint

TENANT_URLCONF = "icpfiling.urls.tenant"
# The settings a provider admin edits (R-M1), in the order the page shows them.
SETTING_FIELDS = (
    "name",
    "legal_name",
    "licence_number",
    "brand_colour",
    "require_account_approval",
    "upload_formats",
    "upload_max_bytes",
    "order_expiry_days",
    "websites_per_order_unit",
    "websites_per_order_individual",
    "resubmission_window_days",
    "retention_days",
)
LOGO_POLICY = UploadPolicy(
    max_bytes=1024 * 1024, allowed_formats=frozenset({"jpeg", "png"}), min_side=32, require_colour=False
)


def _unknown_password() -> str:
    # A usable password nobody knows (not an unusable one): the invitee sets their own through the
    # link, and "forgot password" still works for them if the link expires before they use it.
    return secrets.token_urlsafe(32)


def _require_provider_admin(actor: User, tenant: Provider) -> None:
    m = Membership.objects.filter(user=actor, tenant=tenant).first()
    if not (actor.is_active and actor.provider_id == tenant.pk and m and m.role == Role.PROVIDER_ADMIN):
        raise PermissionDenied


def _require_operator(actor: User) -> None:
    if not (
        actor.is_active
        and actor.provider_id is None
        and (actor.is_superuser or actor.platform_role == PlatformRole.OPERATOR)
    ):
        raise PermissionDenied


def _audit(*, tenant: Provider, actor: User | None, area: str, subject: str, before: str, after: str) -> None:
    AdminChange.objects.create(
        tenant=tenant, actor=actor, area=area, subject=subject, before=before, after=after
    )


def _password_set_link(*, user: User, site_url: str) -> str:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse(
        "accounts:password_reset_confirm", urlconf=TENANT_URLCONF, kwargs={"uidb64": uid, "token": token}
    )
    return site_url + path


def _send_invitation(*, user: User, provider: Provider, role_label: str, site_url: str, first: bool) -> None:
    ctx = {
        "user": user,
        "provider": provider,
        "role": role_label,
        "link": _password_set_link(user=user, site_url=site_url),
        "site_url": site_url,
        "first": first,
        "days": settings.PASSWORD_RESET_TIMEOUT // 86400,
    }
    outbox_enqueue(
        channel=Channel.EMAIL,
        recipient=user.email,
        subject=render_to_string("emails/staff_invitation_subject.txt", ctx).strip(),
        body=render_to_string("emails/staff_invitation_body.txt", ctx),
        tenant_id=provider.pk,
        sensitive=True,  # the body carries a password-set link
    )


def clean_hostnames(*, raw: list[str], provider: Provider | None) -> list[str]:
    """Normalise and check hostnames: valid, not the platform's, not another provider's."""
    names: list[str] = []
    for h in raw:
        name = normalise_host(h) if h.strip() else ""
        if name and name not in names:
            names.append(name)
    if not names:
        raise ValidationError({"hostnames": _("请至少填写一个主机名。")})
    errors = []
    platform = {h.lower() for h in settings.PLATFORM_HOSTS}
    for name in names:
        try:
            hostname_validator(name)
        except ValidationError:
            errors.append(
                _("“%(h)s”不是有效的主机名（例如 beian.example.com，不含端口和协议）。") % {"h": name}
            )
            continue
        if name in platform:
            errors.append(_("“%(h)s”是平台自己的主机名，不能分配给接入商。") % {"h": name})
    taken = ProviderHostname.objects.filter(hostname__in=names)
    if provider is not None:
        taken = taken.exclude(provider=provider)
    for name in taken.values_list("hostname", flat=True):
        errors.append(_("主机名“%(h)s”已被其他接入商使用。") % {"h": name})
    if errors:
        raise ValidationError({"hostnames": errors})
    return names


@transaction.atomic
def provider_onboard(
    *,
    actor: User,
    slug: str,
    name: str,
    legal_name: str,
    licence_number: str,
    hostnames: list[str],
    admin_email: str,
    admin_name: str = "",
) -> Provider:
    """R-M4: the operator adds a provider and its first admin, who is emailed a password-set link.

    The new hostnames answer at once: host resolution caches unknown hosts too, so each new
    name is forgotten after commit.
    """
    _require_operator(actor)
    errors: dict[str, list] = {}
    if Provider.objects.filter(slug=slug).exists():
        errors["slug"] = [_("标识“%(s)s”已被使用，请换一个。") % {"s": slug}]
    try:
        names = clean_hostnames(raw=hostnames, provider=None)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        names = []
    if errors:
        raise ValidationError(errors)
    try:
        with transaction.atomic():
            provider = Provider.objects.create(
                slug=slug,
                name=name.strip(),
                legal_name=legal_name.strip(),
                licence_number=licence_number.strip(),
            )
            for h in names:
                ProviderHostname.objects.create(provider=provider, hostname=h)
    except IntegrityError:
        raise ValidationError({"slug": _("标识或主机名刚被占用，请刷新后重试。")}) from None
    email = User.objects.normalize_email(admin_email).strip().lower()
    with tenant_scope(provider):
        admin = User.objects.create_user(
            email,
            _unknown_password(),
            provider=provider,
            full_name=admin_name.strip(),
            email_confirmed_at=timezone.now(),
        )
        Membership.objects.create(
            tenant=provider, user=admin, role=Role.PROVIDER_ADMIN, approved_at=timezone.now()
        )
        _audit(
            tenant=provider,
            actor=actor,
            area="staff",
            subject=email,
            before="",
            after=str(Role.PROVIDER_ADMIN.label),
        )
        _send_invitation(
            user=admin,
            provider=provider,
            role_label=str(Role.PROVIDER_ADMIN.label),
            # Links come from configuration (ICPFILING_LINK_SCHEME/PORT), like every other email.
            site_url=configured_site_url(provider),
            first=True,
        )
    transaction.on_commit(lambda: [forget_host(h) for h in names])
    return provider


def _shown(provider: Provider, field: str) -> str:
    value = getattr(provider, field)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return ", ".join(value)
    return str(value)


@transaction.atomic
def provider_settings_update(
    *,
    actor: User,
    tenant: Provider,
    values: dict,
    hostnames: list[str] | None = None,
    current_host: str = "",
    logo: bytes | None = None,
    logo_filename: str = "",
) -> list[AdminChange]:
    """R-M1: change the provider's settings; every changed value is audited. A bad value raises
    ValidationError naming its field, and nothing at all is changed."""
    _require_provider_admin(actor, tenant)
    provider = Provider.objects.select_for_update().get(pk=tenant.pk)
    errors: dict[str, list] = {}
    changed: list[str] = []
    before = {f: _shown(provider, f) for f in SETTING_FIELDS}
    for f, value in values.items():
        if f not in SETTING_FIELDS:
            raise ValueError(f"{f} is not a provider setting")
        field = Provider._meta.get_field(f)
        if f == "upload_formats":
            value = sorted({v for v in value if v in UPLOAD_FORMATS})
            if not value:
                errors[f] = [_("请至少允许一种上传格式。")]
                continue
        if f == "brand_colour" and isinstance(value, str):
            value = value.strip().lower()
        if f in ("name",) and not str(value).strip():
            errors[f] = [_("请填写显示名称。")]
            continue
        try:
            value = field.clean(value, provider)
        except ValidationError as exc:
            errors[f] = exc.messages
            continue
        if getattr(provider, f) != value:
            setattr(provider, f, value)
            changed.append(f)
    names: list[str] = []
    old_names = list(provider.hostnames.values_list("hostname", flat=True))
    if hostnames is not None:
        try:
            names = clean_hostnames(raw=hostnames, provider=provider)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        else:
            here = normalise_host(current_host) if current_host else ""
            if here and here in old_names and here not in names:
                errors["hostnames"] = [
                    _("不能删除您当前正在使用的主机名 %(h)s；请先从另一个主机名登录再删除它。") % {"h": here}
                ]
    processed = None
    if logo is not None:
        try:
            processed = process_upload(logo, name=logo_filename, policy=LOGO_POLICY)
        except ValidationError as exc:
            errors["logo"] = exc.messages
    if errors:
        raise ValidationError(errors)

    records = []
    if changed:
        provider.save(update_fields=changed)
        for f in changed:
            records.append((str(Provider._meta.get_field(f).verbose_name), before[f], _shown(provider, f)))
    if hostnames is not None and sorted(names) != sorted(old_names):
        ProviderHostname.objects.filter(provider=provider).exclude(hostname__in=names).delete()
        for h in names:
            if h not in old_names:
                ProviderHostname.objects.create(provider=provider, hostname=h)
        records.append((str(_("主机名")), ", ".join(sorted(old_names)), ", ".join(sorted(names))))
        # Both the removed and the added names must resolve afresh (R-T1), right after commit.
        transaction.on_commit(lambda: [forget_host(h) for h in {*old_names, *names}])
    if processed is not None:
        stored = storages["default"].save(
            tenant_file_name(tenant_id=provider.pk, kind="logo", extension=processed.extension),
            ContentFile(processed.data),
        )
        old_logo = provider.logo_name
        provider.logo_name = stored
        provider.save(update_fields=["logo_name"])
        records.append((str(_("标志")), (old_logo and _("旧标志")) or "", processed.original_name))
        if old_logo:
            transaction.on_commit(lambda: storages["default"].delete(old_logo))
    out = []
    for subject, b, a in records:
        out.append(
            AdminChange.objects.create(
                tenant=provider, actor=actor, area="settings", subject=subject, before=b, after=a
            )
        )
    if changed or records:
        # Host resolution caches the provider row itself; forget it so the change shows at once.
        transaction.on_commit(lambda: [forget_host(h) for h in {*old_names, *names}])
    return out


def _role_label(role: str, point: VerificationPoint | None = None) -> str:
    label = str(Role(role).label)
    return f"{label} · {point.name}" if point is not None else label


@transaction.atomic
def staff_invite(
    *,
    actor: User,
    tenant: Provider,
    email: str,
    full_name: str,
    role: str,
    point: VerificationPoint | None,
) -> User:
    """R-M2: a staff account with a role, and an email with a password-set link."""
    _require_provider_admin(actor, tenant)
    if role not in selectors.STAFF_ROLES:
        raise ValidationError({"role": _("请选择员工角色。")})
    if role == Role.POINT_STAFF and point is None:
        raise ValidationError({"point": _("核验点工作人员须选择所在核验点。")})
    if point is not None and point.tenant_id != tenant.pk:
        raise PermissionDenied
    email = User.objects.normalize_email(email).strip().lower()
    if User.objects.filter(provider=tenant, email__iexact=email).exists():
        raise ValidationError({"email": _("该邮箱在本接入商已有账户（可能是申请人），请换一个邮箱。")})
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email,
                _unknown_password(),
                provider=tenant,
                full_name=full_name.strip(),
                email_confirmed_at=timezone.now(),
            )
    except IntegrityError:
        raise ValidationError(
            {"email": _("该邮箱在本接入商已有账户（可能是申请人），请换一个邮箱。")}
        ) from None
    Membership.objects.create(
        tenant=tenant, user=user, role=role, approved_at=timezone.now(), approved_by=actor
    )
    if role == Role.POINT_STAFF:
        PointStaff.objects.create(tenant=tenant, point=point, user=user)
    label = _role_label(role, point if role == Role.POINT_STAFF else None)
    _audit(tenant=tenant, actor=actor, area="staff", subject=email, before="", after=label)
    _send_invitation(
        user=user, provider=tenant, role_label=label, site_url=configured_site_url(tenant), first=False
    )
    return user


def _is_last_admin(*, tenant: Provider, membership: Membership) -> bool:
    return (
        membership.role == Role.PROVIDER_ADMIN
        and membership.user.is_active
        and selectors.active_admin_count(tenant=tenant) <= 1
    )


@transaction.atomic
def staff_role_change(
    *, actor: User, tenant: Provider, membership: Membership, role: str, point: VerificationPoint | None
) -> Membership:
    """R-M2: change a staff member's role (and point). The provider always keeps an active admin."""
    _require_provider_admin(actor, tenant)
    if role not in selectors.STAFF_ROLES:
        raise ValidationError({"role": _("请选择员工角色。")})
    if role == Role.POINT_STAFF and point is None:
        raise ValidationError({"point": _("核验点工作人员须选择所在核验点。")})
    if point is not None and point.tenant_id != tenant.pk:
        raise PermissionDenied
    # Lock the admins so two admins demoting each other at once cannot both succeed.
    list(Membership.objects.select_for_update().filter(tenant=tenant, role=Role.PROVIDER_ADMIN))
    membership.refresh_from_db(fields=["role"])
    if role != Role.PROVIDER_ADMIN and _is_last_admin(tenant=tenant, membership=membership):
        raise ValidationError(
            {
                "role": _("%(e)s 是本接入商唯一的管理员，不能改为其他角色。请先邀请或指定另一位管理员。")
                % {"e": membership.user.email}
            }
        )
    old_point = PointStaff.objects.filter(user=membership.user).select_related("point").first()
    before = _role_label(membership.role, old_point.point if old_point else None)
    new_point = point if role == Role.POINT_STAFF else None
    if role == membership.role and (old_point.point if old_point else None) == new_point:
        return membership
    Membership.objects.filter(pk=membership.pk).update(role=role)
    membership.role = role
    if new_point is None:
        PointStaff.objects.filter(user=membership.user).delete()
    elif old_point:
        PointStaff.objects.filter(pk=old_point.pk).update(point=new_point)
    else:
        PointStaff.objects.create(tenant=tenant, point=new_point, user=membership.user)
    _audit(
        tenant=tenant,
        actor=actor,
        area="staff",
        subject=membership.user.email,
        before=before,
        after=_role_label(role, new_point),
    )
    return membership


@transaction.atomic
def staff_disable(*, actor: User, tenant: Provider, membership: Membership) -> int:
    """R-M2: disable a staff account; every session it has ends at once. Returns sessions ended."""
    _require_provider_admin(actor, tenant)
    list(Membership.objects.select_for_update().filter(tenant=tenant, role=Role.PROVIDER_ADMIN))
    if membership.user_id == actor.pk:
        raise ValidationError(_("不能停用自己的账户。如需离开，请先由另一位管理员停用您的账户。"))
    if _is_last_admin(tenant=tenant, membership=membership):
        raise ValidationError(_("不能停用本接入商唯一的管理员。"))
    if not membership.user.is_active:
        return 0
    ended = user_disable(actor=actor, user=membership.user)
    _audit(
        tenant=tenant,
        actor=actor,
        area="staff",
        subject=membership.user.email,
        before=_("启用"),
        after=_("停用"),
    )
    return ended


@transaction.atomic
def staff_enable(*, actor: User, tenant: Provider, membership: Membership) -> bool:
    """R-M2: re-enable a disabled staff account (it logs in with its old password)."""
    _require_provider_admin(actor, tenant)
    done = User.objects.filter(pk=membership.user_id, provider=tenant, is_active=False).update(is_active=True)
    if done:
        _audit(
            tenant=tenant,
            actor=actor,
            area="staff",
            subject=membership.user.email,
            before=_("停用"),
            after=_("启用"),
        )
    return bool(done)
