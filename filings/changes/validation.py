"""Submission checks of change and cancel orders (R-C1…R-C6), called by ``orders.validation``.

The data checks of a new filing apply to what a change proposes (the caller
passes its ``entity_errors`` / ``website_errors`` in, so this package stays
below the order pages); on top: the target must still be filed and hosted
here, the order must change something, and only what its type may change
(R-C2: a website's domain never changes by 变更网站; 变更接入 changes the server only).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from filings.changes.app_selectors import app_packages, order_target_app
from filings.changes.selectors import last_service_reason, order_change_of, order_diff, order_values
from filings.models import FilingOrder
from filings.ordertypes import spec_for
from filings.states import OrderType
from icpfiling.core import validators as v
from icpfiling.registry.changes import app_is_hosted_by, entity_active_services
from icpfiling.registry.models import FiledAppPackage, RegistryStatus
from icpfiling.registry.selectors import filed_entity_find

T = OrderType
Errors = dict[str, list[str]]

DOMAIN_ONLY_REMOVED = _(
    "变更网站只能删除域名，且至少保留一个：不能新增或更换域名（%(d)s）。"
    "如需使用新域名，请为新域名办理新增网站。"
)
DOMAIN_ONE_STAYS = _(
    "变更网站只能删除域名，且至少保留一个：请至少保留一个域名；如要停用整个网站，请办理注销网站。"
)


def domains_change_errors(before: list, now: list) -> list[str]:
    """R-C2: the website keeps a non-empty part of the domains it had (main or not), nothing new."""
    added = [d for d in now if d not in before]
    if added:
        return [str(DOMAIN_ONLY_REMOVED % {"d": "、".join(added)})]
    if not now:
        return [str(DOMAIN_ONE_STAYS)]
    return []


def _field_key(key: str, service: str = "websites") -> str:
    part, name = key.split(".", 1)
    return f"entity.{name}" if part == "entity" else f"{service}[0].{name}"


def target_errors(order: FilingOrder) -> list[str]:
    """Why the registry no longer allows this order, or nothing."""
    spec = spec_for(order.order_type)
    entity, service = order.registry_entity, order.registry_website
    if entity is None or entity.status != RegistryStatus.ACTIVE:
        return [str(_("该主体已注销，不能再办理此业务。"))]
    if spec.target == "entity":
        return []
    if order.registry_app_id:  # R-AP1: the service is an app or mini-program
        return app_target_errors(order)
    if service is None or service.status != RegistryStatus.ACTIVE:
        return [str(_("该网站已注销，不能再办理此业务。"))]
    if not service.access_records.filter(provider_id=order.tenant_id, ended_at__isnull=True).exists():
        return [str(_("该网站已不在本接入商接入，不能再办理此业务。"))]
    if order.order_type == T.CANCEL_WEBSITE and entity_active_services(entity) <= 1:
        return [str(last_service_reason(app=False))]
    return []


def app_target_errors(order: FilingOrder) -> list[str]:
    """Why the registry no longer allows this order on its app, or nothing (R-AP1, R-C5, R-C6)."""
    spec = spec_for(order.order_type)
    app = order.registry_app
    if app.status != RegistryStatus.ACTIVE:
        return [str(_("该App已注销，不能再办理此业务。"))]
    if not app_is_hosted_by(app, order.tenant_id):
        return [str(_("该App已不在本接入商接入，不能再办理此业务。"))]
    if spec.target == "service" and spec.cancels and entity_active_services(order.registry_entity) <= 1:
        return [str(last_service_reason(app=True))]
    return []


def app_package_errors(order: FilingOrder) -> Errors:
    """R-AP5 kept by a change: a build's platform + package (or AppID) filed by another app of the entity."""
    errors: Errors = defaultdict(list)
    app = order_target_app(order)
    if app is None:
        return errors
    for platform, package, _fp in app_packages(app):
        if not package:
            continue
        taken = (
            FiledAppPackage.objects.filter(
                entity_id=order.registry_entity_id,
                platform=platform,
                package_name__iexact=package,
                active=True,
            )
            .exclude(app_id=order.registry_app_id)
            .select_related("app")
            .first()
        )
        if taken is not None:
            key = (
                "apps[0].mini_appid"
                if platform.startswith("mini:")
                else f"apps[0].platforms.{platform}.package_name"
            )
            errors[key].append(
                str(
                    _(
                        "该主体已在%(n)s（%(name)s）备案了这个包名或AppID，一个主体同一平台的包名只能备案一次。"
                    )
                    % {"n": taken.app.service_number, "name": taken.app.name}
                )
            )
    return errors


# R-C1 / 三证合一: the old numbers (15-digit registration number, 9-character organisation code)
# and the certificate types that carried them; the new certificate carries the credit code.
PRE_MERGER_KINDS = frozenset({"registration_number", "organisation_code"})
PRE_MERGER_TYPES = frozenset({"business_licence", "organisation_code"})
USCC_TYPES = frozenset({"uscc", "business_licence"})


def certificate_change_errors(order: FilingOrder, baseline: dict) -> Errors:
    """R-C1: a certificate may change only at 三证合一, and never together with the name.

    The old certificate must be a pre-三证合一 one (an old registration number or organisation
    code on a type that carried it), the new one the 统一社会信用代码 on a type the entity's
    nature may use, embedding the old organisation code where there was one (GB 32100
    positions 9–17), and not filed by another entity. The approval keeps the old number as a
    former certificate, so detection still finds the entity by it (R-O6).
    """
    old_type, old_number = baseline.get("entity.certificate_type"), baseline.get("entity.certificate_number")
    new_type, new_number = order.certificate_type_id, order.certificate_number
    if old_number is None or (old_type, old_number) == (new_type, new_number):
        return {}
    key = "entity.certificate_number"
    if baseline.get("entity.entity_name") != order.entity_name:
        return {key: [str(_("主办单位名称和证件号码不能同时变更：请先办理其中一项，通过后再办理另一项。"))]}
    old_kind = v.certificate_number_kind(old_number)
    if old_type not in PRE_MERGER_TYPES or old_kind not in PRE_MERGER_KINDS:
        return {
            key: [
                str(
                    _(
                        "证件号码只能在三证合一时变更（原注册号或组织机构代码换为统一社会信用代码）；"
                        "本主体备案的证件号码%(n)s已是统一社会信用代码或不属于三证合一前的证件，不能变更。"
                    )
                    % {"n": old_number}
                )
            ]
        }
    errors: Errors = defaultdict(list)
    if new_type not in USCC_TYPES or not order.nature.certificate_types.filter(pk=new_type).exists():
        valid = "、".join(str(t) for t in order.nature.certificate_types.filter(pk__in=USCC_TYPES))
        errors["entity.certificate_type"].append(
            str(_("三证合一后的证件类型请选择：%(valid)s。") % {"valid": valid or "—"})
        )
    try:
        number = v.clean_uscc(new_number)
    except ValidationError as exc:
        errors[key].extend(str(m) for m in exc.messages)
        return dict(errors)
    if number != new_number:
        errors[key].append(str(_("请按 18 位大写形式填写统一社会信用代码：%(n)s。") % {"n": number}))
    if old_kind == "organisation_code" and number[8:17] != old_number.replace("-", "").upper():
        errors[key].append(
            str(
                _("统一社会信用代码第9至17位应为原组织机构代码%(old)s，请核对是否为同一单位的新证件。")
                % {"old": old_number}
            )
        )
    other = filed_entity_find(certificate_number=number)
    if other is not None and other.pk != order.registry_entity_id:
        errors[key].append(str(_("该统一社会信用代码已由另一个主体备案，不能变更为此号码。")))
    return dict(errors)


DOMAIN_REGISTRATION_KEYS = (".domain_expires_on", ".domain_registrant", ".domain_registrar")


def change_errors(
    order: FilingOrder, *, today: date, entity_errors, website_errors, app_errors=None
) -> Errors:
    errors: Errors = defaultdict(list)
    errors["order"].extend(target_errors(order))
    spec = spec_for(order.order_type)
    change = order_change_of(order)
    baseline = change.baseline if change else {}
    now = order_values(order)
    allowed = set(spec.changes)
    for key, before in baseline.items():
        if key == "service.domain" and "service.domains" in allowed and "service.domains" in baseline:
            continue  # the main domain may go when another stays: the domains rule below decides
        if key in allowed or now.get(key) == before:
            continue
        if order.registry_app_id and key.startswith("service."):
            errors[_field_key(key, "apps")].append(
                str(_("“%(type)s”不能修改此项，请改回原值。") % {"type": order.get_order_type_display()})
            )
        elif key in ("service.domain", "service.domains"):
            errors["websites[0].domain"].append(
                str(DOMAIN_ONLY_REMOVED % {"d": now.get(key) or "—"})
                if key == "service.domain"
                else str(_("“%(type)s”不能修改域名。") % {"type": order.get_order_type_display()})
            )
        else:
            errors[_field_key(key)].append(
                str(_("“%(type)s”不能修改此项，请改回原值。") % {"type": order.get_order_type_display()})
            )
    if "service.domains" in allowed and "service.domains" in baseline and not order.registry_app_id:
        errors["websites[0].domain"].extend(
            domains_change_errors(baseline["service.domains"], now.get("service.domains") or [])
        )
    if spec.changes and not order_diff(order):
        errors["order"].append(str(_("没有任何变更：请修改要变更的信息后再提交。")))
    sites = list(order.websites.all())
    if order.order_type == T.CHANGE_ENTITY:
        for k, msgs in entity_errors(order, today=today).items():
            errors[k].extend(msgs)
        for k, msgs in certificate_change_errors(order, baseline).items():
            errors[k].extend(msgs)
    elif order.order_type in (T.CHANGE_WEBSITE, T.CHANGE_ACCESS) and sites:
        for k, msgs in website_errors(order, sites[0], 0, today=today).items():
            # The domain itself never changes here: its expiry and registrant were checked when it
            # was filed (R-W2), and a change order may not edit them.
            if k.endswith(DOMAIN_REGISTRATION_KEYS):
                continue
            if order.order_type == T.CHANGE_WEBSITE or k.endswith(".server"):
                errors[k].extend(msgs)
    if "apps" in spec.edits and app_errors is not None:  # R-AP2 / R-AP5 on what an app change proposes
        for k, msgs in (*app_errors(order, today=today).items(), *app_package_errors(order).items()):
            errors[k].extend(msgs)
    return {k: list(dict.fromkeys(msgs)) for k, msgs in errors.items() if msgs}
