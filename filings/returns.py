"""Return reasons (R-S3): the one writer for provider and authority returns, and what the applicant sees.

Reviewers (``review``) and the authority (``authority``) write reasons through
``field_returns_record``; the applicant's step pages (``orders``) and the
templates read the current round's reasons here, so none of those sub-packages
imports another for them.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from filings.models import FieldReturn, FilingOrder
from filings.rollups import rollup_returns
from filings.snapshots import WEBSITE_KEY, field_label
from filings.states import OrderStatus


def field_returns_record(*, order: FilingOrder, items, source: str, by) -> None:
    """Write one return's reasons for the order's current round (R-S3), all at once.

    ``items`` have ``field``, ``reason`` and ``suggestion``, already validated by
    the caller (the provider's and the authority's forms check different things).
    """
    FieldReturn.objects.bulk_create(
        [
            FieldReturn(
                tenant_id=order.tenant_id,
                order=order,
                round=order.review_round,
                source=source,
                field=item.field,
                reason=item.reason,
                suggestion=item.suggestion,
                created_by=by,
            )
            for item in items
        ]
    )
    rollup_returns(order=order, fields=[item.field for item in items], now=timezone.now())  # R-M3


def current_returns(*, order: FilingOrder) -> list[FieldReturn]:
    """What the applicant must fix now: the reasons of the round that sent the order back."""
    if order.status != OrderStatus.RETURNED:
        return []
    return list(
        FieldReturn.objects.filter(order=order, tenant_id=order.tenant_id, round=order.review_round).order_by(
            "pk"
        )
    )


class LabelledReturn:
    def __init__(self, item: FieldReturn, label: str, url: str = "") -> None:
        self.item = item
        self.label = label
        self.url = url  # the applicant's step page where the field is edited
        self.field = item.field
        self.reason = item.reason
        self.suggestion = item.suggestion
        self.source = item.source

    def get_source_display(self) -> str:
        return self.item.get_source_display()


def labelled_current_returns(order: FilingOrder) -> list[LabelledReturn]:
    """The reasons the applicant must act on now, with field labels (cached on the order object)."""
    cached = getattr(order, "_labelled_current_returns", None)
    if cached is not None:
        return cached
    items = current_returns(order=order)
    sites = list(order.websites.all()) if items else []
    out = [
        LabelledReturn(r, field_label(order, r.field, sites=sites), _step_url(order, r.field, sites))
        for r in items
    ]
    order._labelled_current_returns = out
    return out


def _step_url(order: FilingOrder, key: str, sites: list) -> str:
    if key.startswith("entity."):
        return reverse("filings:order_entity", args=[order.pk])
    if key.startswith("materials."):
        return reverse("filings:materials", args=[order.pk])
    if key.startswith("apps["):  # R-AP2: reasons about an app lead to the app pages
        return reverse("mobile:app_list", args=[order.pk])
    m = WEBSITE_KEY.match(key)
    if m and int(m.group(1)) < len(sites):
        return reverse("filings:order_website_edit", args=[order.pk, sites[int(m.group(1))].pk])
    return reverse("filings:order_websites", args=[order.pk])
