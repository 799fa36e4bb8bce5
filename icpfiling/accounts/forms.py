from __future__ import annotations

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from icpfiling.accounts.models import User
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.tenancy.links import site_url


class EmailLoginForm(AuthenticationForm):
    """Django's standard ``username``/``password`` fields; ``username`` holds the email."""

    username = forms.CharField(
        label=_("电子邮箱"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email", "inputmode": "email"}),
    )
    error_messages = {
        "invalid_login": _("邮箱或密码不正确。请注意：账户只能在注册时所在的接入商网站登录。"),
        "inactive": _("该账户已停用，请联系接入商。"),
    }


class RegistrationForm(forms.Form):
    email = forms.EmailField(label=_("电子邮箱"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    full_name = forms.CharField(label=_("姓名或单位联系人"), max_length=100)
    password1 = forms.CharField(
        label=_("密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("至少 10 个字符，不能全是数字，不能是常见密码。"),
    )
    password2 = forms.CharField(
        label=_("再次输入密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("两次输入的密码不一致，请重新输入。"))
        return data


class TenantPasswordResetForm(PasswordResetForm):
    """Finds users of *this host's* provider only, and mails through the outbox."""

    def __init__(self, *args, tenant=None, **kwargs):
        self.tenant = tenant
        super().__init__(*args, **kwargs)

    def save(self, **kwargs):
        # The page answers the same for every address (finding 3); the email says which case it is,
        # so only the owner of the mailbox learns whether an account exists here.
        email = self.cleaned_data["email"]
        if not any(True for _user in self.get_users(email)):
            ctx = {"provider": self.tenant, "site_url": site_url(self.tenant), "email": email}
            outbox_enqueue(
                channel=Channel.EMAIL,
                recipient=email,
                subject="".join(
                    render_to_string("emails/password_reset_unknown_subject.txt", ctx).splitlines()
                ),
                body=render_to_string("emails/password_reset_unknown_body.txt", ctx),
                tenant_id=self.tenant.pk if self.tenant else None,
            )
            return
        super().save(**kwargs)

    def get_users(self, email):
        users = User.objects.filter(
            email__iexact=email, is_active=True, provider_id=self.tenant.pk if self.tenant else None
        )
        return (u for u in users if u.has_usable_password())

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        # The link's host is the provider's configured one, never the request's Host (finding 6).
        context = {**context, "site_url": site_url(self.tenant)}
        subject = "".join(render_to_string(subject_template_name, context).splitlines())
        body = render_to_string(email_template_name, context)
        outbox_enqueue(
            channel=Channel.EMAIL,
            recipient=to_email,
            subject=subject,
            body=body,
            tenant_id=self.tenant.pk if self.tenant else None,
        )


class PortalSetPasswordForm(SetPasswordForm):
    pass
