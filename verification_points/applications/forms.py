"""Forms of the application programme: the public application, the company's answers, and
the provider admin's steps. Field checks reuse ``icpfiling.core.validators``; every scan goes
through ``application_scans.scan_check`` so every bad file is named at once."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from icpfiling.core import validators as v
from icpfiling.core.workdays import add_working_days
from verification_points.applications.agreement import DEFAULT_SCOPE
from verification_points.applications.scans import MAX_FILES_PER_FIELD, scan_check
from verification_points.applications.services import (
    EQUIPMENT_FIELDS,
    blacklist_message,
    equipment_missing_message,
    open_application_message,
)
from verification_points.applications.workflow import SUPPLEMENT_DEFAULT_DAYS
from verification_points.models.applications import Blacklist, PointApplication

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
SCAN_HELP = _("PDF 或 JPG，每个文件不超过 5 MB，最多 3 个文件；加密或含脚本的 PDF 不被接受。")


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class ScanField(forms.FileField):
    """One to three PDF/JPG files; cleans to a list of ``CheckedScan``."""

    def __init__(self, *, max_files: int = MAX_FILES_PER_FIELD, **kwargs) -> None:
        kwargs.setdefault("help_text", SCAN_HELP)
        kwargs.setdefault(
            "widget", MultipleFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,application/pdf,image/jpeg"})
        )
        self.max_files = max_files
        super().__init__(**kwargs)

    def has_changed(self, initial, data) -> bool:
        # A multiple file input yields [] when nothing was chosen: that is "unchanged",
        # so an optional staff row left blank is not validated.
        return not self.disabled and bool(data)

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        if len(files) > self.max_files:
            raise ValidationError(
                _("最多上传 %(n)s 个文件，您选择了 %(m)s 个。") % {"n": self.max_files, "m": len(files)},
                code="too_many",
            )
        checked, errors = [], []
        for f in files:
            try:
                checked.append(scan_check(f))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return checked


class ApplicationForm(forms.Form):
    company_name = forms.CharField(label=_("申请主体名称"), max_length=200)
    credit_code = forms.CharField(
        label=_("统一社会信用代码"), max_length=40, help_text=_("18 位，见营业执照。")
    )
    registered_address = forms.CharField(label=_("注册地址"), max_length=300)
    business_scope = forms.CharField(
        label=_("经营范围"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    premises_address = forms.CharField(label=_("经营场所地址"), max_length=300)
    premises_area = forms.DecimalField(
        label=_("经营场所面积（平方米）"), min_value=1, max_value=100000, max_digits=8, decimal_places=1
    )
    manager_name = forms.CharField(label=_("核验点负责人姓名"), max_length=50)
    manager_mobile = forms.CharField(
        label=_("负责人手机号"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    manager_email = forms.EmailField(
        label=_("负责人邮箱"), help_text=_("申请跟踪链接和每一步的通知都发送到这个邮箱。")
    )
    manager_id_number = forms.CharField(label=_("负责人身份证号"), max_length=30)
    has_computer = forms.BooleanField(label=_("已配备电脑"), required=False)
    has_printer = forms.BooleanField(label=_("已配备打印机"), required=False)
    has_document_camera = forms.BooleanField(label=_("已配备高拍仪"), required=False)
    has_reception_area = forms.BooleanField(label=_("经营场所有独立的接待区域"), required=False)
    licence = ScanField(label=_("营业执照副本"))
    legal_rep_id = ScanField(label=_("法定代表人身份证正反面"))
    premises_proof = ScanField(label=_("场地使用证明（租赁合同或房产证）"))

    groups = (
        (_("申请主体"), ("company_name", "credit_code", "registered_address", "business_scope")),
        (_("经营场所"), ("premises_address", "premises_area")),
        (_("核验点负责人"), ("manager_name", "manager_mobile", "manager_email", "manager_id_number")),
        (_("设备与场地"), EQUIPMENT_FIELDS),
        (_("扫描件"), ("licence", "legal_rep_id", "premises_proof")),
    )

    def fieldsets(self) -> list[dict]:
        return [{"legend": legend, "fields": [self[n] for n in names]} for legend, names in self.groups]

    def clean_credit_code(self) -> str:
        code = v.clean_uscc(self.cleaned_data["credit_code"])
        # Checked here too, so that the company sees it with every other error at once;
        # the service decides again (blacklist, and the database constraint).
        if Blacklist.objects.filter(credit_code=code).exists():
            raise ValidationError(blacklist_message(), code="blacklisted")
        if PointApplication.objects.filter(credit_code=code, status__in=_open()).exists():
            raise ValidationError(open_application_message(), code="open_application")
        return code

    def clean_manager_mobile(self) -> str:
        return v.clean_mobile(self.cleaned_data["manager_mobile"])

    def clean_manager_id_number(self) -> str:
        return v.clean_resident_id(self.cleaned_data["manager_id_number"], today=timezone.localdate()).number

    def clean(self):
        data = super().clean()
        for field in EQUIPMENT_FIELDS:
            if not data.get(field):
                label = str(PointApplication._meta.get_field(field).verbose_name)
                self.add_error(field, equipment_missing_message(label))
        return data


def _open():
    from verification_points.models.applications import OPEN_APPLICATION_STATUSES

    return OPEN_APPLICATION_STATUSES


class StaffForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50)
    experience = forms.CharField(
        label=_("从业经历"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    mobile = forms.CharField(
        label=_("手机号"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    email = forms.EmailField(label=_("邮箱"), help_text=_("开通后作为此人的登录账户。"))
    id_scans = ScanField(label=_("身份证扫描件"))
    diploma_scans = ScanField(label=_("学历证明扫描件"))

    def clean_mobile(self) -> str:
        return v.clean_mobile(self.cleaned_data["mobile"])

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class BaseStaffFormSet(forms.BaseFormSet):
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.forms:
            email = form.cleaned_data.get("email")
            if not email:
                continue
            if email in seen:
                form.add_error("email", _("每位工作人员的邮箱必须不同（它将成为各自的登录账户）。"))
            seen.add(email)


# Two rows must be filled in (R-K2: at least two full-time staff); up to six.
StaffFormSet = forms.formset_factory(
    StaffForm, formset=BaseStaffFormSet, extra=1, min_num=2, max_num=6, validate_min=True, validate_max=True
)


class SupplementAnswerForm(forms.Form):
    note = forms.CharField(
        label=_("补充说明"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    files = ScanField(label=_("补充材料"), required=False)


# --- the provider admin's steps -----------------------------------------------------------------


class SupplementRequestForm(forms.Form):
    items = forms.CharField(
        label=_("需要补充或修改的材料"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    due_on = forms.DateField(
        label=_("补充截止日期"), widget=DATE_WIDGET, help_text=_("逾期未补充视为放弃申请。")
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["due_on"].initial = add_working_days(timezone.localdate(), SUPPLEMENT_DEFAULT_DAYS)


class ScheduleForm(forms.Form):
    scheduled_for = forms.DateTimeField(
        label=_("考察时间"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class InspectionForm(forms.Form):
    premises_match = forms.BooleanField(label=_("场地与申请信息一致，具备独立接待能力"), required=False)
    equipment_ok = forms.BooleanField(label=_("办公设备齐全，网络稳定"), required=False)
    staff_know_process = forms.BooleanField(label=_("工作人员熟悉备案流程"), required=False)
    result = forms.ChoiceField(
        label=_("考察结果"),
        choices=[("passed", _("通过")), ("failed", _("不通过"))],
        widget=forms.RadioSelect,
    )
    notes = forms.CharField(
        label=_("考察记录 / 整改要求"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AgreementForm(forms.Form):
    business_scope = forms.CharField(
        label=_("合作业务范围"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        initial=DEFAULT_SCOPE,
    )
    price_low = forms.DecimalField(
        label=_("单价 X（月核验量低于50单，元/单）"), max_digits=8, decimal_places=2
    )
    price_mid = forms.DecimalField(
        label=_("单价 Y（月核验量50–100单，元/单）"), max_digits=8, decimal_places=2
    )
    price_high = forms.DecimalField(
        label=_("单价 Z（月核验量100单以上，元/单）"), max_digits=8, decimal_places=2
    )


class SignedAgreementForm(forms.Form):
    file = ScanField(label=_("签字盖章的协议扫描件"), max_files=1)


class TrainingForm(forms.Form):
    starts_on = forms.DateField(label=_("培训开始日期"), widget=DATE_WIDGET)
    ends_on = forms.DateField(
        label=_("培训结束日期"), widget=DATE_WIDGET, help_text=_("培训为期 2 至 3 天。")
    )
    notes = forms.CharField(label=_("培训内容"), required=False, max_length=500)
    passed = forms.MultipleChoiceField(
        label=_("通过培训的人员"), required=False, widget=forms.CheckboxSelectMultiple, choices=()
    )

    def __init__(self, *args, staff=(), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Tenant-owned rows: the choices come from the caller, never from an import-time query.
        self.fields["passed"].choices = [(str(s.pk), s.name) for s in staff]


class RefuseForm(forms.Form):
    reason = forms.CharField(
        label=_("发现的虚假材料"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("拒绝后该统一社会信用代码将被列入合作黑名单，不能再次申请。"),
    )
