"""Reads of the public query (R-Q1): public fields of active filings only.

Every search is ONE statement: a keyset page of websites (newest filing first), on the first
page the apps and mini-programs, and a count capped at ``COUNT_CAP`` (so a broad term costs
about what a narrow one does). On PostgreSQL a name piece goes through the bigram GIN index
of migration ``registry.0013`` (``icp_bigrams(search_text) @>`` the piece's rarest bigrams, then
LIKE as the recheck) or walks the newest rows, as PostgreSQL's own statistics say is cheaper; on SQLite
(the embedded run) a piece of three or more characters goes through the FTS5 trigram table of
``registry.0014`` and a shorter one scans the one column with LIKE.
"""

# The statements below are assembled from this module's constants only; every value that comes
# from a request is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import idna
from django.db import connection
from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from icpfiling.publicquery.parse import Query
from icpfiling.registry import labels
from icpfiling.registry.models import (
    AccessRecord,
    FiledApp,
    FiledEntity,
    FiledWebsite,
    RegistryStatus,
)

PAGE_SIZE = 20
# Counts stop here ("200+"): ten pages of results, past which the page asks for a more specific
# piece. Every match counted is a row fetched, so the cap bounds a broad piece's cost.
COUNT_CAP = 200


@dataclass(frozen=True)
class PublicService:
    """One filed service as the public may see it (no certificate numbers, people or phones)."""

    pk: int
    kind: str  # "website" today; apps and mini-programs share the shape
    entity_number: str
    entity_name: str
    nature: str
    province: str
    service_number: str
    service_name: str
    address: str  # the domain, in its Unicode form
    approved_on: date
    providers: tuple[str, ...]


@dataclass(frozen=True)
class PublicEntity:
    entity_number: str
    name: str


@dataclass
class SearchPage:
    query: Query
    results: list[PublicService] = field(default_factory=list)
    apps: list[PublicService] = field(default_factory=list)  # first page only (R-AP4)
    count: int = 0
    capped: bool = False
    cap: int = 0
    next_after: int | None = None
    entity: PublicEntity | None = None  # an entity-number search names the entity even without services


def escape_like(term: str) -> str:
    """A LIKE pattern matching ``term`` literally anywhere (``%``, ``_`` and ``\\`` escaped)."""
    return "%" + term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


# Which plan a name piece takes is a cost comparison on PostgreSQL's statistics (``name_share``),
# in units of one row walked down the primary key (WALK_ROW); the per-row costs are read from the
# plan sweep of scripts/bench_public_query.py, which times every plan for pieces of every share:
# - walk: the newest rows tested one by one in a window sized to hold WALK_WINDOW times the rows
#   wanted (cheap for a piece in many names: 有限, 科技);
# - buckets: the matches among the newest ids through the index's bucketed keys (registry 0013:
#   each bigram is also indexed with its row's id bucket of 2**BUCKET_BITS ids), fetched and
#   sorted (a piece in a few names in a thousand: newest first without touching the older ones);
# - collect: every match through the index, fetched and sorted (rare pieces).
# The capped count has the same three, stopping at COUNT_CAP + 1 matches.
WALK_ROW = 1.0
COLLECT_MATCH = 8.0  # fetching a match out of order and sorting it
INDEX_ENTRY = 0.5  # one entry of a posting list into the bitmap
KEY_PROBE = 40.0  # one more key looked up in the index
STATS_TTL_SECONDS = 600
BUCKET_BITS = 14
BUCKET = 1 << BUCKET_BITS
MAX_BUCKET_KEYS = 48
_SEP = "\x1f"  # between provider names in one column (no name holds a control character)
_INDEXES = {"websites": "filed_website_search_keys", "apps": "filed_app_search_bigrams"}


@dataclass
class _NameStats:
    """Each search index's most common bigrams with their row shares, and the tables' sizes."""

    at: float = -1e18
    shares: dict[str, dict[str, float]] = field(default_factory=dict)
    rows: float = 0.0
    app_rows: float = 0.0
    top: dict[str, int] = field(default_factory=dict)  # the newest id of each table when read


_stats = _NameStats()


def _stats_stale() -> bool:
    return time.monotonic() - _stats.at >= STATS_TTL_SECONDS


# PostgreSQL's own ANALYZE keeps, for an expression index over an array, its most common elements
# and their frequencies (a bigram missing there is rarer than every one listed); pg_class keeps
# the table's row estimate. Read as one more column of the page's statement when the cached copy
# is older than STATS_TTL_SECONDS, so the request never pays a statement of its own for them.
_STATS_COLUMN = f"""
    (SELECT json_build_object(
        'rows', (SELECT reltuples FROM pg_class WHERE relname = 'registry_filedwebsite'),
        'app_rows', (SELECT reltuples FROM pg_class WHERE relname = 'registry_filedapp'),
        'top', json_build_object('websites', (SELECT max(id) FROM registry_filedwebsite),
                                 'apps', (SELECT max(id) FROM registry_filedapp)),
        'shares', (SELECT json_object_agg(
                              tablename,
                              json_build_array(most_common_elems::text::text[], most_common_elem_freqs))
                     FROM pg_stats
                    WHERE tablename IN ('{_INDEXES["websites"]}', '{_INDEXES["apps"]}')
                      AND most_common_elems IS NOT NULL))::text)
"""


def _stats_load(raw: str) -> None:
    data = json.loads(raw)
    by_index = data.get("shares") or {}
    _stats.shares = {
        kind: dict(zip(*by_index[index], strict=False))
        for kind, index in _INDEXES.items()
        if index in by_index
    }
    _stats.rows = max(float(data.get("rows") or 0.0), 0.0)
    _stats.app_rows = max(float(data.get("app_rows") or 0.0), 0.0)
    _stats.top = {kind: int(top) for kind, top in (data.get("top") or {}).items() if top is not None}
    _stats.at = time.monotonic()


def _bigrams(term: str) -> set[str]:
    return {term[i : i + 2] for i in range(len(term) - 1)}


def name_share(term: str, kind: str = "websites") -> float:
    """The estimated share of ``kind``'s search texts holding ``term``: its rarest bigram's share."""
    bigrams = _bigrams(term)
    table = _stats.shares.get(kind)
    if not bigrams or not table:
        return 0.0
    return min(table.get(b, 0.0) for b in bigrams)


def _costs(share: float, wanted: int, rows: float, *, ordered: bool, buckets: bool) -> dict[str, float]:
    """The estimated cost of each plan for ``wanted`` matches (``ordered``: the newest ones)."""
    matches = share * rows
    # The newest matches need every match fetched and sorted; any ``wanted`` stop at that many.
    fetched = matches if ordered else min(matches, wanted)
    costs = {"collect": matches * INDEX_ENTRY + fetched * COLLECT_MATCH}
    # A walk reads a window of rows sized from the share (an unordered count stops at ``wanted``).
    costs["walk"] = (WALK_WINDOW if ordered else 1.0) * wanted / share * WALK_ROW
    if buckets and rows > BUCKET:
        covered = max(float(BUCKET), min(rows, (WALK_WINDOW if ordered else COUNT_WINDOW) * wanted / share))
        keys = covered / BUCKET
        if keys <= MAX_BUCKET_KEYS:
            costs["buckets"] = share * covered * (INDEX_ENTRY + COLLECT_MATCH) + keys * KEY_PROBE
    return costs


def _plan(share: float, wanted: int, rows: float, *, ordered: bool = True, buckets: bool = True) -> str:
    if share <= 0:  # rarer than every bigram PostgreSQL lists (or nothing known yet)
        return "collect"
    costs = _costs(share, wanted, rows, ordered=ordered, buckets=buckets)
    return min(costs, key=lambda plan: costs[plan])


def page_plan(term: str) -> str:
    """How the page of websites is found: "walk", "buckets" or "collect" (see above).

    Decided on the cached statistics only (never a statement of its own); before the first
    statement of a process has brought them, every piece is collected (right, if slower for the
    broadest pieces).
    """
    return _plan(name_share(term), PAGE_SIZE + 1, _stats.rows)


def apps_plan(term: str) -> str:
    """The same for the first page's apps (their index has no buckets: far fewer rows)."""
    return _plan(name_share(term, "apps"), APP_PAGE_SIZE, _stats.app_rows, buckets=False)


def count_plan(term: str) -> str:
    """How the capped count finds COUNT_CAP + 1 matches (any, not the newest)."""
    return _plan(name_share(term), COUNT_CAP + 1, _stats.rows, ordered=False)


# --- the one statement of a page ------------------------------------------------------------
# Every search is answered by ONE statement: its first part the page of websites (newest first,
# keyset ``after``), then on the first page up to APP_PAGE_SIZE apps and mini-programs, then one
# row with the capped count (and, for an entity number, the entity). Each part picks its rows
# by id in a subquery and the outer SELECT adds the public columns, so every kind of search has
# the same shape and the same one round trip.
APP_PAGE_SIZE = 20
_W = "registry_filedwebsite"
_E = "registry_filedentity"
_A = "registry_filedapp"
# A service is public while it and its entity are active, which is when its search text is not
# empty (icpfiling/registry/search_text.py): a column of the row itself, no entity lookup. The
# status stays in the condition: the unique index on active websites' domains is partial on it.
_ACTIVE_W = "w.status = 'active' AND w.search_text <> ''"
_ACTIVE_A = "a.status = 'active' AND a.search_text <> ''"
_LIKE = "LIKE %s ESCAPE '\\'"
# A service whose search text holds the piece, through the bigram GIN index of that column (two
# parameters: the piece, then its LIKE pattern as the recheck). An inactive service's text is
# empty, so no status check is needed. scripts/bench_public_query.py swaps in a pg_trgm
# condition to compare the same statement both ways.
NAME_MATCH = "{keys} @> %s::text[] AND {col} " + _LIKE
# The same through the bucketed keys of the newest ids (websites only): any of the given keys.
BUCKET_MATCH = "{keys} && %s::text[] AND {col} " + _LIKE
# The indexed expression of each table (registry 0013): websites' keys carry their id bucket.
_KEYS = {_W: "icp_search_keys(w.search_text, w.id)", _A: "icp_bigrams(a.search_text)"}
# Each table's alias in the statements and its entry in the cached statistics.
_ALIAS = {_W: "w", _A: "a"}
_KIND = {_W: "websites", _A: "apps"}
# How many of a piece's bigrams the index is asked for, rarest first (a bigram in most names, such
# as 有限, costs a long posting list and removes few candidates; LIKE rechecks the rest anyway).
PROBE_BIGRAMS = 2
PROBE_MAX_SHARE = 0.005


def probe_bigrams(term: str, kind: str = "websites") -> list[str]:
    """The bigrams of ``term`` the index is probed with: the rarest, and the next if it is rare too."""
    table = _stats.shares.get(kind) or {}
    ranked = sorted(_bigrams(term), key=lambda b: (table.get(b, 0.0), b))
    return ranked[:1] + [b for b in ranked[1:PROBE_BIGRAMS] if table.get(b, 0.0) < PROBE_MAX_SHARE]


Part = tuple[str, list[object]]


# The public columns of a page's rows: the page's ids joined to their rows and entities. The
# nature and province are read as codes and named in Python (registry.labels, in the page's
# language): two joins fewer to plan in every statement.
def _website_rows(ids: Part) -> Part:
    if connection.vendor == "postgresql":
        providers = (
            "(SELECT string_agg(p.name, %s ORDER BY a.since, a.id) FROM registry_accessrecord a"
            " JOIN tenancy_provider p ON p.id = a.provider_id"
            " WHERE a.website_id = w.id AND a.ended_at IS NULL)"
        )
    else:
        providers = (
            "(SELECT group_concat(name, %s) FROM (SELECT p.name FROM registry_accessrecord a"
            " JOIN tenancy_provider p ON p.id = a.provider_id"
            " WHERE a.website_id = w.id AND a.ended_at IS NULL ORDER BY a.since, a.id))"
        )
    sql = f"""
        SELECT 1 AS part, w.id, e.entity_number, e.name, e.nature_id, e.province_id, w.website_number,
               w.name, w.domain, w.filed_at, {providers}, 'website'
          FROM ({ids[0]}) page_ids JOIN {_W} w ON w.id = page_ids.id JOIN {_E} e ON e.id = w.entity_id"""
    return sql, [_SEP, *ids[1]]


def _app_rows(ids: Part) -> Part:
    sql = f"""
        SELECT 2, a.id, e.entity_number, e.name, e.nature_id, e.province_id, a.service_number, a.name,
               '', a.filed_at, (SELECT p.name FROM tenancy_provider p WHERE p.id = a.provider_id), a.kind
          FROM ({ids[0]}) app_ids JOIN {_A} a ON a.id = app_ids.id JOIN {_E} e ON e.id = a.entity_id"""
    return sql, list(ids[1])


def _count_row(counted: Part, entity_number: str | None, stats: bool) -> Part:
    params: list[object] = list(counted[1])
    entity = "NULL, NULL"
    if entity_number is not None:
        entity = (
            f"(SELECT entity_number FROM {_E} WHERE entity_number = %s AND status = 'active'),"
            f" (SELECT name FROM {_E} WHERE entity_number = %s AND status = 'active')"
        )
        params += [entity_number, entity_number]
    extra = _STATS_COLUMN if stats else "NULL"
    sql = f"""
        SELECT 3, (SELECT count(*) FROM ({counted[0]} LIMIT {COUNT_CAP + 1}) counted), {entity},
               NULL, NULL, NULL, NULL, NULL, NULL, {extra}, NULL"""
    return sql, params


def _page_of(matching: Part, after: int | None, size: int) -> Part:
    sql, params = matching
    where = ""
    if after is not None:
        where = " WHERE m.id < %s"
        params = [*params, after]
    return f"SELECT m.id FROM ({sql}) m{where} ORDER BY m.id DESC LIMIT {size + 1}", params


def _exact_parts(query: Query) -> tuple[Part, Part | None]:
    """(websites, apps) matching a domain or a number: each through its own btree index."""
    if query.kind == "domain":
        # The partial unique index on lower(domain) of active websites, and (R-C2) a website's
        # further domains through theirs; apps by the domains they use.
        sites = (
            f"SELECT w.id FROM {_W} w WHERE lower(w.domain) = %s AND {_ACTIVE_W} UNION"
            f" SELECT w.id FROM registry_filedwebsitedomain d JOIN {_W} w ON w.id = d.website_id"
            f" WHERE lower(d.domain) = %s AND d.active AND {_ACTIVE_W}"
        )
        apps = (
            f"SELECT a.id FROM {_A} a WHERE a.id IN"
            f" (SELECT d.app_id FROM registry_filedappdomain d WHERE d.domain = %s) AND {_ACTIVE_A}"
        )
    elif query.kind == "service_number":
        sites = f"SELECT w.id FROM {_W} w WHERE w.website_number = %s AND {_ACTIVE_W}"
        apps = f"SELECT a.id FROM {_A} a WHERE a.service_number = %s AND {_ACTIVE_A}"
    else:  # entity_number
        owner = f"(SELECT id FROM {_E} WHERE entity_number = %s AND status = 'active')"
        sites = f"SELECT w.id FROM {_W} w WHERE w.entity_id = {owner} AND w.status = 'active'"
        apps = f"SELECT a.id FROM {_A} a WHERE a.entity_id = {owner} AND a.status = 'active'"
    site_params = [query.value, query.value] if query.kind == "domain" else [query.value]
    return (sites, site_params), (apps, [query.value])


# SQLite (the embedded run): pieces of three characters or more through the FTS5 trigram table
# of migration registry.0014 (a quoted phrase: every character literal, ``"`` doubled); shorter
# ones scan search_text, which trigrams cannot serve.
SQLITE_TRIGRAM = 3


def _sqlite_matched(table: str, term: str) -> Part:
    fts = f"{table}_search"
    return f"SELECT rowid AS id FROM {fts} WHERE {fts} MATCH %s", ['"' + term.replace('"', '""') + '"']


def _match(template: str, table: str) -> str:
    return template.format(keys=_KEYS[table], col=f"{_ALIAS[table]}.search_text")


def _indexed(table: str, term: str, like: str) -> Part:
    """Rows of ``table`` whose search text holds the piece, through its bigram GIN index."""
    a = _ALIAS[table]
    return f"SELECT {a}.id FROM {table} {a} WHERE {_match(NAME_MATCH, table)}", [
        probe_bigrams(term, _KIND[table]),
        like,
    ]


# A walk examines the newest ids in a window expected to hold WALK_WINDOW times the rows the page
# wants. Bounding it by id lets PostgreSQL walk the primary key there whatever it guesses for
# LIKE '%…%' (its guess for a long piece is so low that, unbounded, it would read the whole table
# and sort it). A piece is often rarer than its rarest bigram (生物科技股 is rarer than 技股), so
# should the window hold too few matches, the same statement walks a window WALK_WIDER times
# larger below it, and only then collects the rest through the index; each step runs only when
# the steps before it fell short. The bucketed plan reads its window through the index instead,
# and the count's window is COUNT_WINDOW times the matches it needs.
WALK_WINDOW = 4.0
WALK_WIDER = 10.0
COUNT_WINDOW = 1.5
# Filings approved since the cached statistics were read have ids above the cached newest one:
# the bucketed window reaches this many buckets beyond it (each bucket holds 16,384 filings).
BUCKETS_AHEAD = 2


def _walk(table: str, term: str, like: str, wanted: int, after: int | None) -> Part:
    """The newest ``wanted`` rows of ``table`` (below ``after``) whose search text holds the piece."""
    a, kind = _ALIAS[table], _KIND[table]
    share = name_share(term, kind)
    top = after if after is not None else _stats.top.get(kind)
    below = f" AND {a}.id < %s" if after is not None else ""
    bound = [after] if after is not None else []
    if share <= 0 or top is None:  # nothing known to size a window: walk until the page is full
        return f"SELECT {a}.id FROM {table} {a} WHERE {a}.search_text {_LIKE}{below}", [like, *bound]
    near = int(top - WALK_WINDOW * wanted / share)
    far = int(top - WALK_WINDOW * WALK_WIDER * wanted / share)
    short = f"(SELECT count(*) FROM near) + (SELECT count(*) FROM far) < {wanted}"
    sql = (
        f"WITH near AS MATERIALIZED (SELECT {a}.id FROM {table} {a} WHERE {a}.id >= %s{below}"
        f" AND {a}.search_text {_LIKE} ORDER BY {a}.id DESC LIMIT {wanted}),"
        f" far AS MATERIALIZED (SELECT {a}.id FROM {table} {a} WHERE {a}.id >= %s AND {a}.id < %s"
        f" AND {a}.search_text {_LIKE} AND (SELECT count(*) FROM near) < {wanted}"
        f" ORDER BY {a}.id DESC LIMIT {wanted})"
        f" SELECT id FROM near UNION ALL SELECT id FROM far"
        f" UNION ALL (SELECT {a}.id FROM {table} {a} WHERE {_match(NAME_MATCH, table)}"
        f" AND {a}.id < %s AND {short} ORDER BY {a}.id DESC LIMIT {wanted})"
    )
    return sql, [near, *bound, like, far, near, like, probe_bigrams(term, kind), like, far]


def _bucket_window(term: str, wanted: int, window: float, after: int | None) -> tuple[list[str], int]:
    """The bucketed keys of the piece's rarest bigram over the newest ``window`` ids (below
    ``after``), and the first id below them."""
    top = after - 1 if after is not None else _stats.top.get("websites", 0)
    share = name_share(term)
    first = max(0, int(top - window * wanted / share)) >> BUCKET_BITS
    last = (max(top, 0) >> BUCKET_BITS) + (BUCKETS_AHEAD if after is None else 0)
    probe = probe_bigrams(term)[0]
    return [f"{probe}#{k}" for k in range(last, first - 1, -1)], first << BUCKET_BITS


def _bucketed_page(term: str, like: str, wanted: int, after: int | None) -> Part:
    """The newest ``wanted`` websites holding the piece, through the bucketed keys of the newest
    ids; should those buckets hold too few, the rest are collected below them, in the same
    statement (that step runs only then)."""
    keys, floor = _bucket_window(term, wanted, WALK_WINDOW, after)
    below = " AND w.id < %s" if after is not None else ""
    bound = [after] if after is not None else []
    sql = (
        f"WITH near AS MATERIALIZED (SELECT w.id FROM {_W} w WHERE {_match(BUCKET_MATCH, _W)}{below}"
        f" ORDER BY w.id DESC LIMIT {wanted})"
        f" SELECT id FROM near UNION ALL (SELECT w.id FROM {_W} w WHERE {_match(NAME_MATCH, _W)}"
        f" AND w.id < %s AND (SELECT count(*) FROM near) < {wanted} ORDER BY w.id DESC LIMIT {wanted})"
    )
    return sql, [keys, like, *bound, probe_bigrams(term), like, floor]


def _bucketed_count(term: str, like: str) -> Part:
    """Matches for the capped count: those in the newest buckets first, then in buckets WALK_WIDER
    times further back, then below them; each step runs only while the count's LIMIT is not
    reached (PostgreSQL's Append reads its branches in order and stops with the LIMIT)."""
    near, _ = _bucket_window(term, COUNT_CAP + 1, COUNT_WINDOW, None)
    wider, floor = _bucket_window(term, COUNT_CAP + 1, COUNT_WINDOW * WALK_WIDER, None)
    far = [k for k in wider if k not in set(near)][:MAX_BUCKET_KEYS]
    if far:
        floor = int(far[-1].rsplit("#", 1)[1]) << BUCKET_BITS
    sql = (
        f"(SELECT w.id FROM {_W} w WHERE {_match(BUCKET_MATCH, _W)})"
        f" UNION ALL (SELECT w.id FROM {_W} w WHERE {_match(BUCKET_MATCH, _W)})"
        f" UNION ALL (SELECT w.id FROM {_W} w WHERE {_match(NAME_MATCH, _W)} AND w.id < %s)"
    )
    return sql, [near, like, far, like, probe_bigrams(term), like, floor]


def _name_parts(
    term: str,
    plan: str = "collect",
    count: str = "collect",
    apps: str = "collect",
    after: int | None = None,
) -> tuple[Part, Part, Part]:
    """(websites, apps, what to count) for a name piece, by the plans of ``page_plan``,
    ``count_plan`` and ``apps_plan`` ("walk", "buckets" or "collect").

    Every plan reads the one search column (``search_text``, empty unless the service and its
    entity are active). On SQLite (the embedded run) a piece of 3+ characters is looked up in the
    FTS5 trigram table and a shorter one scans the column.
    """
    like = escape_like(term)
    walked_sites: Part = (f"SELECT w.id FROM {_W} w WHERE w.search_text {_LIKE}", [like])
    walked_apps: Part = (f"SELECT a.id FROM {_A} a WHERE a.search_text {_LIKE}", [like])
    if connection.vendor != "postgresql":
        if len(term) < SQLITE_TRIGRAM:
            return walked_sites, walked_apps, walked_sites
        found_sites, found_apps = _sqlite_matched(_W, term), _sqlite_matched(_A, term)
        return found_sites, found_apps, found_sites
    if name_share(term) <= 0:  # the bucketed window is sized from the piece's share
        plan, count = ("collect" if p == "buckets" else p for p in (plan, count))
    sites = {
        "walk": lambda: _walk(_W, term, like, PAGE_SIZE + 1, after),
        "buckets": lambda: _bucketed_page(term, like, PAGE_SIZE + 1, after),
    }.get(plan, lambda: _indexed(_W, term, like))()
    found_apps = _walk(_A, term, like, APP_PAGE_SIZE, None) if apps == "walk" else _indexed(_A, term, like)
    # The capped count: any COUNT_CAP + 1 matches. The broadest pieces scan the table in its
    # stored order (a few thousand rows hold them); the others go through the index.
    counted = {
        "walk": lambda: walked_sites,
        "buckets": lambda: _bucketed_count(term, like),
    }.get(count, lambda: _indexed(_W, term, like))()
    return sites, found_apps, counted


def _public_row(row: tuple) -> PublicService:
    (
        _part,
        pk,
        entity_number,
        entity_name,
        nature,
        province,
        number,
        name,
        address,
        filed_at,
        providers,
        kind,
    ) = row
    if isinstance(filed_at, str):  # SQLite hands back the stored text
        filed_at = datetime.fromisoformat(filed_at)
    if timezone.is_naive(filed_at):
        filed_at = timezone.make_aware(filed_at, UTC)
    return PublicService(
        pk=pk,
        kind=kind,
        entity_number=entity_number,
        entity_name=entity_name,
        nature=str(labels.NATURE_NAMES.get(int(nature), nature)),
        province=str(labels.PROVINCE_NAMES.get(province, province)),
        service_number=number,
        service_name=name,
        address=_display_domain(address) if address else "",
        approved_on=timezone.localdate(filed_at),
        providers=tuple(providers.split(_SEP)) if providers else (),
    )


def public_search(*, query: Query, after: int | None = None) -> SearchPage:
    """One page of matches (newest first) after the keyset ``after``, its apps and the capped count.

    One statement whatever was typed (see above); on PostgreSQL a name piece takes the plans of
    ``page_plan``, ``count_plan`` and ``apps_plan``.
    """
    page = SearchPage(query=query)
    if query.kind in ("domain", "service_number", "entity_number"):
        sites, apps = _exact_parts(query)
        counted = sites
    elif query.kind == "name":
        term = query.value
        sites, apps, counted = _name_parts(term, page_plan(term), count_plan(term), apps_plan(term), after)
    else:
        return page
    page.cap = COUNT_CAP
    stats = connection.vendor == "postgresql" and _stats_stale()
    parts = [_website_rows(_page_of(sites, after, PAGE_SIZE))]
    if after is None:
        parts.append(_app_rows(_page_of(apps, None, APP_PAGE_SIZE - 1)))
    parts.append(_count_row(counted, query.value if query.kind == "entity_number" else None, stats))
    sql = " UNION ALL ".join(p[0] for p in parts) + " ORDER BY 1, 2 DESC"
    params = [p for part in parts for p in part[1]]
    with connection.cursor() as cur:
        cur.execute(sql, params)
        rows = cur.fetchall()
    *found, (_part, counted_n, entity_number, entity_name, *_cells, stats_json, _kind) = rows
    if stats and stats_json:
        _stats_load(stats_json)
    sites_found = [_public_row(r) for r in found if r[0] == 1]
    page.apps = [_public_row(r) for r in found if r[0] == 2]
    page.count = min(counted_n, COUNT_CAP)
    page.capped = counted_n > COUNT_CAP
    if entity_number:
        page.entity = PublicEntity(entity_number=entity_number, name=entity_name)
    page.results = sites_found[:PAGE_SIZE]
    if len(sites_found) > PAGE_SIZE:
        page.next_after = page.results[-1].pk
    return page


def _with_public_relations(sites: QuerySet[FiledWebsite]) -> QuerySet[FiledWebsite]:
    """The entity, nature, province and current providers a result shows, in two queries."""
    current = AccessRecord.objects.filter(ended_at__isnull=True).select_related("provider").order_by("since")
    return sites.select_related("entity__nature", "entity__province").prefetch_related(
        Prefetch("access_records", queryset=current, to_attr="current_access")
    )


def _base() -> QuerySet[FiledWebsite]:
    return FiledWebsite.objects.filter(status=RegistryStatus.ACTIVE, entity__status=RegistryStatus.ACTIVE)


def _display_domain(domain: str) -> str:
    if "xn--" not in domain.lower():  # nothing to decode (most domains): skip idna's checks
        return domain
    try:
        return idna.decode(domain)
    except (idna.IDNAError, UnicodeError):
        return domain


def _public(site: FiledWebsite) -> PublicService:
    entity = site.entity
    return PublicService(
        pk=site.pk,
        kind="website",
        entity_number=entity.entity_number,
        entity_name=entity.name,
        nature=str(entity.nature),
        province=str(entity.province),
        service_number=site.website_number,
        service_name=site.name,
        address=_display_domain(site.domain),
        approved_on=timezone.localdate(site.filed_at),
        providers=tuple(r.provider.name for r in site.current_access),
    )


def public_entity(*, entity_number: str) -> tuple[FiledEntity | None, list[PublicService]]:
    """An active entity and its active services, for its detail page."""
    entity = (
        FiledEntity.objects.filter(entity_number=entity_number, status=RegistryStatus.ACTIVE)
        .select_related("nature", "province")
        .first()
    )
    if entity is None:
        return None, []
    sites = _with_public_relations(_base().filter(entity=entity).order_by("seq"))
    return entity, [_public(s) for s in sites]


# --- apps, mini-programs and quick apps on an entity's page (R-AP4) --------------------------


def _public_app(app: FiledApp) -> PublicService:
    entity = app.entity
    return PublicService(
        pk=app.pk,
        kind=app.kind,
        entity_number=entity.entity_number,
        entity_name=entity.name,
        nature=str(entity.nature),
        province=str(entity.province),
        service_number=app.service_number,
        service_name=app.name,
        address="",
        approved_on=timezone.localdate(app.filed_at),
        providers=(app.provider.name,),
    )


def _apps_base() -> QuerySet[FiledApp]:
    return FiledApp.objects.filter(status=RegistryStatus.ACTIVE, entity__status=RegistryStatus.ACTIVE)


def public_entity_apps(*, entity: FiledEntity) -> list[PublicService]:
    """The entity's active apps for its detail page, in number order."""
    rows = _apps_base().filter(entity=entity).select_related("entity__nature", "entity__province", "provider")
    return [_public_app(a) for a in rows.order_by("seq")]
