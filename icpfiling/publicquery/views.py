"""The public query (公示查询, R-Q1): one search box, no login, on every host."""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from urllib.parse import quote

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from icpfiling.core.text import list_join
from icpfiling.core.throttle import retry_after as throttle_wait
from icpfiling.publicquery.forms import SearchForm
from icpfiling.publicquery.parse import MIN_NAME_CHARS, Query, parse_query
from icpfiling.publicquery.selectors import SearchPage, public_entity, public_entity_apps, public_search


def highlight(text: str, term: str) -> SafeString:
    """``text`` escaped, with every case-insensitive occurrence of ``term`` in <mark>."""
    if not term:
        return mark_safe(html.escape(text))  # noqa: S308 - escaped
    lower, parts, start = text.lower(), [], 0
    while (at := lower.find(term, start)) >= 0:
        parts += [html.escape(text[start:at]), "<mark>", html.escape(text[at : at + len(term)]), "</mark>"]
        start = at + len(term)
    parts.append(html.escape(text[start:]))
    return mark_safe("".join(parts))  # noqa: S308 - every piece of text is escaped above


def _hint(query: Query) -> str:
    if query.kind == "too_short":
        return _("请至少输入%(n)d个字符的名称，或输入完整的域名或备案号。") % {"n": MIN_NAME_CHARS}
    if query.kind == "too_long":
        return _("输入过长，请缩短后再查询。")
    return ""


def _run(request: HttpRequest) -> tuple[SearchForm, SearchPage | None, str, int]:
    """(form, page or None, hint, retry-after seconds when throttled)."""
    form = SearchForm(request.GET or None)
    if not request.GET.get("q") or not form.is_valid():
        return form, None, "", 0
    query = parse_query(form.cleaned_data["q"])
    hint = _hint(query)
    if query.kind in ("empty", "too_short", "too_long"):
        return form, None, hint, 0
    # R-Q1: rate limits instead of a captcha (the "public-query" rules of the portal's one table).
    wait = throttle_wait(request, "public-query", methods=("GET",))
    if wait:
        return form, None, "", wait
    return form, public_search(query=query, after=form.cleaned_data.get("after")), hint, 0


# The result tables' rows are built here (every value escaped by _cell) rather than by a
# template loop: 40 rows of 4–7 cells through the template engine were a third of a name
# search's time at 4,000,000 websites (issue 16). The labels repeat in data-label for the
# stacked phone layout.
_RESULT_ROW = (
    '<tr><td data-label="{}"><a href="{}">{}</a></td><td data-label="{}">{}</td>'
    '<td data-label="{}">{}</td><td data-label="{}">{}</td><td data-label="{}">{}</td>'
    '<td data-label="{}">{}</td><td data-label="{}">{}</td></tr>'
)
_APP_ROW = (
    '<tr><td data-label="{}"><a href="{}">{}</a></td><td data-label="{}">{}</td>'
    '<td data-label="{}">{}</td><td data-label="{}">{}</td></tr>'
)


def result_labels() -> list[str]:
    return [
        _("主办单位名称"),
        _("单位性质"),
        _("网站备案号"),
        _("网站名称"),
        _("网站域名"),
        _("审核日期"),
        _("接入服务商"),
    ]


def app_labels() -> list[str]:
    return [_("主办单位名称"), _("服务备案号"), _("服务名称"), _("审核日期")]


def entity_url_maker() -> Callable[[str], str]:
    """``reverse("query:entity", args=[number])`` for many numbers: the URL resolved once, then
    each number quoted as ``reverse`` quotes it (tested equal)."""
    marker = "0"
    prefix = reverse("query:entity", args=[marker]).removesuffix(f"{marker}/")
    return lambda number: f"{prefix}{quote(number, safe=RFC3986_SUBDELIMS + '/~:@')}/"


def _escaped(labels: list[str]) -> list[SafeString]:
    return [escape(label) for label in labels]  # once, not once per row


def _cell(value: object) -> str:
    """A value for a row's markup: already-safe markup as it is, anything else escaped (the
    standard library's html.escape, which escapes as django.utils.html.escape does, without
    its lazy-string wrapper that cost more than the escaping on 40 rows of 10 cells)."""
    return value if isinstance(value, SafeString) else html.escape(str(value))


def _rows_html(template: str, rows: Iterable[tuple]) -> SafeString:
    return mark_safe("\n".join(template.format(*(_cell(v) for v in row)) for row in rows))  # noqa: S308


def _result_rows(page: SearchPage, labels: list[SafeString], entity_url: Callable[[str], str]) -> SafeString:
    term = page.query.value if page.query.kind == "name" else ""
    separator = list_join(("", ""))  # "、" / ", ", looked up once
    entity, nature, number, name, domain, date, providers = labels
    return _rows_html(
        _RESULT_ROW,
        (
            (
                entity,
                entity_url(r.entity_number),
                highlight(r.entity_name, term),
                nature,
                r.nature,
                number,
                r.service_number,
                name,
                highlight(r.service_name, term),
                domain,
                r.address,
                date,
                r.approved_on.isoformat(),
                providers,
                separator.join(r.providers),
            )
            for r in page.results
        ),
    )


def _app_rows(page: SearchPage, labels: list[SafeString], entity_url: Callable[[str], str]) -> SafeString:
    """R-AP4: apps and mini-programs found by name, number or domain, on the first page."""
    entity, number, name, date = labels
    return _rows_html(
        _APP_ROW,
        (
            (
                entity,
                entity_url(a.entity_number),
                a.entity_name,
                number,
                a.service_number,
                name,
                a.service_name,
                date,
                a.approved_on.isoformat(),
            )
            for a in page.apps
        ),
    )


def search(request: HttpRequest) -> HttpResponse:
    form, page, hint, retry_after = _run(request)
    labels, app_column_labels = _escaped(result_labels()), _escaped(app_labels())
    entity_url = entity_url_maker()
    context = {
        "form": form,
        "page": page,
        "rows": _result_rows(page, labels, entity_url) if page is not None else "",
        "apps": _app_rows(page, app_column_labels, entity_url) if page is not None else "",
        # Escaped once, for the header and every row's data-label alike.
        "result_labels": labels,
        "app_labels": app_column_labels,
        "hint": hint,
        "retry_after": retry_after,
    }
    response = render(request, "publicquery/search.html", context, status=429 if retry_after else 200)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response


def search_json(request: HttpRequest) -> JsonResponse:
    form, page, hint, retry_after = _run(request)
    if retry_after:
        response = JsonResponse(
            {"error": "rate_limited", "message": _("查询过于频繁，请在%(s)d秒后再试。") % {"s": retry_after}},
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response
    if page is None:
        errors = {k: [str(e) for e in v] for k, v in form.errors.items()}
        message = hint or (_("请输入要查询的域名、备案号或名称。") if not errors else _("查询参数有误。"))
        return JsonResponse({"error": "bad_query", "message": message, "fields": errors}, status=400)
    return JsonResponse(
        {
            "query": {"kind": page.query.kind, "value": page.query.value},
            "count": page.count,
            "count_capped": page.capped,
            "next_after": page.next_after,
            "results": [
                {
                    "kind": r.kind,
                    "entity_number": r.entity_number,
                    "entity_name": r.entity_name,
                    "nature": r.nature,
                    "province": r.province,
                    "service_number": r.service_number,
                    "service_name": r.service_name,
                    "address": r.address,
                    "approved_on": r.approved_on.isoformat(),
                    "providers": list(r.providers),
                }
                for r in page.results
            ],
            # R-AP4: apps, mini-programs and quick apps found by name or number (first page only).
            "apps": [
                {
                    "kind": a.kind,
                    "entity_number": a.entity_number,
                    "entity_name": a.entity_name,
                    "service_number": a.service_number,
                    "service_name": a.service_name,
                    "approved_on": a.approved_on.isoformat(),
                }
                for a in page.apps
            ],
        },
        json_dumps_params={"ensure_ascii": False},
    )


def entity(request: HttpRequest, number: str) -> HttpResponse:
    found, services = public_entity(entity_number=number)
    if found is None:
        raise Http404
    apps = public_entity_apps(entity=found)
    return render(request, "publicquery/entity.html", {"entity": found, "services": services, "apps": apps})
