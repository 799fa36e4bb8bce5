"""Province rules as data, with effective dates (the ProvinceRule engine's table).

Where a filing rule differs by province it is a row here, never a code branch
(product spec, "make it data"). Rows are global reference data, like
``Province``: not tenant-owned, the same for every provider.

One row = one rule key for one province (or the national default), one scope
(``unit`` / ``personal`` / ``all``), over one date range
``[effective_from, effective_to)``. A rule changes by adding a row with a later
``effective_from``; the older row keeps answering for earlier dates, so an
order is always judged by the rules of its own date. The loader and the query
API are in ``icpfiling.registry.province_rules``; the JSON shape of ``value``
per key is documented there and checked by ``ProvinceRule.clean``.

National defaults are rows with ``province = NULL`` rather than a second
table: they have exactly the same shape (key, scope, value, dates, source), the
operator edits them in the same admin list, and ``province_rules_for`` fetches
a province's rows and the national rows in one query. Because SQL treats NULLs
as distinct in a unique index, a second, partial unique constraint keeps the
national rows unique too.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from icpfiling.registry.models.records import Province


class RuleKey(models.TextChoices):
    """The rule keys the engine understands (the seed file's field names)."""

    UNIT_PRINCIPAL_MUST_BE_LEGAL_REP = "unit_principal_must_be_legal_rep", _("主体负责人须为法定代表人")
    WEBSITE_PRINCIPAL_LETTER = (
        "website_principal_auth_letter_required_when_not_legal_rep",
        _("网站负责人非法定代表人时须授权书"),
    )
    PERSONAL_NONLOCAL = "personal_nonlocal", _("个人外省证件")
    PHONE_MUST_BE_LOCAL = "phone_must_be_local", _("手机号须为本省号码")
    MIN_DOMAIN_VALIDITY_DAYS = "min_domain_validity_days", _("域名最短剩余有效天数")
    AUTHORITY_REVIEW_WORKING_DAYS = "authority_review_working_days", _("管局审核工作日")
    EXTRA_DOCUMENTS = "extra_documents", _("省份附加材料")
    CONSTRUCTION_PLAN_REQUIRED = "construction_plan_required", _("网站建设方案书")
    DOMAIN_CERTIFICATE_REQUIRED = "domain_certificate_required", _("域名证书")
    AGE_RULES = "age_rules", _("年龄要求")
    VERIFICATION_SHEET = "verification_sheet", _("核验单")
    FOOTER_SHOWS = "footer_shows", _("网站底部备案号")
    APP_VERIFICATION_AVAILABLE = "app_verification_available", _("App核验")
    CHANGE_RULES = "change_rules", _("变更规则")
    ACCESS_RULES = "access_rules", _("接入规则")
    OTHER_RULES = "other_rules", _("其他规则")


class RuleScope(models.TextChoices):
    UNIT = "unit", _("单位")
    PERSONAL = "personal", _("个人")
    ALL = "all", _("单位和个人")


# The JSON shape each key's ``value`` must have; see province_rules.py for the meaning.
PERSONAL_NONLOCAL_VALUES = ("allowed", "refused", "residence_proof")
DOMAIN_CERTIFICATE_VALUES = (
    "never",
    "always",
    "always_for_new_domains_in_order",
    "when_holder_differs_from_entity_name",
    "when_count_exceeds",
    "when_count_at_least",
)
THRESHOLD_OPS = (">", ">=")
FOOTER_VALUES = ("website_number", "entity_number")


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_threshold(t: object) -> bool:
    return (
        isinstance(t, dict)
        and t.get("op") in THRESHOLD_OPS
        and _is_int(t.get("n"))
        and t["n"] >= 0
        and isinstance(t.get("counting", ""), str)
    )


def _is_document_list(items: object) -> bool:
    def ok(doc: object) -> bool:
        if not isinstance(doc, dict) or not isinstance(doc.get("name"), str) or not doc["name"]:
            return False
        scope = doc.get("scope", ["unit", "personal"])
        return isinstance(scope, list) and bool(scope) and set(scope) <= {"unit", "personal"}

    return isinstance(items, list) and all(ok(d) for d in items)


def _alternatives(choices: tuple[str, ...]) -> str:
    return " | ".join(f'"{c}"' for c in choices)


THRESHOLD_SHAPE = '{"op": ">" | ">=", "n": int, "counting": "…"}'


def _shape_problems(key: str, value: dict) -> list[tuple[str, str]]:
    """(member, expected shape) for each malformed member of a well-wrapped value."""
    v = value["value"]
    match key:
        case RuleKey.UNIT_PRINCIPAL_MUST_BE_LEGAL_REP:
            ok = v is True or v is False or v == "authorisation_letter_allowed"
            return [] if ok else [("value", 'true | false | "authorisation_letter_allowed"')]
        case (
            RuleKey.WEBSITE_PRINCIPAL_LETTER
            | RuleKey.PHONE_MUST_BE_LOCAL
            | RuleKey.APP_VERIFICATION_AVAILABLE
        ):
            return [] if isinstance(v, bool) else [("value", "true | false")]
        case RuleKey.PERSONAL_NONLOCAL:
            problems = (
                [] if v in PERSONAL_NONLOCAL_VALUES else [("value", _alternatives(PERSONAL_NONLOCAL_VALUES))]
            )
            proofs = value.get("proofs", [])
            if not isinstance(proofs, list) or not all(isinstance(p, str) for p in proofs):
                problems.append(("proofs", '["居住证", "…"]'))
            return problems
        case RuleKey.MIN_DOMAIN_VALIDITY_DAYS | RuleKey.AUTHORITY_REVIEW_WORKING_DAYS:
            return [] if _is_int(v) and v > 0 else [("value", "int > 0")]
        case RuleKey.FOOTER_SHOWS:
            return [] if v in FOOTER_VALUES else [("value", _alternatives(FOOTER_VALUES))]
        case RuleKey.EXTRA_DOCUMENTS:
            shape = '[{"name": "…", "scope": ["unit", "personal"], "condition": "…"}]'
            return [] if _is_document_list(v) else [("value", shape)]
        case RuleKey.CONSTRUCTION_PLAN_REQUIRED:
            return [] if v is None or _is_threshold(v) else [("value", f"null | {THRESHOLD_SHAPE}")]
        case RuleKey.DOMAIN_CERTIFICATE_REQUIRED:
            if v not in DOMAIN_CERTIFICATE_VALUES:
                return [("value", _alternatives(DOMAIN_CERTIFICATE_VALUES))]
            if v.startswith("when_count") and not _is_threshold(value.get("threshold")):
                return [("threshold", THRESHOLD_SHAPE)]
            return []
        case RuleKey.AGE_RULES:
            ok = isinstance(v, dict) and _is_int(v.get("min_age"))
            return [] if ok else [("value", '{"min_age": int, "below_min": "refused" | "…"}')]
        case RuleKey.VERIFICATION_SHEET:
            ok = isinstance(v, dict) and isinstance(v.get("variant"), str)
            return [] if ok else [("value", '{"variant": "national" | "…"}')]
        case RuleKey.OTHER_RULES:
            return [] if isinstance(v, dict) else [("value", '{"<rule>": {"value": …}}')]
        case _:
            return []


def rule_value_errors(key: str, value: object) -> list[str]:
    """Problems with a row's ``value`` JSON for ``key`` (empty when it is well formed)."""
    if not isinstance(value, dict) or "value" not in value:
        return [gettext('值必须是包含 “value” 成员的 JSON 对象，例如 {"value": true}。')]
    return [
        gettext("“%(member)s” 的格式应为 %(expected)s。") % {"member": member, "expected": expected}
        for member, expected in _shape_problems(key, value)
    ]


class ProvinceRule(models.Model):
    """One dated rule value for a province (or, with no province, the national default)."""

    province = models.ForeignKey(
        Province,
        verbose_name=_("省份"),
        on_delete=models.PROTECT,
        related_name="rules",
        null=True,
        blank=True,
        help_text=_("留空表示全国默认值；省份行优先于全国默认值。"),
    )
    key = models.CharField(_("规则"), max_length=60, choices=RuleKey.choices)
    scope = models.CharField(
        _("适用范围"),
        max_length=8,
        choices=RuleScope.choices,
        default=RuleScope.ALL,
        help_text=_("单位或个人备案；“单位和个人”的行在没有更具体的行时适用。"),
    )
    value = models.JSONField(
        _("值"),
        help_text=_(
            'JSON 对象，规则值放在 “value” 中，例如 {"value": true}；'
            "各规则的格式见 icpfiling/registry/province_rules.py。"
        ),
    )
    effective_from = models.DateField(
        _("生效日期"),
        help_text=_(
            "本行适用的第一天。规则变化时不要修改旧行（那会改写历史）："
            "请新增一行（可用“保存为新的”），填写更晚的生效日期，"
            "新行从该日起取代旧行，旧行继续用于此前的日期。"
        ),
    )
    effective_to = models.DateField(
        _("失效日期"),
        null=True,
        blank=True,
        help_text=_("本行不再适用的第一天（不含当日）；留空表示长期有效。"),
    )
    source = models.CharField(
        _("来源"), max_length=120, help_text=_("依据的来源，例如种子数据的来源代码 QC-ZJ 或通知文号。")
    )
    as_of = models.CharField(
        _("来源日期"), max_length=200, blank=True, help_text=_("来源所述的日期原文，例如 “undated”。")
    )
    note = models.TextField(_("备注"), blank=True)
    # The seed file's own entry (with corroborating sources and conflict ids);
    # NULL for rows an operator added. The loader maintains rows that have it.
    seed_value = models.JSONField(_("种子数据原文"), null=True, blank=True, editable=False)
    # Set when an operator changes a row that came from the seed file: the
    # loader then leaves that row alone instead of resetting it.
    operator_edited = models.BooleanField(_("运营修改过"), default=False, editable=False)

    class Meta:
        ordering = ["province_id", "key", "scope", "-effective_from"]
        verbose_name = _("省份规则")
        verbose_name_plural = _("省份规则")
        constraints = [
            models.UniqueConstraint(
                fields=["province", "key", "scope", "effective_from"], name="province_rule_unique_from"
            ),
            models.UniqueConstraint(
                fields=["key", "scope", "effective_from"],
                name="province_rule_national_unique_from",
                condition=Q(province__isnull=True),
                violation_error_message=_("同一规则、范围和生效日期的全国默认值已存在。"),
            ),
            models.CheckConstraint(
                condition=Q(effective_to__isnull=True) | Q(effective_to__gt=F("effective_from")),
                name="province_rule_dates_ordered",
                violation_error_message=_("失效日期必须晚于生效日期。"),
            ),
        ]

    def __str__(self) -> str:
        where = self.province_id or "national"
        return f"{where} {self.key}/{self.scope} from {self.effective_from}"

    def clean(self) -> None:
        super().clean()
        errors = rule_value_errors(self.key, self.value) if self.key else []
        if errors:
            raise ValidationError({"value": errors})
