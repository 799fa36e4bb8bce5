"""Accounts: registration, confirmation, approval (R-A1); hashing, throttling, sessions (R-A2)."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client

from icpfiling.accounts.middleware import LAST_SEEN_KEY
from icpfiling.accounts.models import Membership, User
from icpfiling.accounts.services import email_confirmation_token
from icpfiling.notifications.models import OutboxMessage, OutboxStatus
from icpfiling.tenancy.context import tenant_scope
from tests.conftest import PASSWORD

LINK = re.compile(r"https?://[^\s]+")


def _register(client: Client, email: str, password: str = "a-Good-pass-2026") -> object:  # noqa: S107
    return client.post(
        "/accounts/register/",
        {"email": email, "full_name": "测试申请人", "password1": password, "password2": password},
    )


def _same_page(response, email: str) -> str:
    """The page with the address and the per-response CSRF token blanked."""
    html = response.content.decode().replace(email, "X")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _link(message) -> str:
    return LINK.search(message.body).group(0)


def test_r_a1_registration_confirmation_and_approval(alpha, beta):
    # given alpha requires staff approval before filing
    client = alpha.client()
    # when someone registers
    response = _register(client, "New.Person@Example.com")
    # then the account exists at alpha only, unconfirmed and unapproved, with one confirmation email
    assert response.status_code == 200
    user = User.objects.get(email="new.person@example.com")
    assert user.provider_id == alpha.provider.pk
    assert user.email_confirmed_at is None
    with tenant_scope(alpha.provider):
        assert Membership.objects.get(user=user).approved_at is None
    assert [m.to for m in mail.outbox] == [["new.person@example.com"]]
    assert OutboxMessage.objects.get().status == OutboxStatus.SENT

    # when the link in the email is opened on alpha's host
    confirm_path = _link(mail.outbox[0]).split("alpha.localhost", 1)[1]
    response = client.get(confirm_path)
    # then the address is confirmed and alpha's admin is told an applicant waits
    assert response.status_code == 200
    user.refresh_from_db()
    assert user.email_confirmed_at is not None
    assert [m.to for m in mail.outbox[1:]] == [["provider_admin@alpha.test"]]
    assert "new.person@example.com" in mail.outbox[1].subject

    # when alpha's admin approves from the home page
    admin = alpha.client("provider_admin")
    assert "new.person@example.com" in admin.get("/").content.decode()
    with tenant_scope(alpha.provider):
        membership = Membership.objects.get(user=user)
    response = admin.post(f"/accounts/staff/applicants/{membership.pk}/approve/")
    # then the applicant is approved and told so by email
    assert response.status_code == 302
    with tenant_scope(alpha.provider):
        membership.refresh_from_db()
    assert membership.approved_by_id == alpha.users["provider_admin"].pk
    assert [m.to for m in mail.outbox[2:]] == [["new.person@example.com"]]
    # and a second click changes nothing and sends nothing
    admin.post(f"/accounts/staff/applicants/{membership.pk}/approve/")
    assert len(mail.outbox) == 3


def test_r_a1_provider_without_approval_approves_on_registration(beta):
    _register(beta.client(), "solo@example.com")
    user = User.objects.get(email="solo@example.com")
    with tenant_scope(beta.provider):
        assert Membership.objects.get(user=user).approved_at is not None


def test_r_a1_same_email_registers_separately_per_provider(alpha, beta):
    _register(alpha.client(), "both@example.com", "alpha-pass-2026!")
    _register(beta.client(), "both@example.com", "beta-pass-2026!!")
    assert sorted(User.objects.filter(email="both@example.com").values_list("provider__slug", flat=True)) == [
        "alpha",
        "beta",
    ]
    # and each password works only on its own host
    ok = alpha.client().post(
        "/accounts/login/", {"username": "both@example.com", "password": "alpha-pass-2026!"}
    )
    bad = alpha.client().post(
        "/accounts/login/", {"username": "both@example.com", "password": "beta-pass-2026!!"}
    )
    assert ok.status_code == 302
    assert bad.status_code == 200
    assert "邮箱或密码不正确" in bad.content.decode()


def test_finding_3_duplicate_registration_answers_like_a_new_one_and_the_email_says_so(alpha, beta):
    # given an address already registered at alpha
    _register(alpha.client(), "dup@example.com")
    mail.outbox.clear()
    # when someone registers it again (other case) and a fresh address is registered
    again = _register(alpha.client(), "DUP@example.com")
    fresh = _register(alpha.client(), "fresh@example.com")
    # then both pages are the same page (only the address differs) and nothing new is created
    assert again.status_code == fresh.status_code == 200
    assert _same_page(again, "DUP@example.com") == _same_page(fresh, "fresh@example.com")
    assert User.objects.filter(email="dup@example.com").count() == 1
    # and only the mailbox owner learns which case it was
    assert [(m.to, "注册过账户" in m.subject) for m in mail.outbox] == [
        (["dup@example.com"], True),
        (["fresh@example.com"], False),
    ]
    # and beta knows nothing of either
    assert not User.objects.filter(
        provider=beta.provider, email__in=["dup@example.com", "fresh@example.com"]
    ).exists()


def test_r_a1_weak_password_is_refused_with_reasons_and_nothing_created(alpha):
    response = _register(alpha.client(), "weak@example.com", "12345678")
    assert response.status_code == 200
    errors = response.context["form"].errors["password1"]
    assert len(errors) >= 2
    assert not User.objects.filter(email="weak@example.com").exists()
    assert mail.outbox == []


def test_r_a1_confirmation_link_of_another_tenant_does_not_confirm(alpha, beta):
    # given a beta applicant's valid confirmation token
    user = User.objects.create_user("pending@example.com", PASSWORD, provider=beta.provider)
    token = email_confirmation_token(user)
    # when it is opened on alpha's host
    response = alpha.client().get(f"/accounts/confirm/{token}/")
    # then nothing is confirmed
    assert response.status_code == 400
    user.refresh_from_db()
    assert user.email_confirmed_at is None
    # and on beta's own host it works
    assert beta.client().get(f"/accounts/confirm/{token}/").status_code == 200


def test_r_a1_tampered_confirmation_token_is_rejected(alpha):
    response = alpha.client().get("/accounts/confirm/not-a-token/")
    assert response.status_code == 400
    assert "确认链接无效" in response.content.decode()


def test_r_a2_argon2_is_the_production_hasher():
    import icpfiling.settings as production_settings

    assert production_settings.PASSWORD_HASHERS[0] == "icpfiling.accounts.hashers.PortalArgon2PasswordHasher"


def test_r_a2_argon2id_at_owasp_parameters_and_djangos_hashes_still_verify_then_upgrade(settings):
    import argon2
    from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, make_password

    settings.PASSWORD_HASHERS = ["icpfiling.accounts.hashers.PortalArgon2PasswordHasher"]
    # Given a new hash, and one made with Django's default parameters before the change
    new = make_password("correct-horse-battery-9")
    old = Argon2PasswordHasher().encode("correct-horse-battery-9", Argon2PasswordHasher().salt())
    # Then the new one is Argon2id, 19 MiB, 2 passes, 1 lane
    params = argon2.extract_parameters(new.removeprefix("argon2"))
    assert (params.type, params.memory_cost, params.time_cost, params.parallelism) == (
        argon2.Type.ID,
        19456,
        2,
        1,
    )
    # And the old one still verifies, asking to be rewritten; a wrong password does neither
    rewritten = []
    assert check_password("correct-horse-battery-9", old, setter=rewritten.append)
    assert rewritten == ["correct-horse-battery-9"]
    assert not check_password("wrong-password-00", old, setter=rewritten.append)
    assert rewritten == ["correct-horse-battery-9"]
    assert check_password("correct-horse-battery-9", new, setter=rewritten.append)
    assert rewritten == ["correct-horse-battery-9"]


def test_r_a2_login_throttled_per_account_and_address(alpha, beta, settings):
    settings.AXES_FAILURE_LIMIT = 3
    client = alpha.client()
    email = "reviewer@alpha.test"
    # given failures for one account from one address
    codes = [
        client.post(
            "/accounts/login/", {"username": email, "password": "wrong"}, REMOTE_ADDR="10.0.0.1"
        ).status_code
        for i in range(4)
    ]
    # then the third failure locks that (account, address) pair, the right password included
    assert codes == [200, 200, 429, 429]
    locked = client.post(
        "/accounts/login/", {"username": email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.1"
    )
    assert locked.status_code == 429
    assert "尝试次数过多" in locked.content.decode()
    # while the same account from another address, and beta's account of the same name, still log in
    elsewhere = alpha.client().post(
        "/accounts/login/", {"username": email, "password": PASSWORD}, REMOTE_ADDR="10.0.0.9"
    )
    assert elsewhere.status_code == 302
    other = beta.client().post("/accounts/login/", {"username": "reviewer@beta.test", "password": PASSWORD})
    assert other.status_code == 302


def test_r_a2_login_throttled_per_address(alpha, settings):
    settings.AXES_ADDRESS_FAILURE_LIMIT = 3
    client = alpha.client()
    for i in range(3):
        client.post(
            "/accounts/login/", {"username": f"nobody{i}@x.test", "password": "x"}, REMOTE_ADDR="10.9.9.9"
        )
    response = client.post(
        "/accounts/login/", {"username": "applicant@alpha.test", "password": PASSWORD}, REMOTE_ADDR="10.9.9.9"
    )
    assert response.status_code == 429


def test_r_a2_staff_session_expires_after_idle_timeout(alpha, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 600
    client = alpha.client("reviewer")
    assert client.get("/").status_code == 200
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 601
    session.save()
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/")
    assert client.get("/").status_code == 200  # now anonymous: the public page
    assert "_auth_user_id" not in client.session


def test_r_a2_applicant_session_has_no_idle_timeout(alpha, settings):
    settings.STAFF_IDLE_TIMEOUT_SECONDS = 600
    client = alpha.client("applicant")
    client.get("/")
    session = client.session
    session[LAST_SEEN_KEY] = int(time.time()) - 6000
    session.save()
    response = client.get("/")
    assert response.status_code == 200
    assert "我的备案" in response.content.decode()


def test_r_a2_disabling_an_account_ends_its_sessions(alpha):
    # given a reviewer logged in through the real login form on two devices
    phone, laptop = alpha.client(), alpha.client()
    for c in (phone, laptop):
        assert (
            c.post("/accounts/login/", {"username": "reviewer@alpha.test", "password": PASSWORD}).status_code
            == 302
        )
    reviewer = alpha.users["reviewer"]
    assert reviewer.sessions.count() == 2
    # when the provider admin disables the account
    response = alpha.client("provider_admin").post(f"/accounts/staff/users/{reviewer.pk}/disable/")
    # then both sessions are gone and the next request is anonymous
    assert response.status_code == 302
    reviewer.refresh_from_db()
    assert reviewer.is_active is False
    assert reviewer.sessions.count() == 0
    assert not Session.objects.filter(session_key=phone.session.session_key).exists()
    # nor kept where sessions are cached (Redis in production): the engine finds neither
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for c in (phone, laptop):
        key = c.cookies["sessionid"].value
        assert store.exists(key) is False
        assert store.__class__(session_key=key).load() == {}
    assert "审核工作台" not in phone.get("/").content.decode()


def test_r_a2_session_from_another_host_is_not_honoured(alpha, beta):
    # given a beta user's session cookie presented on alpha's host
    beta_client = beta.client("reviewer")
    stolen = Client(HTTP_HOST=alpha.host)
    stolen.cookies = beta_client.cookies
    # then alpha logs it out instead of serving beta's user
    response = stolen.get("/")
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=beta_client.cookies["sessionid"].value).exists()


@pytest.mark.parametrize("host_tenant", ["alpha", "beta"])
def test_r_a1_password_reset_only_finds_accounts_of_this_host(alpha, beta, host_tenant):
    tenant = alpha if host_tenant == "alpha" else beta
    tenant.client().post("/accounts/password-reset/", {"email": "applicant@alpha.test"})
    if host_tenant == "alpha":
        assert [m.to for m in mail.outbox] == [["applicant@alpha.test"]]
        path = _link(mail.outbox[0]).split(alpha.host, 1)[1]
        # the link does not work on beta's host
        assert beta.client().get(path, follow=True).context["validlink"] is False
        # and works on alpha's
        response = alpha.client().get(path, follow=True)
        assert response.context["validlink"] is True
        done = alpha.client()
        done.get(path, follow=True)
        form_path = done.get(path).get("Location") or path
        response = done.post(
            form_path, {"new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"}
        )
        assert response.status_code == 302
        assert User.objects.get(pk=alpha.users["applicant"].pk).check_password("Brand-new-pass-77")
    else:
        # beta has no such account: the mailbox is told so, and no reset link is sent (finding 3)
        assert [m.to for m in mail.outbox] == [["applicant@alpha.test"]]
        assert "/accounts/reset/" not in mail.outbox[0].body
        assert "http://beta.localhost/accounts/register/" in mail.outbox[0].body


def test_r_a1_resend_confirmation_sends_a_fresh_link(alpha):
    user = User.objects.create_user("late@example.com", PASSWORD, provider=alpha.provider)
    with tenant_scope(alpha.provider):
        Membership.objects.create(tenant=alpha.provider, user=user, role="applicant")
    client = alpha.client()
    client.force_login(user, backend="icpfiling.accounts.backends.TenantEmailBackend")
    client.post("/accounts/confirm-resend/")
    assert [m.to for m in mail.outbox] == [["late@example.com"]]


def test_r_a1_admin_of_another_tenant_cannot_approve(alpha, beta):
    user = User.objects.create_user("wait@example.com", PASSWORD, provider=alpha.provider)
    with tenant_scope(alpha.provider):
        m = Membership.objects.create(tenant=alpha.provider, user=user, role="applicant")
    response = beta.client("provider_admin").post(f"/accounts/staff/applicants/{m.pk}/approve/")
    assert response.status_code == 404
    with tenant_scope(alpha.provider):
        m.refresh_from_db()
    assert m.approved_at is None
    assert mail.outbox == []


def test_r_a1_reviewer_cannot_approve_applicants(alpha):
    user = User.objects.create_user("wait2@example.com", PASSWORD, provider=alpha.provider)
    with tenant_scope(alpha.provider):
        m = Membership.objects.create(tenant=alpha.provider, user=user, role="applicant")
    assert alpha.client("reviewer").post(f"/accounts/staff/applicants/{m.pk}/approve/").status_code == 403
    with tenant_scope(alpha.provider):
        m.refresh_from_db()
    assert m.approved_at is None
