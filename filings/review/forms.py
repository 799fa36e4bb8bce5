"""Forms of the reviewer's pages: queue filters, assignment, phone check, field-level returns."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from filings.models import MaterialKind, OrderStatus, OrderType, PhoneCheckOutcome, ReturnedBy
from filings.review.selectors import QUEUE_STATUSES, ReturnReason, return_reasons
from filings.review.services import ReturnItem
from icpfiling.accounts.models import User
from icpfiling.core.text import labelled
from icpfiling.registry.labels import PROVINCE_FULL_NAMES
from icpfiling.registry.models import Province

# Chinese suggestions for the provider-stage reasons of the seed (its ``suggestion_en`` is the
# English catalogue entry). A reason without one here is offered with an empty suggestion.
SUGGESTIONS = {
    "domain_tld_not_approved": gettext_lazy("请使用工信部批准的域名后缀。"),
    "domain_registrar_not_approved": gettext_lazy("请先将域名转入工信部批准的注册商。"),
    "domain_validity_too_short": gettext_lazy("请续费，使域名剩余有效期超过 90 天（上海为 180 天）。"),
    "domain_holder_mismatch": gettext_lazy(
        "域名持有人的名称、证件类型和号码须与主办单位一致；单位须使用单位证件。"
    ),
    "website_name_invalid": gettext_lazy("请修改网站名称：至少 3 个汉字，与网站内容相关，不含禁用词。"),
    "cross_province_filing": gettext_lazy("请在证件住所所在的省份备案。"),
    "residence_proof_missing": gettext_lazy("请上传本省认可的居住证明。"),
    "site_open_before_approval": gettext_lazy("备案通过前请停止域名解析或关闭网站。"),
    "filed_site_unreachable": gettext_lazy("请确保该主体下所有已备案网站都能正常访问。"),
    "filed_site_footer_missing": gettext_lazy("请在网站首页底部展示备案号。"),
    "filed_site_footer_not_linked": gettext_lazy("请将备案号链接到 https://beian.miit.gov.cn。"),
    "site_content_noncompliant": gettext_lazy(
        "网站内容须与主办单位性质相符；涉及前置审批的内容请先取得审批。"
    ),
    "pre_approval_missing": gettext_lazy("请填写有效的前置审批文号并上传审批文件，或修改服务内容。"),
    "curtain_photo_outdated": gettext_lazy("请现在重新拍摄幕布照，着当季服装。"),
    "curtain_photo_nonconforming": gettext_lazy("请居中站立、露出双肩、幕布标识清晰，照片不得修改。"),
    "curtain_slogan_missing": gettext_lazy("甘肃：请让幕布底部的标语完整入镜。"),
    "video_verification_failed": gettext_lazy(
        "请在白色背景、光线充足处拍摄，面部无遮挡，证件清晰，画面中无他人。"
    ),
    "certificate_image_invalid": gettext_lazy(
        "请上传有效原件的清晰彩色扫描件；水印只能写“仅供备案使用”，且不得遮挡文字。"
    ),
    "phone_not_local": gettext_lazy("请使用备案省份的手机号码。"),
    "phone_unreachable": gettext_lazy("请保持电话畅通；再次无法接通将被退回。"),
    "mobile_used_by_other_entity": gettext_lazy("请使用未登记在其他主体名下的手机号码。"),
    "principal_not_legal_rep": gettext_lazy("请填写法定代表人，或按本省要求上传授权书。"),
    "auth_letter_missing": gettext_lazy("请按本省模板上传授权书，签字并盖章。"),
    "domain_certificate_missing": gettext_lazy("请上传规则要求的各个域名的域名证书。"),
    "construction_plan_missing": gettext_lazy("网站或域名数量达到要求时，请为每个网站提供网站建设方案书。"),
    "party_letter_missing": gettext_lazy("新疆：请先到当地网信办办理党建确认函。"),
    "principal_under_age": gettext_lazy("请更换负责人，或按本省要求补充证明材料。"),
}

# The seed's field paths, as this order's field keys ("{i}" = the website, when there is one).
_SEED_FIELDS = {
    "website.name": "websites[{i}].name",
    "website.pre_approvals[]": "websites[{i}].pre_approvals",
    "website.principal.id_number": "websites[{i}].principal_id_number",
    "entity.principal.mobile": "entity.principal_mobile",
    "entity.principal.name": "entity.principal_name",
    "entity.province": "entity.province",
    "material.entity_certificate": f"materials.{MaterialKind.LICENCE}",
    "material.construction_plan": f"materials.{MaterialKind.PROVINCE_EXTRA}",
    "material.party_building_letter": f"materials.{MaterialKind.PROVINCE_EXTRA}",
    "material.video_verification": f"materials.{MaterialKind.CURTAIN_PHOTO}",
}


def reason_label(reason: ReturnReason) -> str:
    from icpfiling.registry.seed_files import province_rules_data

    for item in province_rules_data().get("return_reasons", []):
        if item["code"] == reason.code:
            return item["label_zh"]
    return reason.code


def reason_suggestion(code: str) -> str:
    """The stored suggestion: Chinese, whatever language the reviewer's page is in."""
    text = SUGGESTIONS.get(code)
    if text is None:
        return ""
    with translation.override("zh-hans"):
        return str(text)


def default_field(reason: ReturnReason, *, website_count: int) -> str:
    """The field a common reason usually concerns, when that is unambiguous for this order."""
    path = reason.field
    if path.startswith("website.domains[]"):
        target = "websites[{i}].domain"
    elif path.startswith("live_site."):
        target = "websites[{i}].homepage_url"
    elif path in _SEED_FIELDS:
        target = _SEED_FIELDS[path]
    elif path.startswith("material.") and path.split(".", 1)[1] in MaterialKind.values:
        target = f"materials.{path.split('.', 1)[1]}"
    else:
        return ""
    if "{i}" in target:
        return target.format(i=0) if website_count == 1 else ""
    return target


STATUS_FILTERS = [("", gettext_lazy("待我方处理（初审、复审）"))] + [
    (s, label) for s, label in OrderStatus.choices if s in QUEUE_STATUSES
]
# Seed 001 tells a provider's return (退回主办者修改) from the authority's (管局退回).
_at = next(i for i, (s, _l) in enumerate(STATUS_FILTERS) if s == OrderStatus.RETURNED) + 1
STATUS_FILTERS[_at:_at] = [(f"{OrderStatus.RETURNED}:{v}", label) for v, label in ReturnedBy.choices]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(label=gettext_lazy("状态"), required=False, choices=STATUS_FILTERS)
    order_type = forms.ChoiceField(
        label=gettext_lazy("备案类型"),
        required=False,
        choices=[("", gettext_lazy("全部")), *OrderType.choices],
    )
    province = forms.ChoiceField(label=gettext_lazy("省份"), required=False)
    due = forms.ChoiceField(
        label=gettext_lazy("时限"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("soon", gettext_lazy("1 个工作日内到期")),
            ("overdue", gettext_lazy("已超时")),
        ],
    )
    assigned = forms.ChoiceField(
        label=gettext_lazy("认领"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("me", gettext_lazy("我认领的")),
            ("unassigned", gettext_lazy("未认领")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [("", _("全部")), *province_choices()]


def province_choices() -> list[tuple[str, str]]:
    """(code, name) of every province; reference data, cached so the queue page stays at its query budget."""
    key = "review:province-choices"
    choices = cache.get(key)
    if choices is None:
        choices = [tuple(row) for row in Province.objects.order_by("code").values_list("code", "full_name")]
        if choices:
            cache.set(key, choices, 3600)
    # Labels in the interface language; the cache holds the codes' stored names.
    return [(code, str(PROVINCE_FULL_NAMES.get(code, name))) for code, name in choices]


QUEUE_FILTERS = tuple(QueueFilterForm.base_fields)


@dataclass(frozen=True, slots=True)
class FilterField:
    """One filter <select> of the queue, ready to print (the form's widgets cost a template each)."""

    name: str
    label: str
    options: str  # the <option> elements, escaped, the chosen one selected
    errors: tuple[str, ...] = ()


@lru_cache(maxsize=8)
def _filter_choices(language: str | None, provinces: tuple) -> tuple[tuple[str, str, tuple], ...]:
    """(name, label, ((value, label), …)) of every filter in one language (called with it active)."""
    out = []
    for name, field in QueueFilterForm.base_fields.items():
        choices = [("", _("全部")), *provinces] if name == "province" else field.choices
        out.append((name, str(field.label), tuple((str(v), str(label)) for v, label in choices)))
    return tuple(out)


@lru_cache(maxsize=256)
def _options_html(choices: tuple[tuple[str, str], ...], chosen: str | None) -> str:
    """The <option>s of one filter with ``chosen`` selected (None: none); a few dozen variants, cached."""
    return format_html_join(
        "\n      ",
        '<option value="{}"{}>{}</option>',
        ((value, mark_safe(" selected") if value == chosen else "", label) for value, label in choices),
    )


def _valid(choices: tuple[tuple[str, str], ...], value: str) -> str | None:
    # Anything else selects nothing (as the widget does); None keeps arbitrary input out of the cache.
    return value if any(v == value for v, _label in choices) else None


def queue_filter_fields(data, form: QueueFilterForm | None = None) -> list[FilterField]:
    """The filters as submitted in ``data`` (a QueryDict), with ``form``'s errors when it was validated.

    The same names, ids, choices and selection as the form's widgets would render; an invalid
    value selects nothing, as there.
    """
    errors = form.errors if form is not None else {}
    return [
        FilterField(
            name=name,
            label=label,
            options=_options_html(choices, _valid(choices, data.get(name) or "")),
            errors=tuple(errors.get(name, ())),
        )
        for name, label, choices in _filter_choices(translation.get_language(), tuple(province_choices()))
    ]


class AssignForm(forms.Form):
    # Users are not tenant-owned rows, but only this provider's reviewers may be chosen: set in __init__.
    assignee = forms.ModelChoiceField(
        User.objects.none(), label=gettext_lazy("转交给"), empty_label=gettext_lazy("请选择审核员")
    )

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = User.objects.filter(pk__in=[m.user_id for m in reviewers])
        self.fields["assignee"].label_from_instance = lambda u: u.full_name or u.email


class PhoneCheckForm(forms.Form):
    person = forms.CharField(label=gettext_lazy("接听人"), max_length=50)
    outcome = forms.ChoiceField(
        label=gettext_lazy("结果"), choices=PhoneCheckOutcome.choices, widget=forms.RadioSelect
    )
    notes = forms.CharField(
        label=gettext_lazy("备注"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReturnRowForm(forms.Form):
    """One reason: the field, a common reason and/or own words, and a suggestion (all optional per row)."""

    field = forms.ChoiceField(label=gettext_lazy("字段"), required=False)
    preset = forms.ChoiceField(label=gettext_lazy("常见原因"), required=False)
    reason = forms.CharField(label=gettext_lazy("退回原因（可自行填写）"), required=False, max_length=300)
    suggestion = forms.CharField(label=gettext_lazy("修改建议"), required=False, max_length=300)

    def __init__(self, *args, field_choices, website_count: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.website_count = website_count
        self.reasons = {r.code: r for r in return_reasons("provider")}
        self.fields["field"].choices = [("", _("— 选择字段 —")), *field_choices]
        self.fields["preset"].choices = [
            ("", _("— 常见原因（可选）—")),
            *((r.code, reason_label(r)) for r in self.reasons.values()),
        ]

    def clean(self):
        data = super().clean()
        if not any((data.get(k) or "").strip() for k in ("field", "preset", "reason", "suggestion")):
            return {}
        preset = self.reasons.get(data.get("preset") or "")
        if not data.get("field") and preset is not None:
            data["field"] = default_field(preset, website_count=self.website_count)
        if not data.get("field"):
            self.add_error("field", _("请选择这条原因针对的字段。"))
        if preset is None and not (data.get("reason") or "").strip():
            self.add_error("reason", _("请选择常见原因或填写退回原因。"))
        return data

    def item(self) -> ReturnItem | None:
        data = self.cleaned_data
        if not data:
            return None
        preset = self.reasons.get(data.get("preset") or "")
        own = (data.get("reason") or "").strip()
        label = reason_label(preset) if preset else ""
        reason = labelled(label, own) if label and own else (label or own)
        suggestion = (data.get("suggestion") or "").strip() or (
            reason_suggestion(preset.code) if preset else ""
        )
        return ReturnItem(field=data["field"], reason=reason, suggestion=suggestion)


class _ReturnFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(f.cleaned_data for f in self.forms):
            raise ValidationError(_("请至少填写一条退回原因（字段和原因）。"))

    def items(self) -> list[ReturnItem]:
        return [item for f in self.forms if (item := f.item()) is not None]


ReturnFormSet = forms.formset_factory(
    ReturnRowForm, formset=_ReturnFormSet, extra=4, max_num=50, validate_max=True
)


class BackToVerificationForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("退回核验的原因"), max_length=300)
    check_wrong = forms.BooleanField(label=gettext_lazy("核验记录有误（作废本次核验结果）"), required=False)


class RevealForm(forms.Form):
    field = forms.CharField(max_length=80)
