"""Forms for the provider's server inventory (R-M5)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from filings.servers.services import IMPORT_MAX_BYTES, MAX_CAPACITY, parse_ips


class ServerForm(forms.Form):
    instance_id = forms.CharField(
        label=_("实例 ID"), max_length=64, help_text=_("云平台上的实例编号，导入时按它匹配。")
    )
    label = forms.CharField(label=_("名称"), max_length=100, required=False)
    public_ips = forms.CharField(
        label=_("公网 IP"), max_length=500, help_text=_("多个 IP 用逗号或空格分隔，第一个为主 IP。")
    )
    region = forms.CharField(label=_("地域 / 机房"), max_length=100, required=False)
    owner_email = forms.EmailField(
        label=_("所属账户（申请人登录邮箱）"), required=False, help_text=_("留空表示暂未分配给申请人。")
    )
    paid_until = forms.DateField(label=_("付费到期日"), widget=forms.DateInput(attrs={"type": "date"}))
    capacity = forms.IntegerField(
        label=_("可备案网站数"), min_value=1, max_value=MAX_CAPACITY, initial=MAX_CAPACITY
    )

    def clean_public_ips(self) -> list[str]:
        return parse_ips(self.cleaned_data["public_ips"])


class ServerAssignForm(forms.Form):
    owner_email = forms.EmailField(label=_("申请人登录邮箱"), required=False, help_text=_("留空则取消分配。"))


class ServerImportForm(forms.Form):
    file = forms.FileField(
        label=_("CSV 文件"), help_text=_("UTF-8 编码，第一行为列名；最多 20000 行、5 MB。")
    )

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > IMPORT_MAX_BYTES:
            raise ValidationError(_("文件超过 5 MB，请分成几个文件导入。"))
        return f


class ServerImportConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)
