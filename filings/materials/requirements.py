"""Which materials an order needs, and why (R-D1).

Computed from the entity's nature, the people (is a website principal someone
else?), the province rules in force and the websites' service content. Each
requirement carries a stable ``slot`` so that uploaded files attach to it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import FilingOrder, MaterialFile, MaterialKind, OrderType, OrderWebsite
from filings.ordertypes import spec_for
from icpfiling.core.validators import PRE_APPROVAL_REQUIRED, SERVICE_CONTENT_CHOICES
from icpfiling.registry.province_rules import EffectiveProvinceRules, province_rules_for

CURTAIN_MIN_SIZE = (800, 600)  # R-D3: curtain photos at least 800×600
_OPS = {">": operator.gt, ">=": operator.ge}


@dataclass
class Requirement:
    slot: str
    kind: str
    title: object
    reason: object
    website: OrderWebsite | None = None
    required: bool = True
    condition: str = ""  # shown when the need depends on facts the portal cannot check
    later: bool = False  # provided at a later stage (curtain photo at verification)
    min_size: tuple[int, int] | None = None
    files: list[MaterialFile] = field(default_factory=list)

    @property
    def done(self) -> bool:
        return bool(self.files)

    @property
    def state(self) -> str:
        if self.files:
            return "uploaded"
        if self.later:
            return "later"
        return "missing" if self.required else "optional"


def _domain_count(order: FilingOrder, websites: list[OrderWebsite], counting: str) -> int:
    count = sum(1 for w in websites if w.domain)
    if "under entity" in counting and order.registry_entity_id:
        count += order.registry_entity.websites.filter(status="active").count()
    return count


def _threshold_met(threshold: dict | None, count: int) -> bool:
    if not threshold:
        return True
    op = _OPS.get(threshold.get("op", ">="), operator.ge)
    return op(count, int(threshold.get("n", 0)))


def requirements_for(order: FilingOrder, *, rules: EffectiveProvinceRules | None = None) -> list[Requirement]:
    """The materials this order needs, in the order the upload page lists them."""
    websites = list(order.websites.all())
    scope = "personal" if order.is_individual else "unit"
    rules = rules or province_rules_for(province_code=order.province_id, scope=scope, on=timezone.localdate())
    if spec_for(order.order_type).materials != "full":  # R-C1…R-C6: the type's own set
        return _with_files(order, change_requirements(order))
    reqs: list[Requirement] = []
    if not order.is_individual:
        reqs.append(
            Requirement(
                "licence",
                MaterialKind.LICENCE,
                _("单位证件"),
                _("%(type)s的彩色扫描件或照片，证件号码须与订单一致。")
                % {"type": order.certificate_type.name},
            )
        )
    reqs += [
        Requirement(
            "principal_id_front",
            MaterialKind.PRINCIPAL_ID_FRONT,
            _("主体负责人证件（人像面）"),
            _("主体负责人%(name)s的证件原件彩色照片。") % {"name": order.principal_name or ""},
        ),
        Requirement(
            "principal_id_back",
            MaterialKind.PRINCIPAL_ID_BACK,
            _("主体负责人证件（国徽面）"),
            _("证件背面，须在有效期内。"),
        ),
    ]
    if (
        not order.is_individual
        and not order.principal_is_legal_rep
        and rules.principal_authorisation_letter_allowed
    ):
        reqs.append(
            Requirement(
                "principal_letter",
                MaterialKind.AUTHORISATION_LETTER,
                _("法定代表人授权书"),
                _("主体负责人不是法定代表人，%(p)s要求法定代表人签字盖章的授权书。")
                % {"p": order.province.full_name},
            )
        )
    if order.is_individual and order.residence_proof:
        reqs.append(
            Requirement(
                "residence_proof",
                MaterialKind.RESIDENCE_PROOF,
                _("居住证明"),
                _("外省身份证在%(p)s备案：%(proof)s。")
                % {"p": order.province.full_name, "proof": order.residence_proof},
            )
        )
    labels = dict(SERVICE_CONTENT_CHOICES)
    domain_cert = (rules.raw.get("domain_certificate_required") or {}) if rules.raw else {}
    dc_value = domain_cert.get("value")
    dc_needed = dc_value in {"always", "always_for_new_domains_in_order"} or (
        dc_value in {"when_count_exceeds", "when_count_at_least"}
        and _threshold_met(
            domain_cert.get("threshold"),
            _domain_count(order, websites, (domain_cert.get("threshold") or {}).get("counting", "")),
        )
    )
    for i, site in enumerate(websites):
        label = site.domain_display or site.domain or f"#{i + 1}"
        if not site.principal_same_as_entity:
            reqs.append(
                Requirement(
                    f"website_principal_id:{site.pk}",
                    MaterialKind.WEBSITE_PRINCIPAL_ID,
                    _("网站负责人证件（%(d)s）") % {"d": label},
                    _("网站负责人%(name)s的证件原件彩色照片（人像面）。") % {"name": site.principal_name},
                    website=site,
                )
            )
            if rules.website_principal_letter_required and not order.is_individual:
                reqs.append(
                    Requirement(
                        f"website_letter:{site.pk}",
                        MaterialKind.AUTHORISATION_LETTER,
                        _("网站负责人授权书（%(d)s）") % {"d": label},
                        _("网站负责人与主体负责人不是同一人，%(p)s要求网站负责人授权书。")
                        % {"p": order.province.full_name},
                        website=site,
                    )
                )
        if dc_needed and order.order_type != OrderType.NEW_ACCESS:
            reqs.append(
                Requirement(
                    f"domain_certificate:{site.pk}",
                    MaterialKind.DOMAIN_CERTIFICATE,
                    _("域名证书（%(d)s）") % {"d": label},
                    _("%(p)s要求提供域名证书，持有者须为主办单位。") % {"p": order.province.full_name},
                    website=site,
                )
            )
        for code in site.service_content or []:
            if code in PRE_APPROVAL_REQUIRED:
                reqs.append(
                    Requirement(
                        f"pre_approval:{site.pk}:{code}",
                        MaterialKind.PRE_APPROVAL,
                        _("前置审批：%(doc)s（%(d)s）") % {"doc": PRE_APPROVAL_REQUIRED[code], "d": label},
                        _("服务内容含“%(c)s”，须提供前置审批文件。") % {"c": labels.get(code, code)},
                        website=site,
                    )
                )
    # R-AP2: an app's principal and pre-approvals need the same papers as a website's.
    for i, app in enumerate(order.apps.all() if order.pk else []):
        label = app.name or f"App {i + 1}"
        if not app.principal_same_as_entity:
            reqs.append(
                Requirement(
                    f"app_principal_id:{app.pk}",
                    MaterialKind.WEBSITE_PRINCIPAL_ID,
                    _("App负责人证件（%(d)s）") % {"d": label},
                    _("App负责人%(name)s的证件原件彩色照片（人像面）。") % {"name": app.principal_name},
                )
            )
        for code in app.service_content or []:
            if code in PRE_APPROVAL_REQUIRED:
                reqs.append(
                    Requirement(
                        f"app_pre_approval:{app.pk}:{code}",
                        MaterialKind.PRE_APPROVAL,
                        _("前置审批：%(doc)s（%(d)s）") % {"doc": PRE_APPROVAL_REQUIRED[code], "d": label},
                        _("服务内容含“%(c)s”，须提供前置审批文件。") % {"c": labels.get(code, code)},
                    )
                )
    for n, doc in enumerate(rules.extra_documents):
        scopes = doc.get("scope") or ["unit", "personal"]
        if isinstance(scopes, str):
            scopes = [scopes]
        if scope not in scopes and "all" not in scopes:
            continue
        threshold = doc.get("threshold")
        if threshold and not _threshold_met(
            threshold, _domain_count(order, websites, threshold.get("counting", ""))
        ):
            continue
        condition = "" if threshold else (doc.get("condition") or "")
        reqs.append(
            Requirement(
                f"extra:{n}",
                MaterialKind.PROVINCE_EXTRA,
                doc.get("name", ""),
                _("%(p)s管局要求的材料。") % {"p": order.province.full_name},
                required=not condition,
                condition=condition,
            )
        )
    reqs.append(
        Requirement(
            "verification_sheet",
            MaterialKind.VERIFICATION_SHEET,
            _("真实性核验单（签字扫描件）"),
            _("下载本订单的核验单，打印后由负责人签字，拍照或扫描上传。"),
        )
    )
    reqs.append(
        Requirement(
            "curtain_photo",
            MaterialKind.CURTAIN_PHOTO,
            _("幕布照片"),
            _("远程核验时在幕布前拍摄并上传；到核验点核验时由工作人员拍摄。至少 800×600 像素。"),
            required=False,
            min_size=CURTAIN_MIN_SIZE,
        )
    )
    return _with_files(order, reqs)


def _with_files(order: FilingOrder, reqs: list[Requirement]) -> list[Requirement]:
    files = list(order.materials.all()) if order.pk else []
    by_slot: dict[str, list[MaterialFile]] = {}
    for f in files:
        by_slot.setdefault(f.slot, []).append(f)
    for r in reqs:
        r.files = by_slot.get(r.slot, [])
    return reqs


def missing_materials(order: FilingOrder) -> list[Requirement]:
    return [r for r in requirements_for(order) if r.state == "missing"]


def _baseline(order: FilingOrder) -> dict:
    change = getattr(order, "change", None) if order.pk else None
    return change.baseline if change is not None else {}


def change_requirements(order: FilingOrder) -> list[Requirement]:
    """Materials of a change or cancel order (R-C1, R-C4, R-C5; domain reference §1.1).

    A name change needs the registrar's proof; a new principal their ID; every
    change the province's signed 变更 form, every cancellation its 注销 form.
    变更接入 and 取消接入 need nothing: the provider's own data changes.
    """
    kind = spec_for(order.order_type).materials
    base = _baseline(order)
    reqs: list[Requirement] = []
    licence = Requirement(
        "licence",
        MaterialKind.LICENCE,
        _("单位证件"),
        _("%(type)s的彩色扫描件或照片，证件号码须与备案一致。") % {"type": order.certificate_type.name},
    )
    id_front = Requirement(
        "principal_id_front",
        MaterialKind.PRINCIPAL_ID_FRONT,
        _("主体负责人证件（人像面）"),
        _("主体负责人%(name)s的证件原件彩色照片。") % {"name": order.principal_name or ""},
    )
    if kind == "change_entity":
        if base.get("entity.entity_name") not in (None, order.entity_name):
            reqs.append(
                Requirement(
                    "change_proof",
                    MaterialKind.CHANGE_PROOF,
                    _("名称变更证明"),
                    _("主办单位更名，须提供登记机关的核准变更通知书（或更名后的证件）。"),
                )
            )
            if not order.is_individual:
                reqs.append(licence)
        if base.get("entity.principal_name") not in (None, order.principal_name):
            reqs.append(id_front)
            reqs.append(
                Requirement(
                    "principal_id_back",
                    MaterialKind.PRINCIPAL_ID_BACK,
                    _("主体负责人证件（国徽面）"),
                    _("证件背面，须在有效期内。"),
                )
            )
    if kind == "change_website":
        for site in order.websites.all()[:1]:
            if (
                not site.principal_same_as_entity
                and base.get("service.principal_name") != site.principal_name
            ):
                reqs.append(
                    Requirement(
                        f"website_principal_id:{site.pk}",
                        MaterialKind.WEBSITE_PRINCIPAL_ID,
                        _("网站负责人证件（%(d)s）") % {"d": site.domain},
                        _("网站负责人%(name)s的证件原件彩色照片（人像面）。") % {"name": site.principal_name},
                        website=site,
                    )
                )
            for code in site.service_content or []:
                if code in PRE_APPROVAL_REQUIRED and code not in (base.get("service.service_content") or []):
                    reqs.append(
                        Requirement(
                            f"pre_approval:{site.pk}:{code}",
                            MaterialKind.PRE_APPROVAL,
                            _("前置审批：%(doc)s（%(d)s）")
                            % {"doc": PRE_APPROVAL_REQUIRED[code], "d": site.domain},
                            _("新增的服务内容须提供前置审批文件。"),
                            website=site,
                        )
                    )
    if kind in ("change_entity", "change_website"):
        reqs.append(
            Requirement(
                "change_form",
                MaterialKind.CHANGE_FORM,
                _("备案变更申请表"),
                _("%(p)s管局的备案变更申请表，负责人签字（单位加盖公章）后拍照或扫描上传。")
                % {"p": order.province.full_name},
            )
        )
    if kind == "cancel_entity":
        if not order.is_individual:
            reqs.append(licence)
        reqs.append(id_front)
    if kind in ("cancel_entity", "cancel_website"):
        reqs.append(
            Requirement(
                "cancel_form",
                MaterialKind.CANCEL_FORM,
                _("备案注销申请表"),
                _("%(p)s管局的备案注销申请表，负责人签字（单位加盖公章）后拍照或扫描上传。")
                % {"p": order.province.full_name},
            )
        )
    return reqs
