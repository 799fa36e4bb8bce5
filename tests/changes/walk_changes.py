"""Tenant-walk recipes for change and cancel orders (R-C1…R-C9, R-P2, R-T2); merged by test_url_walk.

Beta hosts one filed website and one filed app (created on first use); alpha's staff and
applicant must get the same answer for it as for a missing one, and the walk's
posts must not start, transfer or cancel anything of beta's.
"""

from __future__ import annotations

from filings.models import OrderChange
from icpfiling.registry.models import AccessRecord, FiledApp, RegistryChange
from icpfiling.registry.services import registry_app_file
from icpfiling.tenancy.context import tenant_scope
from tests.factories import filed_entity

_MISSING = 987654


def prepare(w) -> None:
    """A filed website hosted by beta, made before the walk's first snapshot."""
    entity = filed_entity(name="走查主体", sites=[("walk-hosted-site.cn", w.beta.provider)])
    w._changes_service = entity.websites.get()
    # R-AP1: an app of the same entity filed through beta, for the app's 取消接入.
    w._changes_app = registry_app_file(
        entity=entity,
        kind="app",
        name="走查App",
        provider=w.beta.provider,
        packages=[("android", "cn.walk.hosted", "")],
    )


def _beta_service(w):
    return w._changes_service


FOREIGN = {
    "changes:transfer": lambda w: ({"order_id": w.beta_order.pk}, {"order_id": _MISSING}),
    "changes:offline_kit": lambda w: ({"entity_id": _beta_service(w).entity_id}, {"entity_id": _MISSING}),
    "changes:provider_cancel_access": lambda w: (
        {"service_id": _beta_service(w).pk},
        {"service_id": _MISSING},
    ),
    "changes:provider_cancel_app_access": lambda w: (
        {"app_id": w._changes_app.pk},
        {"app_id": _MISSING},
    ),
}
NO_OBJECT = {"changes:start", "changes:hosted"}


def snapshot(w) -> object:
    """What a leaking change action would write: beta's change rows, access records and history."""
    with tenant_scope(w.beta.provider):
        changes = list(OrderChange.objects.order_by("pk").values_list("pk", "replaces_provider_id", "reason"))
    access = list(AccessRecord.objects.order_by("pk").values_list("pk", "provider_id", "ended_at"))
    history = list(RegistryChange.objects.order_by("pk").values_list("pk", "kind"))
    apps = list(FiledApp.objects.order_by("pk").values_list("pk", "status"))
    return changes, access, history, apps
