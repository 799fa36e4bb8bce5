"""The MIIT SMS check (R-S5): a 6-digit code per required mobile, 24 hours, five wrong entries.

When the reviewer submits an order to the authority, ``sms_check_start`` moves it
to ``sms_verification`` and, in the same transaction, writes one challenge per
distinct mobile of the people who must confirm (new entity / new website: the
entity principal and every website principal; new access: the website
principals only) and queues the codes through the outbox. The applicant enters
the codes on the order's SMS page; when every code of the round is verified the
order goes to the authority (``sms_passed``), and the fifth wrong entry over all
codes returns it to the provider (``sms_failed``). The 24-hour deadline lives on
the order (``sms_deadline_at``) and is enforced by the deadline sweep
(``filings.deadlines``); here an entry after the deadline is only refused.

Codes are never stored or logged: a challenge keeps an HMAC-SHA256 of its code
under a key derived from ``SECRET_KEY`` and the challenge's identity (tenant,
order, round, mobile, send number), so a leaked table reveals nothing without
the key, and a resent code invalidates the previous one.

Concurrency: every entry and resend locks the order row first
(``select_for_update``, PostgreSQL), so simultaneous entries on one order are
decided one after the other. The state changes themselves are conditional
UPDATEs and the transitions go through ``order_transition``'s compare-and-set,
so even where row locks do nothing (SQLite, whose IMMEDIATE transactions
serialise writers anyway) a transition happens exactly once.
"""

from __future__ import annotations

import contextlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from filings.models import FilingOrder, OrderStatus, SmsChallenge
from filings.ordertypes import spec_for
from filings.states import SYSTEM
from filings.workflow import TransitionConflict, order_transition
from icpfiling.core.masking import mask_mobile
from icpfiling.notifications.models import Channel
from icpfiling.notifications.services import outbox_enqueue
from icpfiling.tenancy.access import get_or_404

S = OrderStatus

MAX_WRONG_ENTRIES = 5  # over all codes of the order (R-S5)
MAX_SENDS = 3  # the first send and two resends per challenge
RESEND_INTERVAL = timedelta(seconds=60)
CODE_DIGITS = 6

# Outcomes of one code entry.
VERIFIED, WRONG, FAILED, EXPIRED, ALREADY = "verified", "wrong", "failed", "expired", "already"

_CODE_RE = re.compile(rf"[0-9]{{{CODE_DIGITS}}}")
_HMAC_SALT = "filings.sms.services.code"


class SmsCheckError(ValidationError):
    """A request the SMS check refuses; the message says why and what to do."""


@dataclass(frozen=True)
class Person:
    """One person who must confirm: ``key`` is "entity" or "website:<id>"."""

    key: str
    name: str
    mobile: str


@dataclass(frozen=True)
class PersonState:
    """What the applicant's page shows for one code (one mobile, one or more people)."""

    challenge_id: int
    person_name: str
    roles: tuple[str, ...]
    mobile_masked: str
    state: str  # "waiting" | "verified"
    sends_left: int
    resend_wait_seconds: int
    seconds_left: int
    wrong_entries_left: int


# --- helpers ---------------------------------------------------------------------


def normalise_mobile(mobile: str) -> str:
    """Digits only, without the +86 prefix: "+86 139-0571-0001" and "13905710001" share a code."""
    digits = re.sub(r"\D", "", mobile or "")
    if len(digits) == 13 and digits.startswith("86"):
        digits = digits[2:]
    return digits


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _code_hash(*, tenant_id: int, order_id: int, round_: int, mobile: str, send: int, code: str) -> str:
    # The key is derived from SECRET_KEY plus the challenge's identity and send number:
    # the same code on another challenge, or an earlier send's code, never matches.
    identity = f"{_HMAC_SALT}:{tenant_id}:{order_id}:{round_}:{mobile}:{send}"
    return salted_hmac(identity, code, algorithm="sha256").hexdigest()


def _code_matches(challenge: SmsChallenge, code: str) -> bool:
    expected = _code_hash(
        tenant_id=challenge.tenant_id,
        order_id=challenge.order_id,
        round_=challenge.round,
        mobile=challenge.mobile,
        send=challenge.sends,
        code=code,
    )
    return hmac.compare_digest(expected.encode(), challenge.code_hash.encode())


def clean_code(raw: str) -> str:
    """Six ASCII digits; full-width digits and spaces from phone keyboards are accepted."""
    code = unicodedata.normalize("NFKC", raw or "").replace(" ", "").strip()
    if not _CODE_RE.fullmatch(code):
        raise SmsCheckError(_("请输入短信中的 6 位数字验证码。"), code="format")
    return code


def _sms_body(*, code: str, deadline: datetime, provider_name: str) -> str:
    # Deliberately not translated: the MIIT's verification SMS is Chinese whatever
    # language the applicant's interface uses.
    d = timezone.localtime(deadline)
    return (
        f"【工信部备案】您的备案短信核验码为{code}，24小时内有效（截至{d.month}月{d.day}日{d:%H:%M}）。"
        f"请在{provider_name}备案系统中输入，切勿告诉他人。"
    )


def _send_code(*, order: FilingOrder, challenge: SmsChallenge, code: str) -> None:
    outbox_enqueue(
        channel=Channel.SMS,
        recipient=challenge.mobile,
        body=_sms_body(code=code, deadline=order.sms_deadline_at, provider_name=order.tenant.name),
        tenant_id=order.tenant_id,
        # One row per send of one challenge: a retried request never sends twice.
        dedupe_key=f"sms-code:{challenge.pk}:{challenge.sends}",
        # The body is the code itself: blanked in the outbox once handed to the gateway.
        sensitive=True,
    )


def _require_applicant(order: FilingOrder, actor) -> None:
    if getattr(actor, "pk", None) is None or actor.pk != order.applicant_id:
        raise PermissionDenied


def _lock(order: FilingOrder) -> FilingOrder:
    """The order row, locked until the transaction ends (PostgreSQL; a no-op on SQLite)."""
    return FilingOrder.objects.select_for_update().get(pk=order.pk, tenant_id=order.tenant_id)


def _current_challenge(order: FilingOrder, challenge_id: int) -> SmsChallenge:
    return SmsChallenge.objects.get(
        pk=challenge_id, order_id=order.pk, tenant_id=order.tenant_id, round=order.review_round, void_at=None
    )


def required_people(order: FilingOrder) -> list[Person]:
    """Who must confirm by SMS (R-S5, R-C9): the type's table in ``filings.ordertypes``.

    New access: the website principals only; 变更接入, 注销网站, 取消接入: nobody.
    """
    recipients = spec_for(order.order_type).sms
    entity = Person("entity", order.principal_name, order.principal_mobile)
    people = [entity] if "entity" in recipients else []
    if "service" not in recipients:
        return people
    for site in order.websites.order_by("position"):
        if site.principal_same_as_entity:
            people.append(Person(f"website:{site.pk}", order.principal_name, order.principal_mobile))
        else:
            people.append(Person(f"website:{site.pk}", site.principal_name, site.principal_mobile))
    # R-AP4: an app's principal confirms like a website principal.
    for app in order.apps.order_by("position"):
        src = order if app.principal_same_as_entity else app
        people.append(Person(f"app:{app.pk}", src.principal_name, src.principal_mobile))
    return people


def _group_by_mobile(people: list[Person]) -> dict[str, list[Person]]:
    groups: dict[str, list[Person]] = {}
    for person in people:
        mobile = normalise_mobile(person.mobile)
        if not mobile:
            raise SmsCheckError(
                _("负责人“%(name)s”没有手机号码，无法发送短信验证码。请退回申请人补充。")
                % {"name": person.name or "—"},
                code="no_mobile",
            )
        groups.setdefault(mobile, []).append(person)
    return groups


# --- services ---------------------------------------------------------------------


@transaction.atomic
def sms_check_start(*, order: FilingOrder, actor) -> FilingOrder:
    """Submit to the authority (reviewer) and send one code per distinct required mobile.

    Needs the order's tenant scope. Raises TransitionError/TransitionConflict
    from the workflow, SmsCheckError when a required person has no mobile; in
    every case nothing is written.
    """
    order = order_transition(order=order, action="submit_to_authority", actor=actor, actor_kind="reviewer")
    groups = _group_by_mobile(required_people(order))
    # A resubmission after a failed check keeps the review round (nothing changed);
    # the failed attempt's codes become void (kept as history) and give way to new ones.
    SmsChallenge.objects.filter(order=order, round=order.review_round, void_at=None).update(
        void_at=timezone.now()
    )
    now = timezone.now()
    for mobile, people in groups.items():
        names = list(dict.fromkeys(p.name for p in people if p.name))
        challenge = SmsChallenge(
            tenant_id=order.tenant_id,
            order=order,
            round=order.review_round,
            people=[p.key for p in people],
            person_name="、".join(names)[:50],
            mobile=mobile,
            sends=1,
            last_sent_at=now,
        )
        code = _new_code()
        challenge.code_hash = _code_hash(
            tenant_id=order.tenant_id,
            order_id=order.pk,
            round_=order.review_round,
            mobile=mobile,
            send=1,
            code=code,
        )
        challenge.save()
        _send_code(order=order, challenge=challenge, code=code)
    if not groups:
        # Nobody receives a code for this type: the authority has it at once.
        order = order_transition(
            order=order,
            action="sms_passed",
            actor=None,
            actor_kind=SYSTEM,
            message=_("该备案类型无需短信核验。"),
        )
    return order


@transaction.atomic
def sms_code_enter(*, order: FilingOrder, challenge_id: int, code: str, actor) -> str:
    """One code entry by the order's applicant; returns the outcome.

    Outcomes: "verified" (this code is right; when it was the last one the order
    goes to the authority), "wrong" (counted on the order), "failed" (the fifth
    wrong entry returned the order to the provider, or it already had),
    "expired" (past the 24 hours), "already" (this code or the whole check is
    done). Needs the order's tenant scope; locks the order row. Raises
    SmsChallenge.DoesNotExist for a code not of this order's current round,
    SmsCheckError for input that is not six digits (not counted as wrong),
    PermissionDenied for anyone but the applicant.
    """
    _require_applicant(order, actor)
    code = clean_code(code)
    locked = _lock(order)
    challenge = _current_challenge(locked, challenge_id)
    if locked.status != S.SMS_VERIFICATION:
        if challenge.verified_at or locked.status in (S.AUTHORITY_REVIEW, S.APPROVED):
            return ALREADY
        # The wrong-entry count is reset only on entering the check, so it tells
        # a failed check from one the deadline sweep ended.
        return FAILED if locked.sms_wrong_entries >= MAX_WRONG_ENTRIES else EXPIRED
    if challenge.verified_at:
        return ALREADY
    now = timezone.now()
    if locked.sms_deadline_at is None or now >= locked.sms_deadline_at:
        return EXPIRED
    if _code_matches(challenge, code):
        # Single use: only the entry that sets verified_at counts.
        if (
            SmsChallenge.objects.filter(pk=challenge.pk, verified_at__isnull=True).update(verified_at=now)
            != 1
        ):
            return ALREADY
        waiting = SmsChallenge.objects.filter(
            order_id=locked.pk, round=locked.review_round, verified_at__isnull=True, void_at=None
        ).exists()
        if not waiting:
            try:
                order_transition(
                    order=locked,
                    action="sms_passed",
                    actor=None,
                    actor_kind=SYSTEM,
                    message=_("全部负责人已完成短信核验。"),
                )
            except TransitionConflict:
                # Only reachable without the row lock: the other entry did it.
                return ALREADY
        return VERIFIED
    counted = FilingOrder.objects.filter(
        pk=locked.pk,
        tenant_id=locked.tenant_id,
        status=S.SMS_VERIFICATION,
        sms_wrong_entries__lt=MAX_WRONG_ENTRIES,
    ).update(sms_wrong_entries=F("sms_wrong_entries") + 1)
    if counted != 1:
        return FAILED
    wrong = FilingOrder.objects.filter(pk=locked.pk).values_list("sms_wrong_entries", flat=True).get()
    locked.sms_wrong_entries = wrong
    if wrong < MAX_WRONG_ENTRIES:
        return WRONG
    # Only reachable without the row lock: another entry already returned the order.
    with contextlib.suppress(TransitionConflict):
        order_transition(
            order=locked,
            action="sms_failed",
            actor=None,
            actor_kind=SYSTEM,
            message=_("短信验证码输错已达 %(n)s 次，订单退回接入商复审。") % {"n": MAX_WRONG_ENTRIES},
        )
    return FAILED


@transaction.atomic
def sms_resend(*, order: FilingOrder, challenge_id: int, actor) -> SmsChallenge:
    """A new code for one challenge (the previous one stops working).

    At most MAX_SENDS sends per challenge, none within RESEND_INTERVAL of the
    last; the 24-hour deadline never moves. Needs the order's tenant scope;
    locks the order row. Raises SmsCheckError with the reason, and the same
    exceptions as ``sms_code_enter`` for a foreign challenge or actor.
    """
    _require_applicant(order, actor)
    locked = _lock(order)
    challenge = _current_challenge(locked, challenge_id)
    now = timezone.now()
    if locked.status != S.SMS_VERIFICATION:
        raise SmsCheckError(_("短信核验已结束，不能再发送验证码。"), code="closed")
    if locked.sms_deadline_at is None or now >= locked.sms_deadline_at:
        raise SmsCheckError(_("已超过 24 小时的短信核验时限，不能再发送验证码。"), code="expired")
    if challenge.verified_at:
        raise SmsCheckError(_("该手机号已完成核验，无需重新发送。"), code="verified")
    if challenge.sends >= MAX_SENDS:
        raise SmsCheckError(
            _("每个手机号最多发送 %(n)s 次验证码，已达上限。请使用最近一次收到的验证码。") % {"n": MAX_SENDS},
            code="limit",
        )
    wait = _resend_wait_seconds(challenge, now)
    if wait > 0:
        raise SmsCheckError(_("验证码刚刚发送过，请 %(s)s 秒后再重新发送。") % {"s": wait}, code="too_soon")
    code = _new_code()
    send = challenge.sends + 1
    new_hash = _code_hash(
        tenant_id=challenge.tenant_id,
        order_id=challenge.order_id,
        round_=challenge.round,
        mobile=challenge.mobile,
        send=send,
        code=code,
    )
    # Conditional on the send count we read: two resends at once cannot both count.
    updated = SmsChallenge.objects.filter(
        pk=challenge.pk, sends=challenge.sends, verified_at__isnull=True
    ).update(code_hash=new_hash, sends=send, last_sent_at=now)
    if updated != 1:
        raise SmsCheckError(_("验证码刚刚发送过，请查收短信。"), code="too_soon")
    challenge.code_hash, challenge.sends, challenge.last_sent_at = new_hash, send, now
    _send_code(order=locked, challenge=challenge, code=code)
    return challenge


def _resend_wait_seconds(challenge: SmsChallenge, now: datetime) -> int:
    left = (challenge.last_sent_at + RESEND_INTERVAL - now).total_seconds()
    return max(0, int(left + 0.999))


# --- selectors --------------------------------------------------------------------


def sms_seconds_left(*, order: FilingOrder, now: datetime | None = None) -> int:
    if order.status != S.SMS_VERIFICATION or order.sms_deadline_at is None:
        return 0
    left = (order.sms_deadline_at - (now or timezone.now())).total_seconds()
    return max(0, int(left))


def _role_labels(challenge: SmsChallenge, sites: dict[int, str]) -> tuple[str, ...]:
    labels = []
    for key in challenge.people:
        if key == "entity":
            labels.append(_("主体负责人"))
        elif key.startswith("website:"):
            site = sites.get(int(key.split(":", 1)[1]), "")
            labels.append(_("网站负责人（%(site)s）") % {"site": site} if site else _("网站负责人"))
        elif key.startswith("app:"):
            labels.append(_("App负责人"))
    return tuple(labels)


def sms_status(*, order: FilingOrder) -> list[PersonState]:
    """Each code of the order's current round, for the applicant's page. Needs the tenant scope."""
    now = timezone.now()
    seconds_left = sms_seconds_left(order=order, now=now)
    wrong_left = max(0, MAX_WRONG_ENTRIES - order.sms_wrong_entries)
    sites = {s.pk: s.domain_display or s.domain or s.name for s in order.websites.all()}
    challenges = SmsChallenge.objects.filter(
        order_id=order.pk, round=order.review_round, void_at=None
    ).order_by("pk")
    return [
        PersonState(
            challenge_id=c.pk,
            person_name=c.person_name,
            roles=_role_labels(c, sites),
            mobile_masked=mask_mobile(c.mobile),
            state="verified" if c.verified_at else "waiting",
            sends_left=max(0, MAX_SENDS - c.sends),
            resend_wait_seconds=_resend_wait_seconds(c, now),
            seconds_left=seconds_left,
            wrong_entries_left=wrong_left,
        )
        for c in challenges
    ]


def access_sms_challenge_by_id(*, order: FilingOrder, challenge_id: int, actor) -> SmsChallenge:
    """A code of this order's current round, or 404 (missing, foreign and stale alike)."""
    qs = SmsChallenge.objects.filter(
        order_id=order.pk, tenant_id=order.tenant_id, round=order.review_round, void_at=None
    )
    return get_or_404(qs, actor=actor, pk=challenge_id)
