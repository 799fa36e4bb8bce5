"""Verification-point applications (R-K1..R-K3, seed 000).

A company applies on the provider's public page; the provider's admins review
the materials, inspect the premises, sign the agreement, train the staff and
activate the point. Every row is tenant-owned; the company reaches its own
application only through a secret tracking link whose hash is stored here.
Deadlines are timestamps on the application (R-B1), enforced by
``application_services.applications_sweep`` and again when the company answers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from icpfiling.privacy.fields import EncryptedCharField
from icpfiling.tenancy.managers import TenantOwnedModel
from verification_points.states import EVENT_LABELS, OPEN_APPLICATION_STATUSES, TRANSITIONS, ApplicationStatus

__all__ = [
    "OPEN_APPLICATION_STATUSES",
    "ApplicationEvent",
    "ApplicationFileAccess",
    "ApplicationScan",
    "ApplicationStatus",
    "Blacklist",
    "Inspection",
    "InspectionResult",
    "PlannedStaff",
    "PointAgreement",
    "PointApplication",
    "ScanKind",
    "SupplementRequest",
    "TrainingResult",
    "TrainingSession",
]


class PointApplication(TenantOwnedModel):
    status = models.CharField(
        _("状态"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.MATERIAL_REVIEW
    )
    # The applying company (申请主体).
    company_name = models.CharField(_("申请主体名称"), max_length=200)
    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    registered_address = models.CharField(_("注册地址"), max_length=300)
    business_scope = models.TextField(_("经营范围"), max_length=2000)
    # The premises where the point will work (经营场所).
    premises_address = models.CharField(_("经营场所地址"), max_length=300)
    premises_area = models.DecimalField(_("经营场所面积（平方米）"), max_digits=8, decimal_places=1)
    # The point manager (核验点负责人).
    manager_name = models.CharField(_("负责人姓名"), max_length=50)
    # R-X1: encrypted at rest; shown masked with an audited reveal.
    manager_mobile = EncryptedCharField(_("负责人手机号"), max_length=11)
    manager_email = models.EmailField(_("负责人邮箱"), max_length=254)
    manager_id_number = EncryptedCharField(_("负责人身份证号"), max_length=18)
    # Equipment and premises conditions (R-K2); all must be true to apply.
    has_computer = models.BooleanField(_("电脑"), default=False)
    has_printer = models.BooleanField(_("打印机"), default=False)
    has_document_camera = models.BooleanField(_("高拍仪"), default=False)
    has_reception_area = models.BooleanField(_("独立接待区域"), default=False)

    # sha256 of the secret tracking token; the token itself is only ever emailed.
    tracking_token_hash = models.CharField(max_length=64, unique=True, editable=False)

    submitted_at = models.DateTimeField(_("提交时间"), default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    # Step deadlines (R-K3, R-B1). Provider-side: material review, inspection.
    review_due_at = models.DateTimeField(_("初审时限"), null=True, blank=True)
    inspection_due_at = models.DateTimeField(_("考察时限"), null=True, blank=True)
    # Company-side: a late answer counts as withdrawal / lapse.
    supplement_due_at = models.DateTimeField(_("补充材料截止"), null=True, blank=True)
    rectify_due_at = models.DateTimeField(_("整改截止"), null=True, blank=True)
    inspection_scheduled_for = models.DateTimeField(_("考察时间"), null=True, blank=True)
    closed_reason = models.CharField(_("结束原因"), max_length=500, blank=True)
    point = models.ForeignKey(
        "verification_points.VerificationPoint",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="applications",
        verbose_name=_("开通的核验点"),
    )

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("核验点申请")
        verbose_name_plural = _("核验点申请")
        ordering = ["-submitted_at", "-pk"]
        constraints = [
            # One open application per credit code per provider, decided by the database.
            models.UniqueConstraint(
                "tenant",
                "credit_code",
                name="vp_application_one_open_per_code",
                condition=models.Q(status__in=OPEN_APPLICATION_STATUSES),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "submitted_at"], name="vp_app_state_idx"),
            # The sweep scans only rows whose company-side deadline is running (R-B1).
            models.Index(
                fields=["supplement_due_at"],
                name="vp_app_supplement_due_idx",
                condition=models.Q(status="supplement"),
            ),
            models.Index(
                fields=["rectify_due_at"],
                name="vp_app_rectify_due_idx",
                condition=models.Q(status="rectifying"),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.company_name}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_APPLICATION_STATUSES

    @property
    def current_due_at(self):
        """The deadline of the step the application is in (shown in lists)."""
        return {
            ApplicationStatus.MATERIAL_REVIEW: self.review_due_at,
            ApplicationStatus.SUPPLEMENT: self.supplement_due_at,
            ApplicationStatus.INSPECTION: self.inspection_due_at,
            ApplicationStatus.REINSPECTION: self.inspection_due_at,
            ApplicationStatus.RECTIFYING: self.rectify_due_at,
        }.get(self.status)


class PlannedStaff(TenantOwnedModel):
    """A full-time staff member the company plans (R-K2: at least two); becomes an account."""

    application = models.ForeignKey(PointApplication, on_delete=models.CASCADE, related_name="staff")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("姓名"), max_length=50)
    experience = models.CharField(_("从业经历"), max_length=500)
    mobile = EncryptedCharField(_("手机号"), max_length=11)
    # The login of the staff account created at activation.
    email = models.EmailField(_("邮箱"), max_length=254)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta(TenantOwnedModel.Meta):
        ordering = ["position"]
        verbose_name = _("拟配备人员")
        verbose_name_plural = _("拟配备人员")
        constraints = [models.UniqueConstraint("application", "position", name="vp_staff_position_unique")]

    def __str__(self) -> str:
        return self.name


class ScanKind(models.TextChoices):
    LICENCE = "licence", _("营业执照副本")
    LEGAL_REP_ID = "legal_rep_id", _("法定代表人身份证正反面")
    PREMISES_PROOF = "premises_proof", _("场地使用证明（租赁合同或房产证）")
    STAFF_ID = "staff_id", _("工作人员身份证")
    STAFF_DIPLOMA = "staff_diploma", _("工作人员学历证明")
    SUPPLEMENT = "supplement", _("补充材料")
    AGREEMENT_SIGNED = "agreement_signed", _("签字盖章的合作协议")


# Every view of these is audited (R-D4): they show a person's identity.
IDENTITY_SCAN_KINDS = (ScanKind.LICENCE, ScanKind.LEGAL_REP_ID, ScanKind.STAFF_ID)


class ApplicationScan(TenantOwnedModel):
    """One stored scan (PDF or JPG). The file name is generated and tenant-prefixed (R-D4)."""

    application = models.ForeignKey(PointApplication, on_delete=models.CASCADE, related_name="scans")
    kind = models.CharField(_("材料"), max_length=20, choices=ScanKind.choices)
    staff = models.ForeignKey(
        PlannedStaff, on_delete=models.CASCADE, null=True, blank=True, related_name="scans"
    )
    supplement = models.ForeignKey(
        "SupplementRequest", on_delete=models.CASCADE, null=True, blank=True, related_name="scans"
    )
    storage_name = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(max_length=100, blank=True)  # display only, sanitised
    file_format = models.CharField(max_length=10)  # "pdf" or "jpeg"
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["created_at", "pk"]
        verbose_name = _("申请材料文件")
        verbose_name_plural = _("申请材料文件")
        indexes = [models.Index(fields=["application", "kind"], name="vp_scan_app_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name or self.storage_name}"


class SupplementRequest(TenantOwnedModel):
    """What the provider asks the company to add, by when (a late answer is a withdrawal)."""

    application = models.ForeignKey(PointApplication, on_delete=models.CASCADE, related_name="supplements")
    items = models.TextField(_("需要补充的内容"), max_length=2000)
    due_at = models.DateTimeField(_("补充截止时间"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    answer_note = models.TextField(_("补充说明"), max_length=2000, blank=True)
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["requested_at", "pk"]
        verbose_name = _("补充材料通知")
        verbose_name_plural = _("补充材料通知")

    def __str__(self) -> str:
        return f"{self.application_id} due {self.due_at:%Y-%m-%d}"


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("通过")
    FAILED = "failed", _("不通过")


class Inspection(TenantOwnedModel):
    """One on-site inspection (round 1, or 2 after rectification) and its findings."""

    application = models.ForeignKey(PointApplication, on_delete=models.CASCADE, related_name="inspections")
    round = models.PositiveSmallIntegerField(default=1)
    scheduled_for = models.DateTimeField(_("考察时间"), null=True, blank=True)
    premises_match = models.BooleanField(_("场地与申请信息一致，具备独立接待能力"), default=False)
    equipment_ok = models.BooleanField(_("办公设备齐全，网络稳定"), default=False)
    staff_know_process = models.BooleanField(_("工作人员熟悉备案流程"), default=False)
    result = models.CharField(_("考察结果"), max_length=10, choices=InspectionResult.choices, blank=True)
    notes = models.TextField(_("考察记录"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(null=True, blank=True)
    rectify_due_at = models.DateTimeField(_("整改截止"), null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["round", "pk"]
        verbose_name = _("实地考察")
        verbose_name_plural = _("实地考察")
        constraints = [models.UniqueConstraint("application", "round", name="vp_inspection_one_per_round")]

    def __str__(self) -> str:
        return f"{self.application_id} r{self.round} {self.result or '-'}"


class PointAgreement(TenantOwnedModel):
    """The cooperation agreement (合作协议): generated PDF, then the signed and stamped scan."""

    application = models.OneToOneField(PointApplication, on_delete=models.CASCADE, related_name="agreement")
    business_scope = models.TextField(_("合作业务范围"), max_length=2000)
    # Unit prices per check by monthly tier (X / Y / Z), copied to the point at activation.
    price_low = models.DecimalField(_("单价 X（月核验量低于50单）"), max_digits=8, decimal_places=2)
    price_mid = models.DecimalField(_("单价 Y（月核验量50–100单）"), max_digits=8, decimal_places=2)
    price_high = models.DecimalField(_("单价 Z（月核验量100单以上）"), max_digits=8, decimal_places=2)
    storage_name = models.CharField(max_length=200, unique=True)
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    generated_at = models.DateTimeField()
    signed_scan = models.OneToOneField(
        ApplicationScan, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("核验点合作协议")
        verbose_name_plural = _("核验点合作协议")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(price_low__gt=0, price_mid__gt=0, price_high__gt=0),
                name="vp_agreement_prices_positive",
            )
        ]

    def __str__(self) -> str:
        return f"agreement {self.application_id}"


class TrainingSession(TenantOwnedModel):
    """A 2-3 day training (seed 000) with a pass record per planned staff member."""

    application = models.ForeignKey(PointApplication, on_delete=models.CASCADE, related_name="trainings")
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    notes = models.CharField(_("培训内容"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["starts_on", "pk"]
        verbose_name = _("培训")
        verbose_name_plural = _("培训")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")), name="vp_training_at_least_two_days"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id} {self.starts_on}..{self.ends_on}"


class TrainingResult(TenantOwnedModel):
    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="results")
    staff = models.ForeignKey(PlannedStaff, on_delete=models.CASCADE, related_name="training_results")
    passed = models.BooleanField(_("通过"))

    class Meta(TenantOwnedModel.Meta):
        ordering = ["session_id", "staff__position"]
        constraints = [models.UniqueConstraint("session", "staff", name="vp_training_one_result_per_staff")]

    def __str__(self) -> str:
        return f"{self.staff_id} {'pass' if self.passed else 'fail'}"


class ApplicationEvent(TenantOwnedModel):
    """The application's timeline and audit trail: every step, by whom, from and to which state."""

    application = models.ForeignKey(PointApplication, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=12)  # company / admin / system
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["application", "at"], name="vp_app_event_idx")]

    def __str__(self) -> str:
        return f"{self.application_id} {self.kind}"

    def get_label(self):
        if self.kind in TRANSITIONS:
            return TRANSITIONS[self.kind].label
        return EVENT_LABELS.get(self.kind, self.kind)


FILE_ACTION_LABELS = {"view": _("查看"), "upload": _("上传"), "agreement": _("生成协议")}


class ApplicationFileAccess(TenantOwnedModel):
    """Who opened which scan or agreement, when (R-D4); the company appears as "via link"."""

    at = models.DateTimeField(auto_now_add=True)
    application = models.ForeignKey(PointApplication, on_delete=models.CASCADE, related_name="+")
    scan = models.ForeignKey(
        ApplicationScan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    via_link = models.BooleanField(default=False)
    kind = models.CharField(max_length=20)
    action = models.CharField(max_length=20)  # view / upload / agreement

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "application", "-at"], name="vp_file_access_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.kind}"

    def get_action_display(self):
        """The log's words, never the stored code (issue 12: "upload staff_diploma")."""
        return FILE_ACTION_LABELS.get(self.action, self.action)

    def get_kind_display(self):
        return _("合作协议") if self.kind == "agreement" else dict(ScanKind.choices).get(self.kind, self.kind)


class Blacklist(TenantOwnedModel):
    """Credit codes this provider will not cooperate with (false material, seed 000)."""

    credit_code = models.CharField(_("统一社会信用代码"), max_length=18)
    company_name = models.CharField(_("申请主体名称"), max_length=200, blank=True)
    reason = models.CharField(_("原因"), max_length=500)
    application = models.ForeignKey(
        PointApplication, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-created_at", "-pk"]
        verbose_name = _("合作黑名单")
        verbose_name_plural = _("合作黑名单")
        constraints = [models.UniqueConstraint("tenant", "credit_code", name="vp_blacklist_one_per_code")]

    def __str__(self) -> str:
        return self.credit_code
