"""The operator's console for province rules (``ProvinceRule``) on ``operator_site``.

The operator lists and filters rules (province, key, scope), edits a row's JSON
value and dates, and records a change of rule as a new dated row ("保存为新的"
on an existing row, or "增加"): the row with the later ``effective_from`` takes
over from that date while the old row keeps answering for earlier dates.
Editing a row that came from the seed file marks it ``operator_edited`` so the
seed loader no longer resets it.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from icpfiling.operator.site import operator_site
from icpfiling.registry.models.rules import ProvinceRule


class PrettyJSONField(forms.JSONField):
    """JSON shown indented and with Chinese left readable."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


@admin.register(ProvinceRule, site=operator_site)
class ProvinceRuleAdmin(admin.ModelAdmin):
    list_display = [
        "province_or_national",
        "key",
        "scope",
        "value_summary",
        "effective_from",
        "effective_to",
        "source",
        "operator_edited",
    ]
    list_display_links = ["province_or_national", "key"]
    list_filter = ["province", "key", "scope", "operator_edited"]
    search_fields = ["source", "as_of", "note"]
    list_select_related = ["province"]
    ordering = ["province_id", "key", "scope", "-effective_from"]
    # "Save as new" on an existing row is the way to record a change from a date.
    save_as = True
    formfield_overrides = {
        models.JSONField: {
            "form_class": PrettyJSONField,
            "widget": forms.Textarea(attrs={"rows": 14, "cols": 90, "style": "font-family: monospace"}),
        },
    }
    readonly_fields = ["operator_edited", "seed_value_pretty"]
    fieldsets = (
        (None, {"fields": ["province", "key", "scope", "value"]}),
        (_("生效期间"), {"fields": ["effective_from", "effective_to"]}),
        (_("来源"), {"fields": ["source", "as_of", "note"]}),
        (_("种子数据"), {"fields": ["operator_edited", "seed_value_pretty"], "classes": ["collapse"]}),
    )

    @admin.display(description=_("省份"), ordering="province_id")
    def province_or_national(self, obj: ProvinceRule) -> str:
        return str(obj.province) if obj.province_id else str(_("全国默认"))

    @admin.display(description=_("值"))
    def value_summary(self, obj: ProvinceRule) -> str:
        text = json.dumps(obj.value, ensure_ascii=False)
        return text if len(text) <= 80 else text[:79] + "…"

    @admin.display(description=_("种子数据原文"))
    def seed_value_pretty(self, obj: ProvinceRule) -> str:
        if obj.seed_value is None:
            return "-"
        return format_html("<pre>{}</pre>", json.dumps(obj.seed_value, ensure_ascii=False, indent=2))

    def save_model(self, request, obj, form, change):
        if change and obj.seed_value is not None and form.has_changed():
            obj.operator_edited = True
        if not change:
            # a new row (also "save as new" from a seeded row) is the operator's own
            obj.seed_value = None
            obj.operator_edited = False
        super().save_model(request, obj, form, change)
