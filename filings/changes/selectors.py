"""Reads for change and cancel orders: the baseline, the diff, and what 已备案信息 offers (R-P2).

``filed_actions`` answers, per filed entity and per website of an applicant,
which of the six types apply now and, when one does not, why — the same rules
the services enforce when the order starts, so a button is never shown for an
action that would then be refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db import models
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext_lazy as _

from filings.changes.app_selectors import app_label, app_values
from filings.models import FilingOrder, OrderStatus, OrderWebsite, Server
from filings.ordertypes import (
    ACCESS_DIFF_FIELDS,
    ENTITY_DIFF_FIELDS,
    WEBSITE_DIFF_FIELDS,
    service_types,
    spec_for,
)
from filings.states import OPEN_STATUSES, OrderType
from icpfiling.registry.changes import app_is_hosted_by, entity_active_services
from icpfiling.registry.models import (
    FiledApp,
    FiledEntity,
    FiledWebsite,
    FiledWebsiteDomain,
    RegistryChange,
    RegistryStatus,
)
from icpfiling.tenancy.models import Provider

T = OrderType


def _plain(value):
    """A JSON-safe, comparable form of a field's value (the baseline is stored as JSON)."""
    if isinstance(value, Server):
        return f"{value.label} ({value.ip_address})"
    if isinstance(value, models.Model):  # a reference row (the certificate type): its code
        return value.pk
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in sorted(value.items())}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def order_values(order: FilingOrder) -> dict:
    """Every diffable value of the order now, keyed like ``ordertypes`` (``entity.x``, ``service.x``)."""
    values = {f"entity.{f}": _plain(getattr(order, f)) for f in ENTITY_DIFF_FIELDS}
    if order.registry_app_id:  # the service is an app or mini-program (R-AP1)
        return {**values, **app_values(order, _plain)}
    site = order.websites.select_related("server").order_by("position").first()
    if site is not None:
        for f in (*WEBSITE_DIFF_FIELDS, *ACCESS_DIFF_FIELDS):
            values[f"service.{f}"] = _plain(getattr(site, f))
        values["service.domain"] = site.domain
    return values


@dataclass(frozen=True)
class DiffRow:
    key: str
    label: object
    before: object
    after: object


_LABELS = {
    "entity.certificate_type": _("证件类型"),
    "entity.certificate_number": _("证件号码"),
    "service.domains": _("域名"),
}


def _label(key: str, *, app: bool = False):
    if key in _LABELS:
        return _LABELS[key]
    part, name = key.split(".", 1)
    if app and part == "service":
        return app_label(name)
    model = FilingOrder if part == "entity" else OrderWebsite
    try:
        return model._meta.get_field(name).verbose_name
    except Exception:
        return name


def order_diff(order: FilingOrder, *, all_fields: bool = False) -> list[DiffRow]:
    """Before → after of the order against its baseline (R-C1…R-C3); the type's keys only."""
    change = getattr(order, "change", None) if order.pk else None
    if change is None:
        return []
    now = order_values(order)
    keys = list(change.baseline) if all_fields else list(spec_for(order.order_type).changes)
    return [
        DiffRow(k, _label(k, app=bool(order.registry_app_id)), change.baseline.get(k), now.get(k))
        for k in keys
        # A key the baseline lacks (added to the type after the order started) is not a change.
        if k in now and k in change.baseline and change.baseline[k] != now[k]
    ]


def _order_change(order: FilingOrder):
    try:
        return order.change
    except FilingOrder.change.RelatedObjectDoesNotExist:
        return None


def order_change_of(order: FilingOrder):
    """The order's ``OrderChange`` or None (orders of the first filing types have none)."""
    return _order_change(order)


def order_filed_domains(order: FilingOrder) -> list[str] | None:
    """R-C2: the domains a 变更网站 started from (it may keep some of them), else None."""
    # Apps change their domains freely (R-AP2); only a website's may be removed and not added.
    if "service.domains" not in spec_for(order.order_type).changes or order.registry_app_id:
        return None
    change = _order_change(order)
    domains = (change.baseline if change else {}).get("service.domains")
    return list(domains) if domains is not None else None


# --- 已备案信息 (R-P2) ---------------------------------------------------------------


@dataclass
class Action:
    order_type: str
    label: object
    reason: object = ""  # empty when the action applies now

    @property
    def available(self) -> bool:
        return not self.reason


@dataclass
class FiledService:
    service: FiledWebsite
    providers: list[Provider]
    here: bool
    actions: list[Action] = field(default_factory=list)


@dataclass
class FiledAppView:
    """A filed app or mini-program with the change and cancel actions that apply now (R-P2, R-AP1)."""

    app: FiledApp
    here: bool
    actions: list[Action] = field(default_factory=list)


@dataclass
class FiledEntityView:
    entity: FiledEntity
    services: list[FiledService]
    empty_shell: bool
    actions: list[Action] = field(default_factory=list)
    history: list[RegistryChange] = field(default_factory=list)
    apps: list[FiledAppView] = field(default_factory=list)  # R-AP4: the entity's apps and mini-programs


def applicant_entity_ids(*, tenant: Provider, applicant) -> list[int]:
    """The filed entities this applicant filed, changed or connected at this provider."""
    return list(
        FilingOrder.objects.filter(tenant=tenant, applicant=applicant, registry_entity__isnull=False)
        .values_list("registry_entity_id", flat=True)
        .distinct()
    )


def open_order_for_entity(entity: FiledEntity) -> FilingOrder | None:
    """Any open order for the entity at any provider (one order per entity in flow, R-O4/R-O5)."""
    return (
        FilingOrder.objects.filter(entity_key=f"entity:{entity.pk}", status__in=OPEN_STATUSES)
        .only("pk", "tenant_id", "order_type", "status")
        .first()
    )


def action_reason(
    *,
    tenant: Provider,
    order_type: str,
    entity: FiledEntity,
    service: FiledWebsite | None = None,
    app: FiledApp | None = None,
) -> str:
    """'' when ``order_type`` may start now for this record at ``tenant``, else why not (R-P2).

    The record is the entity, one of its websites (``service``) or one of its apps
    (``app``); which kinds a type works on is ``ordertypes.services`` (R-AP1).
    """
    if entity.status != RegistryStatus.ACTIVE:
        return _("该主体已注销。")
    active = list(entity.websites.filter(status=RegistryStatus.ACTIVE))
    here_ids = set(
        FiledWebsite.objects.filter(
            entity=entity,
            status=RegistryStatus.ACTIVE,
            access_records__provider=tenant,
            access_records__ended_at__isnull=True,
        ).values_list("pk", flat=True)
    )
    # R-AP4: an app is accessed through the provider that filed it.
    apps_here = entity.apps.filter(status=RegistryStatus.ACTIVE, provider=tenant).exists()
    spec = spec_for(order_type)
    if service is not None:
        if service.entity_id != entity.pk:
            return _("该网站不属于该主体。")
        if service.status != RegistryStatus.ACTIVE:
            return _("该网站已注销。")
    if app is not None:
        if app.entity_id != entity.pk:
            return _("该App不属于该主体。")
        if app.status != RegistryStatus.ACTIVE:
            return _("该App已注销。")
        if spec.target not in ("service", "access") or "app" not in spec.services:
            return _("“%(t)s”不适用于App或小程序。") % {"t": T(order_type).label}
        if not app_is_hosted_by(app, tenant.pk):
            return _("该App由其他接入商备案接入，只能由其接入商办理。")
    elif spec.target in ("service", "access") and (service is None or "website" not in spec.services):
        return _("请选择一个App或小程序。") if "website" not in spec.services else _("请选择一个网站。")
    if order_type == T.CANCEL_ENTITY:
        if (active or entity.apps.filter(status=RegistryStatus.ACTIVE).exists()) and not (
            here_ids or apps_here
        ):
            return _("该主体的网站均未接入本接入商，请到网站接入的接入商办理注销主体。")
    elif order_type == T.CHANGE_ENTITY:
        if not here_ids and not apps_here:
            return _("该主体没有接入本接入商的网站，请到网站接入的接入商办理变更主体。")
    elif service is not None and service.pk not in here_ids:
        return _("该网站未接入本接入商，只能由其接入商办理。")
    # R-C5: the entity's last service (website or app, R-AP1) is cancelled by 注销主体, not alone.
    if spec.target == "service" and spec.cancels and entity_active_services(entity) <= 1:
        return last_service_reason(app=app is not None)
    busy = open_order_for_entity(entity)
    if busy is not None:
        if busy.tenant_id == tenant.pk:
            return _("该主体已有一个正在办理的订单（#%(id)s），办结后才能办理新的业务。") % {"id": busy.pk}
        return _("该主体在其他接入商有正在办理的订单，办结后才能办理新的业务。")
    return ""


def last_service_reason(*, app: bool) -> str:
    """R-C5: why the entity's last filed service cannot be cancelled alone."""
    if app:
        return _(
            "这是该主体最后一项备案（App或小程序），不能单独注销：请办理注销主体，或取消接入（主体将成为空壳）。"
        )
    return _("这是该主体的最后一个网站，不能单独注销：请办理注销主体。")


ENTITY_ACTIONS = (T.CHANGE_ENTITY, T.CANCEL_ENTITY)
SERVICE_ACTIONS = (T.CHANGE_WEBSITE, T.CHANGE_ACCESS, T.CANCEL_WEBSITE, T.CANCEL_ACCESS)


def filed_info_for_applicant(*, tenant: Provider, applicant) -> list[FiledEntityView]:
    """R-P2: the applicant's filed entities and websites with the actions that apply now."""
    entities = FiledEntity.objects.filter(pk__in=applicant_entity_ids(tenant=tenant, applicant=applicant))
    views = []
    for entity in entities.select_related("province").order_by("entity_number"):
        services = []
        active = FiledWebsiteDomain.objects.filter(active=True).order_by("pk")
        sites = entity.websites.filter(status=RegistryStatus.ACTIVE).order_by("seq")
        for site in sites.prefetch_related(Prefetch("domains", queryset=active, to_attr="active_domains")):
            providers = [
                a.provider
                for a in site.access_records.filter(ended_at__isnull=True).select_related("provider")
            ]
            services.append(
                FiledService(
                    service=site,
                    providers=providers,
                    here=any(p.pk == tenant.pk for p in providers),
                    actions=[
                        Action(
                            t,
                            T(t).label,
                            action_reason(tenant=tenant, order_type=t, entity=entity, service=site),
                        )
                        for t in SERVICE_ACTIONS
                    ],
                )
            )
        apps = [
            FiledAppView(
                app=app,
                here=app.provider_id == tenant.pk,
                actions=[
                    Action(t, T(t).label, action_reason(tenant=tenant, order_type=t, entity=entity, app=app))
                    for t in service_types("app")
                ],
            )
            for app in entity.apps.filter(status=RegistryStatus.ACTIVE)
            .select_related("provider")
            .order_by("seq")
        ]
        views.append(
            FiledEntityView(
                entity=entity,
                services=services,
                apps=apps,
                empty_shell=entity.status == RegistryStatus.ACTIVE and not services and not apps,
                actions=[
                    Action(t, T(t).label, action_reason(tenant=tenant, order_type=t, entity=entity))
                    for t in ENTITY_ACTIONS
                ],
                history=list(entity.history.select_related("service", "app", "provider")[:50]),
            )
        )
    return views


def last_approved_order(*, tenant: Provider, entity: FiledEntity) -> FilingOrder | None:
    """The newest approved order for the entity here: the full data the registry does not keep."""
    return (
        FilingOrder.objects.filter(tenant=tenant, registry_entity=entity, status=OrderStatus.APPROVED)
        .order_by("-approved_at", "-pk")
        .first()
    )


def last_approved_site(*, tenant: Provider, service: FiledWebsite) -> OrderWebsite | None:
    return (
        OrderWebsite.objects.filter(
            tenant=tenant, registry_website=service, order__status=OrderStatus.APPROVED
        )
        .select_related("server")
        .order_by("-order__approved_at", "-pk")
        .first()
    )


def provider_hosted_services(*, tenant: Provider) -> QuerySet[FiledWebsite]:
    """Websites this provider hosts now (for a provider-started 取消接入, R-C6)."""
    return (
        FiledWebsite.objects.filter(
            status=RegistryStatus.ACTIVE,
            access_records__provider=tenant,
            access_records__ended_at__isnull=True,
        )
        .select_related("entity")
        .order_by("website_number")
    )


def entity_is_shell(entity_id: int) -> bool:
    """R-C7: an active entity with no active website nor app (空壳主体, R-AP1)."""
    return (
        FiledEntity.objects.filter(pk=entity_id, status=RegistryStatus.ACTIVE)
        .exclude(websites__status=RegistryStatus.ACTIVE)
        .exclude(apps__status=RegistryStatus.ACTIVE)
        .exists()
    )
