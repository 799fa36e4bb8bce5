"""Account views: parse input, call one service, render (thin by design)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from icpfiling.accounts import selectors, services
from icpfiling.accounts.forms import EmailLoginForm, RegistrationForm, TenantPasswordResetForm
from icpfiling.accounts.models import Role, User
from icpfiling.core.throttle import throttle
from icpfiling.tenancy.links import site_url as tenant_site_url


def site_url(request: HttpRequest) -> str:
    # From the provider's configured host name, never the request's Host header (finding 6).
    return tenant_site_url(request.tenant)


class LoginView(auth_views.LoginView):
    form_class = EmailLoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


@method_decorator(throttle("password-reset"), name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = TenantPasswordResetForm
    template_name = "accounts/password_reset_form.html"
    email_template_name = "emails/password_reset_body.txt"
    subject_template_name = "emails/password_reset_subject.txt"

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "tenant": self.request.tenant}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "accounts/password_reset_confirm.html"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        # A reset link only works on the host of the account's own provider.
        expected = self.request.tenant.pk if self.request.tenant else None
        return user if user is not None and user.provider_id == expected else None


@throttle("register")
def register(request: HttpRequest) -> HttpResponse:
    if request.tenant is None:
        raise Http404  # applicants register with a provider, never on the platform host
    if request.user.is_authenticated:
        return redirect("home")
    form = RegistrationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.applicant_register(
                tenant=request.tenant,
                email=form.cleaned_data["email"],
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                site_url=site_url(request),
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errs in exc.error_dict.items():
                    for e in errs:
                        form.add_error(field, e)
            else:
                form.add_error("password1", exc)
        else:
            return render(request, "accounts/register_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "accounts/register.html", {"form": form})


def confirm_email(request: HttpRequest, token: str) -> HttpResponse:
    try:
        user = services.email_confirm(tenant=request.tenant, token=token, site_url=site_url(request))
    except services.ConfirmationError as exc:
        return render(request, "accounts/confirm_email.html", {"error": str(exc)}, status=400)
    return render(request, "accounts/confirm_email.html", {"confirmed_user": user})


@login_required
@require_POST
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    if request.user.email_confirmed_at is None:
        services.email_confirmation_send(user=request.user, site_url=site_url(request))
        messages.success(request, _("确认邮件已重新发送到 %(email)s。") % {"email": request.user.email})
    return redirect("home")


def _require_admin(request: HttpRequest) -> None:
    if request.tenant is None or getattr(request, "role", "") != Role.PROVIDER_ADMIN:
        raise PermissionDenied


@login_required
@require_POST
def applicant_approve(request: HttpRequest, membership_id: int) -> HttpResponse:
    _require_admin(request)
    membership = selectors.access_membership_by_id(
        actor=request.user, tenant=request.tenant, membership_id=membership_id
    )
    if services.applicant_approve(actor=request.user, membership=membership, site_url=site_url(request)):
        messages.success(
            request, _("已通过 %(email)s 的账户审核，并已邮件通知。") % {"email": membership.user.email}
        )
    else:
        messages.info(request, _("%(email)s 已经审核通过，无需重复操作。") % {"email": membership.user.email})
    return redirect("home")


@login_required
@require_POST
def user_disable(request: HttpRequest, user_id: int) -> HttpResponse:
    _require_admin(request)
    target: User = selectors.access_user_by_id(actor=request.user, tenant=request.tenant, user_id=user_id)
    try:
        ended = services.user_disable(actor=request.user, user=target)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.success(
            request, _("已停用 %(email)s，并结束其 %(n)d 个登录会话。") % {"email": target.email, "n": ended}
        )
    return redirect("home")
