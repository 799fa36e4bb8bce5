"""Onboarding a provider from the operator console (R-M4).

A page on ``operator_site`` (so the console's login and operator-only check guard it): the
operator enters the provider's name, legal name, licence number, hostnames and first admin;
``provider_onboard`` creates them and emails the admin a password-set link on the provider's
own hostname. The new hostnames answer at once, with no restart.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from icpfiling.providers import services
from icpfiling.providers.forms import OnboardForm
from icpfiling.providers.views import add_errors


def make_onboard_view(site):
    """The view, bound to the console it is shown in (for the console's header and sidebar)."""

    def provider_onboard(request: HttpRequest) -> HttpResponse:
        form = OnboardForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                provider = services.provider_onboard(
                    actor=request.user,
                    slug=d["slug"],
                    name=d["name"],
                    legal_name=d["legal_name"],
                    licence_number=d["licence_number"],
                    hostnames=d["hostnames"],
                    admin_email=d["admin_email"],
                    admin_name=d["admin_name"],
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("接入商 %(p)s 已创建；设置密码的邮件已发给 %(e)s。")
                    % {"p": provider.name, "e": d["admin_email"]},
                )
                return redirect("operator:tenancy_provider_change", provider.pk)
        context = {
            **site.each_context(request),
            "title": _("添加接入商"),
            "form": form,
        }
        return TemplateResponse(
            request, "operator/provider_onboard.html", context, status=400 if form.errors else 200
        )

    return provider_onboard
