"""Writes of change and cancel orders (R-C1…R-C9): start one from the registry, apply it on approval.

An order of a change type is an ordinary ``FilingOrder`` on the same engine
(transition table, deadlines, outbox, field-level returns, SMS check, authority
queue); what is particular is kept here and in ``filings.ordertypes``: the
order starts prefilled from the registry with a baseline to diff against, and
the authority's approval writes the diff (or the cancellation) into the
registry, with history, inside the approval's transaction.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from filings.changes.app_selectors import app_packages, last_approved_app, order_target_app
from filings.changes.selectors import (
    action_reason,
    applicant_entity_ids,
    last_approved_order,
    last_approved_site,
    last_service_reason,
    order_change_of,
    order_diff,
    order_values,
)
from filings.models import (
    APP_FIELDS,
    ENTITY_FIELDS,
    PERSON_FIELDS,
    AppKind,
    AppPlatform,
    FilingOrder,
    OrderApp,
    OrderAppPlatform,
    OrderChange,
    OrderEvent,
    OrderWebsite,
)
from filings.ordertypes import CHANGE_TYPES, spec_for
from filings.states import REVIEWER, OrderType
from filings.workflow import idle_fields, order_transition
from icpfiling.accounts.models import Membership, Role
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.registry.changes import (
    CertificateTaken,
    PackageTaken,
    Who,
    entity_active_services,
    entity_is_empty_shell,
    registry_access_end,
    registry_app_access_end,
    registry_app_cancel,
    registry_app_change,
    registry_entity_cancel,
    registry_entity_change,
    registry_history_record,
    registry_service_cancel,
    registry_service_change,
)
from icpfiling.registry.models import ChangeKind, FiledApp, FiledEntity, FiledWebsite, RegistryStatus
from icpfiling.tenancy.context import tenant_scope
from icpfiling.tenancy.models import Provider

T = OrderType
REASON_MAX = 300
# The website fields copied from the last approved order (the registry keeps only name and domain).
_SITE_COPY = (
    "name",
    "homepage_url",
    "service_content",
    "languages",
    "pre_approvals",
    "principal_same_as_entity",
    *PERSON_FIELDS,
    "server",
    "domain_real_name_on",
)


def _copy_entity(order: FilingOrder, tenant: Provider, entity: FiledEntity) -> None:
    """Prefill the entity step: the last approved order here, else what the registry keeps."""
    last = last_approved_order(tenant=tenant, entity=entity)
    if last is not None:
        for f in (*ENTITY_FIELDS, "principal_id_type", "principal_id_number", "city", "county"):
            setattr(order, f, getattr(last, f))
    # The registry is the truth for what it keeps (a change elsewhere may have moved it on).
    order.entity_name = entity.name
    order.principal_name = entity.principal_name
    order.principal_mobile = entity.principal_mobile or order.principal_mobile


def registry_prefill(*, order: FilingOrder, tenant: Provider, entity: FiledEntity) -> None:
    """R-O4: a 新增网站 or 新增接入 starts with the entity's filed data (not its locked identity)."""
    last = last_approved_order(tenant=tenant, entity=entity)
    if last is not None:
        for f in ENTITY_FIELDS:
            setattr(order, f, getattr(last, f))
        if not order.principal_id_number:
            order.principal_id_type, order.principal_id_number = (
                last.principal_id_type,
                last.principal_id_number,
            )
    order.entity_name = entity.name
    order.principal_name = order.principal_name or entity.principal_name
    order.principal_mobile = order.principal_mobile or entity.principal_mobile


def _copy_site(site: OrderWebsite, tenant: Provider, service: FiledWebsite) -> None:
    last = last_approved_site(tenant=tenant, service=service)
    if last is not None:
        for f in _SITE_COPY:
            setattr(site, f, getattr(last, f))
        site.remarks = ""
    site.name = service.name
    site.domain = site.domain_display = service.domain
    # R-C2: the website's further domains, as the registry has them now.
    site.extra_domains = sorted(
        d for d in service.domains.filter(active=True).values_list("domain", flat=True) if d != service.domain
    )
    site.registry_website = service


def _copy_app(order: FilingOrder, tenant: Provider, filed: FiledApp) -> OrderApp:
    """The app as last approved here (builds included), else what the registry keeps (R-AP1)."""
    last = last_approved_app(tenant=tenant, app=filed)
    app = OrderApp(tenant=tenant, order=order, position=0, kind=filed.kind, languages=["zh-hans"])
    if last is not None:
        for f in APP_FIELDS:
            setattr(app, f, getattr(last, f))
        app.remarks = ""
    app.name = filed.name
    app.mini_platform = filed.mini_platform or app.mini_platform
    app.mini_appid = filed.mini_appid or app.mini_appid
    app.registry_app = filed
    app.save()
    if last is not None:
        OrderAppPlatform.objects.bulk_create(
            [
                OrderAppPlatform(
                    tenant=tenant,
                    app=app,
                    platform=p.platform,
                    package_name=p.package_name,
                    public_key=p.public_key,
                    fingerprint=p.fingerprint,
                )
                for p in last.platforms.all()
            ]
        )
    elif filed.kind == AppKind.APP:  # filed without an order here: the registry's builds, key to complete
        OrderAppPlatform.objects.bulk_create(
            [
                OrderAppPlatform(
                    tenant=tenant,
                    app=app,
                    platform=p.platform,
                    package_name=p.package_name,
                    fingerprint=p.fingerprint,
                )
                for p in filed.packages.filter(active=True, platform__in=AppPlatform.values)
            ]
        )
    return app


@transaction.atomic
def change_order_start(
    *,
    tenant: Provider,
    applicant,
    order_type: str,
    entity: FiledEntity,
    service: FiledWebsite | None = None,
    started_by=None,
    reason: str = "",
    app: FiledApp | None = None,
) -> FilingOrder:
    """Start an order of a change type, prefilled from the registry (R-P2, R-O4).

    ``started_by`` is a reviewer when the provider starts 取消接入 itself (R-C6):
    the order is then submitted at once, in the applicant's name, with ``reason``.
    Raises ValidationError (the action does not apply now, with why) or
    PermissionDenied (not this applicant's entity).
    """
    if order_type not in CHANGE_TYPES:
        raise ValidationError({"order_type": [_("不支持的备案类型。")]})
    if started_by is None and entity.pk not in applicant_entity_ids(tenant=tenant, applicant=applicant):
        raise PermissionDenied
    spec = spec_for(order_type)
    if spec.target == "entity":
        service = app = None
    if app is not None:  # R-AP1: the service is an app or mini-program, not a website
        service = None
    why = action_reason(tenant=tenant, order_type=order_type, entity=entity, service=service, app=app)
    if why:
        raise ValidationError({"order_type": [why]})
    reason = (reason or "").strip()
    if started_by is not None and not reason:
        raise ValidationError({"reason": [_("请填写取消接入的原因，申请人会看到它。")]})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": [_("原因不能超过 %(n)d 个字。") % {"n": REASON_MAX}]})
    order = FilingOrder(
        tenant=tenant,
        applicant=applicant,
        order_type=order_type,
        province=entity.province,
        nature=entity.nature,
        certificate_type=entity.certificate_type,
        certificate_number=entity.certificate_number,
        entity_key=f"entity:{entity.pk}",
        registry_entity=entity,
        registry_website=service,
        registry_app=app,
        **idle_fields(FilingOrder(tenant=tenant), timezone.now()),
    )
    _copy_entity(order, tenant, entity)
    try:
        with transaction.atomic():
            order.save()
    except IntegrityError:
        raise ValidationError({"order_type": [_("该主体在本接入商已有一个正在办理的备案订单。")]}) from None
    if spec.target == "entity":
        services = list(entity.websites.filter(status=RegistryStatus.ACTIVE).order_by("seq"))
    elif app is not None:
        services = []
        _copy_app(order, tenant, app)
    else:
        services = [service]
    for position, filed in enumerate(services):
        site = OrderWebsite(tenant=tenant, order=order, position=position, languages=["zh-hans"])
        _copy_site(site, tenant, filed)
        site.save()
    OrderChange.objects.create(
        tenant=tenant,
        order=order,
        baseline=order_values(order),
        started_by_provider=started_by is not None,
        reason=reason,
    )
    OrderEvent.objects.create(
        tenant_id=tenant.pk,
        order=order,
        actor=started_by or applicant,
        kind="created",
        message=str(order.get_order_type_display()),
    )
    if started_by is not None:
        order_transition(
            order=order, action="provider_submit", actor=started_by, actor_kind=REVIEWER, message=reason
        )
        from filings.snapshots import snapshot_record

        snapshot_record(order=order)
    return order


@transaction.atomic
def transfer_set(*, order: FilingOrder, actor, replace: bool) -> FilingOrder:
    """R-C8: make a 新增接入 replace the website's current provider instead of adding beside it."""
    if order.applicant_id != actor.pk:
        raise PermissionDenied
    if order.order_type != T.NEW_ACCESS or not order.is_editable:
        raise ValidationError({"replace": [_("只有未提交的新增接入订单可以选择变更接入商。")]})
    service = order.registry_website
    others = (
        [
            a.provider_id
            for a in service.access_records.filter(ended_at__isnull=True).exclude(provider=order.tenant)
        ]
        if service
        else []
    )
    if replace and len(others) != 1:
        raise ValidationError(
            {
                "replace": [
                    _("该网站当前接入了 %(n)d 个其他接入商，无法确定要替换哪一个。") % {"n": len(others)}
                ]
            }
        )
    change = order_change_of(order) or OrderChange(tenant_id=order.tenant_id, order=order)
    change.replaces_provider_id = others[0] if replace else None
    change.save()
    order.change = change
    return order


def _who(order: FilingOrder, actor, reason: str = "") -> Who:
    return Who(provider_id=order.tenant_id, order_id=order.pk, actor=actor, reason=reason)


def _staff_notify(*, provider_id: int, subject: str, body: str, key: str) -> int:
    """The provider's staff (reviewers and admins) see it in their inbox (R-C8)."""
    # The approval runs in the new provider's scope; the old provider's staff are read in theirs.
    with tenant_scope(provider_id):
        staff = list(
            Membership.objects.filter(
                tenant_id=provider_id, role__in=(Role.REVIEWER, Role.PROVIDER_ADMIN)
            ).values_list("user_id", flat=True)
        )
    n = 0
    for user_id in staff:
        if outbox_enqueue(
            channel=Channel.INBOX,
            recipient=str(user_id),
            subject=subject,
            body=body,
            tenant_id=provider_id,
            dedupe_key=f"{key}:{user_id}",
        ):
            n += 1
    return n


def access_added(*, order: FilingOrder, service: FiledWebsite, actor, now) -> str:
    """After a 新增接入's access record was added: history, and the transfer when asked (R-C8, R-C9)."""
    change = order_change_of(order)
    old = change.replaces_provider if change else None
    if old is None:
        registry_history_record(
            entity=service.entity,
            service=service,
            kind=ChangeKind.ACCESS_ADDED,
            who=_who(order, actor),
            before={},
            after={"provider": order.tenant_id},
            at=now,
        )
        return ""
    reason = _("网站已变更接入商为%(new)s（订单 #%(id)s）。") % {"new": order.tenant.name, "id": order.pk}
    try:
        registry_access_end(
            service=service,
            provider_id=old.pk,
            who=_who(order, actor, reason),
            kind=ChangeKind.ACCESS_TRANSFERRED,
            at=now,
        )
    except ValueError:
        return ""  # the old provider had already let it go: nothing to transfer
    _staff_notify(
        provider_id=old.pk,
        subject=_("网站 %(d)s 已转出") % {"d": service.domain},
        body=_("网站 %(d)s（%(n)s）已由%(new)s接入，贵方的接入记录已结束；备案号不变。")
        % {"d": service.domain, "n": service.website_number, "new": order.tenant.name},
        key=f"transfer:{order.pk}:{service.pk}",
    )
    return _("原接入商%(old)s的接入记录已结束。") % {"old": old.name}


def change_apply(*, order: FilingOrder, actor, now) -> str:
    """Write an approved change or cancel order into the registry (R-C1…R-C7, R-C9); the message.

    Runs inside the authority's approval, which holds the order's row lock.
    Raises ValidationError when the registry no longer allows it (nothing written).
    """
    entity = order.registry_entity
    if entity is None or entity.status != RegistryStatus.ACTIVE:
        raise ValidationError(_("工信部备案库中找不到该订单的已备案主体（可能已注销），不能通过。"))
    if order.registry_app_id:  # R-AP1: the service is an app or mini-program
        return app_change_apply(order=order, actor=actor, now=now)
    service = order.registry_website
    spec = spec_for(order.order_type)
    if spec.target != "entity" and (service is None or service.status != RegistryStatus.ACTIVE):
        raise ValidationError(_("该网站已在工信部注销，不能通过。"))
    change = order_change_of(order)
    who = _who(order, actor, change.reason if change else "")
    diff = order_diff(order)
    before = {r.key.split(".", 1)[1]: r.before for r in diff}
    after = {r.key.split(".", 1)[1]: r.after for r in diff}
    t = order.order_type
    if t == T.CHANGE_ENTITY:
        try:
            registry_entity_change(entity=entity, before=before, after=after, who=who, at=now)
        except CertificateTaken:
            raise ValidationError(
                _("新的统一社会信用代码已由另一个主体备案（或是其原证件号码），不能通过。")
            ) from None
        return _("主体信息已变更，主体备案号不变：%(n)s") % {"n": entity.entity_number}
    if t in (T.CHANGE_WEBSITE, T.CHANGE_ACCESS):
        kind = ChangeKind.CHANGE_SERVICE if t == T.CHANGE_WEBSITE else ChangeKind.CHANGE_ACCESS
        try:
            registry_service_change(service=service, before=before, after=after, who=who, kind=kind, at=now)
        except ValueError:  # R-C2: the registry's domains moved on since the order started
            raise ValidationError(
                _("网站的域名只能删除且至少保留一个；备案库中的域名已与订单不符，不能通过。")
            ) from None
        return _("网站信息已变更，网站备案号不变：%(n)s") % {"n": service.website_number}
    if t == T.CANCEL_ENTITY:
        registry_entity_cancel(entity=entity, who=who, at=now)
        return _("主体备案 %(n)s 及其全部网站已注销。") % {"n": entity.entity_number}
    if t == T.CANCEL_WEBSITE:
        if entity_active_services(entity) <= 1:
            raise ValidationError(last_service_reason(app=False))
        registry_service_cancel(service=service, who=who, at=now)
        return _("网站备案 %(n)s 已注销。") % {"n": service.website_number}
    if t == T.CANCEL_ACCESS:
        try:
            filing_ended = registry_access_end(service=service, provider_id=order.tenant_id, who=who, at=now)
        except ValueError:
            raise ValidationError(_("该网站已不在本接入商接入，不能通过。")) from None
        if not filing_ended:
            return _("已取消接入 %(n)s；该网站仍由其他接入商接入，备案号保留。") % {
                "n": service.website_number
            }
        if entity_is_empty_shell(entity):
            return _("已取消接入，网站备案 %(n)s 已注销；该主体已没有网站（空壳主体），请办理注销主体。") % {
                "n": service.website_number
            }
        return _("已取消接入，网站备案 %(n)s 已注销。") % {"n": service.website_number}
    raise ValidationError(_("不支持的备案类型。"))


def app_change_apply(*, order: FilingOrder, actor, now) -> str:
    """Write an approved change or cancel order of an app into the registry (R-C2, R-C5, R-C6, R-C9).

    What happens follows the type's spec, never its name: a "service" type that
    cancels ends the app's filing (refused for the entity's last service), an
    "access" type that cancels ends this provider's access (which, an app having
    one provider, ends the filing; the entity may become 空壳), any other writes
    the diff. Raises ValidationError when the registry no longer allows it.
    """
    spec = spec_for(order.order_type)
    filed = FiledApp.objects.select_for_update().select_related("entity").get(pk=order.registry_app_id)
    if filed.status != RegistryStatus.ACTIVE:
        raise ValidationError(_("该App已在工信部注销，不能通过。"))
    change = order_change_of(order)
    who = _who(order, actor, change.reason if change else "")
    entity = filed.entity
    if spec.cancels and spec.target == "access":
        try:
            registry_app_access_end(app=filed, provider_id=order.tenant_id, who=who, at=now)
        except ValueError:
            raise ValidationError(_("该App已不在本接入商接入，不能通过。")) from None
        if entity_is_empty_shell(entity):
            return _("已取消接入，App备案 %(n)s 已注销；该主体已没有备案（空壳主体），请办理注销主体。") % {
                "n": filed.service_number
            }
        return _("已取消接入，App备案 %(n)s 已注销。") % {"n": filed.service_number}
    if spec.cancels:
        if entity_active_services(entity) <= 1:
            raise ValidationError(last_service_reason(app=True))
        registry_app_cancel(app=filed, who=who, at=now)
        return _("App备案 %(n)s 已注销，备案号不再使用。") % {"n": filed.service_number}
    diff = order_diff(order)
    before = {r.key.split(".", 1)[1]: r.before for r in diff}
    after = {r.key.split(".", 1)[1]: r.after for r in diff}
    app = order_target_app(order)
    try:
        registry_app_change(
            app=filed,
            before=before,
            after=after,
            who=who,
            packages=app_packages(app) if "platforms" in after and app is not None else None,
            at=now,
        )
    except PackageTaken:
        raise ValidationError(_("该主体已有另一个App使用了相同的平台和包名（或AppID），不能通过。")) from None
    return _("App信息已变更，备案号不变：%(n)s") % {"n": filed.service_number}
