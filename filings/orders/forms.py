"""Forms of the applicant's journey. Every field is optional at the form level:
a draft stores what was typed, and ``filings.orders.validation`` reports what is wrong."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.appchecks import detection_platform_choices
from filings.models import (
    ENTITY_FIELDS,
    PERSON_FIELDS,
    WEBSITE_FIELDS,
    FilingOrder,
    OrderWebsite,
    Server,
)
from icpfiling.core import validators as v
from icpfiling.core.pre_approvals import pre_approvals_in_force
from icpfiling.registry.models import CertificateType, EntityNature, PersonalIdType, Province

LANGUAGE_CHOICES = [
    ("zh-hans", _("中文简体")),
    ("zh-hant", _("中文繁体")),
    ("en", _("英语")),
    ("ug", _("维吾尔语")),
    ("bo", _("藏语")),
    ("mn", _("蒙古语")),
    ("other", _("其他语言")),
]
# Website values stored as NULL when empty (every other empty value is "").
_NULLABLE = frozenset({"server", "domain_real_name_on", "domain_expires_on", "principal_id_valid_until"})
DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NatureFilteredSelect(forms.Select):
    """A certificate-type select whose options carry the natures they apply to.

    ``static/js/certificate-types.js`` hides the others as the nature changes; without
    JavaScript the form offers a button that lists the types for the chosen nature.
    """

    natures_by_type: dict[str, str] = {}

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if value != "":
            option["attrs"]["data-natures"] = self.natures_by_type.get(str(value), "")
        return option


class DetectForm(forms.Form):
    province = forms.ModelChoiceField(
        Province.objects.all(), label=_("主办单位所属省份"), empty_label=_("请选择")
    )
    city = forms.CharField(label=_("市"), max_length=40)
    county = forms.CharField(label=_("区县"), max_length=40)
    nature = forms.ModelChoiceField(
        EntityNature.objects.all(), label=_("主办单位性质"), empty_label=_("请选择")
    )
    certificate_type = forms.ModelChoiceField(
        CertificateType.objects.all(),
        label=_("证件类型"),
        empty_label=_("请选择"),
        widget=NatureFilteredSelect,
        help_text=_("只列出适用于所选主办单位性质的证件类型。"),
    )
    certificate_number = forms.CharField(
        label=_("证件号码"),
        max_length=40,
        help_text=_("单位填写统一社会信用代码；三证合一前已备案的主体可填写原注册号。个人填写身份证号码。"),
    )
    domain = forms.CharField(
        label=_("域名"),
        max_length=253,
        required=False,
        help_text=_("只填写主域名，例如 example.com，不要带 www 或 http://。"),
    )
    # R-AP1: an entity may file only an app; then the first app replaces the domain.
    app_platform = forms.ChoiceField(
        label=_("App 平台（只备案 App 时填写）"),
        choices=[("", _("不备案 App / 先填网站")), *detection_platform_choices()],
        required=False,
    )
    app_package = forms.CharField(
        label=_("App 包名 / Bundle ID 或小程序 AppID（只备案 App 时填写）"),
        max_length=255,
        required=False,
        help_text=_("不填域名时按 App 识别备案类型，例如 com.example.app。"),
    )

    def clean(self):
        data = super().clean()
        if not (data.get("domain") or "").strip() and not (data.get("app_package") or "").strip():
            self.add_error("domain", _("请填写域名；只备案 App 时请选择平台并填写包名。"))
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["certificate_type"]
        natures: dict[str, list[str]] = {}
        for type_code, nature_code in CertificateType.natures.through.objects.values_list(
            "certificatetype_id", "entitynature_id"
        ):
            natures.setdefault(str(type_code), []).append(str(nature_code))
        field.widget.natures_by_type = {k: " ".join(sorted(v)) for k, v in natures.items()}
        nature = self.chosen_nature()
        if nature is not None:
            # Offer only what the chosen nature may use (also without JavaScript). The
            # queryset stays whole so a stale choice gets the message naming the right type.
            valid = {str(pk) for pk in nature.certificate_types.values_list("pk", flat=True)}
            field.widget.choices = [c for c in field.choices if c[0] == "" or str(c[0]) in valid]

    def certificate_type_options(self) -> list[dict]:
        """Every type with its natures, for the script that follows the nature select."""
        natures = self.fields["certificate_type"].widget.natures_by_type
        return [
            {"value": str(value), "label": str(label), "natures": natures.get(str(value), "")}
            for value, label in self.fields["certificate_type"].choices
            if str(value) != ""
        ]

    def chosen_nature(self) -> EntityNature | None:
        raw = self.data.get("nature") if self.is_bound else self.initial.get("nature")
        if raw in (None, ""):
            return None
        try:
            return EntityNature.objects.filter(pk=int(str(raw))).first()
        except ValueError:
            return None


class GroupedForm:
    """Fields in labelled groups for the template; a group may start collapsed."""

    groups: tuple[tuple[object, tuple[str, ...], bool], ...] = ()  # (legend, field names, collapsible)

    def fieldsets(self) -> list[dict]:
        out, used = [], set()
        for legend, names, collapsible in self.groups:
            fields = [self[n] for n in names if n in self.fields]
            used.update(names)
            if fields:
                # A select always has a value (its default), so it does not count as "filled in".
                has_data = any(
                    f.errors
                    or (
                        not isinstance(f.field.widget, forms.Select)
                        and f.value() not in (None, "", [], False)
                    )
                    for f in fields
                )
                out.append({"legend": legend, "fields": fields, "collapsed": collapsible and not has_data})
        rest = [self[n] for n in self.fields if n not in used]
        if rest:
            out.append({"legend": "", "fields": rest, "collapsed": False})
        return out


CERTIFICATE_FIELDS = ("certificate_type", "certificate_number")


class EntityForm(GroupedForm, forms.ModelForm):
    groups = (
        (_("主办单位"), ("entity_name", "registered_address", "communication_address", "investor"), False),
        (_("营业执照"), ("licence_valid_until", "licence_long_term", "business_scope"), False),
        (
            _("主体负责人"),
            (
                "principal_is_legal_rep",
                "principal_name",
                "principal_id_type",
                "principal_id_number",
                "principal_id_valid_until",
                "principal_id_long_term",
            ),
            False,
        ),
        (
            _("联系方式"),
            ("principal_mobile", "principal_landline", "principal_email", "emergency_mobile"),
            False,
        ),
        (_("居住证明（外省个人）"), ("residence_proof",), True),
        (_("三证合一换证（原注册号或组织机构代码换为统一社会信用代码时填写）"), CERTIFICATE_FIELDS, True),
    )

    principal_id_type = forms.ModelChoiceField(
        PersonalIdType.objects.all(),
        to_field_name="code",
        label=_("证件类型"),
        required=False,
        empty_label=_("请选择证件类型"),
    )

    class Meta:
        model = FilingOrder
        fields = list(ENTITY_FIELDS)
        widgets = {
            "principal_id_valid_until": DATE_WIDGET,
            "licence_valid_until": DATE_WIDGET,
            "business_scope": forms.Textarea(attrs={"rows": 3}),
            "remarks": forms.Textarea(attrs={"rows": 3}),
            "principal_mobile": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
            "emergency_mobile": forms.TextInput(attrs={"inputmode": "tel"}),
            "principal_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, individual: bool = False, certificate_change: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.required = False
        if certificate_change and not individual:
            # R-C1: 变更主体 may replace an old number by the credit code (三证合一); the types
            # offered are the nature's, the rule itself is checked at submission.
            self.fields["certificate_type"] = forms.ModelChoiceField(
                CertificateType.objects.filter(natures=self.instance.nature_id),
                label=_("证件类型"),
                required=False,
                empty_label=None,
                initial=self.instance.certificate_type_id,
            )
            self.fields["certificate_number"] = forms.CharField(
                label=_("证件号码"),
                max_length=40,
                required=False,
                initial=self.instance.certificate_number,
                help_text=_("只有三证合一换证时才能修改，且不能与主办单位名称同时变更。"),
            )
        if self.instance.pk and self.instance.principal_id_type:
            self.initial["principal_id_type"] = self.instance.principal_id_type
        if individual:
            # An individual is their own principal; unit-only fields do not apply (R-V4).
            unit_only = ("registered_address", "investor", "principal_is_legal_rep")
            for name in (*unit_only, "licence_valid_until", "licence_long_term", "business_scope"):
                self.fields.pop(name)

    def clean_principal_id_type(self):
        t = self.cleaned_data.get("principal_id_type")
        return t.code if t else "resident_id"


class WebsiteForm(GroupedForm, forms.ModelForm):
    domain_display = forms.CharField(label=_("域名或 IP"), max_length=253, required=False)
    service_content = forms.MultipleChoiceField(
        choices=v.SERVICE_CONTENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        label=_("网站服务内容"),
        required=False,
    )
    languages = forms.MultipleChoiceField(
        choices=LANGUAGE_CHOICES, widget=forms.CheckboxSelectMultiple, label=_("网站语言"), required=False
    )
    principal_id_type = forms.ModelChoiceField(
        PersonalIdType.objects.all(),
        to_field_name="code",
        label=_("证件类型"),
        required=False,
        empty_label=_("请选择证件类型"),
    )
    # Declared here, not generated: a generated field would query Server (tenant-owned)
    # at import time, outside any scope. The real, tenant-filtered queryset is set in __init__.
    server = forms.ModelChoiceField(
        QuerySet(model=Server).none(), label=_("所在服务器"), required=False, empty_label=_("请选择服务器")
    )

    class Meta:
        model = OrderWebsite
        fields = [f for f in WEBSITE_FIELDS if f not in {"pre_approvals", "pre_approval_details", "server"}]
        widgets = {
            "domain_real_name_on": DATE_WIDGET,
            "domain_expires_on": DATE_WIDGET,
            "principal_id_valid_until": DATE_WIDGET,
            "remarks": forms.Textarea(attrs={"rows": 2}),
        }

    groups = (
        (
            _("网站"),
            ("name", "domain_display", "keep_domains", "extra_domains", "homepage_url", "languages"),
            False,
        ),
        (_("服务内容"), ("service_content",), False),
        (
            _("服务器与域名"),
            ("server", "domain_real_name_on", "domain_expires_on", "domain_registrant", "domain_registrar"),
            False,
        ),
        (
            _("网站负责人（与主体负责人不同时填写）"),
            PERSON_FIELDS,
            True,
        ),
    )

    def __init__(
        self,
        *args,
        servers=None,
        locked_domain: bool = False,
        locked_name: bool | None = None,
        individual: bool = False,
        filed_domains: list[str] | None = None,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        for f in self.fields.values():
            f.required = False
        if filed_domains is not None:
            # R-C2: 变更网站 keeps some of the filed domains; it can add none and keeps at least one.
            self.fields["keep_domains"] = forms.MultipleChoiceField(
                choices=[(d, d) for d in filed_domains],
                widget=forms.CheckboxSelectMultiple,
                label=_("保留的域名"),
                required=False,
                initial=self.instance.domains,
                help_text=_("取消勾选即删除该域名；至少保留一个，不能新增。"),
            )
        elif not locked_domain:
            self.fields["extra_domains"] = forms.CharField(
                label=_("其他域名"),
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
                initial="\n".join(self.instance.extra_domains or []) if self.instance.pk else "",
                help_text=_("同一网站的其他域名，每行一个，例如 example.net；不要填写子域名。"),
            )
        self.fields["domain_registrant"].help_text = _(
            "域名注册信息中的持有者，须与主办单位名称（个人为本人姓名）一致。"
        )
        # Only the applicant's own servers at this provider can be chosen; a foreign
        # id posted anyway fails the field's validation (tenant-scoped queryset).
        if servers is not None:
            self.fields["server"].queryset = servers
        if self.instance.pk and self.instance.server_id:
            self.initial["server"] = self.instance.server_id
        # The catalogue in force today (R-W3): number, issuing authority and validity of each.
        self.approvals = pre_approvals_in_force(on=timezone.localdate())
        details = self.instance.pre_approval_details or {}
        for code, approval in self.approvals.items():
            self.fields[f"pre_approval_{code}"] = forms.CharField(
                label=_("前置审批：%(a)s 文号") % {"a": approval.document}, max_length=100, required=False
            )
            self.initial[f"pre_approval_{code}"] = (self.instance.pre_approvals or {}).get(code, "")
            self.fields[f"pre_approval_{code}_authority"] = forms.CharField(
                label=_("%(a)s 发证机关") % {"a": approval.document},
                max_length=100,
                required=False,
                help_text=_("一般为%(who)s") % {"who": approval.authority},
            )
            self.initial[f"pre_approval_{code}_authority"] = (details.get(code) or {}).get("authority", "")
            self.fields[f"pre_approval_{code}_valid_until"] = forms.DateField(
                label=_("%(a)s 有效期至") % {"a": approval.document}, required=False, widget=DATE_WIDGET
            )
            self.initial[f"pre_approval_{code}_valid_until"] = (details.get(code) or {}).get("valid_until")
        if self.instance.pk and self.instance.principal_id_type:
            self.initial["principal_id_type"] = self.instance.principal_id_type
        self.groups = (
            *self.groups[:3],
            (
                _("前置审批（仅当服务内容涉及新闻、出版、药品等时填写）"),
                tuple(
                    f"pre_approval_{c}{suffix}"
                    for c in self.approvals
                    for suffix in ("", "_authority", "_valid_until")
                ),
                True,
            ),
            (_("网站负责人"), ("principal_same_as_entity",), False),
            *self.groups[3:],
        )
        if individual:
            # Seed 001: an individual's website principal is the individual (the entity
            # principal); the service enforces it for any posted data.
            for name in ("principal_same_as_entity", *PERSON_FIELDS):
                self.fields.pop(name, None)
        if locked_domain:
            self.fields["domain_display"].disabled = True
        # The filed website's name is the registry's, except in a 变更网站 (R-C2).
        if locked_domain if locked_name is None else locked_name:
            self.fields["name"].disabled = True

    def clean_principal_id_type(self):
        t = self.cleaned_data.get("principal_id_type")
        return t.code if t else "resident_id"

    def values(self) -> dict:
        data = {k: self.cleaned_data.get(k) for k in [*self.Meta.fields, "server"] if k in self.cleaned_data}
        data["pre_approvals"] = {
            code: self.cleaned_data.get(f"pre_approval_{code}", "").strip()
            for code in self.approvals
            if self.cleaned_data.get(f"pre_approval_{code}", "").strip()
        }
        details = {}
        for code in self.approvals:
            authority = (self.cleaned_data.get(f"pre_approval_{code}_authority") or "").strip()
            valid_until = self.cleaned_data.get(f"pre_approval_{code}_valid_until")
            if authority or valid_until:
                details[code] = {
                    "authority": authority,
                    "valid_until": valid_until.isoformat() if valid_until else "",
                }
        data["pre_approval_details"] = details
        for name in ("keep_domains", "extra_domains"):
            if name in self.fields:
                data[name] = self.cleaned_data.get(name) or ([] if name == "keep_domains" else "")
        return {k: ("" if val is None and k not in _NULLABLE else val) for k, val in data.items()}


def attach_errors(form: forms.Form, errors: dict[str, list[str]], prefix: str) -> int:
    """Show order-validation errors next to this form's fields; returns how many were attached."""
    n = 0
    for key, msgs in errors.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        if name.startswith("pre_approvals."):
            name = "pre_approval_" + name.split(".", 1)[1].replace(".", "_")
        if name == "domain":
            name = "domain_display"
        target = name if name in form.fields else None
        for m in msgs:
            form.add_error(target, m)
            n += 1
    return n
