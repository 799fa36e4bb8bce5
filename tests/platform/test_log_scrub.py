"""R-X5 and finding 7: no bearer token, code, resident ID or mobile in the logs."""

from __future__ import annotations

import datetime as dt
import io
import logging
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from stdnum.cn import ric

from filings.materials.services import phone_link_create
from icpfiling.core.scrub import ScrubbingGunicornLogger, ScrubFilter, mask_code, scrub
from icpfiling.notifications.sms import ConsoleSmsBackend
from icpfiling.tenancy.context import tenant_scope

TOKEN = "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OTBhYmNkZWY"
RID = "11010519491231002X"
assert ric.is_valid(RID)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (f"GET /m/{TOKEN}/ HTTP/1.1", "GET /m/***/ HTTP/1.1"),
        (f"/vp/track/{TOKEN}/scans/3/", "/vp/track/***/scans/3/"),
        (f"/accounts/confirm/{TOKEN}/", "/accounts/confirm/***/"),
        ("/accounts/reset/MTI/cx1f0a-0123456789abcdef/", "/accounts/reset/MTI/***/"),
        ("/accounts/reset/MTI/set-password/", "/accounts/reset/MTI/set-password/"),
        (f"/x/?token={TOKEN}&page=2", "/x/?token=***&page=2"),
        (f"Authorization: Bearer {TOKEN}", "Authorization: Bearer ***"),
        (f"id {RID} mobile 13905710021.", "id 1101**********002X mobile 139****0021."),
        ("order 12345 at /m/ start", "order 12345 at /m/ start"),
    ],
)
def test_r_x5_scrub_masks_tokens_ids_and_mobiles(raw, clean):
    assert scrub(raw) == clean


def test_r_x5_codes_keep_their_last_two_digits():
    assert mask_code("验证码 123456，24 小时内有效") == "验证码 ****56，24 小时内有效"


def _configured_handler() -> logging.Handler:
    handlers = [h for h in logging.getLogger().handlers if any(isinstance(f, ScrubFilter) for f in h.filters)]
    assert handlers, "LOGGING's console handler lost its scrub filter"
    return handlers[0]


def test_finding_7_django_request_log_has_no_phone_token(alpha, beta):
    # given a live phone link on alpha and the configured console handler writing to a buffer
    with tenant_scope(alpha.provider):
        _link, token = phone_link_create(order=None, tenant_id=alpha.provider.pk)
    handler = _configured_handler()
    buffer = io.StringIO()
    old = handler.setStream(buffer)
    try:
        # when a token URL is logged (a 404 for a revoked link, and an explicit warning with personal data)
        alpha.client().get(f"/m/{token}x/")
        logging.getLogger("icpfiling.test").warning("applicant %s %s on /m/%s/", RID, "13905710021", token)
    finally:
        handler.setStream(old)
    out = buffer.getvalue()
    # then the lines are written, without the token, ID or mobile
    assert "/m/***/" in out
    assert token not in out
    assert RID not in out
    assert "13905710021" not in out
    assert "139****0021" in out


def test_finding_7_gunicorn_access_log_has_no_tokens():
    # given gunicorn's logger as gunicorn.conf.py configures it, writing the access log to a buffer
    cfg = Config()
    cfg.set("accesslog", "-")
    logger = ScrubbingGunicornLogger(cfg)
    buffer = io.StringIO()
    for h in logger.access_log.handlers:
        h.setStream(buffer)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/vp/track/{TOKEN}/?token={TOKEN}",
        "PATH_INFO": f"/vp/track/{TOKEN}/",
        "QUERY_STRING": f"token={TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"http://alpha.localhost/m/{TOKEN}/",
    }
    req = SimpleNamespace(headers=[("REFERER", f"http://alpha.localhost/m/{TOKEN}/")])
    resp = SimpleNamespace(status="200 OK", response_length=10, sent=10, headers=[])
    # when a request is logged
    logger.access(resp, req, environ, dt.timedelta(milliseconds=5))
    out = buffer.getvalue()
    # then the line is there, with the tokens masked in the request line and the referer
    assert "GET /vp/track/***/?token=*** HTTP/1.1" in out
    assert "/m/***/" in out
    assert TOKEN not in out


def test_finding_7_gunicorn_conf_uses_the_scrubbing_logger():
    from tests.platform.test_deployment_files import ROOT

    cfg: dict = {}
    exec(compile((ROOT / "gunicorn.conf.py").read_text(), "gunicorn.conf.py", "exec"), cfg)  # noqa: S102
    assert cfg["logger_class"] == "icpfiling.core.scrub.ScrubbingGunicornLogger"


def test_finding_7_console_sms_prints_masked_mobile_and_no_code(capsys, settings, tmp_path):
    # given the embedded run's console gateway keeping full texts in a private folder
    settings.CONSOLE_SMS_DIR = str(tmp_path / "sms")
    # when a code is sent
    ConsoleSmsBackend().send(to="13905710021", body="【ICP备案】验证码 483920，请在 24 小时内回复。")
    out = capsys.readouterr().out
    # then the console shows a masked mobile and the code's last two digits only
    assert "[SMS to 139****0021]" in out
    assert "****20" in out
    assert "483920" not in out
    assert "13905710021" not in out
    # and the demo can still read the full message from the private file it names
    files = list((tmp_path / "sms").iterdir())
    assert len(files) == 1
    assert str(files[0]) in out
    assert "483920" in files[0].read_text(encoding="utf-8")


def test_r_x5_celery_worker_log_handlers_are_scrubbed():
    # given the handlers Celery installs when a worker starts / when its logging signals fire
    from celery import signals

    import icpfiling.celery  # noqa: F401  (connects the receivers)

    logger = logging.getLogger("celery-worker-test")
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    logger.addHandler(handler)
    try:
        signals.after_setup_logger.send(
            sender=None,
            logger=logger,
            loglevel=logging.INFO,
            logfile=None,
            format="%(message)s",
            colorize=False,
        )
        logger.warning("outbox to %s failed for /m/%s/", "13905710021", TOKEN)
    finally:
        logger.removeHandler(handler)
    # then the line is written with the mobile and the token masked
    assert buffer.getvalue().strip() == "outbox to 139****0021 failed for /m/***/"
