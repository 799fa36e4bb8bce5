"""Tenant-walk recipes for a provider admin's settings and staff pages (R-M1, R-M2, R-T2).

Beta's staff memberships are the foreign objects: alpha's roles must see them exactly as
missing ones, and nothing about beta's settings, hostnames, staff or audit trail may change.
"""

from __future__ import annotations

from icpfiling.accounts.models import Membership, Role, User
from icpfiling.providers.models import AdminChange
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider, ProviderHostname

_MISSING = 987654


def _beta_reviewer_membership(w):
    with tenant_scope(w.beta.provider):
        m = Membership.objects.get(user=w.beta.users[Role.REVIEWER])
    return {"membership_id": m.pk}, {"membership_id": _MISSING}


FOREIGN = {
    "manage:staff_edit": _beta_reviewer_membership,
    "manage:staff_disable": _beta_reviewer_membership,
    "manage:staff_enable": _beta_reviewer_membership,
}
NO_OBJECT = {"manage:settings", "manage:staff", "manage:logo", "manage:brand_css"}


def snapshot(w) -> tuple:
    provider = Provider.objects.filter(pk=w.beta.provider.pk).values().get()
    hosts = list(ProviderHostname.objects.filter(provider=w.beta.provider).values_list("hostname", flat=True))
    users = list(User.objects.filter(provider=w.beta.provider).order_by("pk").values_list("pk", "is_active"))
    with tenant_scope(w.beta.provider):
        roles = list(Membership.objects.order_by("pk").values_list("pk", "role"))
        changes = AdminChange.objects.count()
    return provider, hosts, users, roles, changes
