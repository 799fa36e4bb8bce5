"""The provider reviewer's pages (R-S2, R-S3): the SLA queue and the order review page.

Thin: parse, call ``review_selectors`` / ``review_services``, render. Reviewers
act; the provider admin may look (and reassign). Other roles get 403; foreign
and missing orders answer 404 alike.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from filings.materials.requirements import requirements_for
from filings.materials.services import material_open
from filings.materials.views import file_response
from filings.models import ENTITY_FIELDS, WEBSITE_FIELDS, MaterialFile, OrderStatus
from filings.orders.forms import LANGUAGE_CHOICES
from filings.review import selectors as sel
from filings.review import services as svc
from filings.review.forms import (
    QUEUE_FILTERS,
    AssignForm,
    BackToVerificationForm,
    PhoneCheckForm,
    QueueFilterForm,
    ReturnFormSet,
    RevealForm,
    queue_filter_fields,
)
from filings.snapshots import field_choices, field_label, is_sensitive, order_changes
from filings.states import status_label
from filings.workflow import TransitionConflict, TransitionError
from icpfiling.accounts.decorators import provider_role_required
from icpfiling.accounts.models import Role
from icpfiling.core.links import id_url_template
from icpfiling.core.text import clause_join, colon, labelled, list_join
from icpfiling.registry.reference import personal_id_type_names
from icpfiling.tenancy.access import get_or_404

S = OrderStatus
VIEW_ROLES = (Role.REVIEWER, Role.PROVIDER_ADMIN)


reviewer_may_view = provider_role_required(*VIEW_ROLES)
reviewer_may_act = provider_role_required(Role.REVIEWER)


def _order(request: HttpRequest, order_id: int):
    return sel.access_order_for_review(actor=request.user, tenant=request.tenant, order_id=order_id)


def _status_label(value: str, order_type: str = "") -> str:
    return str(status_label(value, order_type))


def _conflict_message(exc: TransitionConflict) -> str:
    if exc.by:
        return _("已由 %(by)s 处理（当前状态：%(s)s）。") % {
            "by": exc.by,
            "s": _status_label(exc.current_status),
        }
    return _("订单已被处理（当前状态：%(s)s）。") % {"s": _status_label(exc.current_status)}


def _back(order) -> HttpResponse:
    return redirect("review:order", order_id=order.pk)


# --- the queue ---------------------------------------------------------------------------


def _queue_rows(rows: list[sel.QueueRow]) -> list[dict]:
    """The rows as the table prints them: plain strings (dicts, the template's cheapest lookup).

    Per page, not per row: one reverse() for the links, each "n working days left" / "n more"
    text translated once. The template has nothing left to compute (no URL tag, date filter
    or blocktranslate per row: those were most of the page's rendering time).
    """
    link = id_url_template("review:order")
    unclaimed, overdue = _("未认领"), _("已超时")
    days_left: dict[int, str] = {}
    more_sites: dict[int, str] = {}
    out = []
    for r in rows:
        sla = ""
        if r.overdue:
            sla = overdue
        elif r.due_at is not None:
            if r.working_days_left not in days_left:
                days_left[r.working_days_left] = _("剩 %(n)s 个工作日") % {"n": r.working_days_left}
            sla = days_left[r.working_days_left]
        domains = r.first_domain or "—"
        if r.website_count > 1:
            n = r.website_count - 1
            if n not in more_sites:
                more_sites[n] = _("等另 %(n)s 个") % {"n": n}
            domains = f"{domains} {more_sites[n]}"
        out.append(
            {
                "pk": r.pk,
                "url": link % r.pk,
                "type": r.type_label,
                "province": _(r.province_name) if r.province_name else "",  # msgids in registry/labels.py
                "entity": r.entity_name,
                "domains": domains,
                "status": r.status_label,
                "assignee": r.assignee or unclaimed,
                "due": timezone.localtime(r.due_at).strftime("%Y-%m-%d %H:%M") if r.due_at else "",
                "overdue": r.overdue,
                "sla": sla,
            }
        )
    return out


@reviewer_may_view
@never_cache
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    # The form validates only what was chosen: every filter is optional, so a request without
    # one (the first page, or a next link) has nothing to check and skips building the form.
    form = QueueFilterForm(request.GET) if any(request.GET.get(k) for k in QUEUE_FILTERS) else None
    filters = form.cleaned_data if form is not None and form.is_valid() else {}
    status, _sep, returned_by = (filters.get("status") or "").partition(":")
    province = filters.get("province")
    kwargs = {
        "tenant_id": request.tenant.pk,
        "statuses": (status,) if status else sel.WORK_STATUSES,
        "returned_by": returned_by or None,
        "order_type": filters.get("order_type") or None,
        "province": province or None,
        "due": filters.get("due") or None,
        "assigned": filters.get("assigned") or None,
        "user_id": request.user.pk,
    }
    after = request.GET.get("after") or None
    try:
        page = sel.review_queue_page(**kwargs, after=after)
    except sel.InvalidCursor:
        messages.warning(request, _("翻页链接无效，已回到第一页。"))
        page, after = sel.review_queue_page(**kwargs), None
    kept = {k: v for k, v in request.GET.items() if k != "after" and v}
    next_url = f"?{urlencode({**kept, 'after': page.next_cursor})}" if page.next_cursor else ""
    first_url = f"?{urlencode(kept)}" if kept else "?"
    return render(
        request,
        "filings/review/queue.html",
        {
            "form": form,
            "filters": queue_filter_fields(request.GET, form),
            "rows": _queue_rows(page.rows),
            "next_url": next_url,
            "first_url": first_url,
            "paged": bool(after),
        },
    )


# --- the order page ----------------------------------------------------------------------


_UNIT_ONLY = (
    "registered_address",
    "investor",
    "principal_is_legal_rep",
    "licence_valid_until",
    "licence_long_term",
    "business_scope",
)
# R-C2: the further domains right after the main one, so reviewer and authority see every domain filed.
_WEBSITE_SHOWN = (
    "name",
    "domain",
    "extra_domains",
    *(f for f in WEBSITE_FIELDS if f not in ("name", "domain_display")),
)


def _value(obj, name: str, id_types: dict):
    if name == "service_content":
        return list_join(obj.service_content_labels)
    if name == "languages":
        labels = dict(LANGUAGE_CHOICES)
        return list_join(labels.get(code, code) for code in obj.languages or [])
    if name == "pre_approvals":
        return clause_join(labelled(k, v) for k, v in (obj.pre_approvals or {}).items())
    if name == "pre_approval_details":
        return clause_join(
            labelled(k, f"{d.get('authority', '')} {_('有效期至')} {d.get('valid_until', '')}")
            for k, d in (obj.pre_approval_details or {}).items()
        )
    if name == "domain":
        return obj.domain_display or obj.domain
    if name == "extra_domains":
        return "、".join(obj.extra_domains or [])
    if name == "principal_id_type":
        return id_types.get(obj.principal_id_type, obj.principal_id_type)
    value = getattr(obj, name)
    if isinstance(value, bool):
        return _("是") if value else _("否")
    if name == "server":
        return str(value) if value else ""
    return value


def _facts(order, sites) -> tuple[list[dict], list[dict]]:
    """(entity facts, [{site, facts}]) with keys, labels and whether the value is masked."""
    id_types = personal_id_type_names()  # in the interface language
    entity = [
        {
            "key": "entity.certificate_number",
            "label": field_label(order, "entity.certificate_number", sites=sites),
            "value": order.certificate_number,
            "sensitive": is_sensitive(order, "entity.certificate_number"),
        }
    ]
    for name in ENTITY_FIELDS:
        if order.is_individual and name in _UNIT_ONLY:
            continue
        key = f"entity.{name}"
        entity.append(
            {
                "key": key,
                "label": str(order._meta.get_field(name).verbose_name),
                "value": _value(order, name, id_types),
                "sensitive": is_sensitive(order, key),
            }
        )
    websites = []
    for i, site in enumerate(sites):
        facts = []
        for name in _WEBSITE_SHOWN:
            if not site.principal_same_as_entity or not name.startswith("principal_"):
                key = f"websites[{i}].{name}"
                facts.append(
                    {
                        "key": key,
                        "label": field_label(order, key, sites=sites).split(colon(), 1)[-1],
                        "value": _value(site, name, id_types),
                        "sensitive": is_sensitive(order, key),
                    }
                )
            if name == "service_content" and not order.is_individual:
                # Seed 003: the reviewer matches the service content against the licence's scope.
                facts.append(
                    {
                        "key": "entity.business_scope",
                        "label": str(order._meta.get_field("business_scope").verbose_name),
                        "value": order.business_scope,
                        "sensitive": False,
                    }
                )
        websites.append({"site": site, "index": i, "facts": facts})
    return entity, websites


def _return_formset(order, sites, data=None):
    reqs = requirements_for(order)
    kinds = [r.kind for r in reqs] + [m.kind for m in order.materials.all()]
    choices = field_choices(order, material_kinds=kinds)
    return ReturnFormSet(
        data, prefix="r", form_kwargs={"field_choices": choices, "website_count": len(sites)}
    )


def _render_order(
    request: HttpRequest,
    order,
    *,
    returns_formset=None,
    phone_form=None,
    back_form=None,
    assign_form=None,
    revealed: dict | None = None,
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    sites = list(order.websites.all())
    entity, websites = _facts(order, sites)
    all_returns = list(order.field_returns.all())
    rounds = sorted({r.round for r in all_returns}, reverse=True)
    labelled = [{"item": r, "label": field_label(order, r.field, sites=sites)} for r in all_returns]
    by_round = [(n, [x for x in labelled if x["item"].round == n]) for n in rounds]
    checks_this_round = [
        c for c in order.phone_checks.all() if order.submitted_at and c.called_at >= order.submitted_at
    ]
    left, overdue = sel._sla(order.review_due_at, now)
    is_reviewer = request.role == Role.REVIEWER
    in_work = order.status in sel.WORK_STATUSES
    ctx = {
        "order": order,
        "sites": sites,
        "entity": entity,
        "websites": websites,
        "materials": list(order.materials.all()),
        "returns_by_round": by_round,
        "changes": order_changes(order=order),
        "phone_checks": list(order.phone_checks.all()),
        "phone_confirmed": bool(checks_this_round) and checks_this_round[0].outcome == "confirmed",
        "due_at": order.review_due_at,
        "working_days_left": left,
        "overdue": overdue,
        "events": list(order.events.all()),
        "checks": list(order.checks.all()),
        "revealed": revealed or {},
        "can_reveal": True,
        "is_reviewer": is_reviewer,
        "can_act": is_reviewer and in_work and order.assigned_to_id in (None, request.user.pk),
        "held_by_other": order.assigned_to_id not in (None, request.user.pk),
        "in_work": in_work,
    }
    if ctx["can_act"]:
        ctx["returns_formset"] = returns_formset or _return_formset(order, sites)
        ctx["phone_form"] = phone_form or PhoneCheckForm(initial={"person": order.principal_name})
        if order.status == S.PROVIDER_RECHECK:
            ctx["back_form"] = back_form or BackToVerificationForm()
    if order.status in svc.ASSIGNABLE_STATUSES and (
        request.role == Role.PROVIDER_ADMIN or (is_reviewer and not ctx["held_by_other"])
    ):
        reviewers = [
            m for m in sel.reviewers_of_tenant(tenant=request.tenant) if m.user_id != order.assigned_to_id
        ]
        ctx["assign_form"] = assign_form or AssignForm(reviewers=reviewers)
    return render(request, "filings/review/order.html", ctx, status=status)


@reviewer_may_view
@never_cache
@require_GET
def order_page(request: HttpRequest, order_id: int) -> HttpResponse:
    return _render_order(request, _order(request, order_id))


def _run(request: HttpRequest, action) -> bool:
    """Run a service call; turn the expected refusals into messages. True when it succeeded."""
    try:
        action()
    except TransitionConflict as exc:
        messages.error(request, _conflict_message(exc))
    except svc.ClaimConflict as exc:
        messages.error(request, str(exc))
    except TransitionError:
        messages.error(request, _("订单当前状态不能执行这个操作，请刷新页面。"))
    else:
        return True
    return False


def _first_errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@reviewer_may_act
@require_POST
def order_claim(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    if _run(request, lambda: svc.order_claim(order=order, reviewer=request.user)):
        messages.success(request, _("已认领，请在时限内完成审核。"))
    return _back(order)


@reviewer_may_view
@require_POST
def order_assign(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    reviewers = list(sel.reviewers_of_tenant(tenant=request.tenant))
    form = AssignForm(request.POST, reviewers=reviewers)
    if not form.is_valid():
        return _render_order(request, order, assign_form=form, status=400)
    assignee = form.cleaned_data["assignee"]
    try:
        ok = _run(request, lambda: svc.order_assign(order=order, by=request.user, assignee=assignee))
    except ValidationError as exc:
        messages.error(request, _first_errors(exc))
        ok = False
    if ok:
        messages.success(request, _("已转交给 %(name)s。") % {"name": assignee.full_name or assignee.email})
    return _back(order)


@reviewer_may_act
@require_POST
def phone_check(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    form = PhoneCheckForm(request.POST)
    if not form.is_valid():
        return _render_order(request, order, phone_form=form, status=400)
    try:
        ok = _run(
            request, lambda: svc.phone_check_record(order=order, reviewer=request.user, **form.cleaned_data)
        )
    except ValidationError as exc:
        for field, errs in exc.message_dict.items():
            for e in errs:
                form.add_error(field if field in form.fields else None, e)
        return _render_order(request, order, phone_form=form, status=400)
    if ok:
        messages.success(request, _("电话核实结果已记录。"))
    return _back(order)


@reviewer_may_act
@require_POST
def order_return(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    sites = list(order.websites.all())
    formset = _return_formset(order, sites, data=request.POST)
    if not formset.is_valid():
        return _render_order(request, order, returns_formset=formset, status=400)
    try:
        ok = _run(
            request, lambda: svc.order_return(order=order, reviewer=request.user, items=formset.items())
        )
    except ValidationError as exc:
        formset._non_form_errors = formset.error_class(exc.messages)
        return _render_order(request, order, returns_formset=formset, status=400)
    if ok:
        messages.success(request, _("已退回申请人修改，退回原因已逐项发送。"))
    return _back(order)


@reviewer_may_act
@require_POST
def order_pass(request: HttpRequest, order_id: int) -> HttpResponse:
    order = _order(request, order_id)
    try:
        ok = _run(request, lambda: svc.order_pass(order=order, reviewer=request.user))
    except ValidationError as exc:
        messages.error(request, _first_errors(exc))
        ok = False
    if ok:
        messages.success(request, _("初审通过，订单进入核验环节。"))
    return _back(order)


@reviewer_may_act
@require_POST
def submit_to_authority(request: HttpRequest, order_id: int) -> HttpResponse:
    from filings.sms.services import sms_check_start  # written alongside (R-S5)

    order = _order(request, order_id)

    @transaction.atomic
    def go():
        fresh = svc.order_claim(order=order, reviewer=request.user)
        sms_check_start(order=fresh, actor=request.user)

    try:
        ok = _run(request, go)
    except ValidationError as exc:
        messages.error(request, _first_errors(exc))
        ok = False
    if ok:
        messages.success(request, _("已提交管局，短信核验码已发送给负责人，须在 24 小时内完成核验。"))
    return _back(order)


@reviewer_may_act
@require_POST
def back_to_verification(request: HttpRequest, order_id: int) -> HttpResponse:
    from filings.verification.services import order_back_to_verification  # written alongside (R-S4)

    order = _order(request, order_id)
    form = BackToVerificationForm(request.POST)
    if not form.is_valid():
        return _render_order(request, order, back_form=form, status=400)

    @transaction.atomic
    def go():
        fresh = svc.order_claim(order=order, reviewer=request.user)
        order_back_to_verification(
            order=fresh,
            reviewer=request.user,
            reason=form.cleaned_data["reason"],
            check_wrong=form.cleaned_data["check_wrong"],
        )

    try:
        ok = _run(request, go)
    except ValidationError as exc:
        for field, errs in getattr(exc, "message_dict", {"__all__": exc.messages}).items():
            for e in errs:
                form.add_error(field if field in form.fields else None, e)
        return _render_order(request, order, back_form=form, status=400)
    if ok:
        messages.success(request, _("已退回重新核验，申请人将收到通知。"))
    return _back(order)


@reviewer_may_view
@require_POST
@never_cache
def reveal(request: HttpRequest, order_id: int) -> HttpResponse:
    """Show one masked value in full on this response only; every reveal is audited (R-D4)."""
    order = _order(request, order_id)
    form = RevealForm(request.POST)
    key = form.cleaned_data["field"] if form.is_valid() else ""
    try:
        value = svc.order_field_reveal(order=order, actor=request.user, key=key)
    except ValidationError as exc:
        messages.error(request, _first_errors(exc))
        return _render_order(request, order, status=400)
    return _render_order(request, order, revealed={key: value})


@reviewer_may_view
@require_GET
def material_file(request: HttpRequest, order_id: int, file_id: int) -> FileResponse:
    order = _order(request, order_id)
    material = get_or_404(
        MaterialFile.objects.filter(order=order, tenant_id=order.tenant_id), actor=request.user, pk=file_id
    )
    fh = material_open(material=material, actor=request.user, action="view")
    return file_response(material, fh, download=False)
