"""Order type detection (R-O1…R-O4, R-O6): the decision table of the domain reference §1.2.

The applicant gives province, nature, certificate type and number and the first
domain; the registry answers. The result is a type or a precise block reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.appchecks import (
    MINI_PLATFORM_CHOICES,
    MINI_PREFIX,
    clean_mini_appid,
    clean_package_name,
    detection_platform_choices,
)
from filings.changes.detection import detection_offers
from filings.models import AppPlatform, OrderType
from filings.orders.selectors import applicant_open_order_holding, orders_in_flight_anywhere
from icpfiling.core import validators as v
from icpfiling.core.text import list_join
from icpfiling.registry.models import CertificateType, EntityNature, FiledEntity, FiledWebsite, Province
from icpfiling.registry.selectors import filed_app_package_find, filed_entity_find, filed_website_find
from icpfiling.tenancy.models import Provider

MINI_PLATFORMS = {code for code, _label in MINI_PLATFORM_CHOICES}
CERT_TYPES_WITH_USCC = {"uscc", "business_licence", "organisation_code"}


@dataclass
class DetectionInput:
    province: Province
    nature: EntityNature
    certificate_type: CertificateType
    certificate_number: str
    domain: str
    city: str = ""
    county: str = ""
    # R-AP1: an app-only filing names its first app (platform + package name) instead of a domain.
    app_platform: str = ""
    app_package: str = ""

    @property
    def is_app(self) -> bool:
        return not (self.domain or "").strip() and bool((self.app_package or "").strip())


@dataclass
class Detection:
    order_type: str | None = None
    block: str = ""  # a code; empty when the type was decided
    message: str = ""
    entity: FiledEntity | None = None
    website: FiledWebsite | None = None
    entity_key: str = ""
    certificate_number: str = ""
    site: v.SiteAddress | None = None
    app_package: str = ""  # the cleaned package name of an app-only filing
    entity_at_this_provider: bool = False
    field_errors: dict[str, list] = field(default_factory=dict)
    # R-O4 / R-C7: instead of a dead end, the change or cancel orders that apply (``changes.detection``).
    offers: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.order_type) and not self.block and not self.field_errors


def _clean_certificate(data: DetectionInput, errors: dict[str, list]) -> str:
    number = "".join(data.certificate_number.split()).upper()
    if not number:
        errors.setdefault("certificate_number", []).append(_("请填写证件号码。"))
        return ""
    if data.nature.is_individual:
        if data.certificate_type.code == "resident_id":
            try:
                return v.clean_resident_id(number, today=timezone.localdate()).number
            except ValidationError as exc:
                errors.setdefault("certificate_number", []).extend(exc.messages)
                return number
        return number
    kind = v.certificate_number_kind(number)
    if kind == "uscc" or (len(number) == 18 and data.certificate_type.code in CERT_TYPES_WITH_USCC):
        try:
            return v.clean_uscc(number)
        except ValidationError as exc:
            errors.setdefault("certificate_number", []).extend(exc.messages)
    return number


def _in_flight_here_message(tenant_id: int, applicant_id: int, result: Detection) -> str:
    """What is true when an open order at this provider holds the entity or domain.

    Only the applicant's own order is "in 我的备案"; another applicant's order is named
    as existing, never by whom (issue 12), with what this applicant can do about it.
    """
    own = applicant_open_order_holding(
        tenant_id=tenant_id,
        applicant_id=applicant_id,
        entity_key=result.entity_key,
        domains=[result.site.value],
    )
    if own is not None:
        return _("您已有一个该主体或域名正在办理的备案订单（订单 %(n)s），请在“我的备案”中继续办理。") % {
            "n": own.pk
        }
    provider = Provider.objects.get(pk=tenant_id)
    return _(
        "本接入商的另一位申请人已有一个该主体或域名正在办理的备案订单（为保护对方信息，不显示是谁）。"
        "如果是您单位的同事提交的，请与其联系，由其继续办理或放弃该订单；否则请联系%(provider)s核实。"
        "未提交的草稿闲置 %(days)s 天后自动过期，过期后即可重新办理。"
    ) % {"provider": provider.name, "days": provider.order_expiry_days}


def order_detect(*, tenant_id: int, data: DetectionInput, applicant_id: int | None = None) -> Detection:
    """Decide the order type for ``data`` at provider ``tenant_id``, or say why not."""
    errors: dict[str, list] = {}
    result = Detection(field_errors=errors)
    if not data.nature.certificate_types.filter(pk=data.certificate_type.pk).exists():
        # Name the types that do apply: "not for 企业" alone left applicants guessing.
        valid = list_join(data.nature.certificate_types.all())
        errors.setdefault("certificate_type", []).append(
            _("“%(type)s”不适用于%(nature)s。%(nature)s请选择：%(valid)s。")
            % {"type": data.certificate_type, "nature": data.nature, "valid": valid}
        )
    number = _clean_certificate(data, errors)
    if data.is_app:
        if (
            data.app_platform.startswith(MINI_PREFIX)
            and data.app_platform[len(MINI_PREFIX) :] in MINI_PLATFORMS
        ):
            try:  # R-AP3: a mini-program or quick app is known by its platform and AppID
                result.app_package = clean_mini_appid(data.app_package)
            except ValidationError as exc:
                errors.setdefault("app_package", []).extend(exc.messages)
        elif data.app_platform not in AppPlatform.values:
            errors.setdefault("app_platform", []).append(_("请选择 App 的平台。"))
        else:
            try:
                result.app_package = clean_package_name(data.app_package, platform=data.app_platform)
            except ValidationError as exc:
                errors.setdefault("app_package", []).extend(exc.messages)
    else:
        try:
            result.site = v.clean_site_address(data.domain)
        except ValidationError as exc:
            errors.setdefault("domain", []).extend(exc.messages)
    if errors:
        return result
    result.certificate_number = number
    entity = filed_entity_find(certificate_number=number)
    website = None if data.is_app else filed_website_find(domain=result.site.value)
    result.entity, result.website = entity, website
    if entity is None:
        kind = v.certificate_number_kind(number)
        # R-V1: pre-三证合一 numbers are only accepted for entities the registry knows.
        if not data.nature.is_individual and kind in {"registration_number", "organisation_code"}:
            errors.setdefault("certificate_number", []).append(
                _("旧版注册号或组织机构代码只能用于已备案的主体；新主体请填写18位统一社会信用代码。")
            )
            return result
        result.entity_key = f"{data.certificate_type.code}:{number}"
    else:
        result.entity_key = f"entity:{entity.pk}"
        if entity.province_id != data.province.pk:
            errors.setdefault("province", []).append(
                _("该主体已在%(p)s备案，请选择%(p)s。") % {"p": entity.province.label}
            )
        if entity.nature_id != data.nature.pk:
            errors.setdefault("nature", []).append(
                _("该主体备案时的性质是“%(n)s”，请保持一致。") % {"n": str(entity.nature)}
            )
        if errors:
            return result
        result.entity_at_this_provider = (
            entity.websites.filter(
                access_records__provider_id=tenant_id, access_records__ended_at__isnull=True
            ).exists()
            or entity.apps.filter(provider_id=tenant_id, status="active").exists()
        )

    in_flight = orders_in_flight_anywhere(
        entity_key=result.entity_key, domains=[] if data.is_app else [result.site.value]
    )
    if in_flight:
        here = any(t == tenant_id for t, _k in in_flight)
        result.block = "in_flight"
        if here and applicant_id is not None:
            result.message = _in_flight_here_message(tenant_id, applicant_id, result)
            return result
        result.message = (
            _("该主体或域名在本接入商已有一个正在办理的备案订单，请在“我的备案”中继续办理。")
            if here
            else _(
                "该主体或域名在其他接入商有正在办理的备案订单（主办者冲突/域名冲突），需等该订单办结或撤销后再提交。"
            )
        )
        return result

    if entity is None:
        if website is not None:
            result.block = "domain_filed_by_other"
            result.message = _(
                "域名 %(d)s 已由其他主体备案（%(n)s）。请先由原主体注销该网站备案，或更换域名。"
            ) % {"d": result.site.display, "n": website.website_number}
            return result
        result.order_type = OrderType.NEW_ENTITY
        return result

    active_sites = entity.websites.filter(status="active")
    # R-AP1: an entity with only apps filed is not an empty shell.
    if not active_sites.exists() and not entity.apps.filter(status="active").exists():
        result.block = "empty_shell"
        result.message = _("该主体已没有任何备案网站（空壳主体），需先注销主体备案后再重新备案。")
        result.offers = detection_offers(tenant_id=tenant_id, entity=entity, block=result.block)
        return result
    if data.is_app:
        # R-AP5: one entity files a platform + package name once.
        filed = filed_app_package_find(
            entity_id=entity.pk, platform=data.app_platform, package_name=result.app_package
        )
        if filed is not None:
            result.block = "app_already_filed"
            result.message = _("该主体已备案 %(p)s 包名 %(n)s（%(num)s），无需再次备案。") % {
                "p": dict(detection_platform_choices()).get(data.app_platform, data.app_platform),
                "n": result.app_package,
                "num": filed.app.service_number,
            }
            result.offers = detection_offers(
                tenant_id=tenant_id, entity=entity, block=result.block, app=filed.app
            )
            return result
        result.order_type = OrderType.NEW_APP  # R-AP1: 新增App, like 新增网站
        return result
    if website is None:
        result.order_type = OrderType.NEW_WEBSITE
        return result
    if website.entity_id != entity.pk:
        result.block = "domain_filed_by_other"
        result.message = _(
            "域名 %(d)s 已由其他主体备案（%(n)s）。请先由原主体注销该网站备案，或更换域名。"
        ) % {
            "d": result.site.display,
            "n": website.website_number,
        }
        return result
    if website.access_records.filter(provider_id=tenant_id, ended_at__isnull=True).exists():
        result.block = "already_connected"
        result.message = _(
            "网站 %(d)s（%(n)s）已接入本接入商，无需再次备案。"
            "如需修改信息请办理变更备案，不再使用请办理取消接入或注销网站。"
        ) % {"d": result.site.display, "n": website.website_number}
        result.offers = detection_offers(
            tenant_id=tenant_id, entity=entity, block=result.block, service=website
        )
        return result
    result.order_type = OrderType.NEW_ACCESS
    return result
