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

from django.utils.translation import gettext_lazy as _

from filings.changes.selectors import order_change_of, order_diff, order_values
from filings.models import FilingOrder
from filings.ordertypes import spec_for
from filings.states import OrderType
from icpfiling.registry.models import RegistryStatus

T = OrderType
Errors = dict[str, list[str]]

DOMAIN_ONLY_REMOVED = _(
    "变更网站只能删除域名，且至少保留一个；本网站只有一个域名，因此域名不能更改。"
    "如需更换域名，请为新域名办理新增网站，再注销本网站。"
)


def _field_key(key: str) -> str:
    part, name = key.split(".", 1)
    return f"entity.{name}" if part == "entity" else f"websites[0].{name}"


def target_errors(order: FilingOrder) -> list[str]:
    """Why the registry no longer allows this order, or nothing."""
    spec = spec_for(order.order_type)
    entity, service = order.registry_entity, order.registry_website
    if entity is None or entity.status != RegistryStatus.ACTIVE:
        return [str(_("该主体已注销，不能再办理此业务。"))]
    if spec.target == "entity":
        return []
    if service is None or service.status != RegistryStatus.ACTIVE:
        return [str(_("该网站已注销，不能再办理此业务。"))]
    if not service.access_records.filter(provider_id=order.tenant_id, ended_at__isnull=True).exists():
        return [str(_("该网站已不在本接入商接入，不能再办理此业务。"))]
    if (
        order.order_type == T.CANCEL_WEBSITE
        and entity.websites.filter(status=RegistryStatus.ACTIVE).count() <= 1
    ):
        return [str(_("这是该主体的最后一个网站，不能单独注销：请办理注销主体。"))]
    return []


DOMAIN_REGISTRATION_KEYS = (".domain_expires_on", ".domain_registrant", ".domain_registrar")


def change_errors(order: FilingOrder, *, today: date, entity_errors, website_errors) -> Errors:
    errors: Errors = defaultdict(list)
    errors["order"].extend(target_errors(order))
    spec = spec_for(order.order_type)
    change = order_change_of(order)
    baseline = change.baseline if change else {}
    now = order_values(order)
    allowed = set(spec.changes)
    for key, before in baseline.items():
        if key in allowed or now.get(key) == before:
            continue
        if key == "service.domain":
            errors["websites[0].domain"].append(str(DOMAIN_ONLY_REMOVED))
        else:
            errors[_field_key(key)].append(
                str(_("“%(type)s”不能修改此项，请改回原值。") % {"type": order.get_order_type_display()})
            )
    if spec.changes and not order_diff(order):
        errors["order"].append(str(_("没有任何变更：请修改要变更的信息后再提交。")))
    sites = list(order.websites.all())
    if order.order_type == T.CHANGE_ENTITY:
        for k, msgs in entity_errors(order, today=today).items():
            errors[k].extend(msgs)
    elif order.order_type in (T.CHANGE_WEBSITE, T.CHANGE_ACCESS) and sites:
        for k, msgs in website_errors(order, sites[0], 0, today=today).items():
            # The domain itself never changes here: its expiry and registrant were checked when it
            # was filed (R-W2), and a change order may not edit them.
            if k.endswith(DOMAIN_REGISTRATION_KEYS):
                continue
            if order.order_type == T.CHANGE_WEBSITE or k.endswith(".server"):
                errors[k].extend(msgs)
    return {k: list(dict.fromkeys(msgs)) for k, msgs in errors.items() if msgs}
