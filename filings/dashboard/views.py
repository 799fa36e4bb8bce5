"""The dashboard (R-M3): the provider admin's, on the provider's host, and the operator's across providers.

Thin: the filters are a form of closed choices (any other value is named in
the error summary and replaced by its default, never a 500); the figures are
one selector call over the rollups; the CSV is streamed from a generator that
pages through the orders by id.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from filings.dashboard.charts import columns, hbars, table
from filings.dashboard.forms import DashboardFilterForm
from filings.dashboard.selectors import DashboardFilter, dashboard_figures, orders_export_rows
from filings.states import OrderStatus, OrderType
from icpfiling.accounts.decorators import provider_admin_required
from icpfiling.accounts.models import PlatformRole
from icpfiling.core.masking import mask_id_number, mask_mobile
from icpfiling.tenancy.context import tenant_scopes_disabled

# Cells a spreadsheet would run as a formula (CSV injection): prefixed with an apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
INDIVIDUAL_NATURE = 5  # an individual's certificate number is their ID number


def operator_required(view):
    """The platform operator on the platform host; everybody else is refused (403), as the authority is."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs):
        user = request.user
        allowed = (
            request.tenant is None
            and user.provider_id is None
            and (user.is_superuser or user.platform_role == PlatformRole.OPERATOR)
        )
        if not allowed:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _days(value: int | None) -> str:
    return "—" if value is None else str(value)


def _context(
    request: HttpRequest, form: DashboardFilterForm, filters: DashboardFilter, export_url: str
) -> dict:
    figures = dashboard_figures(filters=filters)
    stage_rows = [(s.label, [s.median, s.p90]) for s in figures.stages]
    query = form.export_query()
    return {
        "form": form,
        "figures": figures,
        "state_chart": hbars([(label, [n]) for label, n in figures.states], title_id="t-states"),
        "stage_chart": hbars(stage_rows, title_id="t-stages"),
        "breach_chart": columns([(w, total) for w, _by, total in figures.breaches], title_id="t-breaches"),
        "return_chart": hbars([(label, [n]) for label, n in figures.returns], title_id="t-returns"),
        "approval_chart": columns(figures.approvals, title_id="t-approvals"),
        "state_table": table([_("状态"), _("订单数")], [[label, n] for label, n in figures.states]),
        "stage_table": table(
            [_("环节"), _("中位数"), _("90% 分位"), _("订单数")],
            [
                [s.label, _days(s.median), _days(s.p90) + ("+" if s.capped else ""), s.count]
                for s in figures.stages
            ],
        ),
        "breach_table": table(
            [_("周（起）"), _("初审"), _("复审"), _("管局"), _("合计")],
            [
                [
                    f"{w:%Y-%m-%d}",
                    by["provider_review"],
                    by["provider_recheck"],
                    by["authority_review"],
                    total,
                ]
                for w, by, total in figures.breaches
            ],
        ),
        "return_table": table([_("字段"), _("退回次数")], [[label, n] for label, n in figures.returns]),
        "approval_table": table(
            [_("周（起）"), _("通过数")], [[f"{w:%Y-%m-%d}", n] for w, n in figures.approvals]
        ),
        "export_url": export_url + (f"?{query}" if query else ""),
    }


@require_GET
@never_cache
@provider_admin_required
def provider_dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters(tenant_id=request.tenant.pk)
    ctx = _context(request, form, filters, reverse("dashboard:export"))
    return render(request, "filings/dashboard/page.html", ctx)


@require_GET
@never_cache
@operator_required
def operator_dashboard(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None, with_provider=True)
    filters = form.filters()
    with tenant_scopes_disabled():  # the operator's figures cross providers by design (R-M3)
        ctx = _context(request, form, filters, reverse("ops_dashboard:export"))
    ctx["operator"] = True
    return render(request, "filings/dashboard/page.html", ctx)


# --- CSV -------------------------------------------------------------------------------------


def safe_cell(value) -> str:
    """The cell's text, with an apostrophe before anything a spreadsheet would evaluate."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _mask_name(name: str) -> str:
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if name else ""


LINES_PER_WRITE = 500  # rows per chunk handed to the server: few writes, memory still constant


def csv_lines(rows: Iterable[tuple], *, names_visible: bool) -> Iterator[bytes]:
    """UTF-8 with a BOM (Excel reads Chinese correctly), a few hundred lines per chunk.

    Identity numbers of individuals and mobiles are always masked (R-D4: an
    identity number is seen only when revealed on the order, and audited);
    names are masked too unless ``names_visible`` (the provider's own admin).
    Labels and the time zone are resolved once, not per cell (a million rows).
    """
    statuses = {k: str(v) for k, v in OrderStatus.choices}
    types = {k: str(v) for k, v in OrderType.choices}
    tz = timezone.get_current_timezone()

    def local(moment) -> str:
        return moment.astimezone(tz).isoformat(sep=" ", timespec="minutes")[:16] if moment else ""

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            _("订单号"),
            _("接入商"),
            _("备案类型"),
            _("状态"),
            _("省份"),
            _("市"),
            _("主办单位名称"),
            _("证件号码"),
            _("主体负责人"),
            _("手机号码"),
            _("创建时间"),
            _("提交时间"),
            _("备案通过时间"),
        ]
    )
    yield codecs.BOM_UTF8 + buffer.getvalue().encode()
    pending = 0
    buffer.seek(0)
    buffer.truncate()
    for (
        pk,
        provider,
        otype,
        status,
        province,
        city,
        nature,
        entity,
        cert,
        person,
        mobile,
        created,
        submitted,
        approved,
    ) in rows:
        individual = nature == INDIVIDUAL_NATURE
        if individual and not names_visible:
            entity = _mask_name(entity)
        cells = (
            pk,
            provider,
            types.get(otype, otype),
            statuses.get(status, status),
            province,
            city,
            entity,
            mask_id_number(cert) if individual else cert,
            person if names_visible else _mask_name(person),
            mask_mobile(mobile),
            local(created),
            local(submitted),
            local(approved),
        )
        writer.writerow([safe_cell(c) for c in cells])
        pending += 1
        if pending == LINES_PER_WRITE:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    if pending:
        yield buffer.getvalue().encode()


def _export(filters: DashboardFilter, *, names_visible: bool, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(
        csv_lines(orders_export_rows(filters=filters), names_visible=names_visible),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{name}-{timezone.localdate():%Y%m%d}.csv"'
    return response


def _invalid(request: HttpRequest, form: DashboardFilterForm, filters: DashboardFilter, url: str, **extra):
    ctx = _context(request, form, filters, url)
    ctx.update(extra)
    return render(request, "filings/dashboard/page.html", ctx, status=400)


@require_GET
@never_cache
@provider_admin_required
def provider_export(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None)
    filters = form.filters(tenant_id=request.tenant.pk)
    if form.is_bound and not form.is_valid():  # an export must be exactly what was asked for
        return _invalid(request, form, filters, reverse("dashboard:export"))
    return _export(filters, names_visible=True, name=f"orders-{request.tenant.slug}")


@require_GET
@never_cache
@operator_required
def operator_export(request: HttpRequest) -> HttpResponse:
    form = DashboardFilterForm(request.GET or None, with_provider=True)
    filters = form.filters()
    if form.is_bound and not form.is_valid():
        with tenant_scopes_disabled():  # the operator's figures cross providers by design (R-M3)
            return _invalid(request, form, filters, reverse("ops_dashboard:export"), operator=True)
    return _export(filters, names_visible=False, name="orders-all")
