"""Writes of the applicant's app pages: add, edit and remove an order's apps (R-AP1…R-AP3).

Like websites, an app is stored as entered (valid or not) and checked by
``validation.app_errors`` at every save and at submission; only the order
types that file something new may carry apps.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from filings.appchecks import clean_fingerprint
from filings.models import (
    APP_FIELDS,
    EDITABLE_STATUSES,
    AppKind,
    AppPlatform,
    FilingOrder,
    OrderApp,
    OrderAppPlatform,
)
from filings.ordertypes import spec_for
from filings.workflow import order_touch

MAX_APPS_PER_ORDER = 10
PLATFORM_FIELDS = ("package_name", "public_key", "fingerprint")


def _require_editable(order: FilingOrder, *, adding: bool = True) -> None:
    """Only the types that file something new add or remove apps; 变更App edits its one app (R-AP1)."""
    if order.status not in EDITABLE_STATUSES:
        raise ValidationError(_("订单当前状态为“%(s)s”，不能修改。") % {"s": order.get_status_display()})
    spec = spec_for(order.order_type)
    if spec.target != "new" and (adding or "apps" not in spec.edits):
        raise ValidationError(
            _("“%(type)s”订单不能添加或修改App。") % {"type": order.get_order_type_display()}
        )


def _normalised_fingerprint(value: str, platform: str) -> str:
    """The canonical form (lower-case hex, no colons) when it is valid; else as typed, to be reported."""
    try:
        return clean_fingerprint(value, platform=platform)
    except ValidationError:
        return (value or "").strip()[:128]


@transaction.atomic
def order_app_save(
    *,
    order: FilingOrder,
    app: OrderApp | None,
    actor,
    values: dict,
    platforms: dict[str, dict[str, str]] | None = None,
) -> OrderApp:
    """Create or update one app of the order with its per-platform data, as entered.

    ``platforms`` maps a platform code to its three values; a platform whose
    values are all empty is removed, so the applicant clears a platform by
    emptying it.
    """
    _require_editable(order, adding=app is None)
    order_touch(order=order)
    if app is None:
        count = order.apps.count()
        if count >= MAX_APPS_PER_ORDER:
            raise ValidationError(_("每个订单最多 %(n)d 个App、小程序或快应用。") % {"n": MAX_APPS_PER_ORDER})
        kind = values.get("kind") or AppKind.APP
        if kind not in AppKind.values:
            raise ValidationError({"kind": _("请选择服务类型（APP、小程序或快应用）。")})
        app = OrderApp(
            tenant_id=order.tenant_id, order=order, position=count, kind=kind, languages=["zh-hans"]
        )
    for f in APP_FIELDS:
        if f in values:
            setattr(app, f, values[f])
    app.save()
    if app.kind != AppKind.APP:
        OrderAppPlatform.objects.filter(app=app).delete()
        return app
    for code, given in (platforms or {}).items():
        if code not in AppPlatform.values:
            continue
        data = {f: (given.get(f) or "").strip() for f in PLATFORM_FIELDS}
        if not any(data.values()):
            OrderAppPlatform.objects.filter(app=app, platform=code).delete()
            continue
        data["fingerprint"] = _normalised_fingerprint(data["fingerprint"], code)
        OrderAppPlatform.objects.update_or_create(
            app=app, platform=code, defaults={**data, "tenant_id": order.tenant_id}
        )
    return app


@transaction.atomic
def order_app_delete(*, order: FilingOrder, app: OrderApp, actor) -> None:
    """Remove an app; an order keeps at least one website or app (R-AP1)."""
    _require_editable(order)
    order_touch(order=order)
    if not order.websites.exists() and order.apps.count() <= 1:
        raise ValidationError(_("订单至少需要一个网站或App；这是最后一个，不能删除。"))
    app.delete()
    for i, other in enumerate(order.apps.order_by("position")):
        if other.position != i:
            OrderApp.objects.filter(pk=other.pk).update(position=i)
