"""R-M3: the dashboard's rollups, pages, filters, roles and the CSV export of orders."""

from __future__ import annotations

import codecs
import csv
import io
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Sum
from django.http import StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from filings.deadlines import dashboard_pending_fold
from filings.models import (
    DashboardRollup,
    FieldReturn,
    FilingOrder,
    OrderEvent,
    PlatformDashboardRollup,
    RollupPending,
)
from filings.orders.services import order_create
from filings.returns import field_returns_record
from filings.rollups import return_key
from filings.states import TRANSITIONS
from filings.tasks import order_deadlines_sweep
from filings.workflow import order_transition, order_transition_many
from icpfiling.accounts.models import Role
from icpfiling.tenancy.context import tenant_scope, tenant_scopes_disabled
from tests.conftest import platform_client
from tests.factories import advance, complete_order, detection_input, make_uscc, next_n

DASH, EXPORT = "/dashboard/", "/dashboard/orders.csv"
OPS_DASH, OPS_EXPORT = "/ops/dashboard/", "/ops/dashboard/orders.csv"


def _draft(tenant, *, province: str = "ZJ") -> FilingOrder:
    with tenant_scope(tenant.provider):
        _detection, order = order_create(
            tenant=tenant.provider,
            applicant=tenant.users["applicant"],
            data=detection_input(cert=make_uscc(), domain=f"d{next_n()}.cn", province=province),
        )
    return order


def _return(tenant, order: FilingOrder, fields: list[str]) -> None:
    """A provider return with one reason per field, as the review service writes it."""
    with tenant_scope(tenant.provider):
        order = FilingOrder.objects.get(pk=order.pk)
        items = [SimpleNamespace(field=f, reason="请修改", suggestion="") for f in fields]
        field_returns_record(order=order, items=items, source="provider", by=tenant.users["reviewer"])
        order_transition(
            order=order, action="provider_return", actor=tenant.users["reviewer"], actor_kind="reviewer"
        )


def _approve(tenant, order: FilingOrder) -> None:
    order = advance(tenant, order, "authority_review")
    with tenant_scope(tenant.provider):
        order_transition(order=order, action="authority_approve", actor=None, actor_kind="authority")


def _rollup(tenant, metric: str, *, province: str = "", order_type: str = "") -> dict[str, int]:
    with tenant_scope(tenant.provider):
        rows = (
            DashboardRollup.objects.filter(metric=metric, province=province, order_type=order_type)
            .values_list("key")
            .annotate(n=Sum("count"))
        )
        return {k: n for k, n in rows if n}


def _direct(tenant) -> dict[str, dict[str, int]]:
    """The same figures counted straight from the orders, events and return reasons."""
    with tenant_scope(tenant.provider):
        states = dict(FilingOrder.objects.values_list("status").annotate(n=Count("id")))
        events = OrderEvent.objects.filter(kind__in=list(TRANSITIONS))
        moved = dict(events.values_list("kind").annotate(n=Count("id")))
        stages = dict(events.values_list("from_status").annotate(n=Count("id")))
        returns: dict[str, int] = {}
        for field in FieldReturn.objects.values_list("field", flat=True):
            returns[return_key(field)] = returns.get(return_key(field), 0) + 1
    return {"state": states, "moved": moved, "stage": stages, "return": returns}


def _stage_totals(cells: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, n in cells.items():
        status = key.rpartition(":")[0]
        out[status] = out.get(status, 0) + n
    return out


def _all_cells() -> tuple[list[tuple], list[tuple]]:
    """Every provider cell (both tenants) and every platform total, to compare before and after."""
    columns = ("week", "province", "order_type", "metric", "key", "count")
    with tenant_scopes_disabled():  # the whole table, both tenants
        cells = sorted(DashboardRollup.objects.exclude(count=0).values_list("tenant_id", *columns))
    totals = sorted(PlatformDashboardRollup.objects.exclude(count=0).values_list(*columns))
    return cells, totals


def _scenario(alpha, beta) -> dict:
    """Orders in many states on both tenants, moved by single and set-based transitions."""
    a1, a2, a3 = complete_order(alpha), complete_order(alpha), complete_order(alpha)
    _approve(alpha, a1)
    advance(alpha, a2, "provider_review")
    _return(alpha, a2, ["entity.entity_name", "websites[0].domain"])
    advance(alpha, a3, "sms_verification")
    stale = _draft(alpha, province="GD")
    b1 = complete_order(beta)
    advance(beta, b1, "provider_review")
    _return(beta, b1, ["websites[0].domain"])
    b2 = _draft(beta)
    # the idle sweep's set-based transition, across tenants
    with tenant_scopes_disabled():  # the sweep runs over every tenant, as deadlines.py does
        moved = order_transition_many(order_ids=[stale.pk, b2.pk], action="expire")
        sms = order_transition_many(order_ids=[a3.pk], action="sms_failed")
    # the sweep's moves are queued, then folded in (the deadline task's last step)
    assert dashboard_pending_fold() == 3
    assert dashboard_pending_fold() == 0
    assert sorted(moved) == sorted([stale.pk, b2.pk])
    assert sms == [a3.pk]
    return {"a1": a1, "a2": a2, "a3": a3, "stale": stale, "b1": b1, "b2": b2}


def test_r_m3_rollups_match_a_direct_count_after_transitions_on_both_tenants(alpha, beta):
    # given orders moved by single and set-based transitions, with returns, on both tenants
    _scenario(alpha, beta)
    # then every rollup equals the direct count, per tenant
    for tenant in (alpha, beta):
        direct = _direct(tenant)
        assert _rollup(tenant, "state") == direct["state"]
        assert _rollup(tenant, "moved") == direct["moved"]
        assert _stage_totals(_rollup(tenant, "stage")) == direct["stage"]
        assert _rollup(tenant, "return") == direct["return"]
    # and the exact figures: alpha approved one, returned one, expired one, failed one SMS check
    assert _rollup(alpha, "state") == {"approved": 1, "returned": 1, "provider_recheck": 1, "expired": 1}
    assert _rollup(beta, "state") == {"returned": 1, "expired": 1}
    assert _rollup(alpha, "return") == {"entity.entity_name": 1, "websites.domain": 1}
    assert _rollup(beta, "return") == {"websites.domain": 1}
    # the operator's totals are the two tenants' cells added up, cell by cell
    cells, totals = _all_cells()
    summed: dict[tuple, int] = {}
    for _tenant, *cell, n in cells:
        summed[tuple(cell)] = summed.get(tuple(cell), 0) + n
    assert {tuple(t[:-1]): t[-1] for t in totals} == {c: n for c, n in summed.items() if n}
    # the per-province cells add up to the all-provinces cell
    assert _rollup(alpha, "state", province="GD") == {"expired": 1}
    assert _rollup(alpha, "state", province="ZJ", order_type="new_entity") == {
        "approved": 1,
        "returned": 1,
        "provider_recheck": 1,
    }


def test_r_m3_backfill_rebuilds_exactly_the_cells_the_transitions_wrote(alpha, beta):
    # given the incremental cells after a history on both tenants
    _scenario(alpha, beta)
    before = _all_cells()
    assert before[0]
    assert before[1]
    # when the backfill recomputes everything from the orders and events
    with tenant_scopes_disabled():  # wipe to prove the command rebuilds from nothing
        DashboardRollup.objects.all().delete()
    PlatformDashboardRollup.objects.all().delete()
    call_command("dashboard_rollups_rebuild", stdout=io.StringIO())
    # then the table is the same, cell for cell; and a second run changes nothing
    assert _all_cells() == before
    call_command("dashboard_rollups_rebuild", stdout=io.StringIO())
    assert _all_cells() == before


def test_r_m3_a_step_left_after_its_due_time_counts_as_one_sla_breach(alpha, beta):
    # given alpha's order overdue in the provider's review and beta's on time
    late = advance(alpha, complete_order(alpha), "provider_review")
    on_time = advance(beta, complete_order(beta), "provider_review")
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=late.pk).update(
            review_due_at=timezone.now() - timezone.timedelta(hours=1)
        )
    # when both reviewers pass them
    advance(alpha, late, "verification")
    advance(beta, on_time, "verification")
    # then alpha has exactly one provider-review breach and beta none
    assert _rollup(alpha, "breach") == {"provider_review": 1}
    assert _rollup(beta, "breach") == {}
    r = alpha.client(Role.PROVIDER_ADMIN).get(DASH)
    assert sum(total for _w, _by, total in r.context["figures"].breaches) == 1


def test_r_m3_provider_admin_sees_only_their_own_tenant(alpha, beta):
    # given two orders at alpha and three at beta
    for _ in range(2):
        _draft(alpha)
    for _ in range(3):
        _draft(beta)
    # when alpha's admin opens the dashboard
    r = alpha.client(Role.PROVIDER_ADMIN).get(DASH)
    # then it counts alpha's two drafts only, and names nothing of beta
    assert r.status_code == 200
    assert dict(r.context["figures"].states)["未提交"] == 2
    assert r.context["figures"].total_orders == 2
    assert "Beta Cloud" not in r.content.decode()
    # and beta's admin sees three
    assert beta.client(Role.PROVIDER_ADMIN).get(DASH).context["figures"].total_orders == 3


def test_r_m3_operator_sees_every_provider_or_one(alpha, beta, platform_users):
    # given drafts at both tenants
    _draft(alpha)
    for _ in range(2):
        _draft(beta)
    client = platform_client(platform_users["operator"])
    # then the operator's totals cross providers, and the provider filter narrows them
    assert client.get(OPS_DASH).context["figures"].total_orders == 3
    assert client.get(OPS_DASH, {"provider": "beta"}).context["figures"].total_orders == 2
    assert client.get(OPS_DASH, {"provider": "alpha"}).context["figures"].total_orders == 1
    # an unknown provider is named as an error, and the figures stay those of every provider
    r = client.get(OPS_DASH, {"provider": "gamma"})
    assert r.status_code == 200
    assert list(r.context["form"].errors) == ["provider"]
    assert r.context["figures"].total_orders == 3


def test_r_m3_filters_by_province_type_and_period(alpha, beta):
    # given alpha drafts in Zhejiang and Guangdong (new-entity orders), and beta's in Guangdong
    _draft(alpha, province="ZJ")
    _draft(alpha, province="GD")
    _draft(alpha, province="GD")
    _draft(beta, province="GD")
    client = alpha.client(Role.PROVIDER_ADMIN)

    def total(**params):
        r = client.get(DASH, params)
        assert r.status_code == 200
        return r.context["figures"].total_orders

    # then each filter narrows exactly
    assert total() == 3
    assert total(province="GD") == 2
    assert total(province="ZJ", order_type="new_entity") == 1
    assert total(order_type="new_website") == 0
    assert total(weeks="4") == 3
    r = client.get(DASH, {"weeks": "52"})
    assert len(r.context["figures"].approvals) == 52


@pytest.mark.parametrize(
    "params",
    [
        {"weeks": "99999999999999999999"},
        {"weeks": "-1"},
        {"weeks": "abc"},
        {"province": "<script>"},
        {"province": "ZZ"},
        {"order_type": "x" * 5000},
        {"weeks": ["4", "13"], "province": "\x00"},
    ],
)
def test_r_m3_a_bad_filter_is_named_and_the_page_still_renders(alpha, params):
    # given a draft at alpha
    _draft(alpha)
    # when the admin sends a value outside the lists
    r = alpha.client(Role.PROVIDER_ADMIN).get(DASH, params)
    # then the page answers 200 with an error summary, the rest of the filters at their defaults
    assert r.status_code == 200
    assert r.context["form"].errors
    assert "error-summary" in r.content.decode()
    assert r.context["figures"].total_orders == 1
    # and the page's export link carries only the valid filters
    assert r.context["export_url"].startswith(EXPORT)
    assert "<script>" not in r.context["export_url"]
    assert "ZZ" not in r.context["export_url"]
    # and the export refuses to guess (400), with the same summary
    r = alpha.client(Role.PROVIDER_ADMIN).get(EXPORT, params)
    assert r.status_code == 400
    assert not isinstance(r, StreamingHttpResponse)


def test_r_m3_dashboard_page_reads_a_constant_number_of_queries(alpha, beta):
    # given one order, then many more moved through the lifecycle
    _draft(alpha)
    client = alpha.client(Role.PROVIDER_ADMIN)
    client.get(DASH)  # warm the session

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(DASH, {"weeks": "52"}).status_code == 200
        return len(ctx.captured_queries)

    few = queries()
    _scenario(alpha, beta)
    for _ in range(3):
        _draft(alpha, province="GD")
    # then the page asks the same number of queries, and never reads the orders table
    with CaptureQueriesContext(connection) as ctx:
        client.get(DASH, {"weeks": "52"})
    assert len(ctx.captured_queries) == few
    assert not any("filings_filingorder" in q["sql"] for q in ctx.captured_queries)


def _csv(response) -> tuple[bytes, list[list[str]]]:
    assert isinstance(response, StreamingHttpResponse)
    body = b"".join(response.streaming_content)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_r_m3_csv_export_is_streamed_with_a_bom_formula_safe_and_masked(alpha, beta, platform_users):
    # given an alpha order with formula-like values, an individual's order, and beta's order
    order = complete_order(alpha)
    person = _draft(alpha)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(
            entity_name='=HYPERLINK("http://evil")', city="+1", principal_name="@SUM(A1)", county="x"
        )
        FilingOrder.objects.filter(pk=person.pk).update(
            nature_id=5, certificate_number="330106199001011234", entity_name="-王五", principal_name="王五"
        )
    beta_order = complete_order(beta)
    # when alpha's admin exports
    r = alpha.client(Role.PROVIDER_ADMIN).get(EXPORT)
    body, rows = _csv(r)
    # then: UTF-8 with a BOM, a Chinese header, alpha's two orders in id order and nothing of beta's
    assert body.startswith(codecs.BOM_UTF8)
    assert r["Content-Type"] == "text/csv; charset=utf-8"
    assert r["Content-Disposition"].startswith('attachment; filename="orders-alpha-')
    assert rows[0][:4] == ["订单号", "接入商", "备案类型", "状态"]
    assert [row[0] for row in rows[1:]] == [str(order.pk), str(person.pk)]
    assert str(beta_order.pk) not in [row[0] for row in rows[1:]]
    first, second = rows[1], rows[2]
    # formula-like cells are prefixed, so a spreadsheet shows them as text
    assert first[6] == '\'=HYPERLINK("http://evil")'
    assert first[5] == "'+1"
    assert first[8] == "'@SUM(A1)"
    assert first[9] == "139****0001"  # mobiles always masked
    # an individual's certificate number is their ID number: masked; the admin still sees names
    assert second[7] == "3301**********1234"
    assert second[6] == "'-王五"
    # when the operator exports everything, names of people are masked too
    _body, ops_rows = _csv(platform_client(platform_users["operator"]).get(OPS_EXPORT))
    ids = [row[0] for row in ops_rows[1:]]
    assert ids == sorted([str(order.pk), str(person.pk), str(beta_order.pk)], key=int)
    by_id = {row[0]: row for row in ops_rows[1:]}
    assert by_id[str(person.pk)][6] == "'-**"
    assert by_id[str(person.pk)][8] == "王*"
    assert by_id[str(beta_order.pk)][1] == "beta"


def test_r_m3_csv_export_applies_the_filters(alpha):
    # given alpha orders in two provinces
    zj, gd = _draft(alpha, province="ZJ"), _draft(alpha, province="GD")
    # when the admin exports Guangdong only, then Zhejiang only
    _b, rows = _csv(alpha.client(Role.PROVIDER_ADMIN).get(EXPORT, {"province": "GD"}))
    assert [row[0] for row in rows[1:]] == [str(gd.pk)]
    _b, rows = _csv(alpha.client(Role.PROVIDER_ADMIN).get(EXPORT, {"province": "ZJ", "weeks": "4"}))
    assert [row[0] for row in rows[1:]] == [str(zj.pk)]


@pytest.mark.parametrize("role", [Role.APPLICANT, Role.REVIEWER, Role.POINT_STAFF])
@pytest.mark.parametrize("path", [DASH, EXPORT])
def test_r_m3_only_the_provider_admin_opens_the_provider_dashboard(alpha, beta, role, path):
    # given an order at alpha
    _draft(alpha)
    # then every other role is refused (403), and an anonymous visitor is sent to log in
    assert alpha.client(role).get(path).status_code == 403
    r = alpha.client().get(path)
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]
    # the admin of beta has no session at alpha: the same as anonymous
    assert beta.client(Role.PROVIDER_ADMIN).get(path, HTTP_HOST=alpha.host).status_code == 302


@pytest.mark.parametrize("path", [OPS_DASH, OPS_EXPORT])
def test_r_m3_only_the_operator_opens_the_platform_dashboard(alpha, platform_users, path):
    # the authority reviewer is refused, an anonymous visitor is sent to log in, the operator gets it
    assert platform_client(platform_users["authority"]).get(path).status_code == 403
    r = platform_client().get(path)
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]
    assert platform_client(platform_users["operator"]).get(path).status_code == 200
    # and neither dashboard exists on the other kind of host
    assert alpha.client(Role.PROVIDER_ADMIN).get(path).status_code == 404
    assert platform_client(platform_users["operator"]).get(DASH).status_code == 404


def test_r_m3_charts_are_svg_with_their_numbers_in_tables(alpha, beta):
    # given an approved order and a returned one at alpha
    _approve(alpha, complete_order(alpha))
    o = advance(alpha, complete_order(alpha), "provider_review")
    _return(alpha, o, ["entity.entity_name"])
    html = alpha.client(Role.PROVIDER_ADMIN).get(DASH).content.decode()
    # then five charts, each an SVG image labelled by its heading, each followed by a table
    assert html.count('<svg class="chart"') == 5
    for title in ("t-states", "t-stages", "t-breaches", "t-returns", "t-approvals"):
        assert f'aria-labelledby="{title}"' in html
    assert html.count('<table class="table nums">') == 5
    assert "主体信息：主办单位名称" in html
    assert "<script" not in html.split("<main", 1)[-1]


def test_r_m3_the_deadline_task_counts_what_its_sweeps_moved(alpha, beta):
    # given an idle draft at alpha past its expiry, and beta's fresh one
    stale, _fresh = _draft(alpha), _draft(beta)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=stale.pk).update(
            expires_at=timezone.now() - timezone.timedelta(minutes=1)
        )
    # when the minute task runs (the sweeps, then the dashboard's fold)
    result = order_deadlines_sweep()
    # then alpha's draft is expired in the rollups too, beta's untouched, and nothing stays queued
    assert result["expired"] == 1
    assert result["dashboard_folded"] == 1
    assert _rollup(alpha, "state") == {"expired": 1}
    assert _rollup(alpha, "moved") == {"expire": 1}
    assert _rollup(beta, "state") == {"draft": 1}
    assert _rollup(beta, "moved") == {}
    with tenant_scopes_disabled():  # the queue of every tenant
        assert not RollupPending.objects.exists()
