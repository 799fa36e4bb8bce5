"""URL-walk recipes for the authority portal (platform host only; R-T2, R-T3).

The tenant walk never meets these names (they do not exist on a provider's
host). On the platform host the walk's beta order is a draft, which no
authority may see before submission (R-T3): it must answer like a missing
one. ``tests/authority/test_authority.py`` walks the same names with a foreign
province's orders.
"""

from __future__ import annotations

from filings.models import FieldReturn
from icpfiling.registry.models import AccessRecord, FiledEntity, FiledWebsite
from icpfiling.tenancy.context import tenant_scope

_MISSING = 987654


def _order(w) -> tuple[dict, dict]:
    return {"order_id": w.beta_order.pk}, {"order_id": _MISSING}


FOREIGN = {
    "authority:order": _order,
    "authority:approve": _order,
    "authority:reject": _order,
    "authority:material_file": lambda w: (
        {"order_id": w.beta_order.pk, "file_id": w.beta_file_id},
        {"order_id": _MISSING, "file_id": _MISSING},
    ),
}
NO_OBJECT = {"authority:queue", "authority:history"}


def snapshot(w) -> object:
    """What an authority action would change: beta's return reasons and the registry."""
    with tenant_scope(w.beta.provider):
        returns = list(FieldReturn.objects.order_by("pk").values_list("pk", "field", "reason"))
    registry = (
        list(FiledEntity.objects.order_by("pk").values_list("pk", "entity_number")),
        list(FiledWebsite.objects.order_by("pk").values_list("pk", "website_number")),
        list(AccessRecord.objects.order_by("pk").values_list("pk", "provider_id", "ended_at")),
    )
    return returns, registry
