"""R-X3 in the browser: a reviewer sets up the authenticator on a phone-sized screen and signs in with it."""

from __future__ import annotations

import base64
import time

import pytest
from django_otp.oath import TOTP

from icpfiling.demo.seed import demo_seed
from tests.journeys.test_browser import login, url
from tests.services import requires_chromium


def _code(key_text: str, *, steps_ahead: int = 0) -> str:
    key = key_text.replace(" ", "")
    raw = base64.b32decode(key + "=" * (-len(key) % 8))
    totp = TOTP(raw)
    totp.time = time.time() + 30 * steps_ahead
    return f"{totp.token():06d}"


@requires_chromium
@pytest.mark.django_db(transaction=True)
def test_r_x3_reviewer_enrols_and_signs_in_with_the_second_factor(live_server, browser, settings):
    demo_seed(lifecycle=False)
    settings.ICPFILING_DEMO_PASSWORD_ONLY_LOGIN = False  # production behaviour
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    # given the reviewer signs in with the password: the set-up page comes first
    login(page, live_server, "alpha", "reviewer@alpha.demo")
    assert page.locator("h1").inner_text() == "设置两步验证"
    assert page.locator("img[alt='两步验证二维码']").count() == 1
    key = page.locator("code").inner_text()
    # a wrong code is named next to the field
    page.fill("#id_token", "000000")
    page.click("button.primary")
    assert "验证码不正确" in page.locator("main").inner_text()
    # when the app's code is typed
    page.fill("#id_token", _code(key))
    page.click("button.primary")
    # then ten recovery codes are shown once, and the review desk opens
    assert page.locator("h1").inner_text() == "两步验证已启用"
    assert page.locator("ul.list code").count() == 10
    recovery = page.locator("ul.list code").first.inner_text()
    page.click("text=我已保存，继续")
    page.goto(url(live_server, "alpha", "/review/"))
    assert page.locator("h1").first.inner_text() == "审核队列"
    ctx.close()
    # and a new sign-in asks for a code; a recovery code works
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = ctx.new_page()
    page.set_default_timeout(15000)
    login(page, live_server, "alpha", "reviewer@alpha.demo")
    assert page.locator("h1").inner_text() == "两步验证"
    page.fill("#id_token", recovery)
    page.click("button.primary")
    page.goto(url(live_server, "alpha", "/review/"))
    assert page.locator("h1").first.inner_text() == "审核队列"
    ctx.close()
