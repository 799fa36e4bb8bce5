"""R-A2: the login lockout counts per (account, address) pair, with a higher limit per address.

Finding 1 of the outside attack: with the two parameters listed separately and
reset-on-success, one correct login of the attacker's own account from an
address wiped every failure recorded for that address, so guessing a staff
password never locked. Each test posts to the real login view on a tenant host.
"""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt

from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"
ATTACKER = "10.66.0.1"
OFFICE = "10.77.0.1"


def _post(client, email: str, password: str, addr: str) -> int:
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=addr).status_code


@pytest.fixture
def limits(settings):
    settings.AXES_FAILURE_LIMIT = 5
    settings.AXES_ADDRESS_FAILURE_LIMIT = 30
    return settings


def test_r_a2_interleaved_own_logins_do_not_reset_the_staff_pair(alpha, beta, limits):
    # given an attacker who owns the applicant account and guesses the reviewer's password
    client = beta.client()
    reviewer, own = "reviewer@beta.test", "applicant@beta.test"
    codes = []
    # when they interleave four wrong guesses with one correct login of their own, five times over
    for _ in range(5):
        codes += [_post(client, reviewer, "wrong", ATTACKER) for _ in range(4)]
        codes.append(_post(client, own, PASSWORD, ATTACKER))
        client.logout()
    # then the fifth wrong guess locked the pair: every later guess is refused
    guesses = [c for i, c in enumerate(codes) if i % 5 != 4]
    assert guesses[:4] == [200, 200, 200, 200]
    assert guesses[4] == 429
    assert set(guesses[5:]) == {429}
    # and the right password from that address is refused too
    assert _post(client, reviewer, PASSWORD, ATTACKER) == 429
    # while the attacker's own account kept working (its pair never failed)
    assert [c for i, c in enumerate(codes) if i % 5 == 4] == [302] * 5


def test_r_a2_a_success_resets_only_its_own_pair(alpha, beta, limits):
    # given four failures for the reviewer and four for the admin from one address
    client = beta.client()
    for _ in range(4):
        assert _post(client, "reviewer@beta.test", "wrong", OFFICE) == 200
        assert _post(client, "provider_admin@beta.test", "wrong", OFFICE) == 200
    # when the reviewer logs in correctly
    assert _post(client, "reviewer@beta.test", PASSWORD, OFFICE) == 302
    client.logout()
    # then the reviewer's pair starts again from zero, the admin's does not
    assert AccessAttempt.objects.filter(username__endswith="reviewer@beta.test").count() == 0
    assert _post(client, "provider_admin@beta.test", "wrong", OFFICE) == 429
    assert _post(client, "provider_admin@beta.test", PASSWORD, OFFICE) == 429
    for _ in range(4):
        assert _post(client, "reviewer@beta.test", "wrong", OFFICE) == 200


def test_r_a2_guesses_from_another_address_never_lock_staff_out(alpha, beta, limits):
    # given an applicant who fails ten times on the reviewer's account from their own address
    client = beta.client()
    assert [_post(client, "reviewer@beta.test", "wrong", ATTACKER) for _ in range(10)][-1] == 429
    # when the reviewer logs in from the office
    office = beta.client()
    # then the office pair is untouched: the right password works at once
    assert _post(office, "reviewer@beta.test", PASSWORD, OFFICE) == 302


def test_r_a2_many_accounts_from_one_address_hit_the_address_limit(alpha, beta, limits):
    # given an address limit of 30 failures, whatever the account
    client = alpha.client()
    # when one address makes 4 failures (under the pair's limit) on each of 8 accounts
    codes = [_post(client, f"guess{n}@alpha.test", "wrong", ATTACKER) for n in range(8) for _ in range(4)]
    # then the 30th failure from the address locks it for every account, even a right password
    assert codes[:29] == [200] * 29
    assert set(codes[29:]) == {429}
    assert _post(client, "applicant@alpha.test", PASSWORD, ATTACKER) == 429
    # and another address is not affected, nor the same account elsewhere
    assert _post(alpha.client(), "applicant@alpha.test", PASSWORD, OFFICE) == 302


def test_r_a2_a_success_never_resets_the_address_count(alpha, beta, limits):
    # given 29 failures over many accounts from one address
    client = alpha.client()
    for n in range(29):
        assert _post(client, f"guess{n}@alpha.test", "wrong", ATTACKER) == 200
    # when the attacker logs in correctly to their own account from there
    assert _post(client, "applicant@alpha.test", PASSWORD, ATTACKER) == 302
    client.logout()
    # then the count stays: the next failure reaches the address limit
    assert _post(client, "guess99@alpha.test", "wrong", ATTACKER) == 429
    assert _post(client, "reviewer@alpha.test", PASSWORD, ATTACKER) == 429


def test_r_a2_lockout_is_per_host_pair_not_per_tenant_neighbour(alpha, beta, limits):
    # given the alpha reviewer locked from the attacker's address
    a = alpha.client()
    for _ in range(5):
        _post(a, "reviewer@alpha.test", "wrong", ATTACKER)
    assert _post(a, "reviewer@alpha.test", PASSWORD, ATTACKER) == 429
    # when beta's reviewer logs in from the same address
    # then beta's pair is a different account on a different host
    assert _post(beta.client(), "reviewer@beta.test", PASSWORD, ATTACKER) == 302
