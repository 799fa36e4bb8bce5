"""Writes of the applicant's journey: create by detection, save steps, submit, withdraw."""

from __future__ import annotations

import contextlib

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.appchecks import MINI_PREFIX
from filings.changes.services import registry_prefill
from filings.materials.requirements import missing_materials
from filings.models import (
    EDITABLE_STATUSES,
    ENTITY_FIELDS,
    WEBSITE_FIELDS,
    AppKind,
    FilingOrder,
    OrderApp,
    OrderAppPlatform,
    OrderEvent,
    OrderStatus,
    OrderType,
    OrderWebsite,
)
from filings.orders import selectors
from filings.orders.detection import Detection, DetectionInput, order_detect
from filings.orders.validation import order_errors
from filings.ordertypes import spec_for
from filings.rollups import rollup_order_created
from filings.states import APPLICANT
from filings.workflow import idle_fields, order_touch, order_transition
from icpfiling.accounts.models import Membership, Role
from icpfiling.tenancy.models import Provider


class OrderConflict(Exception):
    """R-O5: another open order for this entity exists at this provider."""


def applicant_may_file(*, user, tenant: Provider) -> str:
    """'' when the user may file here, else the reason (R-A1)."""
    m = Membership.objects.filter(user=user, tenant=tenant).first()
    if m is None or m.role != Role.APPLICANT:
        return _("只有申请人账户可以办理备案。")
    if user.email_confirmed_at is None:
        return _("请先确认您的邮箱，然后再开始备案。")
    if m.approved_at is None:
        return _("您的账户正在等待接入商审核，审核通过后即可开始备案。")
    return ""


def _event(order: FilingOrder, actor, kind: str, message: str = "") -> None:
    OrderEvent.objects.create(
        tenant_id=order.tenant_id, order=order, actor=actor, kind=kind, message=message[:500]
    )


@transaction.atomic
def order_create(
    *, tenant: Provider, applicant, data: DetectionInput
) -> tuple[Detection, FilingOrder | None]:
    """Detect the type and, when it is decided, create the locked draft (R-O4, R-O6).

    The per-provider uniqueness of open orders is the database's job (R-O5):
    concurrent creates for one entity produce exactly one order.
    """
    reason = applicant_may_file(user=applicant, tenant=tenant)
    if reason:
        raise PermissionDenied(reason)
    detection = order_detect(tenant_id=tenant.pk, data=data, applicant_id=applicant.pk)
    if not detection.ok:
        return detection, None
    entity, website = detection.entity, detection.website
    order = FilingOrder(
        tenant=tenant,
        applicant=applicant,
        order_type=detection.order_type,
        province=data.province,
        city=data.city.strip(),
        county=data.county.strip(),
        nature=data.nature,
        certificate_type=data.certificate_type,
        certificate_number=detection.certificate_number,
        entity_key=detection.entity_key,
        registry_entity=entity,
        registry_website=website if detection.order_type == OrderType.NEW_ACCESS else None,
        entity_name=entity.name if entity else "",
        # The idle clock (R-S8) starts with the draft.
        **idle_fields(FilingOrder(tenant=tenant), timezone.now()),
    )
    if data.nature.is_individual:
        order.principal_id_number = detection.certificate_number
        order.principal_id_type = data.certificate_type.code
    if entity is not None:
        registry_prefill(order=order, tenant=tenant, entity=entity)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        raise OrderConflict(_("该主体在本接入商已有一个正在办理的备案订单。")) from None
    rollup_order_created(order=order)  # the dashboard's draft count (R-M3)
    if data.is_app:  # R-AP1: an app-only order starts with its app (platform + package name)
        mini = (
            data.app_platform.removeprefix(MINI_PREFIX) if data.app_platform.startswith(MINI_PREFIX) else ""
        )
        app = OrderApp.objects.create(
            tenant=tenant,
            order=order,
            position=0,
            languages=["zh-hans"],
            # R-AP3: a mini-program (or a quick app, on the quick-app alliance) by platform and AppID.
            kind=(AppKind.QUICK_APP if mini == "quickapp" else AppKind.MINI_PROGRAM) if mini else AppKind.APP,
            mini_platform=mini,
            mini_appid=detection.app_package if mini else "",
        )
        if not mini:
            OrderAppPlatform.objects.create(
                tenant=tenant, app=app, platform=data.app_platform, package_name=detection.app_package
            )
        _event(order, applicant, "created", str(order.get_order_type_display()))
        return detection, order
    OrderWebsite.objects.create(
        tenant=tenant,
        order=order,
        position=0,
        domain=detection.site.value,
        domain_display=detection.site.display,
        address_kind=detection.site.kind,
        name=website.name if website and detection.order_type == OrderType.NEW_ACCESS else "",
        registry_website=website if detection.order_type == OrderType.NEW_ACCESS else None,
        languages=["zh-hans"],
    )
    if entity is not None:
        _prefill_from_registry(order, entity, applicant)
    _event(order, applicant, "created", str(order.get_order_type_display()))
    return detection, order


def _require_step(order: FilingOrder, step: str, *, adding: bool = False) -> None:
    """A change or cancel type edits only its own steps and never adds websites (filings.ordertypes)."""
    spec = spec_for(order.order_type)
    if step not in spec.edits or (adding and spec.target != "new"):
        raise ValidationError(
            _("“%(type)s”订单不能修改这一步的信息。") % {"type": order.get_order_type_display()}
        )


# What an earlier filed order of the same applicant for the same entity passes on.
_PREFILL_FROM_OWN_ORDER = tuple(f for f in ENTITY_FIELDS if f not in {"entity_name", "remarks"})


def _prefill_from_registry(order: FilingOrder, entity, applicant) -> None:
    """新增网站 / 新增接入: start from what is already on record (issue 12).

    The registry gives the entity's name and principal. Addresses and contacts are
    taken only from this applicant's own filed order for the entity at this
    provider, never from someone else's: typing a public credit code must not
    reveal another person's details.
    """
    values = {"entity_name": entity.name, "principal_name": entity.principal_name}
    own = selectors.applicant_filed_order_for_entity(order=order, applicant=applicant, entity=entity)
    if own is not None:
        values.update(
            {f: getattr(own, f) for f in _PREFILL_FROM_OWN_ORDER if getattr(own, f) not in (None, "")}
        )
    for f, v in values.items():
        setattr(order, f, v)
    order.save(update_fields=[*values, "updated_at"])


def _require_editable(order: FilingOrder) -> None:
    if order.status not in EDITABLE_STATUSES:
        raise ValidationError(_("订单当前状态为“%(s)s”，不能修改。") % {"s": order.get_status_display()})


@transaction.atomic
def order_entity_save(*, order: FilingOrder, actor, values: dict) -> FilingOrder:
    """Store the entity step exactly as entered (valid or not); locked fields are never touched."""
    _require_editable(order)
    _require_step(order, "entity")
    order_touch(order=order)
    # The form may already have copied the values onto ``order``; save every given field.
    given = [f for f in ENTITY_FIELDS if f in values]
    for f in given:
        setattr(order, f, values[f])
    if "entity.certificate_number" in spec_for(order.order_type).changes:
        # R-C1: 变更主体 may propose the 三证合一 certificate (checked by ``changes.validation``);
        # every other order keeps the detected one (R-O6).
        if values.get("certificate_type") is not None:
            order.certificate_type = values["certificate_type"]
            given.append("certificate_type")
        if values.get("certificate_number"):
            order.certificate_number = "".join(str(values["certificate_number"]).split()).upper()[:40]
            given.append("certificate_number")
    if given:
        order.save(update_fields=[*given, "updated_at"])
    return order


def _clean_domain_input(site: OrderWebsite) -> None:
    from icpfiling.core import validators as v

    raw = (site.domain_display or "").strip()
    try:
        addr = v.clean_site_address(raw)
    except ValidationError:
        site.domain = ""
        return
    site.domain, site.domain_display, site.address_kind = addr.value, addr.display, addr.kind


def _clean_extra_domains(raw) -> list[str]:
    from icpfiling.core import validators as v

    items = raw.split() if isinstance(raw, str) else list(raw or [])
    out = []
    for item in items:
        text = str(item).strip().rstrip(",，、;；")
        if not text:
            continue
        with contextlib.suppress(ValidationError):  # kept as typed: the submission check names it
            text = v.clean_site_address(text).value
        out.append(text[:253])
    out = list(dict.fromkeys(out))
    if len(out) > MAX_EXTRA_DOMAINS:
        raise ValidationError(
            {"extra_domains": _("一个网站最多填写 %(n)d 个其他域名。") % {"n": MAX_EXTRA_DOMAINS}}
        )
    return out


def _domains_keep(order: FilingOrder, website: OrderWebsite, keep) -> None:
    """R-C2: 变更网站 keeps some of the website's filed domains (main first); none added, one stays."""
    from filings.changes.selectors import order_change_of

    change = order_change_of(order)
    filed = list((change.baseline if change else {}).get("service.domains") or website.domains)
    keep = {str(d).strip().lower() for d in keep or []}
    if not keep <= set(filed):
        raise ValidationError({"keep_domains": _("变更网站只能删除域名，不能新增或更换域名。")})
    kept = [d for d in filed if d in keep]
    if not kept:
        raise ValidationError({"keep_domains": _("请至少保留一个域名；如要停用整个网站，请办理注销网站。")})
    website.domain = website.domain_display = kept[0]
    website.extra_domains = kept[1:]


# R-C2: how many further domains one website may list (Inspur carries up to 5 per access).
MAX_EXTRA_DOMAINS = 9


@transaction.atomic
def order_website_save(
    *, order: FilingOrder, website: OrderWebsite | None, actor, values: dict
) -> OrderWebsite:
    """Create or update one website of the order, as entered (R-O7 limit checked at add)."""
    _require_editable(order)
    _require_step(order, "websites", adding=website is None)
    order_touch(order=order)
    if website is None:
        limit = (
            order.tenant.websites_per_order_individual
            if order.is_individual
            else order.tenant.websites_per_order_unit
        )
        count = order.websites.count()
        if count >= limit:
            raise ValidationError(_("每个订单最多 %(n)d 个网站。") % {"n": limit})
        website = OrderWebsite(tenant_id=order.tenant_id, order=order, position=count, languages=["zh-hans"])
    if website.registry_website_id:
        # A new-access website is the filed one: its domain and name are the registry's.
        # 变更网站 may rename it (R-C2); the domain never changes here.
        locked = (
            {"domain_display"} if order.order_type == OrderType.CHANGE_WEBSITE else {"domain_display", "name"}
        )
        values = {k: val for k, val in values.items() if k not in locked}
    for f in WEBSITE_FIELDS:
        if f in values:
            setattr(website, f, values[f])
    if "keep_domains" in values and order.order_type == OrderType.CHANGE_WEBSITE:
        _domains_keep(order, website, values["keep_domains"])
    elif "extra_domains" in values and not website.registry_website_id:
        # R-C2: further domains of a new website, stored as typed (IDNA when valid); checked at submission.
        website.extra_domains = _clean_extra_domains(values["extra_domains"])
    if order.is_individual:
        # Seed 001 "个人备案主体负责人与网站负责人须同一人": not storable, whatever was posted.
        if values.get("principal_same_as_entity") is False:
            raise ValidationError(
                {"principal_same_as_entity": _("个人备案的网站负责人必须是主体负责人本人。")}
            )
        website.principal_same_as_entity = True
    if not website.registry_website_id:
        _clean_domain_input(website)
    website.save()
    return website


@transaction.atomic
def order_website_delete(*, order: FilingOrder, website: OrderWebsite, actor) -> None:
    _require_editable(order)
    order_touch(order=order)
    _require_step(order, "websites", adding=True)
    if website.position == 0:
        raise ValidationError(_("第一个网站来自备案类型识别，不能删除；如需更换域名请放弃本订单后重新识别。"))
    website.delete()
    for i, site in enumerate(order.websites.order_by("position")):
        if site.position != i:
            OrderWebsite.objects.filter(pk=site.pk).update(position=i)


def order_submission_errors(order: FilingOrder) -> dict[str, list[str]]:
    """Everything that stops a submission: data errors and missing required materials."""
    errors = order_errors(order, today=timezone.localdate())
    missing = missing_materials(order)
    if missing:
        errors["materials"] = [_("还缺材料：%(title)s。") % {"title": r.title} for r in missing]
    return errors


@transaction.atomic
def order_submit(*, order: FilingOrder, actor) -> dict[str, list[str]]:
    """Submit (or resubmit) when the whole order is valid; returns the errors otherwise."""
    if order.applicant_id != actor.pk:
        raise PermissionDenied
    errors = order_submission_errors(order)
    if errors:
        return errors
    action = "resubmit" if order.status == OrderStatus.RETURNED else "submit"
    order_transition(order=order, action=action, actor=actor, actor_kind=APPLICANT)
    # The transition started a new round; keep what was submitted so the reviewer sees changes (R-S3).
    from filings.snapshots import snapshot_record

    snapshot_record(order=order)
    return {}


@transaction.atomic
def order_withdraw(*, order: FilingOrder, actor) -> None:
    """Back to draft, allowed until the provider approves (its first review passes)."""
    if order.applicant_id != actor.pk:
        raise PermissionDenied
    order_transition(order=order, action="withdraw", actor=actor, actor_kind=APPLICANT)


@transaction.atomic
def order_abandon(*, order: FilingOrder, actor) -> None:
    """Give up a draft or returned order (the only way to change locked identity fields, R-O6).

    A never-submitted draft is deleted: nobody else saw it. One that was submitted
    before (withdrawn, or returned) keeps its history and becomes 已放弃 (issue 12);
    either way it stops holding the entity and domains (R-O5).
    """
    if order.applicant_id != actor.pk:
        raise PermissionDenied
    if order.status not in (OrderStatus.DRAFT, OrderStatus.RETURNED):
        raise ValidationError(_("只有未提交或已退回的订单可以放弃；已提交的订单请先撤回。"))
    if order.status == OrderStatus.DRAFT and order.submitted_at is None:
        order.delete()
        return
    order_transition(order=order, action="abandon", actor=actor, actor_kind=APPLICANT)
