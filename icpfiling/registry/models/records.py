"""The simulated national filing registry and its reference data.

The registry is national, not tenant-owned: every provider consults it to
detect the order type (R-O4). Which provider hosts a website is itself registry
data (``AccessRecord``). Reference tables are global too.
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from icpfiling.privacy.fields import BlindIndexedModel, BlindIndexField, EncryptedCharField
from icpfiling.registry import labels


class Province(models.Model):
    """One of the 31 provincial-level divisions; seeded from province-rules.yaml."""

    code = models.CharField(_("代码"), max_length=2, primary_key=True)  # BJ, ZJ, GD … (the seed file's ids)
    name = models.CharField(_("简称全名"), max_length=10, unique=True)  # 浙江
    full_name = models.CharField(_("全称"), max_length=20)  # 浙江省
    admin_code = models.CharField(_("行政区划代码"), max_length=6, unique=True)  # 330000
    short_name = models.CharField(_("简称"), max_length=2)  # 浙 (official one-character name)
    icp_prefix = models.CharField(_("备案号前缀"), max_length=2)  # 浙; 蜀 for 四川 (recent numbers)

    class Meta:
        ordering = ["admin_code"]
        verbose_name = _("省份")
        verbose_name_plural = _("省份")

    def __str__(self) -> str:
        # In the interface language (R-L1); unknown codes fall back to the stored name.
        return str(labels.PROVINCE_NAMES.get(self.code, self.name))

    @property
    def label(self) -> str:
        """The full name (浙江省) in the interface language."""
        return str(labels.PROVINCE_FULL_NAMES.get(self.code, self.full_name))


class EntityNature(models.Model):
    """主办单位性质 (MIIT-style codes; data, not code, because the list changes)."""

    code = models.PositiveSmallIntegerField(primary_key=True)
    name = models.CharField(max_length=30, unique=True)
    is_individual = models.BooleanField(default=False)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return str(labels.NATURE_NAMES.get(self.code, self.name))


class CertificateType(models.Model):
    """主办单位证件类型, with the natures that may use it."""

    code = models.CharField(max_length=40, primary_key=True)
    name = models.CharField(max_length=60, unique=True)
    natures = models.ManyToManyField(EntityNature, related_name="certificate_types")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return str(labels.CERTIFICATE_TYPE_NAMES.get(self.code, self.name))


class PersonalIdType(models.Model):
    """证件类型 of a natural person (principals, individual entities)."""

    code = models.CharField(max_length=40, primary_key=True)
    name = models.CharField(max_length=60, unique=True)
    for_citizens = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return str(labels.PERSONAL_ID_TYPE_NAMES.get(self.code, self.name))


class RegistryStatus(models.TextChoices):
    ACTIVE = "active", _("正常")
    CANCELLED = "cancelled", _("已注销")  # numbers are never reused after this


class FiledEntity(BlindIndexedModel):
    """A filed 主办单位 with its entity number."""

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    nature = models.ForeignKey(EntityNature, on_delete=models.PROTECT, related_name="+")
    certificate_type = models.ForeignKey(CertificateType, on_delete=models.PROTECT, related_name="+")
    # R-X1: an individual's certificate is a resident ID, so every number is encrypted; detection
    # and the uniqueness below use the blind index.
    certificate_number = EncryptedCharField(max_length=40)
    certificate_number_bidx = BlindIndexField(kind="id", source="certificate_number")
    name = models.CharField(max_length=200)
    principal_name = models.CharField(max_length=100)
    # R-V3: one mobile number belongs to one entity across the registry (found by its blind index).
    principal_mobile = EncryptedCharField(max_length=20, blank=True)
    principal_mobile_bidx = BlindIndexField(kind="mobile", source="principal_mobile", db_index=True)
    entity_number = models.CharField(max_length=40, unique=True)  # 浙ICP备2026000001号
    # Last website sequence handed out for this entity; -N is never reused.
    website_seq_last = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=RegistryStatus.choices, default=RegistryStatus.ACTIVE)
    filed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("备案主体")
        verbose_name_plural = _("备案主体")
        constraints = [
            models.UniqueConstraint(
                "certificate_type",
                "certificate_number_bidx",
                name="filed_entity_certificate_unique",
                condition=models.Q(status="active"),
            ),
        ]
        indexes = [models.Index(fields=["certificate_number_bidx"], name="filed_entity_cert_idx")]

    def __str__(self) -> str:
        return f"{self.entity_number} {self.name}"


class FormerCertificate(models.Model):
    """A number the entity had before 三证合一 (old registration or organisation code).

    Detection must find an entity by its old number (R-O6).
    """

    entity = models.ForeignKey(FiledEntity, on_delete=models.CASCADE, related_name="former_certificates")
    certificate_type = models.ForeignKey(CertificateType, on_delete=models.PROTECT, related_name="+")
    number = models.CharField(max_length=40, unique=True)

    def __str__(self) -> str:
        return self.number


class FiledWebsite(models.Model):
    entity = models.ForeignKey(FiledEntity, on_delete=models.PROTECT, related_name="websites")
    seq = models.PositiveIntegerField()
    website_number = models.CharField(max_length=50, unique=True)  # 浙ICP备2026000001号-1
    domain = models.CharField(max_length=253)  # registered domain, IDNA (punycode) form
    name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=RegistryStatus.choices, default=RegistryStatus.ACTIVE)
    filed_at = models.DateTimeField()
    # What the public query matches a name piece against (R-Q1): see icpfiling/registry/search_text.py.
    search_text = models.TextField(default="", editable=False)

    class Meta:
        verbose_name = _("备案网站")
        verbose_name_plural = _("备案网站")
        constraints = [
            models.UniqueConstraint("entity", "seq", name="filed_website_seq_unique"),
            # One active filing per domain across the whole registry.
            models.UniqueConstraint(
                Lower("domain"),
                name="filed_website_domain_unique_active",
                condition=models.Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.website_number} {self.domain}"


class FiledWebsiteDomain(models.Model):
    """Every domain a filed website carries, its main one (``FiledWebsite.domain``) included (R-C2).

    Real filings list several domains per website; 变更网站 may only remove them (at least one
    stays). A removed or cancelled domain is kept inactive (history), and one constraint
    keeps each active domain on one website across the registry, whichever domain is the
    main one.
    """

    website = models.ForeignKey(FiledWebsite, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)  # IDNA (punycode) form, lower case
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("备案域名")
        verbose_name_plural = _("备案域名")
        constraints = [
            models.UniqueConstraint(
                Lower("domain"),
                name="filed_website_domain_row_unique_active",
                condition=models.Q(active=True),
            ),
        ]

    def __str__(self) -> str:
        return self.domain


class AccessRecord(models.Model):
    """Which provider hosts (接入) a filed website. A website may have several."""

    website = models.ForeignKey(FiledWebsite, on_delete=models.CASCADE, related_name="access_records")
    provider = models.ForeignKey("tenancy.Provider", on_delete=models.PROTECT, related_name="access_records")
    since = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    # Why the record ended (R-C6, R-C8): shown to the applicant and the old provider.
    end_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("接入记录")
        verbose_name_plural = _("接入记录")
        constraints = [
            models.UniqueConstraint(
                "website",
                "provider",
                name="access_record_open_unique",
                condition=models.Q(ended_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.website_id}@{self.provider_id}"


class EntityNumberSequence(models.Model):
    """Per-province, per-year entity sequence; the year is part of the number."""

    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint("province", "year", name="entity_sequence_unique")]

    def __str__(self) -> str:
        return f"{self.province_id} {self.year}: {self.last_value}"


class FiledApp(models.Model):
    """A filed app, mini-program or quick app: a service of the entity beside its websites (R-AP4).

    It takes its ``-N`` from the entity's one sequence (``FiledEntity.website_seq_last``),
    so a number is never shared with a website nor reused; the letter says the kind
    (``-NA`` app, ``-NX`` mini-program and quick app). ``provider`` is the provider
    that filed it (apps have no servers to connect, R-AP4).
    """

    entity = models.ForeignKey(FiledEntity, on_delete=models.PROTECT, related_name="apps")
    kind = models.CharField(
        max_length=20, choices=[("app", "APP"), ("mini_program", _("小程序")), ("quick_app", _("快应用"))]
    )
    seq = models.PositiveIntegerField()
    service_number = models.CharField(max_length=50, unique=True)  # 浙ICP备2026000001号-2A
    name = models.CharField(max_length=100)
    mini_platform = models.CharField(max_length=20, blank=True)
    mini_appid = models.CharField(max_length=64, blank=True)
    provider = models.ForeignKey("tenancy.Provider", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=10, choices=RegistryStatus.choices, default=RegistryStatus.ACTIVE)
    filed_at = models.DateTimeField()
    search_text = models.TextField(default="", editable=False)  # as FiledWebsite.search_text

    class Meta:
        verbose_name = _("备案App")
        verbose_name_plural = _("备案App")
        constraints = [
            # The entity's sequence is shared with websites; a seq is used once per entity.
            models.UniqueConstraint("entity", "seq", name="filed_app_seq_unique"),
        ]
        indexes = [models.Index(fields=["name"], name="filed_app_name_idx")]

    def __str__(self) -> str:
        return f"{self.service_number} {self.name}"


class FiledAppDomain(models.Model):
    """A domain an app or mini-program uses (R-AP2, R-AP3): the public query finds the app by it."""

    app = models.ForeignKey(FiledApp, on_delete=models.CASCADE, related_name="filed_domains")
    domain = models.CharField(max_length=253)  # registered domain, IDNA (punycode) form, lower case

    class Meta:
        verbose_name = _("备案App域名")
        verbose_name_plural = _("备案App域名")
        constraints = [models.UniqueConstraint("app", "domain", name="filed_app_domain_unique")]
        indexes = [models.Index(fields=["domain"], name="filed_app_domain_idx")]

    def __str__(self) -> str:
        return f"{self.app_id} {self.domain}"


class FiledAppPackage(models.Model):
    """A platform + package name of a filed app: one entity files it once (R-AP5)."""

    app = models.ForeignKey(FiledApp, on_delete=models.CASCADE, related_name="packages")
    entity = models.ForeignKey(FiledEntity, on_delete=models.PROTECT, related_name="+")
    # android / ios / harmony / other, or "mini:<platform>" with the AppID of a mini-program (R-AP3).
    platform = models.CharField(max_length=20)
    package_name = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=128, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("备案App包名")
        verbose_name_plural = _("备案App包名")
        constraints = [
            models.UniqueConstraint(
                "entity",
                "platform",
                Lower("package_name"),
                name="filed_app_package_unique_per_entity",
                condition=models.Q(active=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.package_name}"
