"""R-B3: in the embedded run, emails printed on the console are readable (issue 12, item 1)."""

from __future__ import annotations

import base64
from io import StringIO
from pathlib import Path

import environ
import pytest
from django.core import mail
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.test import override_settings
from django.utils.module_loading import import_string

from icpfiling import settings as portal_settings
from icpfiling.core.mailers import SMTP, mailer_from_url

LINK = "http://alpha.localhost:8101/accounts/confirm/MTIz-abc123/"
BODY = f"您好，张三：\n\n请点击以下链接确认您的邮箱地址：\n{LINK}\n\n此链接 3 天内有效。"


def _embedded_backend(stream):
    # The settings module as the embedded run loads it (tests are never production).
    assert not portal_settings.PRODUCTION
    return import_string(portal_settings.MAILERS["default"]["BACKEND"])(stream=stream)


def test_r_b3_console_email_prints_headers_and_decoded_chinese_body():
    # Given the embedded run's email backend writing to a terminal
    stream = StringIO()
    backend = _embedded_backend(stream)
    # When a Chinese confirmation email is sent
    sent = backend.send_messages(
        [
            EmailMessage(
                subject="请确认您的邮箱", body=BODY, to=["zhangsan@example.com"], from_email="noreply@x"
            )
        ],
    )
    # Then a person reads the subject, the recipient and the text with its link on its own line
    out = stream.getvalue()
    assert sent == 1
    assert "Subject: 请确认您的邮箱" in out
    assert "To: zhangsan@example.com" in out
    assert "From: noreply@x" in out
    assert f"\n{LINK}\n" in out
    assert "请点击以下链接确认您的邮箱地址：" in out
    # and nothing is left encoded on the wire format
    assert "Content-Transfer-Encoding" not in out
    assert base64.b64encode(BODY.encode()).decode()[:20] not in out


def test_r_b3_console_email_prints_every_text_part_and_names_attachments():
    # Given a message with an HTML alternative and an attachment
    stream = StringIO()
    msg = EmailMultiAlternatives(subject="月度结算单", body="本月结算单见附件。", to=["a@example.com"])
    msg.attach_alternative("<p>本月结算单见附件。</p>", "text/html")
    msg.attach("statement.csv", "a,b\n1,2\n", "text/csv")
    # When it is printed
    _embedded_backend(stream).send_messages([msg])
    # Then both text parts are decoded and the attachment is named, not dumped
    out = stream.getvalue()
    assert "本月结算单见附件。\n" in out
    assert "<p>本月结算单见附件。</p>" in out
    assert "[attachment: statement.csv]" in out


def test_r_b3_production_keeps_the_smtp_backend():
    # Given the settings source: production reads EMAIL_URL into a mailer
    source = Path(portal_settings.__file__).read_text(encoding="utf-8")
    production_branch = source.split("if PRODUCTION:\n    _mail = ", 1)[1].split("else:", 1)[0]
    # Then the readable console backend appears only outside that branch
    assert 'env.email_url("EMAIL_URL", default="smtp://localhost:25")' in production_branch
    assert "console" not in production_branch
    # And the default URL gives Django's SMTP backend
    assert mailer_from_url(environ.Env.email_url_config("smtp://localhost:25"))["BACKEND"] == SMTP


@pytest.mark.parametrize(
    ("url", "backend", "options"),
    [
        (
            "smtp+tls://noreply:secret@smtp.example.com:587",
            SMTP,
            {
                "host": "smtp.example.com",
                "port": 587,
                "username": "noreply",
                "password": "secret",
                "use_tls": True,
                "use_ssl": False,
                "timeout": 10,
            },
        ),
        ("consolemail://", "django.core.mail.backends.console.EmailBackend", {}),
        ("dummymail://", "django.core.mail.backends.dummy.EmailBackend", {}),
        (
            "filemail:///var/mail/portal",
            "django.core.mail.backends.filebased.EmailBackend",
            {"file_path": "/var/mail/portal"},
        ),
    ],
)
def test_r_b3_each_email_url_gives_its_backend_only_the_options_it_takes(url, backend, options, tmp_path):
    # Given an EMAIL_URL as production reads it
    mailer = mailer_from_url(environ.Env.email_url_config(url))
    # Then the mailer names the backend with exactly its own options
    assert mailer == {"BACKEND": backend, "OPTIONS": options}
    # And Django builds it (it refuses options a backend does not take: "Unknown options")
    if backend.endswith("filebased.EmailBackend"):
        mailer["OPTIONS"]["file_path"] = str(tmp_path)
    with override_settings(MAILERS={"default": mailer}):
        connection = mail.mailers["default"]
        assert f"{type(connection).__module__}.{type(connection).__name__}" == backend
