from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from icpfiling.publicquery.parse import MAX_QUERY_CHARS


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("域名、备案号或名称"),
        max_length=MAX_QUERY_CHARS,
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off", "enterkeyhint": "search"}),
    )
    after = forms.IntegerField(required=False, min_value=1, max_value=2**62)
