"""R-L1 (issue 12, item 7): history lines and inbox messages read in the reader's language.

They are stored as rendered text; the pages show them through
``icpfiling.core.stored_text.reader_text``, which finds the catalogue entry a text was
rendered from, so rows written before (in Chinese, or in English by a writer working in
English) read in the language of whoever opens the page.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext

from filings.models import OrderEvent
from filings.verification import services as vf
from icpfiling.notifications.delivery import outbox_deliver_one
from icpfiling.notifications.models import Channel, InboxMessage, OutboxMessage
from icpfiling.tenancy.context import tenant_scope
from tests.platform.test_page_language import _nodes
from tests.verification.test_verification import (
    ALL_ORIGINALS,
    _booked,
    make_point,
    photo,
    staff_user,
)

pytestmark = pytest.mark.django_db


def _reader(tenant, role: str, language: str):
    client = tenant.client(role)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


def _timeline(html: str) -> str:
    start = html.index('<ol class="timeline">')
    return " | ".join(_nodes(html[start : html.index("</ol>", start)]))


def test_r_l1_history_lines_read_in_the_readers_language(alpha, beta):
    # Given an order checked at alpha's point (the service writes the history line), an old
    # row written in Chinese by the SMS sweep, and one written by a reader working in English
    point = make_point(alpha, "西湖核验点")
    order, _booking = _booked(alpha, point)
    _booked(beta, make_point(beta, "Beta 核验点"))
    with tenant_scope(alpha.provider):
        vf.check_record(
            order=order,
            staff_user=staff_user(alpha, point),
            originals_seen=ALL_ORIGINALS,
            curtain_photo=photo(),
            result="passed",
        )
        OrderEvent.objects.create(
            tenant_id=order.tenant_id,
            order=order,
            kind="sms_failed",
            message="短信核验超时：24 小时内未完成全部验证码。",
        )
        with translation.override("en"):
            written_in_english = gettext("%(where)s：核验不通过（%(reason)s）") % {
                "where": gettext("远程核验"),
                "reason": "照片模糊",
            }
        OrderEvent.objects.create(
            tenant_id=order.tenant_id, order=order, kind="verified", message=written_in_english
        )
    assert written_in_english == "Remote verification: check failed (照片模糊)"
    # When the applicant reads the order's history in English and in Chinese
    english = _timeline(_reader(alpha, "applicant", "en").get(f"/orders/{order.pk}/").content.decode())
    chinese = _timeline(_reader(alpha, "applicant", "zh-hans").get(f"/orders/{order.pk}/").content.decode())
    # Then each line reads in the reader's language (the point's name and the reason as written)
    assert "On-site check (西湖核验点): check passed" in english
    assert "SMS check timed out: not every code was entered within 24 hours." in english
    assert "Remote verification: check failed (照片模糊)" in english
    assert "核验通过" not in english
    assert "短信核验超时" not in english
    assert "现场核验（西湖核验点）：核验通过" in chinese
    assert "：短信核验超时：24 小时内未完成全部验证码。" in chinese
    assert "：远程核验：核验不通过（照片模糊）" in chinese
    assert "check passed" not in chinese
    assert "Remote verification" not in chinese


def test_r_l1_inbox_messages_read_in_the_readers_language(alpha, beta):
    # Given a booking notified to alpha's applicant (subject and body stored in Chinese) and
    # one to beta's applicant, delivered to the inboxes
    point = make_point(alpha, "西湖核验点")
    order, booking = _booked(alpha, point, hours=26)
    _booked(beta, make_point(beta, "Beta 核验点"), hours=26)
    with tenant_scope(alpha.provider):
        slot = booking.slot
    for pk in OutboxMessage.objects.filter(channel=Channel.INBOX).values_list("pk", flat=True):
        outbox_deliver_one(message_id=pk)
    stored = InboxMessage.objects.get(user=alpha.users["applicant"], subject__contains="已预约现场核验")
    when = timezone.localtime(slot.starts_at).strftime("%Y-%m-%d %H:%M")
    assert stored.subject == f"备案订单 #{order.pk} 已预约现场核验：{when}"
    # When the applicant opens the inbox in English and in Chinese
    english = " ".join(_nodes(_reader(alpha, "applicant", "en").get("/inbox/").content.decode()))
    chinese = " ".join(_nodes(_reader(alpha, "applicant", "zh-hans").get("/inbox/").content.decode()))
    # Then subject and body read in the reader's language, and only alpha's message is shown
    assert f"Filing order #{order.pk}: on-site check booked for {when}" in english
    assert "You have booked an on-site check at " in english
    assert "已预约现场核验" not in english
    assert "Beta 核验点" not in english
    assert f"备案订单 #{order.pk} 已预约现场核验：{when}" in chinese
    assert "您已预约 " in chinese
    assert "on-site check" not in chinese


@pytest.mark.parametrize(
    ("stored", "english", "chinese"),
    [
        # the authority's approval line (an existing row, numbers joined in Chinese)
        (
            "主体备案号：浙ICP备2026000001号；网站备案号：浙ICP备2026000001号-1（a.cn）、浙ICP备2026000001号-2（b.cn）",
            "Entity number: 浙ICP备2026000001号; website numbers: 浙ICP备2026000001号-1 (a.cn), "
            "浙ICP备2026000001号-2 (b.cn)",
            "主体备案号：浙ICP备2026000001号；网站备案号：浙ICP备2026000001号-1（a.cn）、浙ICP备2026000001号-2（b.cn）",
        ),
        # a reviewer's return summary: field labels composed with the reviewer's own words
        (
            "网站 1（a.cn）：域名：域名未实名认证",
            "Website 1 (a.cn): Domain: 域名未实名认证",
            "网站 1（a.cn）：域名：域名未实名认证",
        ),
        # a line written by someone working in English reads in Chinese for a Chinese reader
        ("Remote verification: check passed", "Remote verification: check passed", "远程核验：核验通过"),
        # what no catalogue entry wrote stays as written
        ("客户自述：备案信息无误", "客户自述: 备案信息无误", "客户自述：备案信息无误"),
    ],
)
def test_r_l1_stored_text_is_rendered_again_from_its_catalogue_entry(stored, english, chinese):
    # Given a stored history text; When it is read in English and in Chinese
    from icpfiling.core.stored_text import reader_text

    with translation.override("en"):
        in_english = reader_text(stored)
    with translation.override("zh-hans"):
        in_chinese = reader_text(stored)
    # Then each reader gets their language, the data inside unchanged
    assert (in_english, in_chinese) == (english, chinese)
