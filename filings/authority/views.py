"""The simulated provincial authority (管局) portal on the platform host (R-T3, R-S6).

Thin: every order reaches a view only through
``authority_selectors.authority_order_access`` (the one visibility rule; 404
for missing and foreign alike), which also opens the order's own tenant scope
for the rest of the request. Decisions are ``authority_services`` calls.
The small forms live here because nothing else uses them.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from filings.authority import selectors as sel
from filings.authority import services as svc
from filings.materials.services import material_open
from filings.materials.views import file_response
from filings.states import APPROVED_LABELS, status_label
from filings.workflow import TransitionConflict
from icpfiling.accounts.models import PlatformRole
from icpfiling.core.text import labelled


def authority_required(view):
    """Authority reviewers on the platform host only; everybody else is refused (403)."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        if request.tenant is not None or getattr(request, "role", "") != PlatformRole.AUTHORITY:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _status_label(value: str, order_type: str = "") -> str:
    return str(status_label(value, order_type))


# --- forms ---------------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    province = forms.ChoiceField(label=gettext_lazy("省份"), required=False)
    due = forms.ChoiceField(
        label=gettext_lazy("时限"),
        required=False,
        choices=[
            ("", gettext_lazy("全部")),
            ("soon", gettext_lazy("即将到期（3 个工作日内）")),
            ("overdue", gettext_lazy("已超期")),
        ],
    )

    def __init__(self, *args, provinces, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [
            ("", _("全部负责省份")),
            *((p.code, p.label) for p in provinces),
        ]


class RejectItemForm(forms.Form):
    """One reason: which field, a common reason and/or free text, and a suggestion."""

    field = forms.ChoiceField(label=gettext_lazy("字段"), required=False)
    preset = forms.ChoiceField(label=gettext_lazy("常见原因"), required=False)
    reason = forms.CharField(label=gettext_lazy("退回原因"), required=False, max_length=300)
    suggestion = forms.CharField(label=gettext_lazy("修改建议"), required=False, max_length=300)

    def __init__(self, *args, field_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = [("", _("— 选择字段 —")), *field_choices]
        self.fields["preset"].choices = [
            ("", _("— 选择常见原因（可选）—")),
            *((r.code, r.label) for r in sel.authority_return_reasons()),
        ]

    def clean(self):
        data = super().clean()
        if not any(data.get(k) for k in ("field", "preset", "reason", "suggestion")):
            return {}
        if not data.get("field"):
            self.add_error("field", _("请选择这条原因针对的字段。"))
        if not data.get("preset") and not data.get("reason"):
            self.add_error("reason", _("请选择常见原因或填写退回原因。"))
        return data

    def item(self) -> svc.RejectItem | None:
        data = self.cleaned_data
        if not data:
            return None
        preset = sel.authority_return_reason(data.get("preset") or "")
        text = (data.get("reason") or "").strip()
        reason = labelled(preset.label, text) if preset and text else (preset.label if preset else text)
        return svc.RejectItem(data["field"], reason, (data.get("suggestion") or "").strip())


class _RejectBaseFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not any(f.cleaned_data for f in self.forms):
            raise ValidationError(_("请至少填写一条退回原因。"))


RejectFormSet = forms.formset_factory(
    RejectItemForm, formset=_RejectBaseFormSet, extra=5, max_num=20, validate_max=True
)


# --- pages ---------------------------------------------------------------------------------


@authority_required
@never_cache
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    provinces = list(request.user.authority_provinces.all())
    form = QueueFilterForm(request.GET or None, provinces=provinces)
    province = due = None
    if form.is_bound and form.is_valid():
        province = form.cleaned_data["province"] or None
        due = form.cleaned_data["due"] or None
    after = request.GET.get("after") or None
    try:
        page = sel.authority_queue_page(user=request.user, province=province, due=due, after=after)
    except ValueError:
        messages.error(request, _("翻页参数无效，已回到第一页。"))
        page = sel.authority_queue_page(user=request.user, province=province, due=due)
        after = None
    query = request.GET.copy()
    query.pop("after", None)
    return render(
        request,
        "filings/authority/queue.html",
        {"form": form, "page": page, "provinces": provinces, "filters": query.urlencode(), "after": after},
    )


@authority_required
@never_cache
@require_GET
def history(request: HttpRequest) -> HttpResponse:
    return render(
        request, "filings/authority/history.html", {"rows": sel.authority_history(user=request.user)}
    )


def _order_page(
    request: HttpRequest, order, formset=None, status: int = 200, errors: list[str] | None = None
) -> HttpResponse:
    view = sel.authority_order_view(order=order)
    if formset is None:
        formset = RejectFormSet(prefix="reject", form_kwargs={"field_choices": view.field_choices})
    return render(
        request,
        "filings/authority/order.html",
        {"v": view, "order": order, "formset": formset, "reject_errors": errors or []},
        status=status,
    )


@authority_required
@never_cache
@require_GET
def order_detail(request: HttpRequest, order_id: int) -> HttpResponse:
    with sel.authority_order_access(user=request.user, order_id=order_id) as order:
        return _order_page(request, order)


def _conflict_message(request: HttpRequest, exc: TransitionConflict, order_type: str = "") -> None:
    label = _status_label(exc.current_status, order_type)
    if exc.by:
        messages.info(request, _("该订单已由 %(by)s 处理（当前状态：%(s)s）。") % {"by": exc.by, "s": label})
    else:
        messages.info(request, _("该订单已被处理（当前状态：%(s)s）。") % {"s": label})


@authority_required
@require_POST
def order_approve(request: HttpRequest, order_id: int) -> HttpResponse:
    with sel.authority_order_access(user=request.user, order_id=order_id) as order:
        try:
            order = svc.authority_approve(order=order, reviewer=request.user)
        except TransitionConflict as exc:
            _conflict_message(request, exc, order.order_type)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            # A cancellation issues no number: say what the approval did (R-C4…R-C6).
            done = order.order_type in APPROVED_LABELS
            messages.success(
                request,
                _("已审核通过：%(s)s。") % {"s": order.get_status_display()}
                if done
                else _("已审核通过，备案号已发放。"),
            )
        return redirect("authority:order", order_id=order.pk)


@authority_required
@require_POST
def order_reject(request: HttpRequest, order_id: int) -> HttpResponse:
    with sel.authority_order_access(user=request.user, order_id=order_id) as order:
        choices = sel.authority_order_view(order=order).field_choices
        formset = RejectFormSet(request.POST, prefix="reject", form_kwargs={"field_choices": choices})
        if not formset.is_valid():
            return _order_page(request, order, formset, status=400)
        items = [item for f in formset.forms if (item := f.item()) is not None]
        try:
            svc.authority_reject(order=order, reviewer=request.user, items=items)
        except TransitionConflict as exc:
            _conflict_message(request, exc, order.order_type)
        except ValidationError as exc:
            return _order_page(request, order, formset, status=400, errors=exc.messages)
        else:
            messages.success(request, _("已退回申请人，共 %(n)d 条原因。") % {"n": len(items)})
        return redirect("authority:order", order_id=order.pk)


@authority_required
@require_GET
def material_file(request: HttpRequest, order_id: int, file_id: int) -> FileResponse:
    with sel.authority_order_access(user=request.user, order_id=order_id) as order:
        material = sel.authority_material_get(order=order, file_id=file_id, actor=request.user)
        download = request.GET.get("download") == "1"
        # Audited like every view of an identity document (R-D4), in the order's own tenant.
        fh = material_open(material=material, actor=request.user, action="download" if download else "view")
        return file_response(material, fh, download=download)
