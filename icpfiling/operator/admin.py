"""The operator's console: what the operator manages on ``operator_site``.

Provider staff never get Django admin (reliability reference §3: admin crosses
tenants). The operator does cross tenants, deliberately: every admin view runs
inside ``tenant_scopes_disabled()``.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

from filings.models import FilingOrder
from icpfiling.accounts.models import Membership, User
from icpfiling.core.masking import mask_value
from icpfiling.notifications.models import OutboxMessage

# Importing the rules module registers the province-rule console on the same site.
from icpfiling.operator import rules  # noqa: F401
from icpfiling.operator.site import operator_site
from icpfiling.privacy.fields import BlindIndexField, EncryptedCharField, EncryptedJSONField
from icpfiling.registry.models import AccessRecord, FiledEntity, FiledWebsite, Province
from icpfiling.tenancy.models import Provider, ProviderHostname
from icpfiling.tenancy.resolve import forget_host


class HostnameInline(admin.TabularInline):
    model = ProviderHostname
    extra = 1


@admin.register(Provider, site=operator_site)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["slug", "name", "is_active", "require_account_approval", "order_expiry_days"]
    search_fields = ["=slug", "name"]
    inlines = [HostnameInline]
    # The logo is set through the image pipeline on the provider's settings page (R-M1).
    readonly_fields = ["logo_name"]

    def add_view(self, request, form_url="", extra_context=None):
        # A provider is created with its hostnames and first admin in one step (R-M4).
        return redirect("operator:provider_onboard")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        for h in form.instance.hostnames.all():
            forget_host(h.hostname)


class UserCreationForm(forms.ModelForm):
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, min_length=10)

    class Meta:
        model = User
        fields = ["email", "full_name", "provider", "platform_role", "authority_provinces", "is_staff"]

    def save(self, commit=True):
        user = super().save(commit=False)
        user.email = user.email.lower()
        user.set_password(self.cleaned_data["password"])
        if commit:
            user.save()
            self.save_m2m()
        return user


@admin.register(User, site=operator_site)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "provider", "platform_role", "is_active", "email_confirmed_at"]
    list_filter = ["provider", "platform_role", "is_active"]
    search_fields = ["email", "full_name"]
    show_full_result_count = False
    add_form = UserCreationForm
    add_fieldsets = ((None, {"fields": [*UserCreationForm.Meta.fields, "password"]}),)
    fieldsets = (
        (None, {"fields": ["email", "full_name", "provider", "password"]}),
        (_("平台角色"), {"fields": ["platform_role", "authority_provinces", "is_staff", "is_superuser"]}),
        (_("状态"), {"fields": ["is_active", "email_confirmed_at", "last_login", "date_joined"]}),
    )
    filter_horizontal = ["authority_provinces"]
    readonly_fields = ["last_login", "date_joined"]


class MembershipAddForm(forms.ModelForm):
    """The tenant is chosen once, on add: the model field is not editable (a membership never moves)."""

    tenant = forms.ModelChoiceField(Provider.objects.all(), label=_("接入商"))

    class Meta:
        model = Membership
        fields = ["user", "role", "approved_at"]


@admin.register(Membership, site=operator_site)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "tenant", "role", "approved_at"]
    list_filter = ["tenant", "role"]
    raw_id_fields = ["user"]
    fields = ["tenant", "user", "role", "approved_at"]

    def get_readonly_fields(self, request, obj=None):
        return ["tenant"] if obj else []

    def get_form(self, request, obj=None, **kwargs):
        # ``tenant`` is not editable on the model, so it must never reach modelform_factory's
        # field list (that raised FieldError on the add page, finding 2); on add it is the
        # form's own declared field, on change a read-only one.
        kwargs["fields"] = list(MembershipAddForm.Meta.fields)
        if obj is None:
            kwargs["form"] = MembershipAddForm
        return super().get_form(request, obj, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.tenant = form.cleaned_data["tenant"]
        super().save_model(request, obj, form, change)


def masked_fields(model) -> tuple[list[str], list]:
    """(exclude, readonly_fields) for a read-only page of ``model``: every field shown, but each
    encrypted number masked (a mobile 3+4, any other 4+4) and blind indexes left out."""
    exclude, readonly = [], []
    for f in model._meta.fields:
        if isinstance(f, BlindIndexField | EncryptedJSONField):
            exclude.append(f.name)
        elif isinstance(f, EncryptedCharField):
            exclude.append(f.name)
            readonly.append(_masked(f))
        else:
            readonly.append(f.name)
    return exclude, readonly


def _masked(field, label=None):
    # By length, as the reviewer's pages mask (an 11-digit mobile 3+4, an ID number 4+4).
    def show(obj) -> str:
        return mask_value(getattr(obj, field.attname))

    show.short_description = label or field.verbose_name
    return show


@admin.register(Province, site=operator_site)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "short_name", "icp_prefix", "admin_code"]


@admin.register(FiledEntity, site=operator_site)
class FiledEntityAdmin(admin.ModelAdmin):
    # An individual's certificate is a resident ID and every entity has a principal's mobile:
    # the console shows them masked like every staff page (R-D4), never as editable text.
    _certificate = _masked(FiledEntity._meta.get_field("certificate_number"), _("证件号码"))
    list_display = ["entity_number", "name", "province", _certificate, "status"]
    # R-X1: the certificate number is found through its blind index (the column is encrypted).
    search_fields = ["=entity_number", "=certificate_number_bidx"]
    show_full_result_count = False
    list_select_related = ["province"]
    exclude = ["certificate_number", "certificate_number_bidx", "principal_mobile", "principal_mobile_bidx"]
    readonly_fields = [
        _certificate,
        _masked(FiledEntity._meta.get_field("principal_mobile"), _("负责人手机号码")),
    ]


@admin.register(FiledWebsite, site=operator_site)
class FiledWebsiteAdmin(admin.ModelAdmin):
    list_display = ["website_number", "domain", "name", "status"]
    search_fields = ["=website_number", "=domain"]
    show_full_result_count = False


@admin.register(AccessRecord, site=operator_site)
class AccessRecordAdmin(admin.ModelAdmin):
    list_display = ["website", "provider", "since", "ended_at"]
    list_select_related = ["website", "provider"]
    show_full_result_count = False


@admin.register(OutboxMessage, site=operator_site)
class OutboxAdmin(admin.ModelAdmin):
    list_display = ["created_at", "channel", "masked_recipient", "subject", "status", "attempts"]
    list_filter = ["status", "channel"]
    show_full_result_count = False
    # An SMS recipient is a mobile: masked here as on every staff page (R-D4).
    exclude = ["recipient"]
    readonly_fields = [
        "masked_recipient",
        *(f.name for f in OutboxMessage._meta.fields if f.name != "recipient"),
    ]

    @admin.display(description=_("收件人"))
    def masked_recipient(self, obj) -> str:
        return obj.recipient_shown

    def has_add_permission(self, request):
        return False


@admin.register(FilingOrder, site=operator_site)
class FilingOrderAdmin(admin.ModelAdmin):
    """Read-only support view of every tenant's orders for the operator.

    Deliberately the stock changelist (default paginator, full result count): the
    review-queue benchmark compares the reviewer's keyset queue against it.
    """

    list_display = ["id", "tenant", "order_type", "status", "province", "entity_name", "review_due_at"]
    list_filter = ["status", "order_type"]
    list_select_related = ["tenant", "province"]
    search_fields = ["=id", "entity_name"]
    # Identity numbers and mobiles masked as on every staff page (R-D4); the operator reveals
    # nothing here (reviewers reveal, audited, on the order page).
    exclude, readonly_fields = masked_fields(FilingOrder)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
