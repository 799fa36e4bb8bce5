"""Users, provider memberships and roles (R-A1, R-A2)."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from icpfiling.tenancy.managers import TenantOwnedModel


class Role(models.TextChoices):
    APPLICANT = "applicant", _("申请人")  # files and tracks own orders
    REVIEWER = "reviewer", _("审核员")  # provider's first/second review
    PROVIDER_ADMIN = "provider_admin", _("接入商管理员")  # settings, staff, points
    POINT_STAFF = "point_staff", _("核验点工作人员")  # on-site identity checks


class PlatformRole(models.TextChoices):
    NONE = "", _("无")
    AUTHORITY = "authority", _("管局审核员")  # simulated provincial authority
    OPERATOR = "operator", _("平台运营")  # creates and configures tenants


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        # A superuser is a platform operator: no provider, Django admin access.
        extra.update(is_staff=True, is_superuser=True, platform_role=PlatformRole.OPERATOR)
        extra.setdefault("email_confirmed_at", timezone.now())
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A login identity bound to one provider, or to the platform (provider empty).

    Applicants register per provider (R-A1), so the same address may exist once
    per provider; email is unique within a provider, and within the platform.
    The user table is not tenant-scoped because authentication loads users
    before any view runs; the auth backend and ``AccountGuardMiddleware`` bind
    each user to its own host instead.
    """

    email = models.EmailField(_("电子邮箱"), max_length=254)
    full_name = models.CharField(_("姓名"), max_length=100, blank=True)
    provider = models.ForeignKey(
        "tenancy.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    platform_role = models.CharField(
        _("平台角色"), max_length=20, choices=PlatformRole.choices, default=PlatformRole.NONE, blank=True
    )
    authority_provinces = models.ManyToManyField(
        "registry.Province", blank=True, related_name="authority_users", verbose_name=_("负责省份")
    )
    is_active = models.BooleanField(_("启用"), default=True)
    is_staff = models.BooleanField(_("可进入后台"), default=False)
    email_confirmed_at = models.DateTimeField(_("邮箱确认时间"), null=True, blank=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    # Email is unique per provider, not globally; TenantEmailBackend looks users
    # up by (host's provider, email), which is why auth.W004 is silenced.
    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.UniqueConstraint(
                "provider",
                Lower("email"),
                name="user_email_unique_per_provider",
                condition=models.Q(provider__isnull=False),
            ),
            models.UniqueConstraint(
                Lower("email"), name="user_email_unique_platform", condition=models.Q(provider__isnull=True)
            ),
            models.CheckConstraint(
                condition=models.Q(provider__isnull=True) | models.Q(platform_role=""),
                name="user_platform_role_only_without_provider",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    @property
    def is_platform_user(self) -> bool:
        return self.provider_id is None


class Membership(TenantOwnedModel):
    """A user's role at a provider. Applicants may wait for approval (seed 001)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="membership")
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    approved_at = models.DateTimeField(_("审核通过时间"), null=True, blank=True)
    approved_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("审核人")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("成员")
        verbose_name_plural = _("成员")
        indexes = [models.Index(fields=["tenant", "role", "approved_at"], name="membership_role_idx")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.role}"

    @property
    def is_staff_role(self) -> bool:
        return self.role != Role.APPLICANT


class UserSession(models.Model):
    """Which sessions belong to a user, so that disabling a user can end them (R-A2)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sessions")
    session_key = models.CharField(max_length=40, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"session of user {self.user_id}"
