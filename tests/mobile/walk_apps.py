"""Tenant-walk recipes for the app pages of an order (R-AP1…R-AP3); merged by test_url_walk.

Beta's order carries one app (created before the first snapshot); alpha's staff
and applicant must get the same answer for it as for a missing one, and the
walk's posts must not add, change or remove any of beta's apps.
"""

from __future__ import annotations

from filings.models import OrderApp, OrderAppPlatform
from icpfiling.tenancy.context import tenant_scope

_MISSING = 987654


def prepare(w) -> None:
    """One app with an Android build on beta's order."""
    with tenant_scope(w.beta.provider):
        app = OrderApp.objects.create(
            tenant=w.beta.provider,
            order=w.beta_order,
            position=0,
            name="SECRET-BETA App",
            languages=["zh-hans"],
        )
        OrderAppPlatform.objects.create(
            tenant=w.beta.provider, app=app, platform="android", package_name="com.secret.beta"
        )
    w._mobile_app = app


def _order(w):
    return {"order_id": w.beta_order.pk}, {"order_id": _MISSING}


def _app(w):
    return (
        {"order_id": w.beta_order.pk, "app_id": w._mobile_app.pk},
        {"order_id": _MISSING, "app_id": _MISSING},
    )


FOREIGN = {
    "mobile:app_list": _order,
    "mobile:app_new": _order,
    "mobile:app_edit": _app,
    "mobile:app_delete": _app,
}


def snapshot(w) -> object:
    """What a leaking app page would write: beta's apps and their platforms."""
    with tenant_scope(w.beta.provider):
        apps = list(
            OrderApp.objects.order_by("pk").values_list("pk", "order_id", "position", "name", "domains")
        )
        platforms = list(
            OrderAppPlatform.objects.order_by("pk").values_list(
                "pk", "platform", "package_name", "fingerprint"
            )
        )
    return apps, platforms
