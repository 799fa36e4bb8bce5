"""Providers (接入商): the tenants of the portal."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

UPLOAD_FORMATS = ("jpeg", "png", "gif")


def default_upload_formats() -> list[str]:
    return ["jpeg", "png"]


class Provider(models.Model):
    """An access provider. Its settings are the knobs of R-M1."""

    slug = models.SlugField(_("标识"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    legal_name = models.CharField(_("单位全称"), max_length=200, blank=True)
    licence_number = models.CharField(_("经营许可证号"), max_length=60, blank=True)
    # Branding (R-M1): the logo went through the image pipeline; the colour is a #rrggbb hex.
    brand_colour = models.CharField(
        _("主题颜色"),
        max_length=7,
        default="#1f5fbf",
        validators=[RegexValidator(r"^#[0-9a-f]{6}$", _("请输入 # 开头的 6 位十六进制颜色，例如 #1f5fbf。"))],
    )
    logo_name = models.CharField(_("标志文件"), max_length=200, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    require_account_approval = models.BooleanField(
        _("申请人需经审核后方可备案"),
        default=False,
        help_text=_("开启后，新注册的申请人需接入商审核通过才能提交备案。"),
    )
    upload_formats = models.JSONField(_("允许的上传格式"), default=default_upload_formats)
    upload_max_bytes = models.PositiveIntegerField(
        _("单个文件大小上限（字节）"),
        default=4 * 1024 * 1024,
        validators=[MinValueValidator(100 * 1024), MaxValueValidator(20 * 1024 * 1024)],
    )
    order_expiry_days = models.PositiveSmallIntegerField(
        _("订单闲置失效天数"), default=45, validators=[MinValueValidator(7), MaxValueValidator(365)]
    )
    websites_per_order_unit = models.PositiveSmallIntegerField(
        _("单位每单网站数上限"), default=10, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    websites_per_order_individual = models.PositiveSmallIntegerField(
        _("个人每单网站数上限"), default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    # Seed 001: a returned order must be resubmitted "5日内"; R-M1 makes the window the provider's.
    resubmission_window_days = models.PositiveSmallIntegerField(
        _("退回后重新提交期限（天）"), default=5, validators=[MinValueValidator(1), MaxValueValidator(60)]
    )
    # R-X2: identity images of orders that ended without a filing are purged after this many days.
    retention_days = models.PositiveSmallIntegerField(
        _("未完成订单身份资料保留天数"),
        default=180,
        validators=[MinValueValidator(30), MaxValueValidator(3650)],
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]
        verbose_name = _("接入商")
        verbose_name_plural = _("接入商")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(upload_max_bytes__gte=100 * 1024), name="provider_upload_max_bytes_min"
            ),
        ]

    def __str__(self) -> str:
        return self.name


hostname_validator = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$",
    _("请输入小写的主机名，不含端口和协议，例如 beian.example.com。"),
)


class ProviderHostname(models.Model):
    """A host name that resolves to one provider (R-T1)."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="hostnames")
    hostname = models.CharField(_("主机名"), max_length=253, validators=[hostname_validator])

    class Meta:
        verbose_name = _("主机名")
        verbose_name_plural = _("主机名")
        constraints = [models.UniqueConstraint(Lower("hostname"), name="provider_hostname_unique_ci")]

    def __str__(self) -> str:
        return self.hostname

    def save(self, *args, **kwargs) -> None:
        self.hostname = self.hostname.strip().lower()
        super().save(*args, **kwargs)
