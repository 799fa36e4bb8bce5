"""The simulated users of ``scripts/bench_load.py`` (a locustfile; that script runs it headless).

Configured from the environment the script sets: ``BENCH_ACCOUNTS`` (the seeded accounts and
TOTP keys), ``BENCH_MIX`` and ``BENCH_OFFSETS`` (users and first account per kind),
``BENCH_COUNTERS`` (where the users' own counts of each transition are written at the end),
``BENCH_RUN`` (keeps generated domains and numbers unique), ``BENCH_PORT`` and ``BENCH_PACE``
(``page``: a pause before each click or submit; ``task``: between steps only).

Every request carries the Host of its tenant and the headers of the TLS proxy in front of
production, and is named by its page kind. Each task is one step of a journey, so a user that
is stopped at the end of the run never leaves a counted action half-seen.
"""

from __future__ import annotations

import collections
import html
import io
import itertools
import json
import os
import random
import re
import time
from datetime import date, timedelta
from pathlib import Path

import gevent
from django_otp.oath import TOTP
from locust import HttpUser, between, constant, events, task
from PIL import Image, ImageDraw
from stdnum.cn import ric, uscc

ACCOUNTS = (
    json.loads(Path(os.environ["BENCH_ACCOUNTS"]).read_text()) if "BENCH_ACCOUNTS" in os.environ else {}
)
MIX: dict[str, int] = json.loads(os.environ.get("BENCH_MIX", "{}"))
OFFSETS: dict[str, int] = json.loads(os.environ.get("BENCH_OFFSETS", "{}"))
RUN = os.environ.get("BENCH_RUN", "x")
PORT = os.environ.get("BENCH_PORT", "8300")
COUNTS: collections.Counter = collections.Counter()
# Numbers (credit codes, ID numbers, mobiles) count up from a random base per process, so the
# light pass and the load pass never file the same entity twice.
BASE = random.randrange(10**6, 9 * 10**6)  # noqa: S311
MAX_OPEN_ORDERS = 2  # an applicant files another order while at most this many are in progress
RETURN_SHARE = 0.3  # share of first reviews that are returned once
# How long a user reads or fills a page before the next click or submit (seconds). "page": before
# every request the user makes (a browser following a redirect makes no pause); "task": only
# between steps, so a whole filing (about 15 requests) runs back to back, as earlier runs did.
THINK = (1.0, 3.0)
PACE = os.environ.get("BENCH_PACE", "page")

STATUS = {
    "未提交": "draft",
    "等待接入商审核": "provider_review",
    "已退回待修改": "returned",
    "等待核验": "verification",
    "接入商复审": "provider_recheck",
    "工信部短信核验": "sms_verification",
    "等待管局审核": "authority_review",
    "已备案": "approved",
    "已失效": "expired",
    "已放弃": "abandoned",
}
OPEN = {"draft", "provider_review", "returned", "verification", "provider_recheck", "sms_verification"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
MESSAGES = re.compile(r'<ul class="messages"[^>]*>(.*?)</ul>', re.S)
MESSAGE = re.compile(r'<li class="([a-z ]*)">(.*?)</li>', re.S)


def _jpeg(seed: int, size: tuple[int, int] = (1000, 750)) -> bytes:
    """A small colour JPEG (about 30 KB) that passes the upload pipeline's checks."""
    rng = random.Random(seed)  # noqa: S311 - test content
    im = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(im)
    for _ in range(40):
        x, y = rng.randrange(size[0]), rng.randrange(size[1])
        r = rng.randrange(20, 200)
        draw.ellipse([x - r, y - r, x + r, y + r], fill=tuple(rng.randrange(256) for _ in range(3)))
    draw.text((20, 20), f"SAMPLE {seed}", fill=(0, 0, 0))
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


IMAGES = [_jpeg(n) for n in range(8)]


def messages_of(page: str) -> list[tuple[str, str]]:
    block = MESSAGES.search(page)
    return [(kind, html.unescape(text)) for kind, text in MESSAGE.findall(block.group(1))] if block else []


def page_errors(page: str) -> list[str]:
    """Field errors and the error summary's items, for failure reports."""
    summary = (
        page.split('class="error-summary"', 1)[1].split("</div>", 1)[0] if "error-summary" in page else ""
    )
    found = re.findall(r'class="err[^"]*"[^>]*>([^<]+)<', page) + re.findall(
        r"<li>(?:<a[^>]*>)?([^<]+)", summary
    )
    return [html.unescape(e).strip() for e in found][:4]


def has_message(page: str, text: str) -> bool:
    return any(text in m for _k, m in messages_of(page))


class _Sms:
    """The console SMS gateway's files (var/sms): the applicants' phones. Read once each."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.codes: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)

    def latest_code(self, mobile: str) -> str | None:
        folder = ACCOUNTS.get("sms_dir")
        if folder and os.path.isdir(folder):
            for entry in sorted(os.scandir(folder), key=lambda e: e.name):
                if entry.name in self.seen:
                    continue
                self.seen.add(entry.name)
                text = Path(entry.path).read_text(encoding="utf-8")
                to = text.split("\n", 1)[0].removeprefix("to: ").strip()
                code = re.search(r"核验码为(\d{6})", text)
                if code:
                    self.codes[to].append((entry.name, code.group(1)))
        found = self.codes.get(mobile)
        return found[-1][1] if found else None


SMS = _Sms()
_serial = itertools.count(1)
_account_index = collections.defaultdict(itertools.count)
RETURNED_ONCE: set[int] = set()  # orders some reviewer already returned (first rounds only)


def refuse(name: str, message: str) -> None:
    """An outcome the journey did not expect although HTTP said OK: counted as an error."""
    events.request.fire(
        request_type="CHECK", name=name, response_time=0, response_length=0, exception=RuntimeError(message)
    )


SLOW_MS = 400  # requests at least this slow are listed with the moment (epoch) they started
SLOW: list[tuple[float, str, int]] = []
_STARTED = time.time()


@events.request.add_listener
def _note_slow(request_type, name, response_time, **kwargs):
    # Whether the slow tail comes in bursts (a stall) or spread out (queueing) tells what to fix.
    if response_time >= SLOW_MS:
        SLOW.append((round(time.time() - response_time / 1000, 2), name, round(response_time)))


@events.quitting.add_listener
def _write_counters(environment, **kwargs):
    path = os.environ.get("BENCH_COUNTERS")
    if path:
        Path(path).write_text(
            json.dumps({"counts": dict(COUNTS), "started": _STARTED, "slow": SLOW}, indent=1)
        )


class BenchUser(HttpUser):
    abstract = True
    # Paced by page: the pauses are think()'s, before each request; by task: between steps only.
    wait_time = constant(0) if PACE == "page" else between(*THINK)
    kind = ""

    def on_start(self) -> None:
        n = next(_account_index[self.kind]) + OFFSETS.get(self.kind, 0)
        self.account, self.host_name = self.pick_account(n)
        self.address = f"10.{next(_serial) % 250}.{random.randrange(250)}.{random.randrange(1, 250)}"  # noqa: S311
        self.csrf = ""
        self.login()

    def pick_account(self, n: int) -> tuple[dict, str]:
        tenant = ("alpha", "beta")[n % 2]
        data = ACCOUNTS["tenants"][tenant]
        return data[self.kind][n // 2], data["host"]

    # --- requests -------------------------------------------------------------------------

    def think(self) -> None:
        """The user reads the page or fills the form before the next click or submit."""
        if PACE == "page":
            gevent.sleep(random.uniform(*THINK))  # noqa: S311

    def headers(self, post: bool = False) -> dict[str, str]:
        h = {
            "Host": f"{self.host_name}:{PORT}",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": self.address,
            "Accept-Language": "zh-CN",
        }
        # The stack runs behind "the TLS proxy": its session and CSRF cookies are Secure and this
        # client speaks plain HTTP to 127.0.0.1 with another Host, so requests would not send them
        # by itself. Each simulated user talks to one host only: send what it was given, as the
        # browser does over HTTPS.
        jar = "; ".join(f"{c.name}={c.value}" for c in self.client.cookies)
        if jar:
            h["Cookie"] = jar
        if post:
            h["Origin"] = f"https://{self.host_name}:{PORT}"
        return h

    def get(self, path: str, name: str, ok=(200,), follow: bool = False) -> str:
        """GET a page; ``follow``: the browser following a redirect, so the user makes no pause."""
        if not follow:
            self.think()
        with self.client.get(
            path, headers=self.headers(), name=name, allow_redirects=False, catch_response=True
        ) as r:
            self.last_status = r.status_code
            if r.status_code not in ok:
                r.failure(f"GET {r.status_code}")
                return ""
            r.success()
            token = CSRF.search(r.text)
            if token:
                self.csrf = token.group(1)
            return r.text

    def post(
        self, path: str, data: dict, name: str, *, files=None, ok=(302,), accept: str = ""
    ) -> tuple[int, str, str]:
        """POST without following; returns (status, Location, body)."""
        self.think()
        headers = self.headers(post=True)
        if accept:
            headers["Accept"] = accept
        data = {**data, "csrfmiddlewaretoken": self.csrf}
        with self.client.post(
            path,
            data=data,
            files=files,
            headers=headers,
            name=name,
            allow_redirects=False,
            catch_response=True,
        ) as r:
            if r.status_code not in ok:
                r.failure(f"POST {r.status_code} {' / '.join(page_errors(r.text)) or r.text[:120]!r}")
            else:
                r.success()
            return r.status_code, r.headers.get("Location", ""), r.text

    def login(self) -> None:
        self.get("/accounts/login/", "login: page")
        status, _location, _ = self.post(
            "/accounts/login/",
            {"username": self.account["email"], "password": self.account["password"]},
            "login: password",
        )
        if status != 302:
            raise RuntimeError(f"login failed for {self.account['email']}")
        if "totp_key" in self.account:
            # The middleware sends staff from any page to the code page until the code is entered.
            self.get("/", "login: redirect to second factor", ok=(302,), follow=True)
            page = self.get("/accounts/2fa/verify/?next=/", "login: second factor page", follow=True)
            if 'name="token"' not in page:
                raise RuntimeError(f"no second-factor step for {self.account['email']}")
            code = TOTP(bytes.fromhex(self.account["totp_key"])).token()
            status, _location, _ = self.post(
                "/accounts/2fa/verify/", {"token": f"{code:06d}", "next": "/"}, "login: second factor code"
            )
            if status != 302:
                raise RuntimeError(f"second factor refused for {self.account['email']}")


# ---------------------------------------------------------------------------------------------
# Applicants
# ---------------------------------------------------------------------------------------------

ORDER_ROW = re.compile(
    r'<a href="/orders/(\d+)/">#\d+</a>.*?data-label="[^"]*">([^<]*)</td><td data-label="[^"]*">[^<]*</td>'
    r'<td data-label="[^"]*">\d+</td><td data-label="[^"]*">([^<]*)</td>',
    re.S,
)
PLACES = {"ZJ": ("330106", "杭州市", "西湖区"), "GD": ("440106", "广州市", "天河区")}


class ApplicantUser(BenchUser):
    kind = "applicant"
    fixed_count = MIX.get("applicant", 0)

    def on_start(self) -> None:
        super().on_start()
        self.orders: dict[int, dict] = {}  # pk -> what this user typed (mobile, names)
        self.booked: set[int] = set()

    @task
    def step(self) -> None:
        page = self.get("/orders/", "applicant: order list")
        rows = [
            (int(pk), STATUS.get(html.unescape(s).split(" · ")[0].strip(), s))
            for pk, _e, s in ORDER_ROW.findall(page)
        ]
        mine = [(pk, status) for pk, status in rows if pk in self.orders]
        for pk, status in mine:
            if status == "returned":
                return self.resubmit(pk)
            if status == "verification" and pk not in self.booked:
                return self.book(pk)
            if status == "sms_verification" and self.enter_sms(pk):
                return None
        for pk, status in mine:
            if status == "approved" and not self.orders[pk].get("seen_approved"):
                self.orders[pk]["seen_approved"] = True
                self.get(f"/orders/{pk}/", "applicant: order detail")
                return None
        if sum(status in OPEN for _pk, status in mine) < MAX_OPEN_ORDERS:
            return self.create_order()
        if mine:
            self.get(f"/orders/{random.choice(mine)[0]}/", "applicant: order detail")  # noqa: S311
        return None

    # --- filing -----------------------------------------------------------------------------

    def _numbers(self) -> dict:
        n = BASE + next(_serial)
        province = random.choice(("ZJ", "GD"))  # noqa: S311
        area, city, county = PLACES[province]
        body = f"91{area}MA{n % 10**7:07d}"
        born = date(1970, 1, 1) + timedelta(days=n % 10000)  # adults only (R-V: 18+)
        rid_body = f"{area}{born:%Y%m%d}{n // 10000 % 1000:03d}"
        return {
            "province": province,
            "city": city,
            "county": county,
            "uscc": body + uscc.calc_check_digit(body),
            "ric": rid_body + ric.calc_check_digit(rid_body + "0"),
            "mobile": f"139{n % 10**8:08d}",
            "emergency": f"138{n % 10**8:08d}",
            "domain": f"bench-{RUN.lower()}-{n}.cn",
            "name": f"{city[:2]}压测{n}科技有限公司",
        }

    def _entity_form(self, n: dict, suffix: str = "") -> dict:
        return {
            "entity_name": n["name"],
            "registered_address": f"{n['city']}{n['county']}压测路 {len(n['domain'])} 号",
            "communication_address": f"{n['city']}{n['county']}压测路 {len(n['domain'])} 号 6 楼{suffix}",
            "investor": n["name"],
            "principal_is_legal_rep": "on",
            "principal_name": "压测负责人",
            "principal_id_type": "resident_id",
            "principal_id_number": n["ric"],
            "principal_id_long_term": "on",
            "principal_mobile": n["mobile"],
            "principal_email": f"legal@{n['domain']}",
            "emergency_mobile": n["emergency"],
            "licence_long_term": "on",
            "business_scope": "技术开发、技术服务；软件开发；互联网信息服务。",
        }

    def create_order(self) -> None:
        n = self._numbers()
        self.get("/orders/new/", "applicant: new order form")
        status, location, _ = self.post(
            "/orders/new/",
            {
                "province": n["province"],
                "city": n["city"],
                "county": n["county"],
                "nature": "4",
                "certificate_type": "business_licence",
                "certificate_number": n["uscc"],
                "domain": n["domain"],
            },
            "applicant: detect type (creates the order)",
        )
        match = re.match(r"/orders/(\d+)/entity/", location)
        if status != 302 or not match:
            return
        pk = int(match.group(1))
        self.orders[pk] = n
        COUNTS["created"] += 1
        self.get(location, "applicant: entity step", follow=True)
        status, location, _ = self.post(
            location, {**self._entity_form(n), "next": "1"}, "applicant: save entity step"
        )
        if status != 302:
            return
        page = self.get(f"/orders/{pk}/websites/", "applicant: websites step", follow=True)
        site = re.search(rf"/orders/{pk}/websites/(\d+)/", page)
        if not site:
            return
        edit = f"/orders/{pk}/websites/{site.group(1)}/"
        page = self.get(edit, "applicant: website form")
        servers = re.findall(
            r'<option value="(\d+)"', page.split('name="server"', 1)[-1].split("</select>", 1)[0]
        )
        today = date.today()  # noqa: DTZ011 - a form value, days apart from any time zone edge
        status, location, _ = self.post(
            edit,
            {
                "name": n["name"].replace("有限公司", "官网"),
                "domain_display": n["domain"],
                "homepage_url": f"https://{n['domain']}/",
                "service_content": "unit_portal",
                "languages": "zh-hans",
                "server": servers[(len(self.orders) - 1) // 4 % len(servers)] if servers else "",
                "domain_real_name_on": (today - timedelta(days=30)).isoformat(),
                "domain_expires_on": (today + timedelta(days=700)).isoformat(),
                "domain_registrant": n["name"],
                "domain_registrar": "阿里云计算有限公司（万网）",
                "principal_same_as_entity": "on",
                "next": "1",
            },
            "applicant: save website",
        )
        if status != 302:
            return
        self.get(location, "applicant: websites step", follow=True)  # the list, this site now complete
        page = self.get(f"/orders/{pk}/materials/", "applicant: materials page")
        for i, slot in enumerate(dict.fromkeys(re.findall(r'name="slot" value="([^"]+)"', page))):
            self.post(
                f"/orders/{pk}/materials/upload/",
                {"slot": html.unescape(slot)},
                "applicant: upload material (JPEG)",
                files={"file": (f"scan-{i}.jpg", IMAGES[(pk + i) % len(IMAGES)], "image/jpeg")},
                ok=(200,),
                accept="application/json",
            )
        self.submit(pk, "submit")

    def submit(self, pk: int, action: str) -> None:
        self.get(f"/orders/{pk}/preview/", "applicant: preview")
        status, location, _body = self.post(f"/orders/{pk}/preview/", {}, "applicant: submit", ok=(302, 200))
        if status == 302 and location == f"/orders/{pk}/":
            page = self.get(location, "applicant: order detail", follow=True)
            if has_message(page, "已提交"):
                COUNTS[action] += 1
                return
        with self.client.get(
            f"/orders/{pk}/preview/", headers=self.headers(), name="applicant: preview"
        ) as r:
            errors = re.findall(r"<li>(?:<a[^>]*>)?([^<]+)", r.text.split("</h1>", 1)[-1])[:4]
        refuse(f"applicant: {action} refused", f"order {pk} not submitted: {errors}")

    def resubmit(self, pk: int) -> None:
        n = self.orders[pk]
        self.get(f"/orders/{pk}/entity/", "applicant: entity step")
        self.post(
            f"/orders/{pk}/entity/",
            {**self._entity_form(n, suffix=" 601 室"), "save": "1"},
            "applicant: save entity step",
            ok=(200,),
        )
        self.submit(pk, "resubmit")

    def book(self, pk: int) -> None:
        page = self.get(f"/orders/{pk}/verification/", "applicant: verification booking page")
        free = re.findall(r'name="slot" value="(\d+)" required>', page)
        if not free:
            return
        status, location, _ = self.post(
            f"/orders/{pk}/verification/book/", {"slot": free[0]}, "applicant: book a slot"
        )
        page = ""
        if status == 302:
            page = self.get(location, "applicant: verification booking page", follow=True)
        if has_message(page, "已预约"):
            self.booked.add(pk)

    def enter_sms(self, pk: int) -> bool:
        code = SMS.latest_code(self.orders[pk]["mobile"])
        if code is None:
            return False  # the worker has not sent it yet
        page = self.get(f"/orders/{pk}/sms/", "applicant: sms check page")
        challenges = re.findall(r'id="code-(\d+)" name="code"', page)
        if not challenges:
            return False
        status, location, _ = self.post(
            f"/orders/{pk}/sms/{challenges[0]}/enter/",
            {"code": code},
            "applicant: enter sms code",
            ok=(302, 200),
        )
        if status == 302 and location == f"/orders/{pk}/":
            page = self.get(location, "applicant: order detail", follow=True)
            if has_message(page, "短信核验已全部完成"):
                COUNTS["sms_passed"] += 1
        return True


# ---------------------------------------------------------------------------------------------
# Staff
# ---------------------------------------------------------------------------------------------

QUEUE_ROW = re.compile(
    r'<a href="/review/(\d+)/">#\d+</a>.*?</td>\s*<td>.*?</td>\s*<td>.*?</td>'
    r"\s*<td>([^<]*)</td>\s*<td>([^<]*)</td>",
    re.S,
)


class ReviewerUser(BenchUser):
    kind = "reviewer"
    fixed_count = MIX.get("reviewer", 0)

    @task
    def step(self) -> None:
        page = self.get("/review/", "reviewer: queue")
        mine, free = [], []
        for pk, status, holder in QUEUE_ROW.findall(page):
            status, holder = html.unescape(status).strip(), html.unescape(holder).strip()
            row = (int(pk), STATUS.get(status, status))
            if holder == self.account["name"]:
                mine.append(row)
            elif holder == "未认领":
                free.append(row)
        if not (mine or free):
            return
        pk, status = mine[0] if mine else random.choice(free[:5])  # noqa: S311
        page = self.get(f"/review/{pk}/", "reviewer: order page")
        if status == "provider_recheck":
            self.act(pk, "submit", {}, "reviewer: submit to authority", "已提交管局", "submit_to_authority")
            return
        if status != "provider_review":
            return
        if not mine and not self.act(pk, "claim", {}, "reviewer: claim", "已认领", None):
            return
        if pk not in RETURNED_ONCE and random.random() < RETURN_SHARE:  # noqa: S311
            RETURNED_ONCE.add(pk)
            form = {
                "r-TOTAL_FORMS": "4",
                "r-INITIAL_FORMS": "0",
                "r-MIN_NUM_FORMS": "0",
                "r-MAX_NUM_FORMS": "50",
            }
            form.update(
                {
                    "r-0-field": "entity.communication_address",
                    "r-0-reason": "通讯地址不详细，需具体到门牌号。",
                    "r-0-suggestion": "请写到室号，例如 601 室。",
                }
            )
            self.act(pk, "return", form, "reviewer: return", "已退回申请人修改", "provider_return")
            return
        person = re.search(r'name="person"[^>]*value="([^"]*)"', page)
        if not self.act(
            pk,
            "phone-check",
            {"person": html.unescape(person.group(1)) if person else "负责人", "outcome": "confirmed"},
            "reviewer: record phone check",
            "电话核实结果已记录",
            None,
        ):
            return
        self.act(pk, "pass", {}, "reviewer: pass", "初审通过", "provider_pass")

    def act(self, pk: int, path: str, data: dict, name: str, success: str, counted: str | None) -> bool:
        status, location, _ = self.post(f"/review/{pk}/{path}/", data, name)
        if status != 302:
            return False
        page = self.get(location, "reviewer: order page", follow=True)
        if has_message(page, success):
            if counted:
                COUNTS[counted] += 1
            return True
        COUNTS[f"conflict: {path}"] += 1  # another reviewer got there first (a message says who)
        return False


class VerifierUser(BenchUser):
    kind = "verifier"
    fixed_count = MIX.get("verifier", 0)

    @task
    def step(self) -> None:
        page = self.get("/desk/", "verifier: desk bookings")
        booked = re.findall(r'<a class="button primary" href="/desk/bookings/(\d+)/">', page)
        if not booked:
            return
        booking = random.choice(booked[:5])  # noqa: S311
        page = self.get(f"/desk/bookings/{booking}/", "verifier: check page")
        originals = re.findall(r'name="originals_seen" value="([^"]+)"', page)
        if not originals:
            return
        status, _location, body = self.post(
            f"/desk/bookings/{booking}/",
            {"originals_seen": [html.unescape(o) for o in originals], "result": "passed", "reason": ""},
            "verifier: record check (curtain photo)",
            files={"curtain_photo": ("curtain.jpg", IMAGES[int(booking) % len(IMAGES)], "image/jpeg")},
            ok=(302, 400),
        )
        if status == 302 and _location == "/desk/":
            COUNTS["verified"] += 1
        elif (
            status == 302
            or 'id="recorded"' in body  # the page now shows the other staff member's recorded result
            or any(t in body for t in ("已由", "不能重复", "当前状态不能", "没有在本核验点的有效预约"))
        ):
            COUNTS["conflict: check"] += 1  # the other staff member recorded it first
        else:
            refuse("verifier: check refused", f"booking {booking}: {page_errors(body)}")


class AuthorityUser(BenchUser):
    kind = "authority"
    fixed_count = MIX.get("authority", 0)

    def pick_account(self, n: int) -> tuple[dict, str]:
        province = ("ZJ", "GD")[n % 2]
        return ACCOUNTS["authority"][province][n // 2], "localhost"

    @task
    def step(self) -> None:
        page = self.get("/authority/", "authority: queue")
        orders = re.findall(r'<a href="/authority/orders/(\d+)/">', page)
        if not orders:
            return
        pk = random.choice(orders[:5])  # noqa: S311
        self.get(f"/authority/orders/{pk}/", "authority: order page", ok=(200, 404))
        if self.last_status == 404:  # decided meanwhile by another reviewer: hidden from this one (R-T3)
            COUNTS["conflict: approve (404)"] += 1
            return
        status, location, _ = self.post(
            f"/authority/orders/{pk}/approve/", {}, "authority: approve", ok=(302, 404)
        )
        if status == 404:
            # Another reviewer of the province decided it first: decided orders are visible only to
            # whoever decided them (R-T3), so the loser of the race gets the 404 of a foreign order.
            COUNTS["conflict: approve (404)"] += 1
            return
        if status != 302:
            return
        # After a lost race the order is someone else's decision and this page is a 404 (R-T3).
        page = self.get(location, "authority: order page", ok=(200, 404), follow=True)
        if has_message(page, "已审核通过"):
            COUNTS["authority_approve"] += 1
        else:
            COUNTS["conflict: approve"] += 1


if __name__ == "__main__":
    raise SystemExit("run through scripts/bench_load.py (it starts the stack and passes the settings)")
