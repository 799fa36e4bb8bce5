"""R-Q1: the public query (公示查询) — one box for domains, numbers and name pieces, public fields only."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from icpfiling.publicquery.parse import parse_query
from icpfiling.registry.changes import (
    Who,
    registry_app_change,
    registry_entity_cancel,
    registry_entity_change,
    registry_service_cancel,
    registry_service_change,
)
from icpfiling.registry.models import CertificateType, EntityNature, FiledEntity, Province, RegistryStatus
from icpfiling.registry.reference import reference_data_load
from icpfiling.registry.services import (
    registry_access_add,
    registry_app_file,
    registry_entity_file,
    registry_website_file,
)
from icpfiling.tenancy.models import Provider
from tests.services import redis_url, requires_postgres, requires_redis

ROOT = Path(__file__).resolve().parents[2]

SECRET_ID = "330106199001011234"
SECRET_MOBILE = "13900001111"
SECRET_PERSON = "张秘密"
FILED = timezone.make_aware(timezone.datetime(2026, 5, 1, 9, 0))


@pytest.fixture(autouse=True)
def fresh_limits():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


def _entity(name: str, cert: str, *, nature: int = 4, province: str = "ZJ") -> FiledEntity:
    return registry_entity_file(
        province=Province.objects.get(code=province),
        nature=EntityNature.objects.get(code=nature),
        certificate_type=CertificateType.objects.get(
            code="business_licence" if nature == 4 else "resident_id"
        ),
        certificate_number=cert,
        name=name,
        principal_name=SECRET_PERSON,
        principal_mobile=SECRET_MOBILE,
        filed_at=FILED,
    )


@pytest.fixture
def registry(alpha, beta):
    """Two entities at two providers; one website of the first also connected to beta."""
    hz = _entity("杭州云栖科技有限公司", "91330106MA2H000015")
    shop = registry_website_file(
        entity=hz, domain="yunqi.cn", name="云栖商城网站", provider=alpha.provider, filed_at=FILED
    )
    registry_website_file(
        entity=hz, domain="xn--fsqu00a.xn--fiqs8s", name="云栖例子网站", provider=alpha.provider
    )
    registry_access_add(website=shop, provider=beta.provider)
    person = _entity("李四", SECRET_ID, nature=5)
    registry_website_file(
        entity=person, domain="lisi-blog.com", name="李四的摄影作品", provider=beta.provider
    )
    shell = _entity("空壳示例有限公司", "91330106MA2H00002X")
    return {"hz": hz, "shop": shop, "person": person, "shell": shell}


def _json(client: Client, q: str, **extra) -> tuple[int, dict]:
    response = client.get("/query/api/", {"q": q, **extra})
    return response.status_code, json.loads(response.content)


@pytest.mark.parametrize(
    ("raw", "kind", "value"),
    [
        ("https://www.YunQi.cn/path?x=1", "domain", "yunqi.cn"),
        ("shop.yunqi.cn", "domain", "yunqi.cn"),
        ("例子.中国", "domain", "xn--fsqu00a.xn--fiqs8s"),
        ("浙ICP备2026000001号", "entity_number", "浙ICP备2026000001号"),
        ("浙 icp备2026000001", "entity_number", "浙ICP备2026000001号"),
        ("浙ICP备2026000001号-2", "service_number", "浙ICP备2026000001号-2"),
        ("浙ICP备2026000001号-3A", "service_number", "浙ICP备2026000001号-3A"),
        ("浙ICP备2026000001-1X", "service_number", "浙ICP备2026000001号-1X"),
        ("云栖", "name", "云栖"),
        ("Yun", "name", "yun"),
        ("云", "too_short", ""),
        ("", "empty", ""),
    ],
)
def test_r_q1_the_box_understands_what_was_typed(raw, kind, value):
    query = parse_query(raw)
    assert (query.kind, query.value) == (kind, value)


@pytest.mark.django_db
def test_r_q1_domain_search_reduces_any_url_to_the_registered_domain(registry, alpha):
    # given a filed website yunqi.cn connected at alpha and beta
    # when the public pastes a full URL of a subdomain
    status, data = _json(alpha.client(), "https://www.yunqi.cn/index.html")
    # then the filing is found with its public fields and both providers
    assert status == 200
    assert data["query"] == {"kind": "domain", "value": "yunqi.cn"}
    assert data["count"] == 1
    [row] = data["results"]
    assert row["entity_name"] == "杭州云栖科技有限公司"
    assert row["service_number"] == registry["shop"].website_number
    assert row["address"] == "yunqi.cn"
    assert row["providers"] == ["Alpha Cloud", "Beta Cloud"]
    assert row["approved_on"] == "2026-05-01"


@pytest.mark.django_db
def test_r_q1_idn_domain_in_either_form(registry, beta):
    client = beta.client()
    for q in ("例子.中国", "xn--fsqu00a.xn--fiqs8s", "WWW.例子.中国"):
        status, data = _json(client, q)
        assert status == 200
        assert [r["address"] for r in data["results"]] == ["例子.中国"], q


@pytest.mark.django_db
def test_r_q1_entity_number_lists_all_its_services(registry, alpha):
    hz = registry["hz"]
    status, data = _json(Client(), hz.entity_number)
    assert status == 200
    assert sorted(r["service_number"] for r in data["results"]) == [
        f"{hz.entity_number}-1",
        f"{hz.entity_number}-2",
    ]
    # and the detail page of the entity lists them too, on the platform host
    page = Client().get(f"/query/entity/{hz.entity_number}/")
    assert page.status_code == 200
    assert "云栖商城网站" in page.content.decode()
    assert "云栖例子网站" in page.content.decode()


@pytest.mark.django_db
def test_r_q1_shell_entity_has_a_page_saying_so(registry):
    page = Client().get(f"/query/entity/{registry['shell'].entity_number}/")
    assert page.status_code == 200
    assert "空壳主体" in page.content.decode()
    assert Client().get("/query/entity/浙ICP备2099999999号/").status_code == 404


@pytest.mark.django_db
def test_r_q1_service_number_finds_one_website(registry, alpha):
    number = f"{registry['hz'].entity_number}-2"
    status, data = _json(alpha.client(), number)
    assert (status, [r["address"] for r in data["results"]]) == (200, ["例子.中国"])


@pytest.mark.django_db
def test_r_q1_name_piece_matches_entity_or_service_names_and_highlights(registry, alpha):
    client = alpha.client()
    # a piece of the entity name finds both of its websites
    _, data = _json(client, "云栖")
    assert data["count"] == 2
    # a piece of a website name only
    _, data = _json(client, "摄影")
    assert [r["service_name"] for r in data["results"]] == ["李四的摄影作品"]
    # the page marks the matched part, escaped
    html = client.get("/query/", {"q": "摄影"}).content.decode()
    assert "李四的<mark>摄影</mark>作品" in html


@pytest.mark.django_db
def test_r_q1_one_character_is_refused_with_a_hint(registry, alpha):
    response = alpha.client().get("/query/", {"q": "云"})
    assert response.status_code == 200
    assert "请至少输入2个字符" in response.content.decode()
    assert "杭州云栖" not in response.content.decode()
    status, data = _json(alpha.client(), "云")
    assert status == 400
    assert data["error"] == "bad_query"


@pytest.mark.django_db
def test_r_q1_like_wildcards_are_literal(registry, alpha):
    client = alpha.client()
    for q in ("%%", "__", "云%", "_栖", "\\%"):
        status, data = _json(client, q)
        assert (status, data["count"]) == (200, 0), q


@pytest.mark.django_db
def test_r_q1_wildcards_and_quotes_are_literal_in_longer_pieces_too(registry, alpha, beta):
    # given a website whose name holds the characters LIKE and FTS5 treat specially
    registry_website_file(
        entity=registry["person"], domain="odd-name.cn", name='百分%之_百"引号"店', provider=beta.provider
    )
    client = alpha.client()
    # when pieces of three or more characters (the length the SQLite trigram index serves) are
    # searched, with and without those characters
    # then each matches exactly the names holding it literally
    assert _names(client, "%之_") == ['百分%之_百"引号"店']
    assert _names(client, '"引号"') == ['百分%之_百"引号"店']
    assert _names(client, "之_百") == ['百分%之_百"引号"店']
    for q in ("%之%", "分_之", '"云栖', "云栖%", "商城_"):
        assert _names(client, q) == [], q
    assert _names(client, "云栖商") == ["云栖商城网站"]


@pytest.mark.django_db
def test_r_q1_longer_pieces_use_this_databases_name_index(registry, alpha, monkeypatch):
    # given the registry on this run's database (PostgreSQL or the embedded SQLite), and on
    # PostgreSQL no statistics yet (so every piece is collected through the index)
    from icpfiling.publicquery import selectors

    monkeypatch.setattr(selectors, "_stats", selectors._NameStats(at=float("inf")))
    client = alpha.client()
    # when a piece of three characters and one of two are searched
    with CaptureQueriesContext(connection) as three:
        assert _names(client, "云栖商") == ["云栖商城网站"]
    with CaptureQueriesContext(connection) as two:
        assert _names(client, "摄影") == ["李四的摄影作品"]
    # then the longer piece is looked up in the name index: the bigram GIN on PostgreSQL (0013),
    # the FTS5 trigram table on SQLite (0014), whose triggers exist for both tables
    [sql3], [sql2] = ([q["sql"] for q in c.captured_queries if "AS part" in q["sql"]] for c in (three, two))
    if connection.vendor == "postgresql":
        assert "icp_search_keys(w.search_text, w.id) @>" in sql3
        assert "icp_search_keys(w.search_text, w.id) @>" in sql2
        return
    assert "registry_filedwebsite_search MATCH" in sql3
    assert "registry_filedapp_search MATCH" in sql3
    assert "MATCH" not in sql2  # trigrams cannot serve two characters: LIKE on search_text
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'registry_%_search_%'"
        )
        triggers = sorted(r[0] for r in cur.fetchall())
    assert triggers == sorted(
        f"registry_filed{t}_search_{op}" for t in ("app", "website") for op in ("delete", "insert", "update")
    )


@pytest.mark.django_db
def test_r_q1_no_private_field_appears_in_any_response(registry, alpha):
    client = alpha.client()
    responses = [client.get("/query/", {"q": q}).content.decode() for q in ("李四", "lisi-blog.com", "云栖")]
    responses += [client.get("/query/api/", {"q": q}).content.decode() for q in ("李四", "lisi-blog.com")]
    responses.append(client.get(f"/query/entity/{registry['person'].entity_number}/").content.decode())
    for body in responses:
        assert SECRET_ID not in body
        assert SECRET_MOBILE not in body
        assert SECRET_PERSON not in body


@pytest.mark.django_db
def test_r_q1_keyset_pages_and_capped_count(alpha, settings, monkeypatch):
    from icpfiling.publicquery import selectors

    monkeypatch.setattr(selectors, "PAGE_SIZE", 2)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    entity = _entity("翻页测试科技有限公司", "91330106MA2H000015")
    for n in range(5):
        registry_website_file(
            entity=entity, domain=f"page{n}.cn", name=f"翻页测试网站{n}", provider=alpha.provider
        )
    client = alpha.client()
    _, first = _json(client, "翻页")
    assert (first["count"], first["count_capped"]) == (3, True)
    assert [r["address"] for r in first["results"]] == ["page4.cn", "page3.cn"]
    _, second = _json(client, "翻页", after=first["next_after"])
    assert [r["address"] for r in second["results"]] == ["page2.cn", "page1.cn"]
    _, third = _json(client, "翻页", after=second["next_after"])
    assert ([r["address"] for r in third["results"]], third["next_after"]) == (["page0.cn"], None)
    assert "找到 3+ 条备案信息" in client.get("/query/", {"q": "翻页"}).content.decode()


@pytest.mark.django_db
def test_r_q1_bad_parameters_answer_400_not_500(registry, alpha):
    client = alpha.client()
    for params in (
        {"q": "云栖", "after": "x"},
        {"q": "云栖", "after": "-1"},
        {"q": "云栖", "after": "9" * 40},
        {"q": "x" * 500},
    ):
        assert client.get("/query/api/", params).status_code == 400, params
        assert client.get("/query/", params).status_code == 200, params


@pytest.mark.django_db
def test_r_q1_freshness_after_approval_and_cancellation(registry, alpha):
    client = alpha.client()
    # given a website filed just now
    _, before = _json(client, "fresh-site.cn")
    assert before["count"] == 0
    registry_website_file(
        entity=registry["hz"], domain="fresh-site.cn", name="刚刚备案网站", provider=alpha.provider
    )
    # then it is searchable at once
    _, after = _json(client, "fresh-site.cn")
    assert after["count"] == 1
    # and once its entity is cancelled, neither it nor the entity is found
    registry_entity_cancel(entity=registry["hz"], who=Who(reason="注销主体"))
    _, gone = _json(client, "fresh-site.cn")
    assert gone["count"] == 0
    assert client.get(f"/query/entity/{registry['hz'].entity_number}/").status_code == 404


@pytest.mark.django_db
def test_r_q1_rate_limit_answers_429_with_retry_after(registry, alpha, settings):
    settings.THROTTLE_RATES = {"public-query": (("ip", "3/m"),)}
    client = alpha.client()
    codes = [client.get("/query/", {"q": "云栖"}, REMOTE_ADDR="10.1.1.1").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    limited = client.get("/query/api/", {"q": "云栖"}, REMOTE_ADDR="10.1.1.1")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 61
    assert json.loads(limited.content)["error"] == "rate_limited"
    # another address is not limited
    assert client.get("/query/", {"q": "云栖"}, REMOTE_ADDR="10.1.1.2").status_code == 200


WORKER_SCRIPT = """
import sys, django
django.setup()
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="localhost")
codes = [
    client.get("/query/api/", {"q": "云栖"}, REMOTE_ADDR="10.2.2.2").status_code
    for _ in range(int(sys.argv[1]))
]
print(",".join(map(str, codes)))
"""


@requires_redis
@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_q1_rate_limit_is_shared_by_two_worker_processes(tmp_path):
    # given a committed filing and two separate processes serving the portal (as two web workers)
    reference_data_load()  # an earlier transactional test may have emptied the tables
    entity = _entity("杭州云栖科技有限公司", "91330106MA2H000015")
    provider = Provider.objects.create(slug="gamma", name="Gamma Cloud")
    registry_website_file(entity=entity, domain="yunqi.cn", name="云栖商城网站", provider=provider)
    db = connection.settings_dict
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_SETTINGS"))},
        "DJANGO_SETTINGS_MODULE": "icpfiling.settings_test",
        "DATABASE_URL": "postgres://{}:{}@{}:{}/{}".format(
            db["USER"], db["PASSWORD"] or "", db["HOST"] or "127.0.0.1", db["PORT"] or 5432, db["NAME"]
        ),
        "REDIS_URL": redis_url(),
        "ICPFILING_VAR_DIR": str(tmp_path),
    }

    def worker(n: int) -> list[int]:
        out = subprocess.run(
            [sys.executable, "-c", WORKER_SCRIPT, str(n)], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        return [int(c) for c in out.stdout.strip().splitlines()[-1].split(",")]

    # when one address searches 40 times through the first and 25 times through the second
    first, second = worker(40), worker(25)
    # then the per-address limit (60 a minute) counted both: the second stops at the 61st search
    assert first == [200] * 40
    assert second == [200] * 20 + [429] * 5


def _answer(client: Client, q: str, **extra) -> tuple:
    data = _json(client, q, **extra)[1]
    return (
        data["count"],
        data["count_capped"],
        [r["service_number"] for r in data["results"]],
        [a["service_number"] for a in data["apps"]],
    )


@requires_postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    ("plan", "count", "window"),
    [
        ("collect", "collect", None),
        ("walk", "collect", None),  # nothing known: the walk goes down until the page is full
        ("walk", "walk", None),
        ("walk", "collect", 3.0),  # the walk bounded to a window that holds the page
        ("walk", "walk", 0.02),  # a window of one id: the rest is collected below it in the same statement
        ("buckets", "buckets", 3.0),  # the newest ids' bucketed keys
    ],
)
def test_r_q1_both_name_plans_give_the_same_answer(registry, alpha, monkeypatch, plan, count, window):
    # given the PostgreSQL plans for a name piece (collect through the bigram index, walk newest
    # first, unbounded or in a window sized from the statistics, or read the newest buckets; the
    # count likewise) and an app of the first entity
    from icpfiling.publicquery import selectors
    from icpfiling.registry.models import FiledApp, FiledWebsite

    monkeypatch.setattr(selectors, "page_plan", lambda term: plan)
    monkeypatch.setattr(selectors, "apps_plan", lambda term: "walk" if plan == "walk" else "collect")
    monkeypatch.setattr(selectors, "count_plan", lambda term: count)
    app = registry_app_file(
        entity=registry["hz"], kind="app", name="云栖摄影App", provider=alpha.provider, packages=[]
    )
    stats = selectors._NameStats(at=float("inf"))  # never stale: the page reads what is set here
    if window is not None:
        shares = dict.fromkeys(("云栖", "摄影", "有限", "%%", "栖商"), 0.5)
        stats.shares = {"websites": shares, "apps": shares}
        stats.top = {
            "websites": FiledWebsite.objects.latest("pk").pk,
            "apps": FiledApp.objects.latest("pk").pk,
        }
        monkeypatch.setattr(selectors, "WALK_WINDOW", window)
    monkeypatch.setattr(selectors, "_stats", stats)
    client = alpha.client()
    # when the same pieces are searched
    answers = {q: _answer(client, q) for q in ("云栖", "摄影", "有限", "%%", "栖商")}
    # then each plan finds exactly the names holding the piece, newest first, with the same counts
    hz, person = registry["hz"].entity_number, registry["person"].entity_number
    assert answers == {
        "云栖": (2, False, [f"{hz}-2", f"{hz}-1"], [app.service_number]),
        "摄影": (1, False, [f"{person}-1"], [app.service_number]),
        "有限": (2, False, [f"{hz}-2", f"{hz}-1"], [app.service_number]),
        "%%": (0, False, [], []),
        "栖商": (1, False, [f"{hz}-1"], []),
    }
    # and the second page after the newest holds the older one
    assert _answer(client, "云栖", after=registry["shop"].pk + 1)[2] == [f"{hz}-1"]
    registry_entity_cancel(entity=registry["hz"], who=Who(reason="注销主体"))
    assert _answer(client, "云栖") == (0, False, [], [])


@requires_postgres
@pytest.mark.django_db
def test_r_q1_plan_choice_reads_postgres_statistics(registry, alpha, monkeypatch):
    # given analysed name indexes in which every entity name holds 有限 and none holds 高腾,
    # and a process whose cached statistics are stale
    from django.db import connection as conn

    from icpfiling.publicquery import selectors

    with conn.cursor() as cur:
        cur.execute("ANALYZE registry_filedentity")
        cur.execute("ANALYZE registry_filedwebsite")
    client = alpha.client()
    client.get("/")  # the host is known
    monkeypatch.setattr(selectors, "_stats", selectors._NameStats())
    assert selectors.name_share("有限") == 0.0  # nothing known yet: every piece is collected
    # when one search runs, it brings them in its own statement
    with CaptureQueriesContext(conn) as ctx:
        _json(client, "高腾")
    assert len(ctx.captured_queries) == 1
    # then the shares follow the data: frequent bigrams walk, rare ones use the index
    assert selectors.name_share("有限") > 0.5
    assert selectors.name_share("高腾") == 0.0
    assert selectors._stats.rows > 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "q",
    [
        "yunqi.cn",
        "浙ICP备2026000001号",
        "浙ICP备2026000001号-1",
        "浙ICP备2026000001号-3A",
        "云栖",
        "有限",
        "无此名称",
    ],
)
def test_r_q1_every_search_is_one_statement(registry, alpha, django_assert_num_queries, q):
    # given a registry with websites and an app, and a warmed-up portal (host and statistics known)
    registry_app_file(entity=registry["hz"], kind="app", name="云栖App", provider=alpha.provider, packages=[])
    client = alpha.client()
    client.get("/query/", {"q": "云栖"})
    # when anyone searches, on the page, on its second page and in the JSON
    # then each answer costs one database statement, whatever was typed
    with django_assert_num_queries(1):
        assert client.get("/query/", {"q": q}).status_code == 200
    with django_assert_num_queries(1):
        assert client.get("/query/", {"q": q, "after": registry["shop"].pk + 1}).status_code == 200
    with django_assert_num_queries(1):
        assert client.get("/query/api/", {"q": q}).status_code == 200


@requires_postgres
@pytest.mark.django_db
def test_r_q1_every_search_is_one_statement_on_both_postgres_plans(registry, alpha, monkeypatch):
    from django.db import connection as conn

    from icpfiling.publicquery import selectors

    client = alpha.client()
    client.get("/query/", {"q": "云栖"})
    stats = selectors._NameStats(at=float("inf"), shares={"websites": {"有限": 0.5}, "apps": {"有限": 0.5}})
    stats.top = {"websites": registry["shop"].pk + 5, "apps": 1}
    monkeypatch.setattr(selectors, "_stats", stats)
    for plan in ("collect", "buckets", "walk"):
        monkeypatch.setattr(selectors, "page_plan", lambda term, p=plan: p)
        monkeypatch.setattr(selectors, "apps_plan", lambda term, p=plan: "walk" if p == "walk" else "collect")
        monkeypatch.setattr(selectors, "count_plan", lambda term, p=plan: p)
        with CaptureQueriesContext(conn) as ctx:
            client.get("/query/", {"q": "有限"})
        assert len(ctx.captured_queries) == 1, plan


@requires_postgres
@pytest.mark.django_db
def test_r_q1_app_names_are_collected_through_their_bigram_index(registry, alpha, monkeypatch):
    # given an app whose name (not its entity's) holds the piece, and the collecting plan
    from django.db import connection as conn

    from icpfiling.publicquery import selectors

    monkeypatch.setattr(selectors, "page_plan", lambda term: "collect")
    monkeypatch.setattr(selectors, "apps_plan", lambda term: "collect")
    app = registry_app_file(
        entity=registry["person"],
        kind="mini_program",
        name="摄影打卡小程序",
        provider=alpha.provider,
        packages=[],
    )
    # when the piece is searched, the app is found
    assert _answer(alpha.client(), "打卡") == (0, False, [], [app.service_number])
    # and the app's search-text condition of that statement is served by the GIN index of
    # registry 0013 (sequential scans priced out, as on a registry with millions of apps)
    condition = selectors.NAME_MATCH.format(keys="icp_bigrams(a.search_text)", col="a.search_text")
    with conn.cursor() as cur:
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute(f"EXPLAIN SELECT a.id FROM registry_filedapp a WHERE {condition}", [["打卡"], "%打卡%"])  # noqa: S608 - the module constant
        plan = "\n".join(r[0] for r in cur.fetchall())
    assert "Bitmap Index Scan on filed_app_search_bigrams" in plan, plan
    assert "Seq Scan on registry_filedapp" not in plan


@pytest.mark.django_db
def test_r_q1_apps_are_found_by_the_domains_they_use(registry, alpha):
    # given an app that uses a subdomain of a domain no website files, and a cancelled one
    app = registry_app_file(
        entity=registry["hz"],
        kind="app",
        name="云栖记账",
        provider=alpha.provider,
        packages=[],
        domains=["api.yunqi-app.cn", "https://cdn.yunqi-app.cn/x"],
    )
    gone = registry_app_file(
        entity=registry["person"],
        kind="app",
        name="旧应用",
        provider=alpha.provider,
        packages=[],
        domains=["old-app.cn"],
    )
    gone.status = RegistryStatus.CANCELLED
    gone.save(update_fields=["status"])
    client = alpha.client()
    # when the public types any URL of that domain
    # then the app is listed (no website), once, and the cancelled app's domain finds nothing
    assert _answer(client, "www.yunqi-app.cn") == (0, False, [], [app.service_number])
    assert _answer(client, "old-app.cn") == (0, False, [], [])
    assert "云栖记账" in client.get("/query/", {"q": "yunqi-app.cn"}).content.decode()


@pytest.mark.django_db
def test_r_q1_rate_limit_counts_the_client_behind_the_proxy(registry, alpha, settings):
    # given one trusted proxy in front and a limit of 3 searches per address (the portal's one table)
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.THROTTLE_RATES = {"public-query": (("ip", "3/m"),)}
    client = alpha.client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}
    # when one visitor behind the proxy searches four times
    codes = [
        client.get("/query/", {"q": "云栖"}, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy).status_code
        for _ in range(4)
    ]
    # then that visitor is limited, and another visitor through the same proxy is not
    assert codes == [200, 200, 200, 429]
    assert (
        client.get("/query/", {"q": "云栖"}, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy).status_code == 200
    )


def _names(client: Client, q: str) -> list[str]:
    status, data = _json(client, q)
    assert status == 200, data
    return sorted(r["service_name"] for r in data["results"] + data["apps"])


@pytest.mark.django_db
def test_r_q1_renamed_entities_websites_and_apps_are_found_by_their_new_names_at_once(registry, alpha, beta):
    # given the registry at two providers and an app of the first entity
    app = registry_app_file(
        entity=registry["hz"], kind="app", name="云栖记账", provider=alpha.provider, packages=[]
    )
    who = Who(provider_id=alpha.provider.pk, reason="变更")
    client = beta.client()
    assert _names(client, "云栖") == ["云栖例子网站", "云栖商城网站", "云栖记账"]
    # when the entity, one website and the app are renamed by approved changes (R-C1, R-C2)
    registry_entity_change(
        entity=registry["hz"],
        before={"entity_name": "杭州云栖科技有限公司"},
        after={"entity_name": "杭州远山科技有限公司"},
        who=who,
    )
    registry_service_change(
        service=registry["shop"], before={"name": "云栖商城网站"}, after={"name": "远山商城"}, who=who
    )
    registry_app_change(app=app, before={"name": "云栖记账"}, after={"name": "远山记账"}, who=who)
    # then the new names are found at once, from either provider's host, and the old ones only
    # where a service still carries them in its own name
    assert _names(client, "远山") == ["云栖例子网站", "远山商城", "远山记账"]
    assert _names(alpha.client(), "远山") == ["云栖例子网站", "远山商城", "远山记账"]
    assert _names(client, "云栖") == ["云栖例子网站"]
    # and the other entity's website is untouched
    assert _names(client, "摄影") == ["李四的摄影作品"]


@pytest.mark.django_db
def test_r_q1_a_cancelled_website_leaves_the_search_and_its_entitys_others_stay(registry, alpha):
    # given two websites of one entity
    client = alpha.client()
    assert _names(client, "云栖") == ["云栖例子网站", "云栖商城网站"]
    # when one is cancelled (R-C5)
    registry_service_cancel(
        service=registry["shop"], who=Who(provider_id=alpha.provider.pk, reason="注销网站")
    )
    # then only the other is found, by its name and by its entity's
    assert _names(client, "云栖") == ["云栖例子网站"]
    assert _names(client, "科技有限") == ["云栖例子网站"]


@pytest.mark.django_db
def test_r_q1_names_are_matched_as_the_box_normalises_them_full_width_and_case(registry, alpha, beta):
    # given a website filed with full-width Latin letters and digits in its name
    registry_website_file(
        entity=registry["person"], domain="abc-shop.cn", name="ＡＢＣ１２３小店", provider=beta.provider
    )
    # when the public types them half-width, in either case
    # then the website is found each way (NFKC and lower case, as the search box normalises)
    for q in ("abc123", "ABC1", "ｂｃ１２"):
        assert _names(alpha.client(), q) == ["ＡＢＣ１２３小店"], q


@pytest.mark.django_db
def test_r_q1_the_upgrade_fills_the_search_text_of_existing_active_services(registry, alpha):
    # given services filed before the search column existed (empty), one of them cancelled
    from django.apps import apps as django_apps

    from icpfiling.registry.models import FiledApp, FiledWebsite

    app = registry_app_file(
        entity=registry["person"], kind="app", name="摄影App", provider=alpha.provider, packages=[]
    )
    registry_service_cancel(service=registry["shop"], who=Who(reason="注销网站"))
    FiledWebsite.objects.update(search_text="")
    FiledApp.objects.update(search_text="")
    assert _names(alpha.client(), "云栖") == []
    # when the migration's fill runs
    migration = importlib.import_module("icpfiling.registry.migrations.0013_search_text")
    migration.fill(django_apps, None)
    # then every active service is searchable again with the text a new filing gets, the
    # cancelled one is not
    texts = dict(FiledWebsite.objects.values_list("website_number", "search_text"))
    assert texts == {
        registry["shop"].website_number: "",
        f"{registry['hz'].entity_number}-2": "云栖例子网站\x1f杭州云栖科技有限公司",
        f"{registry['person'].entity_number}-1": "李四的摄影作品\x1f李四",
    }
    assert FiledApp.objects.get(pk=app.pk).search_text == "摄影app\x1f李四"
    assert _names(alpha.client(), "云栖") == ["云栖例子网站"]


@pytest.mark.django_db
def test_r_q1_after_the_whole_demo_every_search_text_follows_its_rows():
    # given the demo at both providers: filings approved by the authority, a cancelled
    # (empty-shell) entity's websites, apps, changes and cancellations of its lifecycle
    from icpfiling.demo.seed import demo_seed
    from icpfiling.registry.models import FiledApp, FiledWebsite
    from icpfiling.registry.search_text import search_text_of

    demo_seed()
    # when each service's text is compared with what its rows say now
    rows = [
        (s.search_text, s.name, s.status, s.entity.name, s.entity.status)
        for model in (FiledWebsite, FiledApp)
        for s in model.objects.select_related("entity")
    ]
    # then every active service (and only those) is searchable by its name and its entity's
    assert {r[2] for r in rows} == {"active", "cancelled"}
    for text, name, status, entity_name, entity_status in rows:
        active = status == "active" and entity_status == "active"
        assert text == (search_text_of(name, entity_name) if active else ""), (name, status, entity_status)


@requires_postgres
@pytest.mark.django_db
@pytest.mark.parametrize("window", [3.0, 4000.0])
def test_r_q1_the_bucketed_plan_reads_the_newest_buckets_then_collects_the_rest(
    registry, alpha, beta, monkeypatch, window
):
    # given two websites holding 云栖 and two newer ones two buckets (2 × 16,384 ids) later, and
    # statistics saying 云栖 is in half of all names
    from django.db import connection as conn

    from icpfiling.publicquery import selectors

    with conn.cursor() as cur:
        cur.execute(
            "SELECT setval('registry_filedwebsite_id_seq', (SELECT max(id) FROM registry_filedwebsite) + %s)",
            [2 * selectors.BUCKET],
        )
    newer = [
        registry_website_file(
            entity=registry["hz"], domain=f"yq-new{n}.cn", name=f"云栖新站{n}", provider=beta.provider
        )
        for n in (1, 2)
    ]
    stats = selectors._NameStats(at=float("inf"), shares={"websites": {"云栖": 0.5}, "apps": {}})
    stats.top = {"websites": newer[-1].pk, "apps": 0}
    monkeypatch.setattr(selectors, "_stats", stats)
    monkeypatch.setattr(selectors, "page_plan", lambda term: "buckets")
    monkeypatch.setattr(selectors, "count_plan", lambda term: "buckets")
    # when the window is the newest bucket only (the older matches are then collected below it in
    # the same statement) or reaches back over every bucket
    monkeypatch.setattr(selectors, "WALK_WINDOW", window)
    monkeypatch.setattr(selectors, "COUNT_WINDOW", window)
    hz = registry["hz"].entity_number
    answer = _answer(alpha.client(), "云栖")
    # then all four are found, newest first, and counted once each
    assert answer == (4, False, [f"{hz}-4", f"{hz}-3", f"{hz}-2", f"{hz}-1"], [])
    # and the page after the newest starts at the next one
    assert _answer(alpha.client(), "云栖", after=newer[-1].pk)[2] == [f"{hz}-3", f"{hz}-2", f"{hz}-1"]


def test_r_q1_result_links_are_the_urls_reverse_gives():
    # given the entity-page URL built once per page for its rows
    from django.urls import reverse

    from icpfiling.publicquery.views import entity_url_maker

    url_of = entity_url_maker()
    # when numbers of every province prefix and odd characters are linked
    # then each link is exactly what reverse() gives
    for number in ("浙ICP备2026000001号", "京ICP证030173号", "蜀ICP备2026000002号", "a b%c?#&=+'", "0"):
        assert url_of(number) == reverse("query:entity", args=[number]), number


@requires_postgres
@pytest.mark.django_db
def test_r_q1_the_portals_postgres_sessions_run_without_jit_or_parallel_workers():
    # given the portal's database connection (settings.DATABASES)
    # when its session settings are read
    with connection.cursor() as cur:
        cur.execute("SELECT current_setting('jit'), current_setting('max_parallel_workers_per_gather')")
        settings_now = cur.fetchone()
    # then a page's statement is never compiled nor handed to parallel workers (each cost a search
    # more than the search itself: about 100 ms of JIT, several ms to start workers)
    assert settings_now == ("off", "0")


@requires_postgres
@pytest.mark.django_db
def test_r_q1_the_index_function_buckets_ids_as_the_selector_names_the_buckets():
    # given the bucket size the selector names its keys by (BUCKET_BITS) and the SQL function of
    # registry 0013 that writes the keys (which keeps its own copy of the size)
    from icpfiling.publicquery import selectors

    # when the function keys a text at the first id of the third bucket and the last of the second
    with connection.cursor() as cur:
        cur.execute(
            "SELECT icp_search_keys('杭州', %s), icp_search_keys('杭州', %s)",
            [3 * selectors.BUCKET, 3 * selectors.BUCKET - 1],
        )
        third, second = cur.fetchone()
    # then they are the keys the selector asks for in those buckets
    assert sorted(third) == ["杭州", "杭州#3"]
    assert sorted(second) == ["杭州", "杭州#2"]
