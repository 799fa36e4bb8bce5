"""The provider reviewers' queue (R-S2): SLA order, filters, keyset pages at a constant cost, tenancy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from filings.models import FilingOrder, OrderStatus, OrderWebsite
from filings.review.selectors import (
    InvalidCursor,
    _branches,
    decode_cursor,
    encode_cursor,
    review_queue_page,
)
from icpfiling.core.workdays import working_days_between
from icpfiling.tenancy.context import TenantScopeError, tenant_scope, tenant_scopes_disabled
from tests.services import requires_postgres

S = OrderStatus
NOW = timezone.now().replace(microsecond=0)


def seed(tenant, specs: list[dict]) -> list[FilingOrder]:
    """Bare orders straight into the table (the queue reads only these columns)."""
    with tenant_scope(tenant.provider):
        rows = [
            FilingOrder(
                tenant=tenant.provider,
                applicant=tenant.users["applicant"],
                order_type=spec.get("order_type", "new_entity"),
                status=spec.get("status", S.PROVIDER_REVIEW),
                province_id=spec.get("province", "ZJ"),
                city="杭州市",
                county="西湖区",
                nature_id=4,
                certificate_type_id="business_licence",
                certificate_number=f"Q{tenant.provider.pk}-{i}",
                entity_key=f"queue:{tenant.provider.pk}:{i}:{spec.get('key', '')}",
                entity_name=spec.get("name", f"{tenant.provider.slug}公司{i}"),
                submitted_at=NOW - timedelta(days=3),
                review_due_at=spec.get("due"),
                assigned_to=spec.get("assigned"),
            )
            for i, spec in enumerate(specs)
        ]
        return FilingOrder.objects.bulk_create(rows)


def page_ids(tenant, **kwargs) -> tuple[list[int], str | None]:
    with tenant_scope(tenant.provider):
        page = review_queue_page(tenant_id=tenant.provider.pk, now=NOW, **kwargs)
    return [r.pk for r in page.rows], page.next_cursor


def all_pages(tenant, **kwargs) -> list[list[int]]:
    pages, after = [], None
    while True:
        ids, after = page_ids(tenant, after=after, **kwargs)
        pages.append(ids)
        if after is None:
            return pages


def test_r_s2_queue_is_in_sla_order_and_keyset_pages_cover_every_order_once(alpha, beta):
    # given 13 orders in review / recheck at alpha with due times out of order (ties included), and beta's
    dues = [NOW + timedelta(hours=h) for h in (5, -3, 5, 1, 9, 5, -1, 2, 7, 5, 3, 8, 6)]
    orders = seed(
        alpha,
        [
            {"due": d, "status": S.PROVIDER_RECHECK if i % 3 == 0 else S.PROVIDER_REVIEW}
            for i, d in enumerate(dues)
        ],
    )
    seed(beta, [{"due": NOW - timedelta(days=1)} for _ in range(3)])
    # when alpha's reviewer walks the queue four at a time
    pages = all_pages(alpha, limit=4)
    # then the pages hold every alpha order exactly once, by (due, id), and nothing of beta's
    expected = [o.pk for o in sorted(orders, key=lambda o: (o.review_due_at, o.pk))]
    assert [len(p) for p in pages] == [4, 4, 4, 1]
    assert [pk for p in pages for pk in p] == expected


def test_r_s2_queue_rows_show_sla_and_overdue(alpha):
    overdue, today = seed(alpha, [{"due": NOW - timedelta(hours=2)}, {"due": NOW + timedelta(days=20)}])
    with tenant_scope(alpha.provider):
        rows = review_queue_page(tenant_id=alpha.provider.pk, now=NOW).rows
    assert [(r.pk, r.overdue) for r in rows] == [(overdue.pk, True), (today.pk, False)]
    assert rows[1].working_days_left >= 10


def test_r_s2_queue_filters(alpha):
    me = alpha.users["reviewer"]
    o_soon, o_over, o_mine, o_gd, o_web, o_ver, o_far = seed(
        alpha,
        [
            {"due": NOW + timedelta(hours=1)},
            {"due": NOW - timedelta(hours=1)},
            {"due": NOW + timedelta(days=30), "assigned": me},
            {"due": NOW + timedelta(days=30), "province": "GD"},
            {"due": NOW + timedelta(days=30), "order_type": "new_website"},
            {"status": S.VERIFICATION},
            {"due": NOW + timedelta(days=30)},
        ],
    )
    everything = [o_over.pk, o_soon.pk, o_mine.pk, o_gd.pk, o_web.pk, o_far.pk]
    assert page_ids(alpha)[0] == everything  # default: the provider's work states, no verification
    assert page_ids(alpha, due="soon")[0] == [o_soon.pk]
    assert page_ids(alpha, due="overdue")[0] == [o_over.pk]
    assert page_ids(alpha, assigned="me", user_id=me.pk)[0] == [o_mine.pk]
    assert page_ids(alpha, assigned="me", user_id=None)[0] == []
    assert page_ids(alpha, assigned="unassigned")[0] == [pk for pk in everything if pk != o_mine.pk]
    assert page_ids(alpha, province="GD")[0] == [o_gd.pk]
    assert page_ids(alpha, order_type="new_website")[0] == [o_web.pk]
    assert page_ids(alpha, statuses=(S.VERIFICATION,))[0] == [o_ver.pk]
    # statuses outside the queue (drafts) fall back to the work states
    assert page_ids(alpha, statuses=(S.DRAFT,))[0] == everything


def test_r_s2_states_without_an_sla_page_by_id_after_the_timed_ones(alpha):
    timed = seed(alpha, [{"due": NOW + timedelta(hours=h), "key": "t"} for h in (3, 1)])
    untimed = seed(alpha, [{"status": S.VERIFICATION, "key": "u"} for _ in range(3)])
    pages = all_pages(alpha, statuses=(S.PROVIDER_REVIEW, S.VERIFICATION), limit=2)
    assert pages == [[timed[1].pk, timed[0].pk], [untimed[0].pk, untimed[1].pk], [untimed[2].pk]]


def test_r_s2_cursor_is_opaque_and_a_forged_one_is_refused(alpha):
    cursor = encode_cursor(NOW, 42)
    assert "42" not in cursor
    assert decode_cursor(cursor) == (NOW, 42)
    assert decode_cursor(encode_cursor(None, 7)) == (None, 7)
    for bad in ("nonsense", "W10", encode_cursor(NOW, 1)[:-3] + "!!!"):
        with pytest.raises(InvalidCursor):
            decode_cursor(bad)
    with tenant_scope(alpha.provider), pytest.raises(InvalidCursor):
        review_queue_page(tenant_id=alpha.provider.pk, after="W10")
    # the page turns a forged cursor into the first page with a warning
    seed(alpha, [{"due": NOW}])
    r = alpha.client("reviewer").get("/review/?after=W10")
    assert r.status_code == 200
    assert "翻页链接无效，已回到第一页。" in r.content.decode()


def _queue_sql(queries) -> list[str]:
    return [q["sql"] for q in queries]


def test_r_s2_a_deep_page_costs_the_same_queries_as_the_first_no_offset_no_count(alpha, beta):
    # given 60 orders in the queue at alpha (and some at beta)
    seed(alpha, [{"due": NOW + timedelta(minutes=i % 17)} for i in range(60)])
    seed(beta, [{"due": NOW} for _ in range(5)])
    client = alpha.client("reviewer")
    client.get("/review/")  # warm the session and caches
    # when the reviewer opens the first page and a deep page (via the next links)
    with CaptureQueriesContext(connection) as first:
        body = client.get("/review/?due=&assigned=").content.decode()
    url = re.search(r'rel="next" href="([^"]+)"', body).group(1).replace("&amp;", "&")
    for _ in range(1):
        url = re.search(r'rel="next" href="([^"]+)"', client.get("/review/" + url).content.decode()).group(1)
        url = url.replace("&amp;", "&")
    with CaptureQueriesContext(connection) as deep:
        body = client.get("/review/" + url).content.decode()
    # then both cost the same few queries, and none uses OFFSET or COUNT
    assert len(first.captured_queries) == len(deep.captured_queries) <= 8, _queue_sql(deep.captured_queries)
    order_sql = [
        sql
        for sql in _queue_sql(first.captured_queries) + _queue_sql(deep.captured_queries)
        if "filings_" in sql
    ]
    assert len(order_sql) == 2  # one statement per page: keys, rows and their websites
    for sql in order_sql:
        assert not re.search(r"\bOFFSET\b", sql, re.I), sql
        # the only count is of one order's websites (a key lookup), never of the orders
        assert re.findall(r"COUNT\(\*\) FROM (\w+) w WHERE w\.order_id = o\.id", sql) == [
            "filings_orderwebsite"
        ]
        assert len(re.findall(r"\bCOUNT\(", sql, re.I)) == 1, sql
    assert body.count('href="/review/') >= 10


def test_r_s2_selector_query_count_is_constant(alpha):
    seed(alpha, [{"due": NOW + timedelta(minutes=i)} for i in range(40)])
    with tenant_scope(alpha.provider):
        with CaptureQueriesContext(connection) as one:
            first = review_queue_page(tenant_id=alpha.provider.pk, limit=5, now=NOW)
        after = first.next_cursor
        for _ in range(5):
            after = review_queue_page(tenant_id=alpha.provider.pk, limit=5, after=after, now=NOW).next_cursor
        with CaptureQueriesContext(connection) as deep:
            review_queue_page(tenant_id=alpha.provider.pk, limit=5, after=after, now=NOW)
    assert len(one.captured_queries) == len(deep.captured_queries) == 1


def test_r_t2_queue_never_lists_another_providers_orders(alpha, beta):
    seed(beta, [{"due": NOW, "name": "SECRET-BETA 公司"}])
    mine = seed(alpha, [{"due": NOW}])
    for role in ("reviewer", "provider_admin"):
        body = alpha.client(role).get("/review/").content.decode()
        assert "SECRET-BETA" not in body
        assert f'href="/review/{mine[0].pk}/"' in body
    assert alpha.client("applicant").get("/review/").status_code == 403
    assert alpha.client("point_staff").get("/review/").status_code == 403


@requires_postgres
def test_r_s2_queue_branches_read_the_queue_index_on_postgresql(alpha):
    """Each branch of the page is an ordered range read of order_queue_idx, with or without a cursor."""
    seed(alpha, [{"due": NOW + timedelta(minutes=i)} for i in range(50)])
    for after in (None, (NOW + timedelta(minutes=20), 10**9), (None, 5)):
        branches = _branches(
            tenant_id=alpha.provider.pk,
            statuses=(S.PROVIDER_REVIEW,),
            filters=[("order_type = %s", ["new_entity"])],
            after=after,
            n=26,
            dated=False,
        )
        assert len(branches) == (1 if after and after[0] is None else 2)
        for sql, params in branches:
            with connection.cursor() as cur:
                # A 50-row table would be read whole; forbid that and sorting to show that the
                # index alone delivers each branch's rows in keyset order.
                cur.execute("ANALYZE filings_filingorder")
                cur.execute("SET LOCAL enable_seqscan = off")
                cur.execute("SET LOCAL enable_sort = off")
                cur.execute("EXPLAIN " + sql, params)
                plan = "\n".join(r[0] for r in cur.fetchall())
            assert "order_queue_idx" in plan, plan
            assert "Sort" not in plan, plan


# --- what the page shows ----------------------------------------------------------------------


def add_sites(tenant, order: FilingOrder, domains: list[tuple[str, str]]) -> None:
    """Websites (domain, domain as shown) at positions 1, 2, …; inserted last first, so ids run against."""
    with tenant_scope(tenant.provider):
        OrderWebsite.objects.bulk_create(
            [
                OrderWebsite(
                    tenant=tenant.provider,
                    order=order,
                    position=i + 1,
                    name="网站",
                    domain=d,
                    domain_display=shown,
                )
                for i, (d, shown) in reversed(list(enumerate(domains)))
            ]
        )


def rows_of(body: str) -> list[list[str]]:
    """The queue table's cells, tags stripped, whitespace collapsed."""
    tbody = body.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", cell).split())
            for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr, re.S)
        ]
        for tr in re.findall(r"<tr>(.*?)</tr>", tbody, re.S)
    ]


def test_r_s2_queue_rows_show_type_province_entity_domains_state_claim_and_sla(alpha, beta):
    # given three alpha orders: claimed with two websites, unclaimed without a name, overdue without sites
    reviewer = alpha.users["reviewer"]
    due = NOW + timedelta(days=10)
    claimed, unnamed, late = seed(
        alpha,
        [
            {"due": due, "assigned": reviewer, "province": "GD", "order_type": "new_website"},
            {"due": due + timedelta(hours=1), "status": S.PROVIDER_RECHECK, "name": ""},
            {"due": NOW - timedelta(hours=5)},
        ],
    )
    add_sites(alpha, claimed, [("xn--fiqs8s.cn", "中国.cn"), ("second.cn", "")])
    add_sites(alpha, unnamed, [("only.cn", "")])
    seed(beta, [{"due": NOW}])
    # when alpha's reviewer opens the queue
    body = alpha.client("reviewer").get("/review/").content.decode()
    # then each row shows exactly what the order holds, in SLA order
    left = working_days_between(timezone.localtime().date(), timezone.localtime(due).date())
    left2 = working_days_between(
        timezone.localtime().date(), timezone.localtime(due + timedelta(hours=1)).date()
    )
    local = lambda d: timezone.localtime(d).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    assert rows_of(body) == [
        [
            f"#{late.pk} · 首次备案 · 浙江省",
            late.entity_name,
            "—",
            "等待接入商审核",
            "未认领",
            f"{local(late.review_due_at)} 已超时",
        ],
        [
            f"#{claimed.pk} · 新增网站 · 广东省",
            claimed.entity_name,
            "中国.cn 等另 1 个",
            "等待接入商审核",
            "alpha-reviewer",
            f"{local(due)} 剩 {left} 个工作日",
        ],
        [
            f"#{unnamed.pk} · 首次备案 · 浙江省",
            unnamed.certificate_number,
            "only.cn",
            "接入商复审",
            "未认领",
            f"{local(unnamed.review_due_at)} 剩 {left2} 个工作日",
        ],
    ]
    assert f'<a href="/review/{claimed.pk}/">#{claimed.pk}</a>' in body
    assert '<span class="badge err">已超时</span>' in body


def test_r_s2_queue_speaks_the_chosen_language_whatever_was_shown_before(alpha):
    # given an order with two websites, its queue page once shown in Chinese (labels are cached per language)
    order = seed(alpha, [{"due": NOW + timedelta(days=10)}])[0]
    add_sites(alpha, order, [("one.cn", ""), ("two.cn", "")])
    client = alpha.client("reviewer")
    assert "首次备案" in client.get("/review/").content.decode()
    # when the reviewer switches to English
    client.cookies["django_language"] = "en"
    body = client.get("/review/").content.decode()
    # then the row, its labels and the filters are English, and Chinese again after switching back
    row = rows_of(body)[0]
    assert row[0] == f"#{order.pk} · New entity filing · {row[0].rsplit(' · ', 1)[1]}"
    assert row[2] == "one.cn and 1 more"
    assert row[3] == "Awaiting access provider review"
    assert row[4] == "Unclaimed"
    assert row[5].endswith("working day(s) left")
    assert "首次备案" not in body
    assert "未认领" not in body
    client.cookies["django_language"] = "zh-hans"
    assert rows_of(client.get("/review/").content.decode())[0][3] == "等待接入商审核"


def test_r_s2_queue_filters_keep_the_choice_and_name_a_bad_value(alpha):
    in_gd, in_zj = seed(
        alpha, [{"due": NOW + timedelta(hours=3), "province": "GD"}, {"due": NOW + timedelta(hours=4)}]
    )
    client = alpha.client("reviewer")
    # a chosen filter is applied and stays selected; the others stay on "all"
    body = client.get("/review/?province=GD&assigned=unassigned").content.decode()
    assert [r[0].split(" ")[0] for r in rows_of(body)] == [f"#{in_gd.pk}"]
    assert '<option value="GD" selected>广东省</option>' in body
    assert '<option value="unassigned" selected>未认领</option>' in body
    assert '<select name="status" id="id_status">' in body
    assert '<option value="" selected>待我方处理（初审、复审）</option>' in body
    assert '<label for="id_province">省份</label>' in body
    assert body.count(" selected>") == 5
    # a forged value is named in the error summary and next to its field, selects nothing and filters nothing
    body = client.get("/review/?status=bogus&province=GD").content.decode()
    assert '<a href="#id_status">状态：选择一个有效的选项。 bogus 不在可用的选项中。</a>' in body
    assert '<p class="err" id="id_status_err">选择一个有效的选项。 bogus 不在可用的选项中。</p>' in body
    assert (
        '<select name="status" id="id_status" aria-invalid="true" aria-describedby="id_status_err">' in body
    )
    assert '<option value="" selected>待我方处理（初审、复审）</option>' not in body
    assert [r[0].split(" ")[0] for r in rows_of(body)] == [f"#{in_gd.pk}", f"#{in_zj.pk}"]


def test_r_t2_queue_selector_refuses_to_run_outside_the_tenants_scope(alpha, beta):
    # the page's SQL is hand-written, so the selector itself demands the scope the managers would
    seed(alpha, [{"due": NOW}])
    with pytest.raises(TenantScopeError):
        review_queue_page(tenant_id=alpha.provider.pk, now=NOW)
    with tenant_scope(beta.provider), pytest.raises(TenantScopeError):
        review_queue_page(tenant_id=alpha.provider.pk, now=NOW)
    with tenant_scopes_disabled():
        assert len(review_queue_page(tenant_id=alpha.provider.pk, now=NOW).rows) == 1
