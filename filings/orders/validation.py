"""Whole-order validation: every error at once, keyed by field path (R-V*, R-W*).

Drafts keep whatever was typed; this function says what is wrong with it. It
runs after every save (errors shown next to their fields) and at submission
(nothing is submitted while any error remains).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from filings.appchecks import apps_errors
from filings.changes.validation import change_errors
from filings.models import OPEN_STATUSES, FilingOrder, OrderType, OrderWebsite
from filings.ordertypes import CHANGE_TYPES
from icpfiling.core import validators as v
from icpfiling.core.text import list_join
from icpfiling.registry.models import FiledEntity, RegistryStatus
from icpfiling.registry.province_rules import province_rules_for
from icpfiling.registry.selectors import domains_taken

Errors = dict[str, list[str]]


def _run(errors: Errors, key: str, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        errors[key].extend(exc.messages)
        return None


def _required(errors: Errors, key: str, value, label) -> bool:
    if value in ("", None, [], {}):
        errors[key].append(_("请填写%(label)s。") % {"label": label})
        return False
    return True


# Below the province's minimum age, "employment_proof" rules accept a principal of 16 or more
# with proof of living on their own income (民法典第十八条: 十六周岁以上…以自己的劳动收入为主要
# 生活来源的，视为完全民事行为能力人); the proof is then asked as a material.
PROOF_FLOOR_AGE = 16
AGE_PROOF_RULES = ("employment_proof", "employment_or_income_proof")


def _min_age(rules) -> int:
    """R-V2: the youngest principal the province's age rule accepts (18 without a rule)."""
    value = (rules.raw.get("age_rules") or {}).get("value") if rules is not None else None
    try:
        min_age = int(value["min_age"])
    except (TypeError, KeyError, ValueError):
        return v.ADULT_AGE
    if value.get("below_min") in AGE_PROOF_RULES:
        return min(min_age, PROOF_FLOOR_AGE)
    return min_age


def _same_name(a: str, b: str) -> bool:
    """Registrant vs entity: compared without spaces, brackets' width or letter case."""

    def norm(x: str) -> str:
        return "".join(x.split()).replace("（", "(").replace("）", ")").casefold()

    return norm(a) == norm(b)


def _person(
    errors: Errors, prefix: str, obj, today: date, *, need_id: bool = True, min_age: int = v.ADULT_AGE
) -> None:
    _required(errors, f"{prefix}principal_name", obj.principal_name, _("负责人姓名"))
    has_id = _required(errors, f"{prefix}principal_id_number", obj.principal_id_number, _("证件号码"))
    if has_id and need_id and obj.principal_id_type == "resident_id":
        _run(
            errors,
            f"{prefix}principal_id_number",
            v.clean_resident_id,
            obj.principal_id_number,
            today=today,
            min_age=min_age,
        )
    _run(
        errors,
        f"{prefix}principal_id_valid_until",
        v.check_id_validity,
        valid_until=obj.principal_id_valid_until,
        long_term=obj.principal_id_long_term,
        today=today,
    )
    if _required(errors, f"{prefix}principal_mobile", obj.principal_mobile, _("手机号码")):
        _run(errors, f"{prefix}principal_mobile", v.clean_mobile, obj.principal_mobile)
    if _required(errors, f"{prefix}principal_email", obj.principal_email, _("电子邮箱")):
        try:
            from django.core.validators import validate_email

            validate_email(obj.principal_email)
        except ValidationError:
            errors[f"{prefix}principal_email"].append(
                _("邮箱格式不正确，请填写形如 name@example.com 的地址。")
            )


def _mobile_registry_rules(errors: Errors, p: str, order: FilingOrder) -> None:
    """R-V3: one mobile number belongs to one entity across the registry."""
    if not order.principal_mobile:
        return
    try:
        mobile = v.clean_mobile(order.principal_mobile)
    except ValidationError:
        return
    # R-X1: found by the blind index (the column holds ciphertext).
    taken = FiledEntity.objects.filter(principal_mobile_bidx=mobile, status=RegistryStatus.ACTIVE)
    if order.registry_entity_id:
        taken = taken.exclude(pk=order.registry_entity_id)
    if taken.exists():
        errors[p + "principal_mobile"].append(
            _("该手机号码已登记为其他主体的负责人号码，一个手机号码只能用于一个主体，请更换。")
        )


def entity_errors(order: FilingOrder, *, today: date) -> Errors:
    errors: Errors = defaultdict(list)
    p = "entity."
    _required(errors, p + "entity_name", order.entity_name, _("主办单位名称"))
    if not order.is_individual:
        _required(errors, p + "registered_address", order.registered_address, _("证件住所"))
        _required(errors, p + "investor", order.investor, _("投资人或主管单位"))
    _required(errors, p + "communication_address", order.communication_address, _("通讯地址"))
    rules = province_rules_for(
        province_code=order.province_id, scope="personal" if order.is_individual else "unit", on=today
    )
    _person(errors, p, order, today, min_age=_min_age(rules))
    if not order.is_individual:
        # Seed 003: the provider checks the licence's validity and business scope.
        if order.licence_valid_until is None and not order.licence_long_term:
            errors[p + "licence_valid_until"].append(
                _("请填写营业执照有效期（营业期限）的截止日期，长期有效请勾选“营业执照长期有效”。")
            )
        elif not order.licence_long_term and order.licence_valid_until < today:
            errors[p + "licence_valid_until"].append(
                _("营业执照已于 %(d)s 过期，请先到市场监管部门办理延期后再备案。")
                % {"d": order.licence_valid_until.isoformat()}
            )
        _required(errors, p + "business_scope", order.business_scope.strip(), _("经营范围"))
    if order.principal_landline:
        _run(errors, p + "principal_landline", v.clean_landline, order.principal_landline)
    if _required(errors, p + "emergency_mobile", order.emergency_mobile, _("应急联系电话")):
        _run(errors, p + "emergency_mobile", v.clean_mobile, order.emergency_mobile)
    _mobile_registry_rules(errors, p, order)
    # R-V4: units whose province requires it must name the legal representative.
    if (
        not order.is_individual
        and rules.principal_must_be_legal_rep
        and not rules.principal_authorisation_letter_allowed
        and not order.principal_is_legal_rep
    ):
        errors[p + "principal_is_legal_rep"].append(
            _("%(p)s要求主体负责人为法定代表人，请填写法定代表人的信息。") % {"p": order.province.label}
        )
    # R-V4: an individual is their own entity principal.
    if (
        order.is_individual
        and order.principal_id_number
        and order.certificate_number
        and order.principal_id_number.strip().upper() != order.certificate_number.strip().upper()
    ):
        errors[p + "principal_id_number"].append(
            _("个人备案的主体负责人必须是本人，证件号码应与主体证件号码一致。")
        )
    # R-V5: individuals file in the province of their ID, or with residence proof where allowed.
    nonlocal_individual = (
        order.is_individual
        and order.certificate_type_id == "resident_id"
        and len(order.certificate_number) == 18
        and order.certificate_number[:2] != order.province.admin_code[:2]
    )
    if nonlocal_individual and rules.personal_nonlocal == "refused":
        errors[p + "certificate_number"].append(
            _("%(p)s不接受外省身份证的个人备案，请在身份证所属省份备案。") % {"p": order.province.label}
        )
    if (
        nonlocal_individual
        and rules.personal_nonlocal == "residence_proof"
        and not order.residence_proof.strip()
    ):
        errors[p + "residence_proof"].append(
            _("外省身份证在%(p)s备案需提供居住证明，请填写将上传的证明类型（可用：%(proofs)s）。")
            % {"p": order.province.label, "proofs": list_join(rules.residence_proofs) or _("居住证")}
        )
    # Province rule: some provinces require mobiles issued in the province.
    if rules.phone_must_be_local and order.principal_mobile:
        region = v.mobile_region(order.principal_mobile)
        if region and not region.startswith(order.province.full_name):
            errors[p + "principal_mobile"].append(
                _("%(p)s要求使用本省手机号码，该号码归属地为%(r)s。")
                % {"p": order.province.label, "r": region}
            )
    return dict(errors)


def _server_usage(server_ids: list[int]) -> dict[int, int]:
    """Websites of open orders on each server, in one query (R-W4's capacity)."""
    rows = (
        OrderWebsite.objects.filter(server_id__in=server_ids, order__status__in=OPEN_STATUSES)
        .values("server_id")
        .annotate(n=Count("id"))
    )
    return {r["server_id"]: r["n"] for r in rows}


def extra_domain_errors(site: OrderWebsite) -> Errors:
    """R-C2: each further domain is a registrable domain like the main one, once, and not filed elsewhere."""
    extras = list(site.extra_domains or [])
    if not extras:
        return {}
    errors: Errors = defaultdict(list)
    for d in extras:
        try:
            addr = v.clean_site_address(d)
        except ValidationError as exc:
            errors["extra_domains"].extend(f"{d}：{m}" for m in exc.messages)
            continue
        if addr.kind != "domain":
            errors["extra_domains"].append(_("%(d)s：其他域名只能填写域名，不能填写 IP 地址。") % {"d": d})
        elif addr.value == site.domain:
            errors["extra_domains"].append(_("%(d)s 已是本网站的主域名，请勿重复填写。") % {"d": d})
    for d in domains_taken(extras, exclude_website_id=site.registry_website_id):
        errors["extra_domains"].append(_("域名 %(d)s 已由其他网站备案，不能再填写。") % {"d": d})
    return errors


def website_errors(
    order: FilingOrder,
    site: OrderWebsite,
    index: int,
    *,
    today: date,
    server_usage: dict[int, int] | None = None,
    rules=None,
) -> Errors:
    errors: Errors = defaultdict(list)
    p = f"websites[{index}]."
    if rules is None:
        rules = province_rules_for(
            province_code=order.province_id, scope="personal" if order.is_individual else "unit", on=today
        )
    if _required(errors, p + "name", site.name, _("网站名称")):
        _run(
            errors,
            p + "name",
            v.clean_website_name,
            site.name,
            individual=order.is_individual,
            domain=site.domain or None,
        )
    if _required(errors, p + "domain", site.domain_display or site.domain, _("域名")):
        _run(errors, p + "domain", v.clean_site_address, site.domain_display or site.domain)
    for k, msgs in extra_domain_errors(site).items():
        errors[p + k].extend(msgs)
    if order.order_type != OrderType.NEW_ACCESS:
        svc = v.check_service_content(
            codes=list(site.service_content or []),
            pre_approvals=dict(site.pre_approvals or {}),
            individual=order.is_individual,
            today=today,
            details=dict(site.pre_approval_details or {}),
        )
        for key, errs in svc.items():
            errors[p + key].extend(m for e in errs for m in e.messages)
        _run(
            errors,
            p + "domain_real_name_on",
            v.check_domain_real_name,
            verified_on=site.domain_real_name_on,
            today=today,
        )
    if site.address_kind != "ip" and order.order_type != OrderType.NEW_ACCESS:
        _domain_registration(errors, p, order, site, today=today, min_days=rules.min_domain_validity_days)
    if not site.languages:
        errors[p + "languages"].append(_("请至少选择一种网站语言。"))
    if site.server is None:
        errors[p + "server"].append(_("请选择网站所在的服务器（须为本接入商的服务器）。"))
    else:
        _run(errors, p + "server", v.check_server_validity, paid_until=site.server.paid_until, today=today)
        if server_usage is None:
            server_usage = _server_usage([site.server_id])
        # The usage counts this website too when its order is open (drafts are).
        total = server_usage.get(site.server_id, 0) + (0 if order.status in OPEN_STATUSES else 1)
        if total > site.server.capacity:
            errors[p + "server"].append(
                _("服务器 %(s)s 已承载 %(n)d 个网站，达到上限，请选择其他服务器。")
                % {"s": site.server.label, "n": site.server.capacity}
            )
    if order.is_individual and not site.principal_same_as_entity:
        errors[p + "principal_same_as_entity"].append(_("个人备案的网站负责人必须是主体负责人本人。"))
    elif not site.principal_same_as_entity:
        _person(errors, p, site, today, min_age=_min_age(rules))
    return dict(errors)


def _domain_registration(
    errors: Errors, p: str, order: FilingOrder, site: OrderWebsite, *, today: date, min_days: int
) -> None:
    """R-W2 and seed 001: the domain's expiry against the province's validity, its registrant."""
    if site.domain_expires_on is None:
        errors[p + "domain_expires_on"].append(_("请填写域名到期日（见注册商的域名管理页面）。"))
    elif (site.domain_expires_on - today).days < min_days:
        errors[p + "domain_expires_on"].append(
            _(
                "%(p)s要求域名有效期至少还剩 %(n)d 天，该域名 %(d)s 到期，请先在注册商处续费，"
                "再填写新的到期日。"
            )
            % {"p": order.province.full_name, "n": min_days, "d": site.domain_expires_on.isoformat()}
        )
    owner = order.entity_name if not order.is_individual else (order.entity_name or order.principal_name)
    registrant = _required(errors, p + "domain_registrant", site.domain_registrant.strip(), _("域名持有者"))
    if registrant and owner and not _same_name(site.domain_registrant, owner):
        errors[p + "domain_registrant"].append(
            _(
                "域名持有者“%(r)s”与%(what)s“%(o)s”不一致，请到注册商处将域名持有者过户为"
                "%(what)s，实名认证通过后再提交。"
            )
            % {
                "r": site.domain_registrant,
                "o": owner,
                "what": _("备案人本人") if order.is_individual else _("主办单位"),
            }
        )
    _required(errors, p + "domain_registrar", site.domain_registrar.strip(), _("域名注册商"))


def _change_app_errors(order: FilingOrder, *, today: date) -> Errors:
    """An app change order's app, checked like a new filing's (R-AP2)."""
    return apps_errors(
        order, list(order.apps.prefetch_related("platforms")), today=today, person_check=_person
    )


def order_errors(order: FilingOrder, *, today: date) -> Errors:
    """Every problem of the order, keyed ``entity.<field>`` / ``websites[i].<field>`` / ``order``."""
    if order.order_type in CHANGE_TYPES:  # R-C1…R-C6: the type's own checks (filings.changes)
        return change_errors(
            order,
            today=today,
            entity_errors=entity_errors,
            website_errors=website_errors,
            app_errors=_change_app_errors,
        )
    errors: Errors = defaultdict(list)
    errors.update(entity_errors(order, today=today))
    sites = list(order.websites.all())
    apps = list(order.apps.prefetch_related("platforms"))
    if not sites and not apps:  # R-AP1: an order may carry websites, apps or both
        errors["order"].append(_("请至少填写一个网站或App。"))
    for k, msgs in apps_errors(order, apps, today=today, person_check=_person).items():
        errors[k].extend(msgs)
    limit = (
        order.tenant.websites_per_order_individual
        if order.is_individual
        else order.tenant.websites_per_order_unit
    )
    if len(sites) > limit:
        errors["order"].append(_("每个订单最多 %(n)d 个网站，请删除多余的网站或分开提交。") % {"n": limit})
    seen: dict[str, int] = {}
    usage = _server_usage([s.server_id for s in sites if s.server_id])
    rules = province_rules_for(
        province_code=order.province_id, scope="personal" if order.is_individual else "unit", on=today
    )
    for i, site in enumerate(sites):
        for k, msgs in website_errors(order, site, i, today=today, server_usage=usage, rules=rules).items():
            errors[k].extend(msgs)
        for j, domain in enumerate(site.domains):
            if domain in seen and seen[domain] != i:
                errors[f"websites[{i}].{'domain' if j == 0 else 'extra_domains'}"].append(
                    _("域名 %(d)s 已在本订单的第 %(n)d 个网站中填写。") % {"d": domain, "n": seen[domain] + 1}
                    if j
                    else _("该域名已在本订单的第 %(n)d 个网站中填写。") % {"n": seen[domain] + 1}
                )
            seen.setdefault(domain, i)
    # R-V3: distinct contacts when the principals differ.
    people = v.check_people_distinct(
        entity_principal=v.Person(
            name=order.principal_name,
            id_number=order.principal_id_number,
            mobile=order.principal_mobile,
            email=order.principal_email,
        ),
        website_principals=[
            v.Person(
                name=order.principal_name,
                id_number=order.principal_id_number,
                mobile=order.principal_mobile,
                email=order.principal_email,
            )
            if s.principal_same_as_entity
            else v.Person(
                name=s.principal_name,
                id_number=s.principal_id_number,
                mobile=s.principal_mobile,
                email=s.principal_email,
            )
            for s in sites
        ],
        emergency_mobile=order.emergency_mobile,
    )
    for key, errs in people.items():
        errors[key.replace(".principal.", ".principal_")].extend(m for e in errs for m in e.messages)
    return {k: list(dict.fromkeys(msgs)) for k, msgs in errors.items() if msgs}
