"""The provider reviewers' queue (R-S2): SLA order, filters, keyset pages at a constant cost, tenancy."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from filings.models import FilingOrder, OrderStatus
from filings.review_selectors import (
    InvalidCursor,
    _branches,
    decode_cursor,
    encode_cursor,
    review_queue_page,
)
from icpfiling.tenancy.context import tenant_scope
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
    assert len(order_sql) == 6  # the keys, the rows, their websites; twice
    for sql in order_sql:
        assert not re.search(r"\bOFFSET\b", sql, re.I), sql
        assert not re.search(r"\bCOUNT\(", sql, re.I), sql
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
    assert len(one.captured_queries) == len(deep.captured_queries) == 3


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
    with tenant_scope(alpha.provider):
        base = FilingOrder.objects.filter(tenant_id=alpha.provider.pk)
        for after in (None, (NOW + timedelta(minutes=20), 10**9), (None, 5)):
            branches = _branches(base, statuses=(S.PROVIDER_REVIEW,), after=after, n=26, dated=False)
            for qs in branches:
                sql, params = qs.query.get_compiler(using=qs.db).as_sql()
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
