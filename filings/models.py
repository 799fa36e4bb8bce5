"""Filing orders: the applicant's request to file, and everything it carries.

A draft stores what the applicant typed, valid or not, so that nothing is ever
lost (validation is a separate function run at every save and at submission).
Identity fields found by type detection are locked once the order exists (R-O6).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from filings.states import EDITABLE_STATUSES, OPEN_STATUSES, TRANSITIONS, OrderStatus, OrderType, status_label
from icpfiling.privacy.fields import (
    BlindIndexedModel,
    BlindIndexField,
    EncryptedCharField,
    EncryptedJSONField,
)
from icpfiling.tenancy.managers import TenantOwnedModel

# A person's fields as the applicant enters them (entity or website principal).
PERSON_FIELDS = (
    "principal_name",
    "principal_id_type",
    "principal_id_number",
    "principal_id_valid_until",
    "principal_id_long_term",
    "principal_mobile",
    "principal_email",
)
# What the applicant may write on each step; everything else is locked or derived.
ENTITY_FIELDS = (
    "entity_name",
    "registered_address",
    "communication_address",
    "investor",
    "principal_is_legal_rep",
    *PERSON_FIELDS[:-1],
    "principal_landline",
    "principal_email",
    "emergency_mobile",
    "residence_proof",
    "licence_valid_until",
    "licence_long_term",
    "business_scope",
    "remarks",
)
WEBSITE_FIELDS = (
    "name",
    "domain_display",
    "homepage_url",
    "service_content",
    "languages",
    "pre_approvals",
    "pre_approval_details",
    "principal_same_as_entity",
    *PERSON_FIELDS,
    "server",
    "domain_real_name_on",
    "domain_expires_on",
    "domain_registrant",
    "domain_registrar",
    "remarks",
)


class Server(TenantOwnedModel):
    """A provider server (R-M5); an applicant's websites must run on one assigned to them (R-W4).

    ``owner`` is empty while the server sits in the inventory unassigned. ``instance_id`` is the
    provider's own key for the server (what a CSV import matches on); rows made before the
    inventory existed keep it empty.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("所属账户"),
    )
    instance_id = models.CharField(_("实例 ID"), max_length=64, blank=True, default="")
    label = models.CharField(_("名称"), max_length=100)
    ip_address = models.GenericIPAddressField(_("公网 IP"))
    additional_ips = models.JSONField(_("其他公网 IP"), default=list, blank=True)
    region = models.CharField(_("地域 / 机房"), max_length=100, blank=True, default="")
    paid_until = models.DateField(_("付费到期日"))
    capacity = models.PositiveSmallIntegerField(_("可备案网站数"), default=5)
    # The expiry date the owner was last reminded of (R-M5): renewing re-arms the reminder.
    expiry_reminded_for = models.DateField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("服务器")
        verbose_name_plural = _("服务器")
        constraints = [
            models.UniqueConstraint("tenant", "ip_address", name="server_ip_unique_per_tenant"),
            models.UniqueConstraint(
                "tenant",
                "instance_id",
                name="server_instance_unique_per_tenant",
                condition=~models.Q(instance_id=""),
            ),
            models.CheckConstraint(condition=models.Q(capacity__lte=5), name="server_capacity_at_most_5"),
        ]
        indexes = [models.Index(fields=["tenant", "paid_until"], name="server_paid_until_idx")]

    def __str__(self) -> str:
        return f"{self.label} ({self.ip_address})"

    @property
    def public_ips(self) -> list[str]:
        return [self.ip_address, *self.additional_ips]


class PersonFields(BlindIndexedModel):
    """A natural person as entered: the entity principal or a website principal.

    R-X1: the ID number and the mobile are encrypted at rest; their blind indexes answer
    equality look-ups.
    """

    principal_name = models.CharField(_("姓名"), max_length=50, blank=True)
    principal_id_type = models.CharField(_("证件类型"), max_length=40, blank=True, default="resident_id")
    principal_id_number = EncryptedCharField(_("证件号码"), max_length=40, blank=True)
    principal_id_number_bidx = BlindIndexField(kind="id", source="principal_id_number")
    principal_id_valid_until = models.DateField(_("证件有效期至"), null=True, blank=True)
    principal_id_long_term = models.BooleanField(_("长期有效"), default=False)
    principal_mobile = EncryptedCharField(_("手机号码"), max_length=30, blank=True)
    principal_mobile_bidx = BlindIndexField(kind="mobile", source="principal_mobile")
    principal_email = models.CharField(_("电子邮箱"), max_length=254, blank=True)

    class Meta:
        abstract = True


class ReturnedBy(models.TextChoices):
    """Who sent a returned order back (seed 001: 退回主办者修改 vs 管局退回)."""

    PROVIDER = "provider", _("接入商退回")
    AUTHORITY = "authority", _("管局退回")


class FilingOrder(PersonFields, TenantOwnedModel):
    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    order_type = models.CharField(_("备案类型"), max_length=20, choices=OrderType.choices)
    status = models.CharField(
        _("状态"), max_length=20, choices=OrderStatus.choices, default=OrderStatus.DRAFT
    )

    # Locked after detection (R-O6).
    province = models.ForeignKey("registry.Province", on_delete=models.PROTECT, related_name="+")
    city = models.CharField(_("市"), max_length=40)
    county = models.CharField(_("区县"), max_length=40)
    # No index on the reference-table keys below: nothing looks orders up by them, and
    # each index is one more write per status change (the sweeps move 100,000 rows).
    nature = models.ForeignKey(
        "registry.EntityNature", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    certificate_type = models.ForeignKey(
        "registry.CertificateType", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # R-X1: a person's resident ID for individuals, so every certificate number is encrypted.
    certificate_number = EncryptedCharField(_("证件号码"), max_length=40)
    certificate_number_bidx = BlindIndexField(kind="id", source="certificate_number")
    # The detected registry records this order builds on (new website / new access).
    registry_entity = models.ForeignKey(
        "registry.FiledEntity", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    registry_website = models.ForeignKey(
        "registry.FiledWebsite",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    # The filed app or mini-program a change or cancel order works on (R-AP1, ``ordertypes.services``).
    registry_app = models.ForeignKey(
        "registry.FiledApp", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # Normalised "<certificate type>:<number>", the key of R-O5's constraint, stored as its keyed
    # hash (R-X1: the number may be a resident ID); look-ups by the plain key hash it the same way.
    entity_key = BlindIndexField(kind="key", max_length=80)

    # Entity (主办单位) as entered; a draft may hold anything.
    entity_name = models.CharField(_("主办单位名称"), max_length=200, blank=True)
    registered_address = models.CharField(_("证件住所"), max_length=300, blank=True)
    communication_address = models.CharField(_("通讯地址"), max_length=300, blank=True)
    investor = models.CharField(_("投资人或主管单位"), max_length=200, blank=True)
    principal_is_legal_rep = models.BooleanField(_("主体负责人是法定代表人"), default=True)
    principal_landline = models.CharField(_("办公电话"), max_length=30, blank=True)
    emergency_mobile = EncryptedCharField(_("应急联系电话"), max_length=30, blank=True)
    # R-V5: a non-local individual names the residence proof they will upload.
    residence_proof = models.CharField(_("居住证明"), max_length=60, blank=True)
    # Seed 003: the provider checks the licence's validity and business scope (units only).
    licence_valid_until = models.DateField(_("营业执照有效期至"), null=True, blank=True)
    licence_long_term = models.BooleanField(_("营业执照长期有效"), default=False)
    business_scope = models.TextField(_("经营范围"), blank=True, max_length=2000)
    remarks = models.TextField(_("备注"), blank=True, max_length=2000)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # Deadlines are timestamps on the row (R-B1), set on entering a state by
    # ``workflow.order_transition`` and enforced by the sweeps in ``deadlines``.
    status_changed_at = models.DateTimeField(auto_now_add=True)
    # Provider review (R-S2): who holds it, and by when the current provider step is due.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("审核人"),
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    review_due_at = models.DateTimeField(_("接入商审核时限"), null=True, blank=True)
    sla_reminded_at = models.DateTimeField(null=True, blank=True)
    # Increments at every submission; returns and snapshots belong to a round (R-S3).
    review_round = models.PositiveSmallIntegerField(default=0)
    # SMS check (R-S5): 24 h from submission to the authority; wrong entries over all codes.
    sms_deadline_at = models.DateTimeField(_("短信核验截止时间"), null=True, blank=True)
    sms_wrong_entries = models.PositiveSmallIntegerField(default=0)
    # Authority review (R-S6): 20 working days.
    authority_due_at = models.DateTimeField(_("管局审核时限"), null=True, blank=True)
    # Idle expiry (R-S8): drafts and returned orders; reminders after 7/15/30 idle days.
    expires_at = models.DateTimeField(_("失效时间"), null=True, blank=True)
    next_reminder_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    approved_at = models.DateTimeField(_("备案通过时间"), null=True, blank=True)
    # Set while returned: who returned it, and the provider's resubmission window
    # (R-M1, seed 001 "5日内再次提交"), swept by deadlines.resubmit_deadline_sweep.
    returned_by = models.CharField(_("退回方"), max_length=10, choices=ReturnedBy.choices, blank=True)
    resubmit_due_at = models.DateTimeField(_("重新提交截止时间"), null=True, blank=True)
    resubmit_reminded_at = models.DateTimeField(null=True, blank=True)
    # R-X2: when the identity images and personal data of an order that ended without approval
    # were purged (the retention sweep in deadlines.py sets it once).
    identity_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("备案订单")
        verbose_name_plural = _("备案订单")
        constraints = [
            # R-O5: one open order per entity per provider, decided by the database.
            models.UniqueConstraint(
                "tenant",
                "entity_key",
                name="order_one_open_per_entity",
                condition=models.Q(status__in=OPEN_STATUSES),
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "applicant", "-created_at"], name="order_applicant_idx"),
            models.Index(fields=["entity_key", "status"], name="order_entity_status_idx"),
            # The reviewer queue: keyset pages in SLA order within a tenant (R-S2).
            models.Index(fields=["tenant", "status", "review_due_at", "id"], name="order_queue_idx"),
            # The authority queue: keyset pages per province in due order (R-S6, R-T3).
            models.Index(
                fields=["province", "authority_due_at", "id"],
                name="order_authority_queue_idx",
                condition=models.Q(status="authority_review"),
            ),
            # The sweeps scan only rows whose deadline is set (R-B1).
            models.Index(
                fields=["sms_deadline_at"],
                name="order_sms_due_idx",
                condition=models.Q(status="sms_verification"),
            ),
            models.Index(
                fields=["expires_at"],
                name="order_expiry_due_idx",
                condition=models.Q(status__in=["draft", "returned"]),
            ),
            models.Index(
                fields=["next_reminder_at"],
                name="order_reminder_due_idx",
                condition=models.Q(next_reminder_at__isnull=False),
            ),
            models.Index(
                fields=["resubmit_due_at"],
                name="order_resubmit_due_idx",
                condition=models.Q(status="returned"),
            ),
            models.Index(
                fields=["review_due_at"],
                name="order_sla_due_idx",
                condition=models.Q(sla_reminded_at__isnull=True, review_due_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_order_type_display()} {self.entity_name or self.certificate_number}"

    def get_status_display(self):
        # One label everywhere (list, header, progress bar, mails): an approved 注销 reads 已注销.
        return status_label(self.status, self.order_type)

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_individual(self) -> bool:
        return self.nature_id == 5


class AddressKind(models.TextChoices):
    DOMAIN = "domain", _("域名")
    IP = "ip", _("IP 地址")


class OrderWebsite(PersonFields, TenantOwnedModel):
    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="websites")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(_("网站名称"), max_length=100, blank=True)
    address_kind = models.CharField(max_length=10, choices=AddressKind.choices, default=AddressKind.DOMAIN)
    domain = models.CharField(_("域名"), max_length=253, blank=True)  # ASCII (punycode) once valid
    domain_display = models.CharField(max_length=253, blank=True)  # as typed / Unicode
    # R-C2: further domains of the same website (IDNA form), each checked like ``domain``.
    extra_domains = models.JSONField(_("其他域名"), default=list, blank=True)
    homepage_url = models.CharField(_("首页地址"), max_length=300, blank=True)
    service_content = models.JSONField(_("服务内容"), default=list, blank=True)
    languages = models.JSONField(_("网站语言"), default=list, blank=True)
    pre_approvals = models.JSONField(_("前置审批"), default=dict, blank=True)
    # Per approval code: {"authority": issuing authority, "valid_until": "YYYY-MM-DD"} (R-W3).
    pre_approval_details = models.JSONField(_("前置审批发证机关及有效期"), default=dict, blank=True)
    principal_same_as_entity = models.BooleanField(_("网站负责人同主体负责人"), default=True)
    server = models.ForeignKey(
        Server,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="websites",
        verbose_name=_("所在服务器"),
    )
    domain_real_name_on = models.DateField(_("域名实名认证日期"), null=True, blank=True)
    # Seed 001 "域名注册信息必须与备案信息相一致"; the province's minimum validity (R-W2).
    domain_expires_on = models.DateField(_("域名到期日"), null=True, blank=True)
    domain_registrant = models.CharField(_("域名持有者"), max_length=200, blank=True)
    domain_registrar = models.CharField(_("域名注册商"), max_length=100, blank=True)
    remarks = models.TextField(_("网站备注"), blank=True, max_length=1000)
    # Set for a new-access website: the filed website being connected here.
    registry_website = models.ForeignKey(
        "registry.FiledWebsite", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(TenantOwnedModel.Meta):
        ordering = ["position"]
        verbose_name = _("订单网站")
        verbose_name_plural = _("订单网站")
        constraints = [models.UniqueConstraint("order", "position", name="order_website_position_unique")]

    def __str__(self) -> str:
        return self.domain_display or self.domain or f"#{self.position}"

    @property
    def domains(self) -> list[str]:
        """Every domain of the website, the main one first (R-C2)."""
        return [d for d in [self.domain, *(self.extra_domains or [])] if d]

    @property
    def service_content_labels(self) -> list:
        from icpfiling.core.validators import SERVICE_CONTENT_CHOICES

        labels = dict(SERVICE_CONTENT_CHOICES)
        return [labels.get(code, code) for code in self.service_content or []]


class OrderEvent(TenantOwnedModel):
    """The order's timeline and audit trail: every change of state and every save."""

    # Indexed by order_event_idx (order, at); a second index on order alone is only cost.
    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="events", db_index=False)
    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    kind = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    message = models.CharField(max_length=500, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["order", "at"], name="order_event_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.at:%Y-%m-%d %H:%M}"

    def get_label(self):
        if self.kind in TRANSITIONS:
            return TRANSITIONS[self.kind].label
        return {"created": _("创建订单（已识别备案类型）")}.get(self.kind, self.kind)


class MaterialKind(models.TextChoices):
    LICENCE = "licence", _("单位证件（营业执照等）")
    PRINCIPAL_ID_FRONT = "principal_id_front", _("主体负责人证件人像面")
    PRINCIPAL_ID_BACK = "principal_id_back", _("主体负责人证件国徽面")
    WEBSITE_PRINCIPAL_ID = "website_principal_id", _("网站负责人证件")
    AUTHORISATION_LETTER = "authorisation_letter", _("授权书")
    DOMAIN_CERTIFICATE = "domain_certificate", _("域名证书")
    VERIFICATION_SHEET = "verification_sheet", _("真实性核验单（签字扫描件）")
    PRE_APPROVAL = "pre_approval", _("前置审批文件")
    RESIDENCE_PROOF = "residence_proof", _("居住证明")
    PROVINCE_EXTRA = "province_extra", _("省管局要求的其他材料")
    PROVIDER_EXTRA = "provider_extra", _("接入商要求的其他材料")
    CURTAIN_PHOTO = "curtain_photo", _("幕布照片")
    # After approval (R-C1, R-C4, R-C5): the registrar's proof of a new name, the province's forms.
    CHANGE_PROOF = "change_proof", _("名称变更证明（登记机关核准变更通知书）")
    CHANGE_FORM = "change_form", _("备案变更申请表（签字盖章）")
    CANCEL_FORM = "cancel_form", _("备案注销申请表（签字盖章）")


# Identity documents: every view or download of one is audited (R-D4).
IDENTITY_KINDS = (
    MaterialKind.LICENCE,
    MaterialKind.PRINCIPAL_ID_FRONT,
    MaterialKind.PRINCIPAL_ID_BACK,
    MaterialKind.WEBSITE_PRINCIPAL_ID,
    MaterialKind.RESIDENCE_PROOF,
    MaterialKind.CURTAIN_PHOTO,
)


class MaterialFile(TenantOwnedModel):
    """One stored, re-encoded image of a material. The file name is generated (R-D4)."""

    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="materials")
    website = models.ForeignKey(
        OrderWebsite, on_delete=models.CASCADE, null=True, blank=True, related_name="materials"
    )
    kind = models.CharField(_("材料"), max_length=30, choices=MaterialKind.choices)
    # Which requirement it answers when a kind has several (e.g. one pre-approval per content).
    slot = models.CharField(max_length=60, blank=True)
    storage_name = models.CharField(max_length=200, unique=True)
    original_name = models.CharField(max_length=100, blank=True)  # display only, sanitised
    image_format = models.CharField(max_length=10)
    size = models.PositiveIntegerField()
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    via_phone = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["created_at", "pk"]
        verbose_name = _("材料文件")
        verbose_name_plural = _("材料文件")
        indexes = [models.Index(fields=["order", "kind"], name="material_order_kind_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.original_name or self.storage_name}"


class FileAccessLog(TenantOwnedModel):
    """Who looked at which identity document, when (R-D4)."""

    at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="+")
    material = models.ForeignKey(MaterialFile, on_delete=models.SET_NULL, null=True, related_name="+")
    kind = models.CharField(max_length=30)
    action = models.CharField(max_length=20)  # view / download / upload / delete
    via_phone = models.BooleanField(default=False)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-at"]
        indexes = [models.Index(fields=["tenant", "order", "-at"], name="file_access_idx")]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.kind}"


class PhoneUploadLink(TenantOwnedModel):
    """A short-lived, revocable link that lets a phone upload to one order (R-D6).

    The secret is only ever stored hashed. ``short_code`` is the fallback when the
    phone cannot scan: the phone shows it and the applicant types it on the desktop.
    """

    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    short_code = models.CharField(max_length=12, blank=True, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        indexes = [models.Index(fields=["tenant", "short_code", "expires_at"], name="phone_link_code_idx")]

    def __str__(self) -> str:
        return f"phone link for order {self.order_id}"


class ReturnSource(models.TextChoices):
    PROVIDER = "provider", _("接入商")
    AUTHORITY = "authority", _("管局")


class FieldReturn(TenantOwnedModel):
    """One reason of a return, attached to one field (R-S3): all reasons of a round go at once.

    ``field`` uses the validation keys (``entity.entity_name``,
    ``websites[0].domain``) or ``materials.<kind>`` / ``order`` for the whole order.
    """

    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="field_returns")
    round = models.PositiveSmallIntegerField()
    source = models.CharField(max_length=10, choices=ReturnSource.choices, default=ReturnSource.PROVIDER)
    field = models.CharField(_("字段"), max_length=80)
    reason = models.CharField(_("退回原因"), max_length=300)
    suggestion = models.CharField(_("修改建议"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["round", "pk"]
        verbose_name = _("退回原因")
        verbose_name_plural = _("退回原因")
        indexes = [models.Index(fields=["order", "round"], name="field_return_round_idx")]

    def __str__(self) -> str:
        return f"{self.order_id} r{self.round} {self.field}"


class OrderSnapshot(TenantOwnedModel):
    """What the applicant submitted in one round, so a resubmission shows what changed (R-S3)."""

    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="snapshots")
    round = models.PositiveSmallIntegerField()
    # R-X1: encrypted whole (it copies ID numbers and mobiles).
    data = EncryptedJSONField()  # {"entity.x": value, "websites[0].y": value, "materials.kind": [sha256,...]}
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["round"]
        constraints = [models.UniqueConstraint("order", "round", name="snapshot_one_per_round")]

    def __str__(self) -> str:
        return f"{self.order_id} r{self.round}"


class PhoneCheckOutcome(models.TextChoices):
    CONFIRMED = "confirmed", _("已确认备案意愿")
    NO_ANSWER = "no_answer", _("无人接听")
    DENIED = "denied", _("否认办理备案")


class PhoneCheck(TenantOwnedModel):
    """The reviewer's call to the legal representative / principal (R-S2)."""

    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="phone_checks")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    person = models.CharField(_("接听人"), max_length=50)
    outcome = models.CharField(_("结果"), max_length=12, choices=PhoneCheckOutcome.choices)
    notes = models.CharField(_("备注"), max_length=500, blank=True)
    called_at = models.DateTimeField(_("通话时间"), auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["-called_at", "-pk"]
        verbose_name = _("电话核实记录")
        verbose_name_plural = _("电话核实记录")

    def __str__(self) -> str:
        return f"{self.order_id} {self.outcome}"


class SmsChallenge(BlindIndexedModel, TenantOwnedModel):
    """One 6-digit code for one mobile in one submission to the authority (R-S5).

    ``people`` lists who this mobile answers for ("entity", "website:<id>"); one
    code when both principals share a mobile. Only a salted hash is stored.
    """

    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="sms_challenges")
    round = models.PositiveSmallIntegerField()  # the order's review_round when sent
    people = models.JSONField(default=list)
    person_name = models.CharField(max_length=50, blank=True)
    mobile = EncryptedCharField(max_length=30)
    mobile_bidx = BlindIndexField(kind="mobile", source="mobile")
    code_hash = models.CharField(max_length=128)
    sends = models.PositiveSmallIntegerField(default=1)
    last_sent_at = models.DateTimeField()
    verified_at = models.DateTimeField(null=True, blank=True)
    # Set when the check failed and the provider resubmitted: the old codes stay as history.
    void_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                "order",
                "round",
                "mobile_bidx",
                name="sms_one_live_code_per_mobile_round",
                condition=models.Q(void_at__isnull=True),
            )
        ]

    def __str__(self) -> str:
        return f"{self.order_id} r{self.round} {self.mobile[-4:]}"


class DashboardRollup(TenantOwnedModel):
    """One counter of the dashboard (R-M3), kept up to date by the transitions (``filings.rollups``).

    A cell is (tenant, week, province, order type, metric, key); ``province`` and
    ``order_type`` are ``""`` in the cells that count over every province or type,
    so a filter on one, the other, both or neither reads exactly one set of rows
    instead of summing a whole cube. ``week`` is the Monday (Asia/Shanghai) of the
    week the count belongs to; what that week means depends on the metric (see
    ``filings.rollups``).
    """

    week = models.DateField()
    province = models.CharField(max_length=6, blank=True)
    order_type = models.CharField(max_length=20, blank=True)
    metric = models.CharField(max_length=12)
    key = models.CharField(max_length=80)
    count = models.BigIntegerField(default=0)

    class Meta(TenantOwnedModel.Meta):
        constraints = [
            models.UniqueConstraint(
                "tenant", "province", "order_type", "week", "metric", "key", name="dashboard_rollup_cell"
            ),
        ]
        indexes = [
            # The operator's view over every provider reads by filter and period alone.
            models.Index(fields=["province", "order_type", "week"], name="dashboard_rollup_all_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.week} {self.metric}:{self.key}={self.count}"


class PlatformDashboardRollup(models.Model):
    """The same counters summed over every provider, for the operator's dashboard (R-M3).

    Not tenant-owned on purpose: it holds no tenant's rows, only totals across
    all of them, and only the operator's page (platform host) reads it. Written
    next to each ``DashboardRollup`` cell by ``filings.rollups.rollup_add``, so
    "all providers" reads one slice instead of summing twenty.
    """

    week = models.DateField()
    province = models.CharField(max_length=6, blank=True)
    order_type = models.CharField(max_length=20, blank=True)
    metric = models.CharField(max_length=12)
    key = models.CharField(max_length=80)
    count = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "province", "order_type", "week", "metric", "key", name="platform_dashboard_rollup_cell"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.week} {self.metric}:{self.key}={self.count}"


class OrderChange(TenantOwnedModel):
    """What a change or cancel order (R-C1…R-C6) or a transfer (R-C8) starts from.

    ``baseline`` is the filed data when the order started (the registry, completed
    from the last approved order here), keyed like ``ordertypes`` (``entity.<f>``,
    ``service.<f>``): the diff shown to reviewer and authority is the order's
    current data against it, and the approval writes it into the registry history.
    """

    order = models.OneToOneField(FilingOrder, on_delete=models.CASCADE, related_name="change")
    # R-X1: encrypted whole (the filed principal's ID number and mobile).
    baseline = EncryptedJSONField(default=dict, blank=True)
    # R-C8: a 新增接入 that replaces this provider's access record on approval.
    replaces_provider = models.ForeignKey(
        "tenancy.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # R-C6: 取消接入 started by the provider, with the reason the applicant sees.
    started_by_provider = models.BooleanField(default=False)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("变更内容")
        verbose_name_plural = _("变更内容")

    def __str__(self) -> str:
        return f"change of order {self.order_id}"


class DocumentScope(models.TextChoices):
    ALL = "all", _("单位和个人")
    UNIT = "unit", _("单位")
    PERSONAL = "personal", _("个人")


class ProviderDocument(TenantOwnedModel):
    """A material this provider asks of its orders besides the province's (seed 001: 信息安全协议,
    two copies), with a description and a template to download; kept by the provider admin."""

    name = models.CharField(_("材料名称"), max_length=100)
    description = models.TextField(_("说明"), max_length=1000)
    copies = models.PositiveSmallIntegerField(_("份数"), default=1)
    applies_to = models.CharField(_("适用"), max_length=10, choices=DocumentScope.choices, default="all")
    template_name = models.CharField(max_length=200, blank=True)  # generated storage name
    template_original_name = models.CharField(_("模板文件"), max_length=100, blank=True)  # display only
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta(TenantOwnedModel.Meta):
        verbose_name = _("接入商材料")
        verbose_name_plural = _("接入商材料")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint("tenant", "name", name="provider_document_name_unique"),
            models.CheckConstraint(
                condition=models.Q(copies__gte=1, copies__lte=10), name="provider_document_copies_1_10"
            ),
        ]

    def __str__(self) -> str:
        return self.name


# Apps, mini-programs and quick apps filed beside websites (R-AP1…R-AP4); pages in ``filings.mobile``.
APP_FIELDS = (
    "name",
    "service_content",
    "languages",
    "pre_approvals",
    "principal_same_as_entity",
    *PERSON_FIELDS,
    "domains",
    "sdks",
    "mini_platform",
    "mini_appid",
    "remarks",
)


class AppKind(models.TextChoices):
    APP = "app", _("APP")
    MINI_PROGRAM = "mini_program", _("小程序")
    QUICK_APP = "quick_app", _("快应用")


class OrderApp(PersonFields, TenantOwnedModel):
    """An app, mini-program or quick app of the order, as entered (R-AP2, R-AP3)."""

    order = models.ForeignKey(FilingOrder, on_delete=models.CASCADE, related_name="apps")
    position = models.PositiveSmallIntegerField()
    kind = models.CharField(_("服务类型"), max_length=20, choices=AppKind.choices, default=AppKind.APP)
    name = models.CharField(_("App名称"), max_length=100, blank=True)
    service_content = models.JSONField(_("服务内容"), default=list, blank=True)
    languages = models.JSONField(_("语言"), default=list, blank=True)
    pre_approvals = models.JSONField(_("前置审批"), default=dict, blank=True)
    principal_same_as_entity = models.BooleanField(_("App负责人同主体负责人"), default=True)
    # Domains the app uses, IDNA form, up to the third level (R-AP2); may be a filed website's.
    domains = models.JSONField(_("使用的域名"), default=list, blank=True)
    # Third-party SDKs: [{"provider": ..., "kind": ...}] (R-AP2).
    sdks = models.JSONField(_("第三方SDK"), default=list, blank=True)
    # Mini-programs and quick apps (R-AP3): the hosting platform and its AppID.
    mini_platform = models.CharField(_("所属平台"), max_length=20, blank=True)
    mini_appid = models.CharField(_("AppID"), max_length=64, blank=True)
    remarks = models.TextField(_("备注"), blank=True, max_length=1000)
    # Set on approval: the registry's record (``…号-NA`` / ``…号-NX``).
    registry_app = models.ForeignKey(
        "registry.FiledApp", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta(TenantOwnedModel.Meta):
        ordering = ["position"]
        verbose_name = _("订单App")
        verbose_name_plural = _("订单App")
        constraints = [models.UniqueConstraint("order", "position", name="order_app_position_unique")]

    def __str__(self) -> str:
        return self.name or f"App #{self.position + 1}"

    @property
    def service_content_labels(self) -> list:
        from icpfiling.core.validators import SERVICE_CONTENT_CHOICES

        labels = dict(SERVICE_CONTENT_CHOICES)
        return [labels.get(code, code) for code in self.service_content or []]


class AppPlatform(models.TextChoices):
    ANDROID = "android", _("Android")
    IOS = "ios", _("iOS")
    HARMONY = "harmony", _("HarmonyOS")
    OTHER = "other", _("其他平台")


class OrderAppPlatform(TenantOwnedModel):
    """One platform build of an app: package name or Bundle ID, key and fingerprint (R-AP2)."""

    app = models.ForeignKey(OrderApp, on_delete=models.CASCADE, related_name="platforms")
    platform = models.CharField(_("平台"), max_length=10, choices=AppPlatform.choices)
    package_name = models.CharField(_("包名 / Bundle ID"), max_length=255, blank=True)
    public_key = models.TextField(_("签名证书公钥"), blank=True, max_length=4000)
    fingerprint = models.CharField(_("证书指纹"), max_length=128, blank=True)

    class Meta(TenantOwnedModel.Meta):
        ordering = ["pk"]
        verbose_name = _("App平台")
        verbose_name_plural = _("App平台")
        constraints = [models.UniqueConstraint("app", "platform", name="order_app_platform_unique")]

    def __str__(self) -> str:
        return f"{self.platform} {self.package_name}"


class RollupPending(TenantOwnedModel):
    """An order a sweep moved, waiting to be counted in the dashboard's rollups (R-M3).

    ``workflow.order_transition_many`` writes one narrow row per moved order (a
    plain multi-row INSERT), and ``rollups.rollup_pending_fold`` — run at the end
    of every deadline sweep — counts them in and deletes them. Folding a whole
    sweep at once touches each rollup cell once, where a per-batch upsert touched
    thousands of cells per thousand orders and tripled the sweep's time.
    """

    order_id = models.BigIntegerField()
    province = models.CharField(max_length=6)
    order_type = models.CharField(max_length=20)
    created_at = models.DateTimeField()
    entered_at = models.DateTimeField()  # when the order had entered ``from_status``
    from_status = models.CharField(max_length=20)
    to_status = models.CharField(max_length=20)
    action = models.CharField(max_length=30)
    at = models.DateTimeField()

    class Meta(TenantOwnedModel.Meta):
        # No tenant index: only the platform fold reads these, oldest first, by id.
        indexes = []

    def __str__(self) -> str:
        return f"{self.order_id} {self.action} {self.at:%Y-%m-%d %H:%M}"
