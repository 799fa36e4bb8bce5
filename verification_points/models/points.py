"""Verification points (核验点): operating points, their staff, slots, bookings and checks.

An operating point belongs to one provider (tenant). Its staff see only the
bookings made at their point (R-T4). Points are created by the application
programme (issue 6, ``application_models``) or by a provider admin; the
lifecycle's verification step books slots here and records each check.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from icpfiling.privacy.fields import EncryptedCharField
from icpfiling.tenancy.managers import TenantOwnedModel


class PointStatus(models.TextChoices):
    OPERATING = "operating", _("运营中")
    SUSPENDED = "suspended", _("已暂停")  # no new bookings; existing ones may be moved
    TERMINATED = "terminated", _("已终止")


def default_opening_hours() -> dict:
    # Monday..Friday 09:00-12:00 and 13:30-17:30; weekday keys 0..6 as strings (JSON).
    return {str(d): [["09:00", "12:00"], ["13:30", "17:30"]] for d in range(5)}


class VerificationPoint(TenantOwnedModel):
    name = models.CharField(_("核验点名称"), max_length=100)
    province = models.ForeignKey(
        "registry.Province", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    address = models.CharField(_("地址"), max_length=300)
    # R-X1: may be a mobile, so encrypted at rest like every other.
    phone = EncryptedCharField(_("联系电话"), max_length=30, blank=True)
    # Weekday ("0" = Monday) -> list of [open, close] "HH:MM" ranges, local time.
    opening_hours = models.JSONField(_("营业时间"), default=default_opening_hours)
    slot_minutes = models.PositiveSmallIntegerField(_("每个时段分钟数"), default=30)
    slot_capacity = models.PositiveSmallIntegerField(_("每个时段可预约人数"), default=2)
    status = models.CharField(
        _("状态"), max_length=12, choices=PointStatus.choices, default=PointStatus.OPERATING
    )
    status_reason = models.CharField(_("状态说明"), max_length=300, blank=True)
    # Unit prices per check by monthly tier, from the point's agreement (R-K4):
    # below 50 checks, 50-100, above 100.
    price_low = models.DecimalField(
        _("单价（<50 次）"), max_digits=8, decimal_places=2, default=Decimal("20.00")
    )
    price_mid = models.DecimalField(
        _("单价（50–100 次）"), max_digits=8, decimal_places=2, default=Decimal("25.00")
    )
    price_high = models.DecimalField(
        _("单价（>100 次）"), max_digits=8, decimal_places=2, default=Decimal("30.00")
    )
    activated_at = models.DateTimeField(_("开通时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("核验点")
        verbose_name_plural = _("核验点")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class PointStaff(TenantOwnedModel):
    """A point-staff account (Membership role point_staff) works at exactly one point."""

    point = models.ForeignKey(VerificationPoint, on_delete=models.CASCADE, related_name="staff")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="point_staff"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("核验点工作人员")
        verbose_name_plural = _("核验点工作人员")

    def __str__(self) -> str:
        return f"{self.user_id}@{self.point_id}"


class AppointmentSlot(TenantOwnedModel):
    """A bookable time at a point. ``booked`` only grows by a conditional update."""

    point = models.ForeignKey(VerificationPoint, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    capacity = models.PositiveSmallIntegerField(_("容量"))
    booked = models.PositiveSmallIntegerField(_("已预约"), default=0)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["starts_at", "pk"]
        verbose_name = _("预约时段")
        verbose_name_plural = _("预约时段")
        constraints = [
            models.UniqueConstraint("point", "starts_at", name="slot_unique_per_point_start"),
            models.CheckConstraint(
                condition=models.Q(booked__lte=models.F("capacity")), name="slot_not_overbooked"
            ),
        ]
        indexes = [models.Index(fields=["point", "starts_at"], name="slot_point_start_idx")]

    def __str__(self) -> str:
        return f"{self.point_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def free(self) -> int:
        return max(0, self.capacity - self.booked)


class VerificationMode(models.TextChoices):
    IN_PERSON = "in_person", _("核验点现场核验")
    REMOTE = "remote", _("远程核验（手机拍照）")


class BookingStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    CANCELLED = "cancelled", _("已取消")
    DONE = "done", _("已核验")


class Booking(TenantOwnedModel):
    """The applicant's choice for an order's verification: a slot at a point, or remote."""

    order = models.ForeignKey("filings.FilingOrder", on_delete=models.CASCADE, related_name="bookings")
    mode = models.CharField(_("核验方式"), max_length=10, choices=VerificationMode.choices)
    point = models.ForeignKey(
        VerificationPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    slot = models.ForeignKey(
        AppointmentSlot, on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    status = models.CharField(
        _("状态"), max_length=10, choices=BookingStatus.choices, default=BookingStatus.BOOKED
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-created_at", "-pk"]
        verbose_name = _("核验预约")
        verbose_name_plural = _("核验预约")
        constraints = [
            # One live booking per order at a time.
            models.UniqueConstraint(
                "order", name="booking_one_live_per_order", condition=models.Q(status="booked")
            ),
            models.CheckConstraint(
                condition=models.Q(mode="remote", point__isnull=True, slot__isnull=True)
                | models.Q(mode="in_person", point__isnull=False, slot__isnull=False),
                name="booking_mode_matches_place",
            ),
        ]
        indexes = [models.Index(fields=["point", "status"], name="booking_point_status_idx")]

    def __str__(self) -> str:
        return f"order {self.order_id} {self.mode}"


class CheckResult(models.TextChoices):
    PASSED = "passed", _("核验通过")
    FAILED = "failed", _("核验不通过")


class VerificationCheck(TenantOwnedModel):
    """One identity check of an order, on site or remote (R-S4). Counted for settlement (R-K4)."""

    order = models.ForeignKey("filings.FilingOrder", on_delete=models.CASCADE, related_name="checks")
    booking = models.ForeignKey(
        Booking, on_delete=models.PROTECT, null=True, blank=True, related_name="checks"
    )
    point = models.ForeignKey(
        VerificationPoint, on_delete=models.PROTECT, null=True, blank=True, related_name="checks"
    )
    mode = models.CharField(_("核验方式"), max_length=10, choices=VerificationMode.choices)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Codes of the originals the staff saw (licence, principal ID, ...); see filings.verification.services.
    originals_seen = models.JSONField(_("已核对原件"), default=list)
    curtain_photo = models.ForeignKey(
        "filings.MaterialFile", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(_("核验结果"), max_length=10, choices=CheckResult.choices)
    reason = models.CharField(_("原因"), max_length=500, blank=True)
    recorded_at = models.DateTimeField(_("核验时间"), auto_now_add=True)
    # Set when the reviewer or the authority later finds the check was wrong
    # (the assessment's "share of checks later found wrong", R-K4).
    found_wrong_at = models.DateTimeField(null=True, blank=True)
    found_wrong_reason = models.CharField(max_length=300, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("核验记录")
        verbose_name_plural = _("核验记录")
        indexes = [models.Index(fields=["point", "recorded_at"], name="check_point_time_idx")]

    def __str__(self) -> str:
        return f"order {self.order_id} {self.result}"


class StatementStatus(models.TextChoices):
    UNPAID = "unpaid", _("未支付")
    PAID = "paid", _("已支付")


class MonthlyStatement(TenantOwnedModel):
    """A point's settlement for one month (R-K4): counted and priced on the 1st, due by the 15th."""

    point = models.ForeignKey(VerificationPoint, on_delete=models.PROTECT, related_name="statements")
    month = models.DateField(_("结算月份"))  # first day of the month settled
    checks = models.PositiveIntegerField(_("核验次数"))
    tier = models.CharField(_("档位"), max_length=10)  # low / mid / high
    unit_price = models.DecimalField(_("单价"), max_digits=8, decimal_places=2)
    amount = models.DecimalField(_("金额"), max_digits=12, decimal_places=2)
    due_on = models.DateField(_("付款截止日"))
    status = models.CharField(
        _("状态"), max_length=10, choices=StatementStatus.choices, default=StatementStatus.UNPAID
    )
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-month", "point_id"]
        verbose_name = _("月度结算单")
        verbose_name_plural = _("月度结算单")
        constraints = [models.UniqueConstraint("point", "month", name="statement_one_per_point_month")]

    def __str__(self) -> str:
        return f"{self.point_id} {self.month:%Y-%m}"
