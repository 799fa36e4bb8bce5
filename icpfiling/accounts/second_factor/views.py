"""Second-factor pages: set up (QR code, first code, recovery codes) and enter a code at sign-in."""

from __future__ import annotations

import base64

import segno
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django_otp import login as otp_login

from icpfiling.accounts.second_factor import services as svc
from icpfiling.core.throttle import throttle


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/"
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok else "/"


def _attach(form: forms.Form, exc: ValidationError) -> None:
    for field, errors in exc.message_dict.items():
        for message in errors:
            form.add_error(field if field in form.fields else None, message)


@never_cache
@login_required
@throttle("second-factor")
def setup(request: HttpRequest) -> HttpResponse:
    """Enrol (or re-enrol) a TOTP app; a confirmed code signs this session in with the second factor."""
    form = TokenForm(request.POST or None)
    if request.method == "POST" and request.POST.get("action") == "restart":
        svc.totp_device_start(user=request.user)
        return redirect(request.get_full_path())
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = svc.totp_device_confirm(user=request.user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            _attach(form, exc)
        else:
            otp_login(request, device)
            return render(
                request, "accounts/second_factor/recovery.html", {"codes": codes, "next": _next(request)}
            )
    device = svc.totp_device_pending(user=request.user) or svc.totp_device_start(user=request.user)
    key = base64.b32encode(device.bin_key).decode().rstrip("=")
    return render(
        request,
        "accounts/second_factor/setup.html",
        {
            "form": form,
            "qr": segno.make(device.config_url, error="m").svg_data_uri(scale=4),
            "key": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
            "enabled": svc.second_factor_enabled(user=request.user),
            "next": _next(request),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@never_cache
@login_required
@throttle("second-factor")
def verify(request: HttpRequest) -> HttpResponse:
    """Enter a code from the app (or a recovery code) after the password."""
    if not svc.second_factor_enabled(user=request.user):
        return redirect("accounts:second_factor_setup")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = svc.second_factor_check(user=request.user, token=form.cleaned_data["token"])
        except ValidationError as exc:
            _attach(form, exc)
        else:
            otp_login(request, device)
            return redirect(_next(request))
    return render(
        request,
        "accounts/second_factor/verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.is_bound and form.errors else 200,
    )
