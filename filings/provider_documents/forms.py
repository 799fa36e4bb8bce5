from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from filings.models import DocumentScope


class ProviderDocumentForm(forms.Form):
    name = forms.CharField(label=_("材料名称"), max_length=100, help_text=_("例如：信息安全协议"))
    description = forms.CharField(
        label=_("说明"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("告诉申请人如何填写、签字盖章，例如：下载模板，打印两份，加盖公章后扫描上传。"),
    )
    copies = forms.IntegerField(label=_("份数"), min_value=1, max_value=10, initial=1)
    applies_to = forms.ChoiceField(label=_("适用"), choices=DocumentScope.choices, initial="all")
    template = forms.FileField(label=_("模板文件（PDF，不超过 2 MB）"), required=False)
