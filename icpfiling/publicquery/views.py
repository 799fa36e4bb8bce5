"""The public query (公示查询, R-Q1): one search box, no login, on every host."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.html import escape
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
        return escape(text)
    lower, parts, start = text.lower(), [], 0
    while (at := lower.find(term, start)) >= 0:
        parts += [escape(text[start:at]), "<mark>", escape(text[at : at + len(term)]), "</mark>"]
        start = at + len(term)
    parts.append(escape(text[start:]))
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


def search(request: HttpRequest) -> HttpResponse:
    form, page, hint, retry_after = _run(request)
    rows = []
    if page is not None:
        term = page.query.value if page.query.kind == "name" else ""
        # Cells prepared here rather than by template tags per cell (render cost, issue 16).
        rows = [
            {
                "service": r,
                "entity_url": reverse("query:entity", args=[r.entity_number]),
                "entity_name": highlight(r.entity_name, term),
                "service_name": highlight(r.service_name, term),
                "approved_on": r.approved_on.isoformat(),
                "providers": list_join(r.providers),
            }
            for r in page.results
        ]
    context = {
        "form": form,
        "page": page,
        "rows": rows,
        # R-AP4: apps and mini-programs found by name, number or domain, on the first page.
        "apps": page.apps if page is not None else [],
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
