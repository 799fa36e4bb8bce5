"""The audit trail of a provider's administration (R-M1, R-M2): who changed what, when."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from icpfiling.tenancy.managers import TenantOwnedModel


class AdminChange(TenantOwnedModel):
    """One changed value: a setting (``subject`` = the field) or a staff account (its email).

    Rows are only ever added; ``before`` and ``after`` hold the values as shown to people.
    """

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    changed_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    area = models.CharField(_("类别"), max_length=20)  # "settings" or "staff"
    subject = models.CharField(_("项目"), max_length=254)
    before = models.TextField(_("修改前"), blank=True)
    after = models.TextField(_("修改后"), blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-changed_at", "-pk"]
        verbose_name = _("管理变更记录")
        verbose_name_plural = _("管理变更记录")

    def __str__(self) -> str:
        return f"{self.subject}: {self.before} -> {self.after}"
