"""The registry's history (R-C9): every change or cancellation, before and after, and who made it.

A row names the filed entity and, when the change concerns one, the filed
service: a website (``service``) or an app, mini-program or quick app
(``app``), with ``service_kind`` saying which. The order that made the change is
kept by id with its provider: the registry sits below the filing app and must
not depend on its tables. The public query (R-Q1) reads current records only,
never this table.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from icpfiling.privacy.fields import EncryptedJSONField
from icpfiling.registry.models.records import FiledApp, FiledEntity, FiledWebsite


class ChangeKind(models.TextChoices):
    CHANGE_ENTITY = "change_entity", _("变更主体")
    CHANGE_SERVICE = "change_service", _("变更网站")
    CHANGE_ACCESS = "change_access", _("变更接入")
    CANCEL_ENTITY = "cancel_entity", _("注销主体")
    CANCEL_SERVICE = "cancel_service", _("注销网站")
    ACCESS_ADDED = "access_added", _("新增接入")
    ACCESS_ENDED = "access_ended", _("取消接入")
    ACCESS_TRANSFERRED = "access_transferred", _("变更接入商")
    CHANGE_APP = "change_app", _("变更App")
    CANCEL_APP = "cancel_app", _("注销App")


class ServiceKind(models.TextChoices):
    WEBSITE = "website", _("网站")
    APP = "app", _("APP")
    MINI_PROGRAM = "mini_program", _("小程序")
    QUICK_APP = "quick_app", _("快应用")


class RegistryChange(models.Model):
    entity = models.ForeignKey(FiledEntity, on_delete=models.PROTECT, related_name="history")
    service = models.ForeignKey(
        FiledWebsite, on_delete=models.PROTECT, null=True, blank=True, related_name="history"
    )
    # When the change concerns a filed app or mini-program instead (R-AP1); ``service_kind`` says which.
    app = models.ForeignKey(FiledApp, on_delete=models.PROTECT, null=True, blank=True, related_name="history")
    service_kind = models.CharField(max_length=20, choices=ServiceKind.choices, default=ServiceKind.WEBSITE)
    kind = models.CharField(_("变更类型"), max_length=20, choices=ChangeKind.choices)
    provider = models.ForeignKey(
        "tenancy.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    order_id = models.PositiveIntegerField(null=True, blank=True)  # the provider's order that made it
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor_label = models.CharField(max_length=200, blank=True)  # kept if the account goes
    # R-X1: encrypted whole (a principal's mobile or an individual's ID number changes here too).
    before = EncryptedJSONField(default=dict)
    after = EncryptedJSONField(default=dict)
    reason = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("备案变更记录")
        verbose_name_plural = _("备案变更记录")
        indexes = [models.Index(fields=["entity", "-at"], name="registry_change_entity_idx")]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.kind} {self.at:%Y-%m-%d}"
