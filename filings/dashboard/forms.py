"""The dashboard's filters (R-M3): every value is one of a closed list, so no input can fail later."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from filings.dashboard.selectors import DEFAULT_WEEKS, PERIOD_WEEKS, DashboardFilter
from filings.states import OrderType
from icpfiling.registry.models import Province
from icpfiling.tenancy.models import Provider


class DashboardFilterForm(forms.Form):
    weeks = forms.TypedChoiceField(label=_("统计期间"), coerce=int, required=False, empty_value=DEFAULT_WEEKS)
    province = forms.ChoiceField(label=_("省份"), required=False)
    order_type = forms.ChoiceField(label=_("备案类型"), required=False)

    def __init__(self, data=None, *, with_provider: bool = False) -> None:
        super().__init__(data)
        self.fields["weeks"].choices = [(n, gettext("最近 %(n)d 周") % {"n": n}) for n in PERIOD_WEEKS]
        # Provinces are shared reference data (not tenant-owned): the same list for everyone.
        self.fields["province"].choices = [("", _("全部省份"))] + [
            (code, name) for code, name in Province.objects.order_by("code").values_list("code", "name")
        ]
        self.fields["order_type"].choices = [("", _("全部类型")), *OrderType.choices]
        if with_provider:
            # The operator's view crosses providers by design; providers are platform rows.
            self.fields["provider"] = forms.ChoiceField(
                label=_("接入商"),
                required=False,
                choices=[("", _("全部接入商"))]
                + [(p.slug, p.name) for p in Provider.objects.order_by("name").only("slug", "name")],
            )

    def export_query(self) -> str:
        """The valid filters as a query string, for the export link (an invalid one is left out)."""
        if not self.is_bound:
            return ""
        self.is_valid()
        return urlencode({k: v for k, v in self.cleaned_data.items() if v not in (None, "")})

    def filters(self, *, tenant_id: int | None = None) -> DashboardFilter:
        """The valid fields' values, the default for each invalid one (the page still renders)."""
        data = {"weeks": DEFAULT_WEEKS, "province": "", "order_type": "", "provider": ""}
        if self.is_bound:
            self.is_valid()
            data.update({k: v for k, v in self.cleaned_data.items() if v not in (None, "")})
        if "provider" in self.fields and data["provider"]:
            tenant_id = Provider.objects.filter(slug=data["provider"]).values_list("pk", flat=True).first()
        return DashboardFilter(
            weeks=int(data["weeks"]),
            province=data["province"],
            order_type=data["order_type"],
            tenant_id=tenant_id,
        )
