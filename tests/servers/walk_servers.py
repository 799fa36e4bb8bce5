"""Tenant-walk recipes for the server inventory (R-M5, R-T2): beta's server is the foreign object."""

from __future__ import annotations

from filings.models import Server
from icpfiling.tenancy.context import tenant_scope
from tests.factories import server_for

_MISSING = 987654


def _beta_server(w) -> Server:
    cached = getattr(w, "_servers_beta", None)
    if cached is None:
        cached = server_for(w.beta, w.beta.users["applicant"], ip="192.0.2.250")
        with tenant_scope(w.beta.provider):
            Server.objects.filter(pk=cached.pk).update(
                instance_id="SECRET-BETA-ins", label="SECRET-BETA 服务器"
            )
        w._servers_beta = cached
    return cached


def _server(w):
    return {"server_id": _beta_server(w).pk}, {"server_id": _MISSING}


FOREIGN = {"servers:edit": _server, "servers:assign": _server}
NO_OBJECT = {"servers:list", "servers:new", "servers:import", "servers:import_template"}


def snapshot(w) -> list:
    _beta_server(w)
    with tenant_scope(w.beta.provider):
        return list(
            Server.objects.order_by("pk").values_list(
                "pk", "instance_id", "label", "ip_address", "owner_id", "paid_until", "capacity"
            )
        )
