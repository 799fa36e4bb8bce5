"""The authority's (管局) decisions: approve with numbers, or reject with field-level reasons (R-S6).

Both run in ONE transaction, inside the order's tenant scope, and start by
locking the order row (``SELECT … FOR UPDATE``) and re-reading its state:
of several simultaneous approvals exactly one gets past the lock with the
order still in authority_review, allocates numbers and performs the
transition; the others wait, then see the new state and raise
``TransitionConflict`` before touching the registry — so no number is
allocated for a loser, and the per-province sequence has no gaps. On SQLite
writers are serialised anyway, and the transition's conditional update is the
backstop on every database (a loser's registry rows roll back with it).
"""

from __future__ import annotations

import re
from typing import NamedTuple

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.authority.selectors import authority_province_codes
from filings.changes.services import access_added, change_apply
from filings.models import (
    ENTITY_FIELDS,
    WEBSITE_FIELDS,
    FilingOrder,
    MaterialKind,
    OrderApp,
    OrderEvent,
    OrderStatus,
    OrderType,
    OrderWebsite,
    ReturnSource,
)
from filings.ordertypes import CHANGE_TYPES
from filings.returns import field_returns_record
from filings.states import AUTHORITY
from filings.workflow import TransitionConflict, order_transition
from icpfiling.core.text import bracketed, clause_join, list_join
from icpfiling.registry.models import FiledEntity, RegistryStatus
from icpfiling.registry.services import (
    DomainTaken,
    registry_access_add,
    registry_app_file,
    registry_entity_file,
    registry_website_file,
)
from icpfiling.tenancy.context import tenant_scope


class RejectItem(NamedTuple):
    """One reason of a rejection, attached to one field (same keys as the provider's returns)."""

    field: str
    reason: str
    suggestion: str = ""


# Field keys a reason may name: the validation keys, a material kind, or the whole order.
_ENTITY_KEYS = frozenset(
    (*ENTITY_FIELDS, "province", "nature", "certificate_type", "certificate_number", "city", "county")
)
_WEBSITE_KEYS = frozenset((*WEBSITE_FIELDS, "domain", "extra_domains"))
_KEY = re.compile(r"^(?:order|entity\.(?P<e>\w+)|websites\[(?P<i>\d+)\]\.(?P<w>\w+)|materials\.(?P<m>\w+))$")
_REASON_MAX = 300


def _authorise(*, reviewer, order: FilingOrder) -> None:
    """Services guard themselves too: only an authority reviewer of the order's province decides."""
    if order.province_id not in authority_province_codes(user=reviewer):
        raise PermissionDenied


def _lock(order: FilingOrder) -> FilingOrder:
    """The order row, locked for this transaction (only its own row: ``of=self``), state re-read."""
    return (
        FilingOrder.objects.select_for_update(of=("self",))
        .select_related("tenant", "province", "nature", "certificate_type", "applicant")
        .get(pk=order.pk, tenant_id=order.tenant_id)
    )


def _conflict(order: FilingOrder) -> TransitionConflict:
    """What a loser raises: the state it found and who moved the order there."""
    last = OrderEvent.objects.filter(order_id=order.pk).select_related("actor").order_by("-at", "-pk").first()
    who = (last.actor.full_name or last.actor.email) if last and last.actor else ""
    return TransitionConflict("already handled", current_status=order.status, by=who)


def _file_websites(*, entity: FiledEntity, sites: list[OrderWebsite], order: FilingOrder, now) -> list[str]:
    """File each new website under ``entity`` (``…号-N`` in order) and link it back to the order."""
    numbers = []
    for site in sites:
        try:
            filed = registry_website_file(
                entity=entity,
                domain=site.domain,
                name=site.name,
                provider=order.tenant,
                filed_at=now,
                extra_domains=site.extra_domains or (),
            )
        except DomainTaken as exc:  # R-C2: filed by another website since the order was checked
            raise ValidationError(
                _("域名 %(d)s 已由其他网站备案，不能通过：请退回申请人删除该域名。") % {"d": exc.domain}
            ) from None
        OrderWebsite.objects.filter(pk=site.pk, tenant_id=order.tenant_id).update(registry_website=filed)
        site.registry_website = filed
        numbers.append(bracketed(filed.website_number, filed.domain))
    return numbers


def _file_apps(*, entity: FiledEntity, apps: list[OrderApp], order: FilingOrder, now) -> str:
    """File each app under ``entity`` (``…号-NA`` / ``-NX``, R-AP4); the sentence for the message."""
    if not apps:
        return ""
    numbers = []
    for app in apps:
        filed = registry_app_file(
            entity=entity,
            kind=app.kind,
            name=app.name,
            provider=order.tenant,
            # R-AP5: a mini-program's AppID is keyed like a package, under "mini:<platform>".
            packages=[(p.platform, p.package_name, p.fingerprint) for p in app.platforms.all()]
            or ([(f"mini:{app.mini_platform}", app.mini_appid, "")] if app.mini_appid else []),
            mini_platform=app.mini_platform,
            mini_appid=app.mini_appid,
            # The public query finds an app by the domains it uses (R-Q1, R-AP2).
            domains=list(app.domains or []),
            filed_at=now,
        )
        OrderApp.objects.filter(pk=app.pk, tenant_id=order.tenant_id).update(registry_app=filed)
        numbers.append(bracketed(filed.service_number, app.name))
    # R-AP4: where the number must be shown.
    return " " + _(
        "App/小程序备案号：%(apps)s。请在 App 的“关于”页面或启动页、小程序的设置或介绍页显著位置展示备案号。"
    ) % {"apps": list_join(numbers)}


def _active_entity(order: FilingOrder) -> FiledEntity:
    entity = (
        FiledEntity.objects.filter(pk=order.registry_entity_id, status=RegistryStatus.ACTIVE).first()
        if order.registry_entity_id
        else None
    )
    if entity is None:
        raise ValidationError(_("工信部备案库中找不到该订单的已备案主体（可能已注销），不能通过。"))
    return entity


@transaction.atomic
def authority_approve(*, order: FilingOrder, reviewer) -> FilingOrder:
    """Approve an order in authority_review: registry records, numbers, then the transition.

    new_entity: allocate the entity number (per-province sequence), file the
    entity, file each website (``…号-1``, ``-2`` …) with this provider's access
    record. new_website: file each website under the existing entity (next
    ``-N``). new_access: add this provider's access record to each filed
    website (the previous provider's record stays; R-O3 "added as"). The order
    keeps its numbers: ``registry_entity`` and each website's ``registry_website``.

    Raises PermissionDenied (not this reviewer's province), TransitionConflict
    (already decided; nothing allocated), ValidationError (the registry refuses).
    """
    _authorise(reviewer=reviewer, order=order)
    with tenant_scope(order.tenant_id):
        locked = _lock(order)
        if locked.status != OrderStatus.AUTHORITY_REVIEW:
            raise _conflict(locked)
        sites = list(
            OrderWebsite.objects.filter(order=locked)
            .select_related("registry_website", "registry_website__entity")
            .order_by("position")
        )
        apps = list(OrderApp.objects.filter(order=locked).prefetch_related("platforms").order_by("position"))
        if not sites and not apps:
            raise ValidationError(_("该订单没有网站或App，不能通过。"))
        now = timezone.now()
        extra: dict = {}
        try:
            with transaction.atomic():
                if locked.order_type in CHANGE_TYPES:
                    # R-C1…R-C7: the diff or the cancellation, with registry history (R-C9).
                    message = change_apply(order=locked, actor=reviewer, now=now)
                elif locked.order_type == OrderType.NEW_ENTITY:
                    entity = registry_entity_file(
                        province=locked.province,
                        nature=locked.nature,
                        certificate_type=locked.certificate_type,
                        certificate_number=locked.certificate_number,
                        name=locked.entity_name,
                        principal_name=locked.principal_name,
                        principal_mobile=locked.principal_mobile,
                        filed_at=now,
                    )
                    extra["registry_entity_id"] = entity.pk
                    numbers = _file_websites(entity=entity, sites=sites, order=locked, now=now)
                    message = _("主体备案号：%(entity)s；网站备案号：%(sites)s") % {
                        "entity": entity.entity_number,
                        "sites": list_join(numbers) or "—",
                    }
                    message += _file_apps(entity=entity, apps=apps, order=locked, now=now)
                elif locked.order_type in (OrderType.NEW_WEBSITE, OrderType.NEW_APP):
                    entity = _active_entity(locked)
                    numbers = _file_websites(entity=entity, sites=sites, order=locked, now=now)
                    message = _("网站备案号：%(sites)s") % {"sites": list_join(numbers)} if numbers else ""
                    message += _file_apps(entity=entity, apps=apps, order=locked, now=now)
                else:
                    connected = [s for s in sites if s.registry_website_id]
                    # A website added to a new-access order beside the filed one is new: file it too.
                    new = [s for s in sites if not s.registry_website_id]
                    if any(s.registry_website.status != RegistryStatus.ACTIVE for s in connected):
                        raise ValidationError(_("要接入的网站已在工信部注销，不能通过。"))
                    transfer_notes = []
                    for site in connected:
                        registry_access_add(website=site.registry_website, provider=locked.tenant, since=now)
                        # R-C8 / R-C9: history, and the old provider released when this is a transfer.
                        transfer_notes.append(
                            access_added(order=locked, service=site.registry_website, actor=reviewer, now=now)
                        )
                    numbers = [
                        bracketed(s.registry_website.website_number, s.registry_website.domain)
                        for s in connected
                    ]
                    if new:
                        numbers += _file_websites(
                            entity=_active_entity(locked), sites=new, order=locked, now=now
                        )
                    message = _("已接入网站：%(sites)s") % {"sites": list_join(numbers)}
                    message = " ".join([message, *filter(None, transfer_notes)])
                    if apps:  # R-AP1: apps added beside a connected website are new filings
                        message += _file_apps(entity=_active_entity(locked), apps=apps, order=locked, now=now)
        except IntegrityError:
            raise ValidationError(
                _("工信部备案库中已有冲突的记录（主体证件或域名已备案），不能通过。")
            ) from None
        return order_transition(
            order=locked,
            action="authority_approve",
            actor=reviewer,
            actor_kind=AUTHORITY,
            message=message,
            extra=extra,
        )


def _clean_items(order: FilingOrder, items: list) -> list[RejectItem]:
    """Validate every reason before anything is written; errors name the row and the field."""
    if not items:
        raise ValidationError(_("请至少填写一条退回原因。"), code="no_reasons")
    site_count = OrderWebsite.objects.filter(order=order).count()
    clean, errors = [], []
    for n, raw in enumerate(items, start=1):
        item = RejectItem(*raw)
        field = (item.field or "").strip()
        reason = (item.reason or "").strip()
        suggestion = (item.suggestion or "").strip()
        m = _KEY.match(field)
        valid = bool(m) and (
            field == "order"
            or (m["e"] is not None and m["e"] in _ENTITY_KEYS)
            or (m["w"] is not None and m["w"] in _WEBSITE_KEYS and int(m["i"]) < site_count)
            or (m["m"] is not None and m["m"] in MaterialKind.values)
        )
        if not valid:
            errors.append(_("第 %(n)d 条：字段“%(field)s”不是本订单的字段。") % {"n": n, "field": field})
        if not reason:
            errors.append(_("第 %(n)d 条：请填写退回原因。") % {"n": n})
        elif len(reason) > _REASON_MAX:
            errors.append(_("第 %(n)d 条：退回原因不能超过 %(max)d 个字。") % {"n": n, "max": _REASON_MAX})
        if len(suggestion) > _REASON_MAX:
            errors.append(_("第 %(n)d 条：修改建议不能超过 %(max)d 个字。") % {"n": n, "max": _REASON_MAX})
        clean.append(RejectItem(field, reason, suggestion))
    if errors:
        raise ValidationError(errors)
    return clean


@transaction.atomic
def authority_reject(*, order: FilingOrder, reviewer, items: list) -> FilingOrder:
    """Return the order to the applicant with field-level reasons (at least one), all at once.

    ``items`` are ``(field, reason, suggestion)`` tuples (``RejectItem``). The
    reasons are recorded for the order's current round with source "authority".
    Raises ValidationError (bad reasons; nothing written), PermissionDenied,
    TransitionConflict (already decided; nothing written).
    """
    _authorise(reviewer=reviewer, order=order)
    with tenant_scope(order.tenant_id):
        locked = _lock(order)
        if locked.status != OrderStatus.AUTHORITY_REVIEW:
            raise _conflict(locked)
        clean = _clean_items(locked, items)
        field_returns_record(order=locked, items=clean, source=ReturnSource.AUTHORITY, by=reviewer)
        return order_transition(
            order=locked,
            action="authority_reject",
            actor=reviewer,
            actor_kind=AUTHORITY,
            message=clause_join(item.reason for item in clean),
        )
