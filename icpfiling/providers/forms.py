"""Forms for onboarding (R-M4), settings (R-M1) and staff (R-M2)."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from icpfiling.accounts.models import Role
from icpfiling.tenancy.models import UPLOAD_FORMATS

STAFF_ROLE_CHOICES = [(r.value, r.label) for r in (Role.PROVIDER_ADMIN, Role.REVIEWER, Role.POINT_STAFF)]
FORMAT_LABELS = {"jpeg": "JPG", "png": "PNG", "gif": "GIF"}


def split_hostnames(text: str) -> list[str]:
    return [h for h in text.replace(",", "\n").replace("，", "\n").split() if h]


class OnboardForm(forms.Form):
    slug = forms.SlugField(
        label=_("标识"),
        max_length=40,
        help_text=_("小写字母、数字和连字符，例如 gamma；用于内部识别，创建后不再修改。"),
        validators=[RegexValidator(r"^[a-z0-9-]+$", _("只能使用小写字母、数字和连字符。"))],
    )
    name = forms.CharField(label=_("显示名称"), max_length=100)
    legal_name = forms.CharField(label=_("单位全称"), max_length=200)
    licence_number = forms.CharField(
        label=_("经营许可证号"),
        max_length=60,
        help_text=_("接入商的增值电信业务经营许可证号，显示在页脚和核验单上。"),
    )
    hostnames = forms.CharField(
        label=_("主机名"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个，例如 beian.example.com；不含端口和协议。"),
    )
    admin_email = forms.EmailField(label=_("首位管理员邮箱"), help_text=_("将收到设置密码的邮件。"))
    admin_name = forms.CharField(label=_("管理员姓名"), max_length=100, required=False)

    def clean_hostnames(self) -> list[str]:
        return split_hostnames(self.cleaned_data["hostnames"])


class SettingsForm(forms.Form):
    name = forms.CharField(label=_("显示名称"), max_length=100)
    legal_name = forms.CharField(label=_("单位全称"), max_length=200, required=False)
    licence_number = forms.CharField(
        label=_("经营许可证号"), max_length=60, required=False, help_text=_("显示在页脚和核验单上。")
    )
    brand_colour = forms.CharField(
        label=_("主题颜色"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text=_("按钮和链接的颜色，例如 #1f5fbf。"),
    )
    logo = forms.FileField(
        label=_("标志"),
        required=False,
        help_text=_("PNG 或 JPG，最大 1 MB，每边至少 32 像素；不上传则保留原标志。"),
    )
    hostnames = forms.CharField(
        label=_("主机名"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("每行一个，例如 beian.example.com。"),
    )
    require_account_approval = forms.BooleanField(label=_("新注册的申请人需审核后方可备案"), required=False)
    upload_formats = forms.MultipleChoiceField(
        label=_("允许的上传格式"),
        choices=[(f, FORMAT_LABELS[f]) for f in UPLOAD_FORMATS],
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("请至少允许一种上传格式。")},
    )
    upload_max_mb = forms.DecimalField(
        label=_("单个文件大小上限（MB）"),
        min_value=0.1,
        max_value=20,
        decimal_places=1,
        help_text=_("0.1 到 20。"),
    )
    order_expiry_days = forms.IntegerField(
        label=_("订单闲置失效天数"), min_value=7, max_value=365, help_text=_("7 到 365。")
    )
    websites_per_order_unit = forms.IntegerField(label=_("单位每单网站数上限"), min_value=1, max_value=50)
    websites_per_order_individual = forms.IntegerField(
        label=_("个人每单网站数上限"), min_value=1, max_value=10
    )
    resubmission_window_days = forms.IntegerField(
        label=_("退回后重新提交期限（天）"), min_value=1, max_value=60, help_text=_("1 到 60。")
    )
    retention_days = forms.IntegerField(
        label=_("未完成订单身份资料保留天数"), min_value=30, max_value=3650, help_text=_("30 到 3650。")
    )

    def clean_hostnames(self) -> list[str]:
        return split_hostnames(self.cleaned_data["hostnames"])

    def values(self) -> dict:
        d = self.cleaned_data
        out = {k: d[k] for k in self.fields if k not in {"logo", "hostnames", "upload_max_mb"}}
        out["upload_max_bytes"] = int(d["upload_max_mb"] * 1024 * 1024)
        return out


class StaffForm(forms.Form):
    """Invite (email, name) or change a role (role, point)."""

    email = forms.EmailField(label=_("邮箱"))
    full_name = forms.CharField(label=_("姓名"), max_length=100, required=False)
    role = forms.ChoiceField(label=_("角色"), choices=STAFF_ROLE_CHOICES)
    point = forms.ModelChoiceField(
        queryset=None, label=_("所在核验点"), required=False, help_text=_("仅核验点工作人员需要选择。")
    )

    def __init__(self, *args, points, invite: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        # The tenant's own points only: the field both lists and validates the submitted id.
        self.fields["point"].queryset = points
        if not invite:
            del self.fields["email"]
            del self.fields["full_name"]

    def clean(self):
        d = super().clean()
        if d.get("role") == Role.POINT_STAFF and not d.get("point"):
            self.add_error("point", _("核验点工作人员须选择所在核验点。"))
        return d
