"""What detection offers instead of a dead end (R-O4, R-C7).

"Already connected here" leads to 变更网站 / 变更接入 / 注销网站 / 取消接入 of
that website; an entity without websites (空壳) leads to 注销主体 here, or, when
this provider cannot file it, to the offline cancellation kit.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from filings.changes.selectors import ENTITY_ACTIONS, SERVICE_ACTIONS, action_reason
from filings.ordertypes import service_types
from filings.states import OrderType
from icpfiling.registry.models import FiledApp, FiledEntity, FiledWebsite
from icpfiling.tenancy.models import Provider


@dataclass(frozen=True)
class Offer:
    order_type: str
    label: object
    reason: object  # empty when it can start now
    entity_id: int
    service_id: int | None
    url: str  # 已备案信息 at the record, where the applicant starts it
    app_id: int | None = None


def detection_offers(
    *,
    tenant_id: int,
    entity: FiledEntity,
    block: str,
    service: FiledWebsite | None = None,
    app: FiledApp | None = None,
) -> list[Offer]:
    tenant = Provider.objects.get(pk=tenant_id)
    types = SERVICE_ACTIONS if service is not None else ENTITY_ACTIONS[1:]  # 空壳: 注销主体 only
    anchor = f"#service-{service.pk}" if service is not None else f"#entity-{entity.pk}"
    if app is not None:  # R-AP1 / R-AP5: an app already filed leads to its change and cancel types
        types, anchor = service_types("app"), f"#app-{app.pk}"
    offers = []
    for t in types:
        offers.append(
            Offer(
                order_type=t,
                label=OrderType(t).label,
                reason=action_reason(tenant=tenant, order_type=t, entity=entity, service=service, app=app),
                entity_id=entity.pk,
                service_id=service.pk if service is not None else None,
                url=reverse("filings:filed_info") + anchor,
                app_id=app.pk if app is not None else None,
            )
        )
    return offers
