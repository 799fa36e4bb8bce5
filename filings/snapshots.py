"""What the applicant submitted in each round, and what changed since the last one (R-S3).

Keys are the validation keys of ``filings.orders.validation`` (``entity.entity_name``,
``websites[0].domain``) plus ``materials.<kind>`` and ``order``, so that a
return reason, a validation error and a change all name a field the same way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from django.core.exceptions import FieldDoesNotExist
from django.db import transaction
from django.utils.translation import gettext as _

from filings.models import (
    APP_FIELDS,
    ENTITY_FIELDS,
    WEBSITE_FIELDS,
    AppPlatform,
    FilingOrder,
    MaterialKind,
    OrderApp,
    OrderAppPlatform,
    OrderSnapshot,
    OrderWebsite,
)
from icpfiling.core.text import clause_join, labelled, list_join

WEBSITE_KEY = re.compile(r"^websites\[(\d+)\]\.([a-z_]+)$")
APP_KEY = re.compile(r"^apps\[(\d+)\]\.(?:platforms\.([a-z]+)\.)?([a-z_]+)$")  # R-AP2
# Personal identifiers shown masked to reviewers unless revealed (and audited).
SENSITIVE_SUFFIXES = ("principal_id_number", "principal_mobile", "emergency_mobile")
# Locked identity fields (R-O6) that a reason may still point at, e.g. a cross-province filing.
LOCKED_ENTITY_KEYS = ("certificate_number", "province")


def _website_field_name(name: str) -> str:
    # The applicant types the domain into ``domain_display``; validation reports it as ``domain``.
    return "domain" if name == "domain_display" else name


def _verbose(model, name: str) -> str:
    if name == "domain":
        return _("域名")
    if name == "province":
        return _("省份")
    if name == "certificate_number":
        return _("主体证件号码")
    return str(model._meta.get_field(name).verbose_name)


def _site_title(index: int, site: OrderWebsite | None) -> str:
    return _("网站 %(n)d（%(d)s）") % {"n": index + 1, "d": site if site is not None else "—"}


def _sites(order: FilingOrder) -> list[OrderWebsite]:
    return list(order.websites.all())


def field_label(order: FilingOrder, key: str, *, sites: list[OrderWebsite] | None = None) -> str:
    """A reader's label for a field key: "主体信息：主办单位名称", "网站 1（a.cn）：域名"."""
    if key == "order":
        return _("整个订单")
    if key.startswith("entity."):
        name = key.split(".", 1)[1]
        try:
            return _("主体信息：%(f)s") % {"f": _verbose(FilingOrder, name)}
        except FieldDoesNotExist:
            return key
    if key.startswith("materials."):
        kind = key.split(".", 1)[1]
        label = dict(MaterialKind.choices).get(kind, kind)
        return _("材料：%(f)s") % {"f": label}
    m = WEBSITE_KEY.match(key)
    if m:
        index, name = int(m.group(1)), m.group(2)
        sites = _sites(order) if sites is None else sites
        site = sites[index] if index < len(sites) else None
        try:
            f = _verbose(OrderWebsite, name)
        except FieldDoesNotExist:
            f = name
        return labelled(_site_title(index, site), f)
    m = APP_KEY.match(key)
    if m:
        platform, name = m.group(2), m.group(3)
        try:
            f = _verbose(OrderApp, name)
        except FieldDoesNotExist:
            f = name
        if platform:
            try:
                f = _verbose(OrderAppPlatform, name)
            except FieldDoesNotExist:
                f = name
            f = f"{AppPlatform(platform).label if platform in AppPlatform.values else platform} {f}"
        return _("App %(n)d：%(f)s") % {"n": int(m.group(1)) + 1, "f": f}
    return key


def field_choices(order: FilingOrder, *, material_kinds: list[str] | None = None) -> list[tuple[str, str]]:
    """Every field of this order a reviewer may attach a reason to, as (key, label).

    ``material_kinds`` narrows the materials to those the order needs or has;
    without it every kind is offered.
    """
    sites = _sites(order)
    names = [f for f in ENTITY_FIELDS if not (order.is_individual and f in _UNIT_ONLY)]
    out: list[tuple[str, str]] = [("order", field_label(order, "order"))]
    for name in (*LOCKED_ENTITY_KEYS, *names):
        key = f"entity.{name}"
        out.append((key, field_label(order, key, sites=sites)))
    website_names = list(dict.fromkeys(_website_field_name(f) for f in WEBSITE_FIELDS))
    for i in range(len(sites)):
        for name in website_names:
            key = f"websites[{i}].{name}"
            out.append((key, field_label(order, key, sites=sites)))
    for i, app in enumerate(_apps(order)):  # R-AP2: an app's fields take reasons like a website's
        for key in _app_keys(app, i):
            out.append((key, field_label(order, key, sites=sites)))
    kinds = material_kinds if material_kinds is not None else list(MaterialKind.values)
    for kind in dict.fromkeys(kinds):
        key = f"materials.{kind}"
        out.append((key, field_label(order, key, sites=sites)))
    return out


_UNIT_ONLY = (
    "registered_address",
    "investor",
    "principal_is_legal_rep",
    "licence_valid_until",
    "licence_long_term",
    "business_scope",
)
# The app fields a reason may name; pre-approvals are named per code like a website's.
_APP_REASON_FIELDS = tuple(f for f in APP_FIELDS if f != "pre_approvals")


def _apps(order: FilingOrder) -> list[OrderApp]:
    return list(
        OrderApp.objects.filter(order=order, tenant_id=order.tenant_id)
        .prefetch_related("platforms")
        .order_by("position")
    )


def _app_keys(app: OrderApp, index: int) -> list[str]:
    keys = [f"apps[{index}].{f}" for f in _APP_REASON_FIELDS]
    for p in app.platforms.all():
        keys += [
            f"apps[{index}].platforms.{p.platform}.{f}" for f in ("package_name", "public_key", "fingerprint")
        ]
    return keys


def field_key_valid(order: FilingOrder, key: str, *, website_count: int) -> bool:
    """Whether ``key`` names a real field of this order (any material kind counts)."""
    if key == "order":
        return True
    if key.startswith("entity."):
        name = key.split(".", 1)[1]
        return name in ENTITY_FIELDS or name in LOCKED_ENTITY_KEYS
    if key.startswith("materials."):
        return key.split(".", 1)[1] in MaterialKind.values
    m = WEBSITE_KEY.match(key)
    if m:
        names = {_website_field_name(f) for f in WEBSITE_FIELDS}
        return int(m.group(1)) < website_count and m.group(2) in names
    m = APP_KEY.match(key)
    if m:
        apps = _apps(order)
        index = int(m.group(1))
        return index < len(apps) and key in _app_keys(apps[index], index)
    return False


def is_sensitive(order: FilingOrder, key: str) -> bool:
    """ID numbers and mobiles are masked for reviewers; an individual's certificate is an ID number."""
    if key.endswith(SENSITIVE_SUFFIXES):
        return True
    return key == "entity.certificate_number" and order.is_individual


# --- snapshots ---------------------------------------------------------------------------


def _plain(value):
    """A JSON-storable, comparable form of a field value."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return str(value)


def snapshot_data(order: FilingOrder) -> dict:
    """The order as the applicant submitted it, keyed like the validation keys."""
    data: dict = {f"entity.{f}": _plain(getattr(order, f)) for f in ENTITY_FIELDS}
    sites = list(
        OrderWebsite.objects.filter(order=order, tenant_id=order.tenant_id)
        .select_related("server")
        .order_by("position")
    )
    for i, site in enumerate(sites):
        for f in WEBSITE_FIELDS:
            value = getattr(site, f)
            data[f"websites[{i}].{_website_field_name(f)}"] = _plain(value)
    apps = OrderApp.objects.filter(order=order, tenant_id=order.tenant_id).prefetch_related("platforms")
    for i, app in enumerate(apps.order_by("position")):
        for f in APP_FIELDS:
            data[f"apps[{i}].{f}"] = _plain(getattr(app, f))
        for p in app.platforms.all():
            for f in ("package_name", "public_key", "fingerprint"):
                data[f"apps[{i}].platforms.{p.platform}.{f}"] = getattr(p, f)
    shas: dict[str, list[str]] = {}
    for kind, sha in order.materials.order_by("kind", "sha256").values_list("kind", "sha256"):
        shas.setdefault(f"materials.{kind}", []).append(sha)
    data.update(shas)
    return data


@transaction.atomic
def snapshot_record(*, order: FilingOrder) -> OrderSnapshot:
    """Store the submitted data for ``order.review_round`` (called right after each submission).

    Needs the order's tenant scope. Idempotent per round: recording twice keeps one row.
    """
    snapshot, _created = OrderSnapshot.objects.update_or_create(
        tenant_id=order.tenant_id,
        order=order,
        round=order.review_round,
        defaults={"data": snapshot_data(order)},
    )
    return snapshot


@dataclass(frozen=True)
class Change:
    field: str
    label: str
    before: object
    after: object
    sensitive: bool = False


def display_value(key: str, value) -> str:
    """A value as a reader sees it in "changes since last round"."""
    if value is None or value == "" or value == [] or value == {}:
        return "—"
    if key.startswith("materials."):
        return _("%(n)d 个文件") % {"n": len(value)}
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if isinstance(value, list):
        return list_join(value)
    if isinstance(value, dict):
        return clause_join(labelled(k, v) for k, v in value.items())
    return str(value)


def snapshot_changes(order: FilingOrder, before: dict, after: dict) -> list[Change]:
    sites = _sites(order)
    changes = []
    for key in dict.fromkeys([*before, *after]):
        old, new = before.get(key), after.get(key)
        if old == new or (old in (None, "", []) and new in (None, "", [])):
            continue
        before_text, after_text = display_value(key, old), display_value(key, new)
        if key.startswith("materials.") and before_text == after_text:
            # Same number of files, different content: say so instead of "1 file → 1 file".
            after_text = _("%(n)s（已更换）") % {"n": after_text}
        changes.append(
            Change(
                field=key,
                label=field_label(order, key, sites=sites),
                before=before_text,
                after=after_text,
                sensitive=is_sensitive(order, key),
            )
        )
    return changes


def order_changes(*, order: FilingOrder) -> list[Change]:
    """What changed between the last two submitted rounds; empty after the first submission."""
    snaps = list(
        OrderSnapshot.objects.filter(order=order).order_by("-round").values_list("data", flat=True)[:2]
    )
    if len(snaps) < 2:
        return []
    after, before = snaps
    return snapshot_changes(order, before, after)
