"""Tenant-walk recipes for change and cancel orders (R-C1…R-C9, R-P2, R-T2); merged by test_url_walk.

Beta hosts one filed website (created on first use); alpha's staff and
applicant must get the same answer for it as for a missing one, and the walk's
posts must not start, transfer or cancel anything of beta's.
"""

from __future__ import annotations

from filings.models import OrderChange
from icpfiling.registry.models import AccessRecord, RegistryChange
from icpfiling.tenancy.context import tenant_scope
from tests.factories import filed_entity

_MISSING = 987654


def prepare(w) -> None:
    """A filed website hosted by beta, made before the walk's first snapshot."""
    entity = filed_entity(name="走查主体", sites=[("walk-hosted-site.cn", w.beta.provider)])
    w._changes_service = entity.websites.get()


def _beta_service(w):
    return w._changes_service


FOREIGN = {
    "changes:transfer": lambda w: ({"order_id": w.beta_order.pk}, {"order_id": _MISSING}),
    "changes:offline_kit": lambda w: ({"entity_id": _beta_service(w).entity_id}, {"entity_id": _MISSING}),
    "changes:provider_cancel_access": lambda w: (
        {"service_id": _beta_service(w).pk},
        {"service_id": _MISSING},
    ),
}
NO_OBJECT = {"changes:start", "changes:hosted"}


def snapshot(w) -> object:
    """What a leaking change action would write: beta's change rows, access records and history."""
    with tenant_scope(w.beta.provider):
        changes = list(OrderChange.objects.order_by("pk").values_list("pk", "replaces_provider_id", "reason"))
    access = list(AccessRecord.objects.order_by("pk").values_list("pk", "provider_id", "ended_at"))
    history = list(RegistryChange.objects.order_by("pk").values_list("pk", "kind"))
    return changes, access, history
