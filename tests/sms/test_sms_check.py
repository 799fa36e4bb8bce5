"""The 24-hour MIIT SMS check (R-S5): codes per required mobile, single use, five wrong entries,
limited resends, the applicant's page, and tenancy (R-T2)."""

from __future__ import annotations

import logging
import re
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone
from django.utils.crypto import salted_hmac

from filings.models import FilingOrder, OrderEvent, OrderStatus, OrderWebsite, SmsChallenge
from filings.sms.services import SmsCheckError, sms_check_start, sms_code_enter, sms_resend, sms_status
from filings.workflow import order_transition
from icpfiling.notifications import sms as sms_backend
from icpfiling.notifications.delivery import REDACTED
from icpfiling.notifications.models import OutboxMessage
from icpfiling.registry.reference import reference_data_load
from icpfiling.tenancy.context import tenant_scope
from tests.factories import complete_order
from tests.services import requires_chromium, requires_postgres

pytestmark = pytest.mark.django_db

ENTITY_MOBILE = "13905710001"  # tests.factories.VALID_ENTITY
OTHER_MOBILE = "13905710002"
S = OrderStatus


# --- helpers ----------------------------------------------------------------------


def _to_recheck(tenant, *, site_principal: str | None = None, order_type: str | None = None) -> FilingOrder:
    """A complete order moved along the workflow to the reviewer's recheck."""
    order = complete_order(tenant, materials=False)
    applicant, reviewer = tenant.users["applicant"], tenant.users["reviewer"]
    with tenant_scope(tenant.provider):
        if site_principal:
            OrderWebsite.objects.filter(order=order).update(
                principal_same_as_entity=False, principal_name="李四", principal_mobile=site_principal
            )
        if order_type:
            FilingOrder.objects.filter(pk=order.pk).update(order_type=order_type)
        order = FilingOrder.objects.get(pk=order.pk)
        order = order_transition(order=order, action="submit", actor=applicant, actor_kind="applicant")
        order = order_transition(order=order, action="provider_pass", actor=reviewer, actor_kind="reviewer")
        order = order_transition(order=order, action="verified", actor=reviewer, actor_kind="reviewer")
    return order


def _start(tenant, **kw) -> FilingOrder:
    order = _to_recheck(tenant, **kw)
    with tenant_scope(tenant.provider):
        return sms_check_start(order=order, actor=tenant.users["reviewer"])


def _fresh(tenant, order) -> FilingOrder:
    with tenant_scope(tenant.provider):
        return FilingOrder.objects.get(pk=order.pk)


def _challenges(tenant, order) -> list[SmsChallenge]:
    with tenant_scope(tenant.provider):
        return list(SmsChallenge.objects.filter(order_id=order.pk, void_at=None).order_by("pk"))


def _code(challenge: SmsChallenge) -> str:
    """The code as the person's phone received it: the newest SMS of this challenge."""
    msg = (
        OutboxMessage.objects.filter(channel="sms", dedupe_key__startswith=f"sms-code:{challenge.pk}:")
        .order_by("-pk")
        .first()
    )
    body = msg.body
    if msg.status == "sent":
        # Delivered code messages are blanked in the outbox; the test gateway kept the text.
        assert body == REDACTED
        body = next(
            m["body"] for m in reversed(sms_backend.sent) if m["idempotency_key"] == f"outbox-{msg.pk}"
        )
    return re.search(r"核验码为(\d{6})", body).group(1)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def _enter(tenant, order, challenge, code, actor=None) -> str:
    with tenant_scope(tenant.provider):
        return sms_code_enter(
            order=_fresh(tenant, order),
            challenge_id=challenge.pk,
            code=code,
            actor=actor or tenant.users["applicant"],
        )


def _events(tenant, order, kind: str) -> list[OrderEvent]:
    with tenant_scope(tenant.provider):
        return list(OrderEvent.objects.filter(order_id=order.pk, kind=kind))


def _notifications(order, action: str) -> list[str]:
    """Channels of the status notifications the workflow wrote for ``action``."""
    return list(
        OutboxMessage.objects.filter(dedupe_key__contains=f":{order.pk}:{action}:").values_list(
            "channel", flat=True
        )
    )


def _code_sms() -> list[tuple[str, str]]:
    qs = OutboxMessage.objects.filter(channel="sms", dedupe_key__startswith="sms-code:").order_by("pk")
    return [(m.recipient, m.dedupe_key) for m in qs]


# --- who gets a code --------------------------------------------------------------


def test_r_s5_one_code_when_both_principals_share_a_mobile(alpha, beta):
    # given a new-entity order whose website principal is the entity principal
    beta_order = _start(beta)
    # when the reviewer submits alpha's order to the authority
    order = _start(alpha)
    # then the order waits 24 h for one code, sent once to the shared mobile
    order = _fresh(alpha, order)
    assert order.status == S.SMS_VERIFICATION
    assert abs((order.sms_deadline_at - timezone.now()) - timedelta(hours=24)) < timedelta(minutes=1)
    [challenge] = _challenges(alpha, order)
    with tenant_scope(alpha.provider):
        site_id = OrderWebsite.objects.get(order_id=order.pk).pk
    assert (challenge.mobile, challenge.people, challenge.person_name, challenge.sends) == (
        ENTITY_MOBILE,
        ["entity", f"website:{site_id}"],
        "张三",
        1,
    )
    assert challenge.round == order.review_round == 1
    alpha_sms = [r for r in _code_sms() if r[1].startswith(f"sms-code:{challenge.pk}:")]
    assert alpha_sms == [(ENTITY_MOBILE, f"sms-code:{challenge.pk}:1")]
    msg = OutboxMessage.objects.get(dedupe_key=f"sms-code:{challenge.pk}:1")
    assert msg.tenant_id == alpha.provider.pk
    assert msg.body.startswith("【工信部备案】您的备案短信核验码为")
    assert "24小时内有效" in msg.body
    # and beta's check is its own: one challenge at beta, sent with beta's tenant
    [beta_challenge] = _challenges(beta, beta_order)
    assert (
        OutboxMessage.objects.get(dedupe_key=f"sms-code:{beta_challenge.pk}:1").tenant_id == beta.provider.pk
    )


def test_r_s5_two_codes_when_the_website_principal_is_another_person(alpha):
    # given a website principal with their own mobile
    order = _start(alpha, site_principal=OTHER_MOBILE)
    # then each mobile gets its own code
    entity, site = _challenges(alpha, order)
    assert (entity.mobile, entity.people, entity.person_name) == (ENTITY_MOBILE, ["entity"], "张三")
    assert (site.mobile, site.person_name) == (OTHER_MOBILE, "李四")
    assert site.people[0].startswith("website:")
    assert sorted(r for r, _k in _code_sms()) == [ENTITY_MOBILE, OTHER_MOBILE]
    # and the page's status lists both as waiting, with masked mobiles and all sends and entries left
    with tenant_scope(alpha.provider):
        states = sms_status(order=_fresh(alpha, order))
    assert [(p.mobile_masked, p.state, p.sends_left, p.wrong_entries_left) for p in states] == [
        ("139****0001", "waiting", 2, 5),
        ("139****0002", "waiting", 2, 5),
    ]
    assert 24 * 3600 - 60 < states[0].seconds_left <= 24 * 3600
    assert states[0].roles == ("主体负责人",)


def test_r_s5_new_access_sends_only_to_the_website_principal(alpha):
    # given a new-access order (the entity is filed elsewhere; only the website's principal confirms)
    order = _start(alpha, site_principal=OTHER_MOBILE, order_type="new_access")
    # then there is one code, for the website principal, and none for the entity principal
    [challenge] = _challenges(alpha, order)
    assert (challenge.mobile, challenge.person_name) == (OTHER_MOBILE, "李四")
    assert challenge.people[0].startswith("website:")
    assert len(challenge.people) == 1
    assert [r for r, _k in _code_sms()] == [OTHER_MOBILE]


def test_r_s5_missing_mobile_refuses_the_submission_and_writes_nothing(alpha):
    # given a website principal without a mobile (validation normally prevents it)
    order = _to_recheck(alpha, site_principal=" ")
    # when the reviewer submits to the authority
    with tenant_scope(alpha.provider), pytest.raises(SmsCheckError, match="没有手机号码"):
        sms_check_start(order=order, actor=alpha.users["reviewer"])
    # then the order stays in recheck, with no challenge, event or SMS
    assert _fresh(alpha, order).status == S.PROVIDER_RECHECK
    assert _challenges(alpha, order) == []
    assert _events(alpha, order, "submit_to_authority") == []
    assert _code_sms() == []


# --- codes -------------------------------------------------------------------------


def test_r_s5_only_a_keyed_hash_of_the_code_is_stored_and_nothing_logs_it(alpha, caplog):
    caplog.set_level(logging.DEBUG)
    order = _start(alpha)
    [challenge] = _challenges(alpha, order)
    code = _code(challenge)
    # the row holds an HMAC-SHA256 keyed by SECRET_KEY and the challenge's identity, never the code
    assert code not in challenge.code_hash
    identity = f"filings.sms.services.code:{alpha.provider.pk}:{order.pk}:1:{ENTITY_MOBILE}:1"
    assert challenge.code_hash == salted_hmac(identity, code, algorithm="sha256").hexdigest()
    assert len(challenge.code_hash) == 64
    # the same code under another identity (another order, another send) gives another hash
    other = f"filings.sms.services.code:{alpha.provider.pk}:{order.pk + 1}:1:{ENTITY_MOBILE}:1"
    assert salted_hmac(other, code, algorithm="sha256").hexdigest() != challenge.code_hash
    assert _enter(alpha, order, challenge, code) == "verified"
    assert all(code not in r.getMessage() for r in caplog.records)


def test_r_s5_all_codes_verified_pass_to_the_authority_exactly_once(alpha):
    order = _start(alpha, site_principal=OTHER_MOBILE)
    entity, site = _challenges(alpha, order)
    # when the first person's code is entered, the order still waits for the second
    assert _enter(alpha, order, entity, _code(entity)) == "verified"
    assert _fresh(alpha, order).status == S.SMS_VERIFICATION
    assert _events(alpha, order, "sms_passed") == []
    # when the second code is entered (full-width digits from a phone keyboard are fine)
    wide = _code(site).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert _enter(alpha, order, site, wide) == "verified"
    # then the order is with the authority, with one event by the system and one set of notifications
    order = _fresh(alpha, order)
    assert order.status == S.AUTHORITY_REVIEW
    assert order.authority_due_at is not None
    assert order.sms_deadline_at is None
    [event] = _events(alpha, order, "sms_passed")
    assert (event.actor_id, event.from_status, event.to_status) == (
        None,
        "sms_verification",
        "authority_review",
    )
    channels = _notifications(order, "sms_passed")
    assert channels
    assert sorted(channels) == sorted(set(channels))
    # and a code entered again is "already": single use, nothing more happens
    assert _enter(alpha, order, site, _code(site)) == "already"
    assert _enter(alpha, order, entity, _wrong(_code(entity))) == "already"
    assert len(_events(alpha, order, "sms_passed")) == 1
    assert _fresh(alpha, order).sms_wrong_entries == 0
    assert _notifications(order, "sms_passed") == channels


def test_r_s5_a_verified_code_is_single_use(alpha):
    order = _start(alpha, site_principal=OTHER_MOBILE)
    entity, _site = _challenges(alpha, order)
    code = _code(entity)
    assert _enter(alpha, order, entity, code) == "verified"
    with tenant_scope(alpha.provider):
        verified_at = SmsChallenge.objects.get(pk=entity.pk).verified_at
    # the same code again, or a wrong one for the verified person, changes nothing and counts nothing
    assert _enter(alpha, order, entity, code) == "already"
    assert _enter(alpha, order, entity, _wrong(code)) == "already"
    with tenant_scope(alpha.provider):
        assert SmsChallenge.objects.get(pk=entity.pk).verified_at == verified_at
    assert _fresh(alpha, order).sms_wrong_entries == 0


def test_r_s5_malformed_input_is_an_error_not_a_wrong_entry(alpha):
    order = _start(alpha)
    [challenge] = _challenges(alpha, order)
    for bad in ("12345", "1234567", "abcdef", "", "١٢٣٤٥٦"):
        with pytest.raises(SmsCheckError, match="6 位数字"):
            _enter(alpha, order, challenge, bad)
    assert _fresh(alpha, order).sms_wrong_entries == 0


def test_r_s5_fifth_wrong_entry_returns_the_order_exactly_once(alpha):
    order = _start(alpha, site_principal=OTHER_MOBILE)
    entity, site = _challenges(alpha, order)
    wrong = _wrong(_code(entity))
    # wrong entries count on the order, over all of its codes
    outcomes = [_enter(alpha, order, (entity, site)[i % 2], wrong) for i in range(4)]
    assert outcomes == ["wrong"] * 4
    assert _fresh(alpha, order).sms_wrong_entries == 4
    with tenant_scope(alpha.provider):
        assert sms_status(order=_fresh(alpha, order))[0].wrong_entries_left == 1
    # the fifth returns the order to the provider's recheck
    assert _enter(alpha, order, entity, wrong) == "failed"
    order = _fresh(alpha, order)
    assert (order.status, order.sms_wrong_entries, order.sms_deadline_at) == (S.PROVIDER_RECHECK, 5, None)
    assert order.review_due_at is not None
    [event] = _events(alpha, order, "sms_failed")
    assert (event.actor_id, event.to_status) == (None, "provider_recheck")
    assert "5" in event.message
    assert "短信验证码" in event.message
    channels = _notifications(order, "sms_failed")
    assert channels
    assert sorted(channels) == sorted(set(channels))
    # then later entries, right or wrong, change nothing
    assert _enter(alpha, order, site, _code(site)) == "failed"
    assert _enter(alpha, order, entity, wrong) == "failed"
    assert len(_events(alpha, order, "sms_failed")) == 1
    assert _notifications(order, "sms_failed") == channels
    with tenant_scope(alpha.provider):
        assert not SmsChallenge.objects.filter(order_id=order.pk, verified_at__isnull=False).exists()


def test_r_s5_reviewer_resubmits_unchanged_after_a_failed_check(alpha):
    # given an order whose check failed
    order = _start(alpha)
    [old] = _challenges(alpha, order)
    old_code = _code(old)
    for _ in range(5):
        _enter(alpha, order, old, _wrong(old_code))
    assert _fresh(alpha, order).status == S.PROVIDER_RECHECK
    # when the reviewer submits it again without changes
    with tenant_scope(alpha.provider):
        sms_check_start(order=_fresh(alpha, order), actor=alpha.users["reviewer"])
    # then a fresh check runs: new code, new 24 h, wrong entries back to 0, the old code is void
    order = _fresh(alpha, order)
    assert (order.status, order.sms_wrong_entries, order.review_round) == (S.SMS_VERIFICATION, 0, 1)
    [new] = _challenges(alpha, order)
    assert new.pk != old.pk
    assert new.sends == 1
    # and the failed attempt's code is kept as void history, not deleted
    with tenant_scope(alpha.provider):
        assert SmsChallenge.objects.get(pk=old.pk).void_at is not None
    with tenant_scope(alpha.provider), pytest.raises(SmsChallenge.DoesNotExist):
        sms_code_enter(order=order, challenge_id=old.pk, code=old_code, actor=alpha.users["applicant"])
    assert _enter(alpha, order, new, _code(new)) == "verified"
    assert _fresh(alpha, order).status == S.AUTHORITY_REVIEW


def test_r_s5_entry_after_the_deadline_is_refused_and_left_to_the_sweep(alpha):
    order = _start(alpha)
    [challenge] = _challenges(alpha, order)
    # given the 24 hours have passed (no sweep has run yet)
    with tenant_scope(alpha.provider):
        FilingOrder.objects.filter(pk=order.pk).update(sms_deadline_at=timezone.now() - timedelta(seconds=1))
    # when the right code and a wrong one are entered, then both are refused and nothing changes
    assert _enter(alpha, order, challenge, _code(challenge)) == "expired"
    assert _enter(alpha, order, challenge, _wrong(_code(challenge))) == "expired"
    order = _fresh(alpha, order)
    assert (order.status, order.sms_wrong_entries) == (S.SMS_VERIFICATION, 0)
    with tenant_scope(alpha.provider):
        assert SmsChallenge.objects.get(pk=challenge.pk).verified_at is None
        with pytest.raises(SmsCheckError, match="24 小时"):
            sms_resend(order=order, challenge_id=challenge.pk, actor=alpha.users["applicant"])
    assert _events(alpha, order, "sms_passed") == _events(alpha, order, "sms_failed") == []
    # and once the sweep has returned the order, an entry says the check expired
    with tenant_scope(alpha.provider):
        order_transition(order=order, action="sms_failed", actor=None, actor_kind="system", message="timeout")
    assert _enter(alpha, order, challenge, _code(challenge)) == "expired"


def test_r_s5_only_the_orders_applicant_may_enter_or_resend(alpha):
    order = _start(alpha)
    [challenge] = _challenges(alpha, order)
    for role in ("reviewer", "provider_admin", "point_staff"):
        with tenant_scope(alpha.provider), pytest.raises(PermissionDenied):
            sms_code_enter(
                order=_fresh(alpha, order),
                challenge_id=challenge.pk,
                code=_code(challenge),
                actor=alpha.users[role],
            )
        with tenant_scope(alpha.provider), pytest.raises(PermissionDenied):
            sms_resend(order=_fresh(alpha, order), challenge_id=challenge.pk, actor=alpha.users[role])
    with tenant_scope(alpha.provider):
        assert SmsChallenge.objects.get(pk=challenge.pk).verified_at is None
    assert _fresh(alpha, order).status == S.SMS_VERIFICATION


# --- resends -----------------------------------------------------------------------


def _age(tenant, challenge, seconds: int) -> None:
    """Pretend the last send was ``seconds`` ago."""
    with tenant_scope(tenant.provider):
        SmsChallenge.objects.filter(pk=challenge.pk).update(
            last_sent_at=timezone.now() - timedelta(seconds=seconds)
        )


def _resend(tenant, order, challenge) -> SmsChallenge:
    with tenant_scope(tenant.provider):
        return sms_resend(
            order=_fresh(tenant, order), challenge_id=challenge.pk, actor=tenant.users["applicant"]
        )


def test_r_s5_resend_waits_60_seconds_allows_three_sends_and_keeps_the_deadline(alpha):
    order = _start(alpha)
    deadline = _fresh(alpha, order).sms_deadline_at
    [challenge] = _challenges(alpha, order)
    first = _code(challenge)
    # within 60 s of the last send: refused, nothing sent
    with pytest.raises(SmsCheckError, match="秒后再重新发送"):
        _resend(alpha, order, challenge)
    assert len(_code_sms()) == 1
    # after 60 s: a second code; the first one stops working
    _age(alpha, challenge, 61)
    assert _resend(alpha, order, challenge).sends == 2
    assert [k for _r, k in _code_sms()] == [f"sms-code:{challenge.pk}:1", f"sms-code:{challenge.pk}:2"]
    second = _code(challenge)
    if second != first:  # one chance in a million that the new code equals the old one
        assert _enter(alpha, order, challenge, first) == "wrong"
    # the third send is the last
    _age(alpha, challenge, 61)
    _resend(alpha, order, challenge)
    _age(alpha, challenge, 61)
    with pytest.raises(SmsCheckError, match="最多发送 3 次"):
        _resend(alpha, order, challenge)
    assert len(_code_sms()) == 3
    with tenant_scope(alpha.provider):
        assert sms_status(order=_fresh(alpha, order))[0].sends_left == 0
    # the deadline never moved, and the newest code works
    assert _fresh(alpha, order).sms_deadline_at == deadline
    assert _enter(alpha, order, challenge, _code(challenge)) == "verified"
    # a verified person's code is not resent
    with pytest.raises(SmsCheckError):
        _resend(alpha, order, challenge)


# --- the applicant's page ------------------------------------------------------------


def _page_url(order) -> str:
    return f"/orders/{order.pk}/sms/"


def test_r_s5_page_shows_each_person_masked_with_a_countdown_and_the_deadline(alpha):
    order = _start(alpha, site_principal=OTHER_MOBILE)
    client = alpha.client("applicant")
    # the order page calls the applicant to the check
    detail = client.get(f"/orders/{order.pk}/").content.decode()
    assert f'href="/orders/{order.pk}/sms/"' in detail
    deadline = timezone.localtime(_fresh(alpha, order).sms_deadline_at).strftime("%Y-%m-%d %H:%M")
    assert deadline in detail
    # the SMS page lists both people, masked, with a code field each and the countdown's seconds
    r = client.get(_page_url(order))
    body = r.content.decode()
    assert r.status_code == 200
    assert body.count('name="code"') == 2
    assert "139****0001" in body
    assert "139****0002" in body
    assert ENTITY_MOBILE not in body
    assert OTHER_MOBILE not in body
    assert deadline in body  # without JavaScript the deadline itself is shown
    seconds = int(re.search(r'data-countdown="(\d+)"', body).group(1))
    assert 24 * 3600 - 60 < seconds <= 24 * 3600
    assert "js/sms-countdown.js" in body
    assert r["Cache-Control"].startswith("max-age=0")


def test_r_s5_page_entries_wrong_then_right_then_passed(alpha):
    order = _start(alpha, site_principal=OTHER_MOBILE)
    entity, site = _challenges(alpha, order)
    client = alpha.client("applicant")
    # a malformed code: the error sits at that person's field, nothing counted
    r = client.post(f"/orders/{order.pk}/sms/{entity.pk}/enter/", {"code": "12a"})
    assert r.status_code == 200
    assert "请输入短信中的 6 位数字验证码。" in r.content.decode()
    assert f'id="code-{entity.pk}-err"' in r.content.decode()
    # a wrong code: the page says how many entries are left
    r = client.post(f"/orders/{order.pk}/sms/{entity.pk}/enter/", {"code": _wrong(_code(entity))})
    assert r.status_code == 200
    assert "还可以输错 4 次" in r.content.decode()
    # the right codes: back to the page, then to the order once all are in
    r = client.post(f"/orders/{order.pk}/sms/{entity.pk}/enter/", {"code": _code(entity)})
    assert (r.status_code, r["Location"]) == (302, f"/orders/{order.pk}/sms/")
    assert client.get(_page_url(order)).content.decode().count('name="code"') == 1
    r = client.post(f"/orders/{order.pk}/sms/{site.pk}/enter/", {"code": _code(site)})
    assert (r.status_code, r["Location"]) == (302, f"/orders/{order.pk}/")
    assert _fresh(alpha, order).status == S.AUTHORITY_REVIEW
    page = client.get(_page_url(order)).content.decode()
    assert 'name="code"' not in page
    assert "短信核验已完成" in page


def test_r_s5_page_resend_button_sends_a_new_code(alpha):
    order = _start(alpha)
    [challenge] = _challenges(alpha, order)
    client = alpha.client("applicant")
    r = client.post(f"/orders/{order.pk}/sms/{challenge.pk}/resend/", follow=True)
    assert "秒后再重新发送" in r.content.decode()
    _age(alpha, challenge, 61)
    r = client.post(f"/orders/{order.pk}/sms/{challenge.pk}/resend/", follow=True)
    assert "新的验证码已发送至 139****0001" in r.content.decode()
    assert len(_code_sms()) == 2


def test_r_s5_staff_get_403_and_other_applicants_orders_answer_404(alpha, beta):
    # given an order at beta in its SMS check, and one at alpha
    beta_order = _start(beta)
    [beta_challenge] = _challenges(beta, beta_order)
    beta_code = _code(beta_challenge)
    alpha_order = _start(alpha)
    [alpha_challenge] = _challenges(alpha, alpha_order)
    applicant = alpha.client("applicant")
    urls = {
        "page": (f"/orders/{beta_order.pk}/sms/", "/orders/987654/sms/"),
        "enter": (
            f"/orders/{beta_order.pk}/sms/{beta_challenge.pk}/enter/",
            "/orders/987654/sms/987654/enter/",
        ),
        "resend": (
            f"/orders/{beta_order.pk}/sms/{beta_challenge.pk}/resend/",
            "/orders/987654/sms/987654/resend/",
        ),
        # alpha's own order with beta's challenge id (an IDOR through the child object)
        "own-order": (
            f"/orders/{alpha_order.pk}/sms/{beta_challenge.pk}/enter/",
            f"/orders/{alpha_order.pk}/sms/987654/enter/",
        ),
    }
    # when alpha's applicant uses beta's ids (even with beta's right code), then it is exactly "missing"
    for name, (foreign, missing) in urls.items():
        for method in ("get", "post"):
            a = getattr(applicant, method)(foreign, {"code": beta_code} if method == "post" else None)
            b = getattr(applicant, method)(missing, {"code": beta_code} if method == "post" else None)
            assert a.status_code == b.status_code, (name, method)
            assert a.status_code in {404, 405}, (name, method)
            assert "Beta" not in a.content.decode()
    # staff at alpha may not open the applicant's SMS page at all
    for role in ("reviewer", "provider_admin", "point_staff"):
        assert alpha.client(role).get(f"/orders/{alpha_order.pk}/sms/").status_code == 403
        r = alpha.client(role).post(
            f"/orders/{alpha_order.pk}/sms/{alpha_challenge.pk}/enter/", {"code": "1"}
        )
        assert r.status_code == 403
    # and beta is untouched: its code unverified, its order waiting, one SMS only
    beta_after = _fresh(beta, beta_order)
    assert (beta_after.status, beta_after.sms_wrong_entries) == (S.SMS_VERIFICATION, 0)
    [after] = _challenges(beta, beta_order)
    assert (after.verified_at, after.sends, after.code_hash) == (None, 1, beta_challenge.code_hash)


# --- races (PostgreSQL) --------------------------------------------------------------


def _race(tenant, order, entries: list[tuple[SmsChallenge, str]]) -> list[str]:
    """Each (challenge, code) entered by its own thread and connection, released together."""
    barrier = threading.Barrier(len(entries))
    outcomes: list[str] = []

    def enter(challenge: SmsChallenge, code: str) -> None:
        try:
            barrier.wait(timeout=10)
            with tenant_scope(tenant.provider):
                outcomes.append(
                    sms_code_enter(
                        order=FilingOrder.objects.get(pk=order.pk),
                        challenge_id=challenge.pk,
                        code=code,
                        actor=tenant.users["applicant"],
                    )
                )
        except Exception as exc:
            outcomes.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=enter, args=entry) for entry in entries]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return outcomes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_s5_eight_simultaneous_right_codes_pass_exactly_once():
    from tests.conftest import make_tenant

    reference_data_load()
    alpha = make_tenant("alpha")
    order = _start(alpha)
    [challenge] = _challenges(alpha, order)
    # when 8 entries of the right code arrive at once
    outcomes = _race(alpha, order, [(challenge, _code(challenge))] * 8)
    # then one verifies and moves the order, the others see it done
    assert sorted(outcomes) == ["already"] * 7 + ["verified"], outcomes
    assert _fresh(alpha, order).status == S.AUTHORITY_REVIEW
    assert len(_events(alpha, order, "sms_passed")) == 1
    channels = _notifications(order, "sms_passed")
    assert channels
    assert sorted(channels) == sorted(set(channels))


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_s5_eight_simultaneous_wrong_codes_fail_exactly_once():
    from tests.conftest import make_tenant

    reference_data_load()
    alpha = make_tenant("alpha")
    order = _start(alpha)
    [challenge] = _challenges(alpha, order)
    # when 8 wrong entries arrive at once
    outcomes = _race(alpha, order, [(challenge, _wrong(_code(challenge)))] * 8)
    # then four count as wrong, the fifth returns the order, the rest find it returned
    assert sorted(outcomes) == ["failed"] * 4 + ["wrong"] * 4, outcomes
    order = _fresh(alpha, order)
    assert (order.status, order.sms_wrong_entries) == (S.PROVIDER_RECHECK, 5)
    assert len(_events(alpha, order, "sms_failed")) == 1
    channels = _notifications(order, "sms_failed")
    assert channels
    assert sorted(channels) == sorted(set(channels))


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_r_s5_the_last_two_codes_entered_at_once_still_pass_exactly_once():
    # Without the order row lock each entry would see the other code still waiting
    # (its verification not yet committed) and neither would pass the order on.
    from tests.conftest import make_tenant

    reference_data_load()
    alpha = make_tenant("alpha")
    order = _start(alpha, site_principal=OTHER_MOBILE)
    entity, site = _challenges(alpha, order)
    outcomes = _race(alpha, order, [(entity, _code(entity)), (site, _code(site))] * 4)
    assert sorted(outcomes) == ["already"] * 6 + ["verified"] * 2, outcomes
    assert _fresh(alpha, order).status == S.AUTHORITY_REVIEW
    assert len(_events(alpha, order, "sms_passed")) == 1


# --- in the browser ------------------------------------------------------------------


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_s5_phone_shows_a_live_countdown_and_the_page_works_without_javascript(live_server, browser, page):
    from urllib.parse import urlsplit

    from tests.conftest import PASSWORD, make_tenant

    reference_data_load()
    alpha = make_tenant("alpha")
    order = _start(alpha, site_principal=OTHER_MOBILE)
    entity, site = _challenges(alpha, order)
    base = f"http://alpha.localhost:{urlsplit(live_server.url).port}"

    def login(pg) -> None:
        pg.goto(f"{base}/accounts/login/")
        pg.fill("#id_username", alpha.users["applicant"].email)
        pg.fill("#id_password", PASSWORD)
        pg.click("button.primary")

    # with JavaScript (a phone-sized page): the countdown ticks and resend waits out its 60 s
    login(page)
    page.goto(f"{base}/orders/{order.pk}/sms/")
    page.wait_for_function(
        "/^\\d+:\\d\\d:\\d\\d$/.test(document.querySelector('.countdown-value').textContent)"
    )
    hours = int(page.locator(".countdown-value").inner_text().split(":")[0])
    assert hours in (23, 24)
    resend = page.locator(f"#person-{entity.pk} button[data-wait]")
    assert resend.is_disabled()
    assert re.search(r"\(\d+s\)$", resend.inner_text())
    # without JavaScript: the deadline is written out and the forms post normally
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    try:
        plain = context.new_page()
        login(plain)
        plain.goto(f"{base}/orders/{order.pk}/sms/")
        assert "小时" in plain.locator(".countdown-value").inner_text()
        plain.fill(f"#code-{entity.pk}", _code(entity))
        plain.click(f"#person-{entity.pk} button.primary")
        assert "验证码正确" in plain.locator(".messages").inner_text()
        plain.fill(f"#code-{site.pk}", _code(site))
        plain.click(f"#person-{site.pk} button.primary")
        assert "短信核验已全部完成" in plain.locator(".messages").inner_text()
    finally:
        context.close()
    assert _fresh(alpha, order).status == S.AUTHORITY_REVIEW
