"""The notification outbox (R-B2).

A message row is written in the same transaction as the change it reports, so
a rolled-back change never notifies and a committed one always does. Delivery
happens after commit (a Celery task) and again from a periodic sweep for rows
whose dispatch was lost; a conditional claim makes each row send once.

Rows carry their tenant (R-T5) but are not tenant-scoped: the delivery worker
addresses rows by id, and platform mail (authority, operator) has no tenant.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from icpfiling.privacy.fields import SensitiveRecipientField


class Channel(models.TextChoices):
    EMAIL = "email", _("邮件")
    SMS = "sms", _("短信")
    INBOX = "inbox", _("站内信")  # recipient is the user's id


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("待发送")  # waiting for its first or next attempt
    SENDING = "sending", _("发送中")  # claimed by one worker
    SENT = "sent", _("已发送")  # delivered to the gateway
    DEAD = "dead", _("放弃")  # gave up after OUTBOX_MAX_ATTEMPTS


class OutboxMessage(models.Model):
    tenant = models.ForeignKey(
        "tenancy.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    channel = models.CharField(max_length=10, choices=Channel.choices)
    # R-X1: an SMS recipient is a mobile, encrypted at rest (emails and user ids stay readable).
    recipient = SensitiveRecipientField(max_length=254)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)  # inbox: where the message links to
    # The body holds a secret (an SMS verification code): blanked once delivered or dead.
    sensitive = models.BooleanField(default=False)
    # A caller-chosen key makes re-sending the same event a no-op (never duplicated).
    dedupe_key = models.CharField(max_length=200, null=True, blank=True, unique=True)
    status = models.CharField(max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("待发通知")
        verbose_name_plural = _("待发通知")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient_shown}: {self.subject}"

    @property
    def recipient_shown(self) -> str:
        """The recipient as staff pages and log lines show it: an SMS recipient is a mobile, so
        masked (R-D4, R-X5); an email address or a user id as it is."""
        from icpfiling.core.masking import mask_mobile

        return mask_mobile(self.recipient) if self.channel == Channel.SMS else self.recipient


class InboxMessage(models.Model):
    """An in-app notification (R-B2). Written only by delivering its outbox row, once."""

    tenant = models.ForeignKey(
        "tenancy.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="inbox")
    # One inbox row per outbox row: a re-delivered outbox row cannot show twice.
    source = models.OneToOneField(OutboxMessage, on_delete=models.SET_NULL, null=True, related_name="+")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("站内信")
        verbose_name_plural = _("站内信")
        indexes = [models.Index(fields=["user", "read_at"], name="inbox_unread_idx")]

    def __str__(self) -> str:
        return self.subject
