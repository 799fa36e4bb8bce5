"""Reads of a filed app or mini-program as the target of a change or cancel order (R-AP1, R-C2, R-C5).

A change type says in ``ordertypes.services`` which kinds of service it works on;
an order on an app carries one ``OrderApp`` (copied from the last approved order
here, its builds included) and ``registry_app``. Its diffable values are keyed
``service.<field>`` like a website's, so the one diff, baseline and history
serve both kinds. This module reads only the order and the registry (the
change selectors import it, never the other way).
"""

from __future__ import annotations

import hashlib

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from filings.models import AppKind, FilingOrder, OrderApp, OrderStatus
from filings.ordertypes import APP_DIFF_FIELDS
from icpfiling.registry.models import FiledApp, RegistryStatus
from icpfiling.tenancy.models import Provider

# Labels of the computed keys (the others are the OrderApp fields' own names).
EXTRA_LABELS = {"platforms": _("平台与包名 / AppID")}


def app_platform_rows(app: OrderApp) -> list[dict]:
    """Each build as one comparable row: platform, package name (or AppID), fingerprint, key digest.

    A mini-program or quick app has one row, ``mini:<platform>`` with its AppID, keyed
    as the registry keys it (R-AP5). The public key is long: a short digest shows
    that it changed without printing it in the diff.
    """
    if app.kind != AppKind.APP:
        if not (app.mini_platform or app.mini_appid):
            return []
        return [{"platform": f"mini:{app.mini_platform}", "package_name": app.mini_appid}]
    rows = []
    for p in sorted(app.platforms.all(), key=lambda p: p.platform):
        key = p.public_key.strip()
        rows.append(
            {
                "platform": p.platform,
                "package_name": p.package_name.strip(),
                "fingerprint": p.fingerprint,
                "key": hashlib.sha256(key.encode()).hexdigest()[:12] if key else "",
            }
        )
    return rows


def app_packages(app: OrderApp) -> list[tuple[str, str, str]]:
    """(platform, package, fingerprint) as the registry stores them (``registry_app_file``)."""
    return [(r["platform"], r["package_name"], r.get("fingerprint", "")) for r in app_platform_rows(app)]


def order_target_app(order: FilingOrder) -> OrderApp | None:
    """The order's copy of the filed app it changes or cancels, or None."""
    if not order.pk or not order.registry_app_id:
        return None
    return order.apps.prefetch_related("platforms").order_by("position").first()


def app_values(order: FilingOrder, plain) -> dict:
    """The app's diffable values now, ``service.<field>``; ``plain`` makes them JSON-comparable."""
    app = order_target_app(order)
    if app is None:
        return {}
    values = {f"service.{f}": plain(getattr(app, f)) for f in APP_DIFF_FIELDS if f != "platforms"}
    values["service.platforms"] = app_platform_rows(app)
    return values


def app_label(name: str):
    if name in EXTRA_LABELS:
        return EXTRA_LABELS[name]
    try:
        return OrderApp._meta.get_field(name).verbose_name
    except Exception:
        return name


def last_approved_app(*, tenant: Provider, app: FiledApp) -> OrderApp | None:
    """The newest approved order's copy of the app here: the data the registry does not keep."""
    return (
        OrderApp.objects.filter(tenant=tenant, registry_app=app, order__status=OrderStatus.APPROVED)
        .prefetch_related("platforms")
        .order_by("-order__approved_at", "-pk")
        .first()
    )


def provider_hosted_apps(*, tenant: Provider) -> QuerySet[FiledApp]:
    """Active apps and mini-programs filed through this provider (a provider-started 取消接入, R-C6)."""
    return (
        FiledApp.objects.filter(
            status=RegistryStatus.ACTIVE, entity__status=RegistryStatus.ACTIVE, provider=tenant
        )
        .select_related("entity")
        .order_by("service_number")
    )
