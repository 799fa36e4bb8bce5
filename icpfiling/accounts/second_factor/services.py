"""Writes of the second factor: enrol a TOTP device, confirm it, issue recovery codes, verify."""

from __future__ import annotations

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import match_token
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from icpfiling.accounts.models import User

RECOVERY_CODES = 10
TOTP_NAME = "totp"
RECOVERY_NAME = "recovery"


def _clean(token: str) -> str:
    return "".join(ch for ch in (token or "") if not ch.isspace())[:16]


@transaction.atomic
def totp_device_start(*, user: User) -> TOTPDevice:
    """A fresh unconfirmed device (a new secret); earlier unconfirmed ones are dropped."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def totp_device_pending(*, user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()


def _enabled_key(user: User) -> str:
    return f"second-factor:enabled:{user.pk}"


def second_factor_enabled(*, user: User) -> bool:
    """Whether ``user`` has a confirmed TOTP device; cached, since the middleware asks on every page."""
    key = _enabled_key(user)
    enabled = cache.get(key)
    if enabled is None:
        enabled = TOTPDevice.objects.filter(user=user, confirmed=True).exists()
        cache.set(key, enabled, 300)
    return enabled


@transaction.atomic
def totp_device_confirm(*, user: User, token: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm the pending device with a code from the app; returns it and new recovery codes.

    The previous device and recovery codes (if any) stop working: re-enrolment replaces them.
    """
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise ValidationError({"token": _("没有待确认的验证器，请重新开始设置。")})
    if not device.verify_token(_clean(token)):
        raise ValidationError({"token": _("验证码不正确或已过期，请输入验证器应用中当前显示的 6 位数字。")})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    # Forget the cached "not enabled" now; the cache key is tenant-prefixed, so this runs here,
    # inside the request's tenant scope, not in an on-commit callback.
    cache.delete(_enabled_key(user))
    return device, recovery_codes_issue(user=user)


@transaction.atomic
def recovery_codes_issue(*, user: User) -> list[str]:
    """Ten new single-use recovery codes; the old ones stop working. Shown once, stored as issued."""
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


@transaction.atomic
def second_factor_check(*, user: User, token: str):
    """The device that accepts ``token`` (TOTP code or a recovery code, which is used up), else error."""
    device = match_token(user, _clean(token))
    if device is None:
        raise ValidationError({"token": _("验证码不正确，请输入验证器应用中的 6 位数字或一个恢复码。")})
    return device
