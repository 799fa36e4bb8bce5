"""Checks of an order's apps, mini-programs and quick apps (R-AP2, R-AP3, R-AP5).

At the root because the order validation (``orders``) and the app pages (``mobile``) share them.

Pure field checks (package name, fingerprint, public key, app domain) raise
``ValidationError``; ``app_errors`` collects every problem of one app keyed
``apps[i].<field>`` / ``apps[i].platforms.<platform>.<field>`` like the website
checks, so the order page shows them beside their fields.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections import defaultdict
from collections.abc import Callable
from datetime import date

import idna
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from filings.models import AppKind, AppPlatform, FilingOrder, OrderApp
from icpfiling.core import validators as v

Errors = dict[str, list[str]]

# Reverse-domain form: at least two dot-separated labels, each starting with a letter
# (Android's rule for package names; Apple's Bundle IDs also allow hyphens).
_ANDROID_PACKAGE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+$")
_BUNDLE_ID = re.compile(r"^[A-Za-z][A-Za-z0-9-]*(\.[A-Za-z0-9][A-Za-z0-9-]*)+$")
# Fingerprint length per platform (R-AP2): Android certificate MD5, iOS SHA-1. HarmonyOS and
# other platforms publish a SHA-256 certificate fingerprint; any of the three lengths is accepted.
FINGERPRINT_LENGTHS: dict[str, tuple[int, ...]] = {
    AppPlatform.ANDROID: (32,),
    AppPlatform.IOS: (40,),
    AppPlatform.HARMONY: (64, 40, 32),
    AppPlatform.OTHER: (64, 40, 32),
}
MINI_PLATFORM_CHOICES = [
    ("wechat", _("微信")),
    ("alipay", _("支付宝")),
    ("baidu", _("百度")),
    ("douyin", _("抖音")),
    ("quickapp", _("快应用联盟")),
    ("other", _("其他平台")),
]
_MINI_APPID = re.compile(r"^[A-Za-z0-9_.-]{4,64}$")
# Detection and the registry key a mini-program or quick app by "mini:<platform>" + AppID (R-AP5).
MINI_PREFIX = "mini:"


def clean_mini_appid(value: str) -> str:
    text = (value or "").strip()
    if not _MINI_APPID.match(text):
        raise ValidationError(
            _("请填写平台分配的 AppID（4-64 位字母、数字、下划线、点或连字符）。"), code="mini_appid_invalid"
        )
    return text


def detection_platform_choices() -> list[tuple[str, object]]:
    """What the first service of an app-only filing may be: an app platform or a mini-program's."""
    return [
        *AppPlatform.choices,
        *[
            (f"{MINI_PREFIX}{code}", _("小程序 / 快应用：%(p)s") % {"p": label})
            for code, label in MINI_PLATFORM_CHOICES
        ],
    ]


MAX_DOMAINS = 20
MAX_SDKS = 50


def clean_package_name(value: str, *, platform: str) -> str:
    """A package name (Android, HarmonyOS, other) or Bundle ID (iOS) in reverse-domain form."""
    text = (value or "").strip()
    pattern = _BUNDLE_ID if platform == AppPlatform.IOS else _ANDROID_PACKAGE
    if len(text) > 255 or not pattern.match(text):
        raise ValidationError(
            _(
                "“%(value)s”不是有效的%(what)s：应为反向域名形式，如 com.example.app"
                "（至少两段，以字母开头，只含字母、数字和%(extra)s）。"
            ),
            code="package_name_invalid",
            params={
                "value": text[:60],
                "what": _("Bundle ID") if platform == AppPlatform.IOS else _("包名"),
                "extra": _("连字符") if platform == AppPlatform.IOS else _("下划线"),
            },
        )
    return text


def clean_fingerprint(value: str, *, platform: str) -> str:
    """Hex digits only, lower case, colons and spaces dropped; the length fits the platform."""
    text = re.sub(r"[\s:]", "", value or "").lower()
    lengths = FINGERPRINT_LENGTHS.get(platform, (32, 40, 64))
    if not re.fullmatch(r"[0-9a-f]+", text or "-"):
        raise ValidationError(
            _("证书指纹只能包含十六进制数字（0-9、a-f），可带冒号分隔。"), code="fingerprint_not_hex"
        )
    if len(text) not in lengths:
        raise ValidationError(
            _("%(platform)s 证书指纹应为 %(n)s 位十六进制数字（%(algo)s），您填写了 %(got)d 位。"),
            code="fingerprint_length",
            params={
                "platform": AppPlatform(platform).label,
                "n": " / ".join(str(n) for n in lengths),
                "algo": {32: "MD5", 40: "SHA-1", 64: "SHA-256"}[lengths[0]],
                "got": len(text),
            },
        )
    return text


def clean_public_key(value: str) -> str:
    """A signing certificate's public key: PEM (key or certificate) or bare base64 DER; must parse."""
    text = (value or "").strip()
    error = ValidationError(
        _("签名证书公钥无法解析：请粘贴 PEM 格式（-----BEGIN PUBLIC KEY-----）或 Base64 编码的公钥。"),
        code="public_key_invalid",
    )
    if not text or len(text) > 4000:
        raise error
    try:
        if "-----BEGIN CERTIFICATE-----" in text:
            # The key is parsed only when asked for: a certificate with an unreadable key is refused.
            x509.load_pem_x509_certificate(text.encode("ascii")).public_key()
        elif "-----BEGIN" in text:
            load_pem_public_key(text.encode("ascii"))
        else:
            load_der_public_key(base64.b64decode("".join(text.split()), validate=True))
    except (
        ValueError,
        TypeError,
        binascii.Error,
        UnicodeEncodeError,
        x509.InvalidVersion,
        UnsupportedAlgorithm,
    ):
        raise error from None
    return text


def clean_app_domain(value: str) -> str:
    """A domain the app uses: a registered domain or a name up to the third level (R-AP2)."""
    text = (value or "").strip().lower().rstrip(".")
    invalid = ValidationError(
        _("“%(v)s”不是有效的域名，请填写如 example.com 或 api.example.com 的域名（不带 http://）。"),
        code="app_domain_invalid",
        params={"v": text[:80]},
    )
    if not text or len(text) > 253 or "/" in text or ":" in text or " " in text:
        raise invalid
    try:
        ascii_name = idna.encode(text, uts46=True, std3_rules=True).decode("ascii")
    except (idna.IDNAError, UnicodeError):
        raise invalid from None
    registered = v.registered_domain(ascii_name)
    if not registered:
        raise invalid
    if ascii_name.count(".") - registered.count(".") > 1:
        raise ValidationError(
            _("域名 %(v)s 超过三级；App 使用的域名最多填写到三级（如 api.example.com）。"),
            code="app_domain_too_deep",
            params={"v": text},
        )
    return ascii_name


def split_lines(text: str) -> list[str]:
    return [line.strip() for line in re.split(r"[\n,，;；]+", text or "") if line.strip()]


def _collect(errors: Errors, key: str, fn: Callable, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        errors[key].extend(exc.messages)
        return None


def app_errors(
    order: FilingOrder, app: OrderApp, index: int, *, today: date, person_check: Callable
) -> Errors:
    """Every problem of one app; ``person_check`` is the website principal's check (R-AP2)."""
    errors: Errors = defaultdict(list)
    p = f"apps[{index}]."
    if not app.name.strip():
        errors[p + "name"].append(_("请填写名称。"))
    svc = v.check_service_content(
        codes=list(app.service_content or []),
        pre_approvals=dict(app.pre_approvals or {}),
        individual=order.is_individual,
    )
    for key, errs in svc.items():
        errors[p + key].extend(m for e in errs for m in e.messages)
    if not app.languages:
        errors[p + "languages"].append(_("请至少选择一种语言。"))
    domains = list(app.domains or [])
    if len(domains) > MAX_DOMAINS:
        errors[p + "domains"].append(_("最多填写 %(n)d 个域名。") % {"n": MAX_DOMAINS})
    for d in domains:
        _collect(errors, p + "domains", clean_app_domain, d)
    for sdk in app.sdks or []:
        if not (sdk.get("provider") or "").strip() or not (sdk.get("kind") or "").strip():
            errors[p + "sdks"].append(_("每个第三方SDK请填写提供方和类型，格式：提供方|类型。"))
            break
    if app.kind == AppKind.APP:
        platforms = list(app.platforms.all())
        if not platforms:
            errors[p + "platforms"].append(
                _("请至少填写一个平台（Android、iOS、HarmonyOS 或其他）的包名、公钥和证书指纹。")
            )
        for plat in platforms:
            q = f"{p}platforms.{plat.platform}."
            if not plat.package_name.strip():
                errors[q + "package_name"].append(_("请填写包名或 Bundle ID。"))
            else:
                _collect(
                    errors, q + "package_name", clean_package_name, plat.package_name, platform=plat.platform
                )
            if not plat.public_key.strip():
                errors[q + "public_key"].append(_("请填写签名证书公钥。"))
            else:
                _collect(errors, q + "public_key", clean_public_key, plat.public_key)
            if not plat.fingerprint.strip():
                errors[q + "fingerprint"].append(_("请填写证书指纹。"))
            else:
                _collect(
                    errors, q + "fingerprint", clean_fingerprint, plat.fingerprint, platform=plat.platform
                )
    else:
        if app.mini_platform not in dict(MINI_PLATFORM_CHOICES):
            errors[p + "mini_platform"].append(_("请选择所属平台（微信、支付宝、百度、抖音等）。"))
        _collect(errors, p + "mini_appid", clean_mini_appid, app.mini_appid)
    if not app.principal_same_as_entity:
        person_check(errors, p, app, today)
    return dict(errors)


def _principal(order: FilingOrder, app: OrderApp) -> v.Person:
    src = order if app.principal_same_as_entity else app
    return v.Person(
        name=src.principal_name,
        id_number=src.principal_id_number,
        mobile=src.principal_mobile,
        email=src.principal_email,
    )


def apps_errors(order: FilingOrder, apps: list[OrderApp], *, today: date, person_check: Callable) -> Errors:
    """Every app's problems, plus R-V3's distinct contacts between app and entity principals."""
    errors: Errors = defaultdict(list)
    for i, app in enumerate(apps):
        for k, msgs in app_errors(order, app, i, today=today, person_check=person_check).items():
            errors[k].extend(msgs)
    if apps:
        people = v.check_people_distinct(
            entity_principal=_principal(order, OrderApp(principal_same_as_entity=True)),
            website_principals=[_principal(order, a) for a in apps],
            emergency_mobile=order.emergency_mobile,
        )
        for key, errs in people.items():
            # The shared check names websites; here the i-th principal is the i-th app's.
            key = key.replace("websites[", "apps[", 1).replace(".principal.", ".principal_")
            errors[key].extend(m for e in errs for m in e.messages)
    return dict(errors)


# --- signing certificate upload (R-AP2, better than typing hex) -------------------------------
# Signing certificates are a few hundred bytes to a few KB; anything larger is not one.
CERTIFICATE_MAX_BYTES = 64 * 1024
_FINGERPRINT_HASH = {AppPlatform.ANDROID: "md5", AppPlatform.IOS: "sha1"}


def certificate_extract(data: bytes, *, platform: str) -> tuple[str, str]:
    """(public key PEM, fingerprint) of an X.509 signing certificate in PEM or DER form.

    The bytes are only parsed by ``cryptography`` (never stored, never executed); the
    fingerprint uses the platform's hash (Android MD5, iOS SHA-1, others SHA-256), over
    the DER certificate as ``keytool`` and Apple show it.
    """
    from cryptography.hazmat.primitives import hashes, serialization

    if len(data) > CERTIFICATE_MAX_BYTES:
        raise ValidationError(
            _("证书文件过大（上限 %(n)d KB），请上传签名证书本身（.pem、.cer 或 .der）。"),
            code="certificate_too_large",
            params={"n": CERTIFICATE_MAX_BYTES // 1024},
        )
    try:
        if b"-----BEGIN CERTIFICATE-----" in data:
            cert = x509.load_pem_x509_certificate(data)
        else:
            cert = x509.load_der_x509_certificate(data)
        algorithm = {"md5": hashes.MD5(), "sha1": hashes.SHA1()}.get(  # noqa: S303 - the platforms' own fingerprints
            _FINGERPRINT_HASH.get(platform, ""), hashes.SHA256()
        )
        fingerprint = cert.fingerprint(algorithm).hex()
        public_key = (
            cert.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode("ascii")
        )
    except (ValueError, TypeError, UnicodeDecodeError, x509.InvalidVersion, UnsupportedAlgorithm):
        # Neither is a ValueError: a certificate version byte out of range, a key type unknown to
        # cryptography (the key is parsed only when asked for).
        raise ValidationError(
            _("无法读取签名证书：请上传 PEM 或 DER 格式的 X.509 证书文件（.pem、.cer、.der）。"),
            code="certificate_invalid",
        ) from None
    return public_key.strip(), fingerprint
