"""Which materials an order needs, and why (R-D1).

Computed from the entity's nature, the people (is a website principal someone
else?), the province rules in force and the websites' service content. Each
requirement carries a stable ``slot`` so that uploaded files attach to it.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from filings.models import FilingOrder, MaterialFile, MaterialKind, OrderType, OrderWebsite, ProviderDocument
from filings.ordertypes import spec_for
from icpfiling.core.pre_approvals import pre_approvals_in_force
from icpfiling.core.refcache import ReferenceCache
from icpfiling.core.validators import SERVICE_CONTENT_CHOICES, clean_resident_id
from icpfiling.registry.province_rules import EffectiveProvinceRules, province_rules_for

CURTAIN_MIN_SIZE = (800, 600)  # R-D3: curtain photos at least 800×600
_OPS = {">": operator.gt, ">=": operator.ge}
# Each provider's active extra materials, by tenant id; every write forgets them (filings.apps).
PROVIDER_DOCUMENTS_CACHE = ReferenceCache("provider_documents")


# The province rules' seed file notes conditions and some document names in English
# shorthand for its maintainers; applicants read them in the interface language.
PROVINCE_CONDITION_LABELS = {
    "> 31 domain prefixes under entity": _("主体下域名前缀超过 31 个"),
    "Shanghai ID whose number does not start with 310 -> valid 上海居住证 or 户口簿/户籍证明": _(
        "身份证号码不以 310 开头的负责人，须提供有效的上海居住证或户口簿/户籍证明"
    ),
    "all filings": _("所有备案"),
    "all new filings / new websites": _("所有首次备案和新增网站"),
    "any principal holds a non-江西 ID": _("任一负责人持非江西身份证"),
    "entity is a law firm": _("主办单位为律师事务所"),
    "entity runs internet-finance business": _("主办单位从事互联网金融业务"),
    "finance-related": _("涉及金融类业务"),
    "if subject principal is not the legal rep, website principal must be the same person": _(
        "主体负责人不是法定代表人时，网站负责人须为同一人"
    ),
    "legal rep does not reside in 内蒙古": _("法定代表人不在内蒙古居住"),
    "licence scope covers TV/film production but no online AV service": _(
        "营业执照经营范围含影视制作但不提供网络视听服务"
    ),
    "more than 5 domains": _("域名超过 5 个"),
    "site offers a public fundraising platform": _("网站提供公开募捐平台"),
    "subject principal is not the legal rep": _("主体负责人不是法定代表人"),
    "subject principal would be a foreigner (must authorise a Chinese citizen)": _(
        "主体负责人为外国人（须授权中国公民）"
    ),
    "template offered for Shanghai; when content is not cultural": _("网站内容不涉及文化类（上海提供模板）"),
    "template offered for 甘肃 (subject principal not legal rep)": _(
        "主体负责人不是法定代表人（甘肃提供模板）"
    ),
    "unit > 30 / personal > 5 websites under entity": _("单位主体下网站超过 30 个，个人超过 5 个"),
}
PROVINCE_DOCUMENT_LABELS = {
    "律师事务所执业许可证 (副本首页, 登记事项页, 最新年检页, 名称/住所变更页)": _(
        "律师事务所执业许可证（副本首页、登记事项页、最新年检页、名称/住所变更页）"
    ),
    (
        "承诺书 (internet-finance; sealed, signed by legal rep; "
        "with business intro, site content intro, licence copy)"
    ): _("互联网金融承诺书（盖章并由法定代表人签字，附业务介绍、网站内容介绍和营业执照复印件）"),
    "承诺书 (one per website, with the 网站建设方案书)": _("承诺书（每个网站一份，附网站建设方案书）"),
    "域名情况说明 (all domains owned; content will match filing; company seal or individual fingerprint)": _(
        "域名情况说明（域名均为自有、内容与备案一致；单位盖章或个人按手印）"
    ),
    "党建确认函 (issued by local 网信办; JD-rules calls it 党建证明)": _("党建确认函（由当地网信办出具）"),
}


def condition_label(condition: str) -> str:
    return str(PROVINCE_CONDITION_LABELS.get(condition, condition)) if condition else ""


def document_name_label(name: str) -> str:
    return str(PROVINCE_DOCUMENT_LABELS.get(name, name))


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
    template_url: str = ""  # a provider's template to download and fill in (seed 001)

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


def _nonlocal_principal(order: FilingOrder) -> bool | None:
    number = (order.principal_id_number or "").strip()
    if order.principal_id_type != "resident_id" or len(number) != 18:
        return None
    return number[:2] != order.province.admin_code[:2]


# The seed's conditions are English notes; each known one is either decided from the order
# (True: needed, False: not needed) or shown in Chinese for the applicant to judge (None).
_CONDITIONS: dict[str, tuple] = {
    "all filings": (lambda o, n: True, ""),
    "all new filings / new websites": (
        lambda o, n: o.order_type in (OrderType.NEW_ENTITY, OrderType.NEW_WEBSITE),
        "",
    ),
    "subject principal is not the legal rep": (
        lambda o, n: not o.is_individual and not o.principal_is_legal_rep,
        "",
    ),
    "template offered for 甘肃 (subject principal not legal rep)": (
        lambda o, n: not o.is_individual and not o.principal_is_legal_rep,
        "",
    ),
    "any principal holds a non-江西 ID": (
        lambda o, n: _nonlocal_principal(o),
        _("负责人持非江西身份证时提供"),
    ),
    "more than 5 domains": (lambda o, n: n > 5, ""),
    "entity is a law firm": (None, _("主办单位为律师事务所时提供")),
    "legal rep does not reside in 内蒙古": (None, _("法定代表人不在内蒙古居住时提供")),
    "template offered for Shanghai; when content is not cultural": (None, _("网站内容不涉及文化类时提供")),
    "subject principal would be a foreigner (must authorise a Chinese citizen)": (
        None,
        _("主体负责人为外国人时提供（须授权中国公民）"),
    ),
    "site offers a public fundraising platform": (None, _("网站提供公开募捐平台时提供")),
    "licence scope covers TV/film production but no online AV service": (
        None,
        _("经营范围含影视制作但不提供网络视听服务时提供"),
    ),
    "entity runs internet-finance business": (None, _("主办单位从事互联网金融业务时提供")),
    "finance-related": (None, _("涉及金融类业务时提供")),
}


def _condition(order: FilingOrder, text: str, domains: int) -> tuple[bool | None, object]:
    """(needed?, the condition in the applicant's language) for a province document's condition."""
    decide, shown = _CONDITIONS.get(text.strip(), (None, None))
    if shown is None:
        shown = _("视具体情况提供：%(c)s") % {"c": text}
    needed = decide(order, domains) if decide else None
    return needed, shown


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
                % {"type": str(order.certificate_type)},
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
                % {"p": order.province.label},
            )
        )
    age_rule = (rules.raw.get("age_rules") or {}).get("value") or {}
    if age_rule.get("below_min") in ("employment_proof", "employment_or_income_proof"):
        # R-V2: a principal under the province's age, accepted with proof of their own income.
        try:
            age = clean_resident_id(
                order.principal_id_number or "", today=timezone.localdate(), min_age=0
            ).age
        except ValidationError:
            age = None
        if age is not None and age < int(age_rule.get("min_age") or 18):
            reqs.append(
                Requirement(
                    "age_proof",
                    MaterialKind.PROVINCE_EXTRA,
                    _("就业或收入证明"),
                    _("主体负责人未满 %(n)s 周岁，%(p)s要求提供其以自己劳动收入为主要生活来源的证明。")
                    % {"n": age_rule.get("min_age"), "p": order.province.full_name},
                )
            )
    if order.is_individual and order.residence_proof:
        reqs.append(
            Requirement(
                "residence_proof",
                MaterialKind.RESIDENCE_PROOF,
                _("居住证明"),
                _("外省身份证在%(p)s备案：%(proof)s。")
                % {"p": order.province.label, "proof": order.residence_proof},
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
                        % {"p": order.province.label},
                        website=site,
                    )
                )
        if dc_needed and order.order_type != OrderType.NEW_ACCESS:
            reqs.append(
                Requirement(
                    f"domain_certificate:{site.pk}",
                    MaterialKind.DOMAIN_CERTIFICATE,
                    _("域名证书（%(d)s）") % {"d": label},
                    _("%(p)s要求提供域名证书，持有者须为主办单位。") % {"p": order.province.label},
                    website=site,
                )
            )
        in_force = pre_approvals_in_force(on=timezone.localdate())
        for code in site.service_content or []:
            if code in in_force:
                reqs.append(
                    Requirement(
                        f"pre_approval:{site.pk}:{code}",
                        MaterialKind.PRE_APPROVAL,
                        _("前置审批：%(doc)s（%(d)s）") % {"doc": in_force[code].document, "d": label},
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
        in_force = pre_approvals_in_force(on=timezone.localdate())  # the dated catalogue, as for websites
        for code in app.service_content or []:
            if code in in_force:
                reqs.append(
                    Requirement(
                        f"app_pre_approval:{app.pk}:{code}",
                        MaterialKind.PRE_APPROVAL,
                        _("前置审批：%(doc)s（%(d)s）") % {"doc": in_force[code].document, "d": label},
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
        needed = True
        if condition:
            needed, condition = _condition(order, condition, sum(1 for w in websites if w.domain))
            if needed is False:
                continue
            if needed:
                condition = ""
        reqs.append(
            Requirement(
                f"extra:{n}",
                MaterialKind.PROVINCE_EXTRA,
                document_name_label(doc.get("name", "")),
                _("%(p)s管局要求的材料。") % {"p": order.province.label},
                required=needed is True,
                condition=condition_label(str(condition)) if condition else "",
            )
        )
    # The provider's own extra materials (seed 001: 信息安全协议, two copies), as its admin keeps them.
    for doc in provider_documents_active(tenant_id=order.tenant_id):
        if doc.applies_to not in ("all", scope):
            continue
        reqs.append(
            Requirement(
                f"provider_doc:{doc.pk}",
                MaterialKind.PROVIDER_EXTRA,
                doc.name,
                _("%(desc)s（%(n)d 份，接入商要求的材料）") % {"desc": doc.description, "n": doc.copies},
                template_url=reverse(
                    "provider_docs:template", urlconf="icpfiling.urls.tenant", kwargs={"document_id": doc.pk}
                )
                if doc.template_name
                else "",
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


def provider_documents_active(*, tenant_id: int) -> tuple[ProviderDocument, ...]:
    """The provider's own materials it asks for now (shared, read-only rows; no query once built)."""
    return PROVIDER_DOCUMENTS_CACHE.get(
        tenant_id, lambda: tuple(ProviderDocument.objects.filter(tenant_id=tenant_id, active=True))
    )


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
        renamed = base.get("entity.entity_name") not in (None, order.entity_name)
        # R-C1: a new certificate number (三证合一) needs the issuing authority's proof and the new licence.
        recertified = base.get("entity.certificate_number") not in (None, order.certificate_number)
        if renamed or recertified:
            reqs.append(
                Requirement(
                    "change_proof",
                    MaterialKind.CHANGE_PROOF,
                    _("名称变更证明") if renamed else _("证件变更证明"),
                    _("主办单位更名，须提供登记机关的核准变更通知书（或更名后的证件）。")
                    if renamed
                    else _("三证合一换证，须提供发证机关的变更证明（或载明原注册号的新营业执照）。"),
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
            # The dated catalogue decides, as for first filings (abolished approvals are not asked).
            in_force = pre_approvals_in_force(on=timezone.localdate())
            for code in site.service_content or []:
                if code in in_force and code not in (base.get("service.service_content") or []):
                    reqs.append(
                        Requirement(
                            f"pre_approval:{site.pk}:{code}",
                            MaterialKind.PRE_APPROVAL,
                            _("前置审批：%(doc)s（%(d)s）")
                            % {"doc": in_force[code].document, "d": site.domain},
                            _("新增的服务内容须提供前置审批文件。"),
                            website=site,
                        )
                    )
    if kind == "change_app":  # R-AP2: a new app principal or new content needs the same papers
        for app in order.apps.all()[:1]:
            if not app.principal_same_as_entity and base.get("service.principal_name") != app.principal_name:
                reqs.append(
                    Requirement(
                        f"app_principal_id:{app.pk}",
                        MaterialKind.WEBSITE_PRINCIPAL_ID,
                        _("App负责人证件（%(d)s）") % {"d": app.name},
                        _("App负责人%(name)s的证件原件彩色照片（人像面）。") % {"name": app.principal_name},
                    )
                )
            in_force = pre_approvals_in_force(on=timezone.localdate())
            for code in app.service_content or []:
                if code in in_force and code not in (base.get("service.service_content") or []):
                    reqs.append(
                        Requirement(
                            f"app_pre_approval:{app.pk}:{code}",
                            MaterialKind.PRE_APPROVAL,
                            _("前置审批：%(doc)s（%(d)s）") % {"doc": in_force[code].document, "d": app.name},
                            _("新增的服务内容须提供前置审批文件。"),
                        )
                    )
    if kind in ("change_entity", "change_website", "change_app"):
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
    if kind in ("cancel_entity", "cancel_website", "cancel_app"):
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
