"""R-AP2: the Android APK fills package name, signing public key and MD5 fingerprint.

Every APK here is built by the test (``tests/mobile/apkbuild.py``): a binary manifest encoded
by hand, a self-signed certificate in a PKCS#7 block or an APK Signing Block, a ZIP from
``zipfile``; hostile ones are those with bytes changed on purpose.
"""

from __future__ import annotations

import functools
import io
import random
import struct

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from filings.mobile import apk as apk_module
from filings.mobile.apk import ApkError, ApkFacts, apk_extract, manifest_package
from filings.models import OrderAppPlatform
from icpfiling.tenancy.context import tenant_scope
from tests.mobile.apkbuild import (
    V2_ID,
    binary_manifest,
    build_apk,
    insert_signing_block,
    make_signer,
    pkcs7_block,
    scheme_block,
    signing_block,
    zip_bytes,
)
from tests.mobile.test_apps import PUBLIC_KEY, app_only_order

REFUSAL_CODES = set(apk_module._MESSAGES)


@functools.cache
def signer():
    return make_signer()


@functools.cache
def other_signer():
    return make_signer("Another Signing Key", rsa_key=False)


def extract(data: bytes) -> ApkFacts:
    return apk_extract(io.BytesIO(data), size=len(data))


def refusal(data: bytes) -> ValidationError:
    with pytest.raises(ApkError) as exc:
        extract(data)
    return exc.value


# ---------------------------------------------------------------- what is read


@pytest.mark.parametrize(
    ("schemes", "used"),
    [(("v1",), "v1"), (("v2",), "v2"), (("v3",), "v3"), (("v1", "v2"), "v2"), (("v1", "v2", "v3"), "v3")],
)
def test_r_ap2_apk_gives_package_key_and_md5_from_each_signature_scheme(schemes, used):
    # given an APK signed with the schemes named (v2-only and v3-only included)
    data = build_apk(signer(), package="cn.example.shop", schemes=schemes)
    # when it is read
    facts = extract(data)
    # then the manifest's package, the certificate's key and its MD5 come out, from the newest scheme
    assert facts == ApkFacts(
        package_name="cn.example.shop",
        public_key=signer().public_pem,
        fingerprint=signer().md5,
        scheme=used,
    )
    assert len(facts.fingerprint) == 32


def test_r_ap2_binary_manifest_in_utf8_and_utf16_string_pools():
    # given the two string encodings aapt and aapt2 write / then both give the package
    assert manifest_package(binary_manifest("com.a.b", utf8=False)) == "com.a.b"
    assert manifest_package(binary_manifest("com.a.b", utf8=True)) == "com.a.b"
    # and a manifest without the attribute gives None, not a guess
    assert manifest_package(binary_manifest(None)) is None


def test_r_ap2_a_v1_chain_names_the_signer_not_its_issuer():
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.serialization import pkcs7
    from cryptography.x509.oid import NameOID

    # given a v1 block carrying a CA certificate and the signer's certificate that CA issued
    ca = other_signer()
    now = dt.datetime.now(dt.UTC)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Issued Signer")]))
        .issuer_name(ca.cert.subject)
        .public_key(signer().key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=365))
        .sign(ca.key, hashes.SHA256())
    )
    block = pkcs7.serialize_certificates([ca.cert, leaf], serialization.Encoding.DER)
    data = build_apk(None, extra={"META-INF/CERT.SF": b"x", "META-INF/CERT.RSA": block})
    # when it is read / then the fingerprint is the signer's, not the CA's
    assert extract(data).fingerprint == leaf.fingerprint(hashes.MD5()).hex()  # noqa: S303


# ---------------------------------------------------------------- hostile APKs


def _patch(data: bytes, at: int, fmt: str, value: int) -> bytes:
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt) :]


def _central_entry(data: bytes, name: str) -> int:
    return next(i for i in _all(data, b"PK\x01\x02") if data[i + 46 : i + 46 + len(name)] == name.encode())


def _all(data: bytes, needle: bytes) -> list[int]:
    found, i = [], data.find(needle)
    while i >= 0:
        found.append(i)
        i = data.find(needle, i + 1)
    return found


def _local_entry(data: bytes, name: str) -> int:
    return next(i for i in _all(data, b"PK\x03\x04") if data[i + 30 : i + 30 + len(name)] == name.encode())


def _good() -> bytes:
    return build_apk(signer(), schemes=("v1",))


def _crafted_string_pool() -> bytes:
    """A 1 MB manifest whose string pool points 250,000 times at one 64 KB string."""
    count = 250_000
    body = struct.pack("<IIIII", count, 0, 0, 28 + 4 * count, 0) + b"\0\0\0\0" * count
    strings = struct.pack("<H", 0x7FFF) + b"a\0" * 0x7FFF
    pool = struct.pack("<HHI", 1, 28, 8 + len(body) + len(strings)) + body + strings
    return struct.pack("<HHI", 3, 8, 8 + len(pool)) + pool


def _hostile_cases() -> list[tuple[str, bytes, str, str]]:
    good = _good()
    eocd = good.rfind(b"PK\x05\x06")
    manifest_cd = _central_entry(good, "AndroidManifest.xml")
    manifest_local = _local_entry(good, "AndroidManifest.xml")
    dex_cd = _central_entry(good, "classes.dex")
    two_signers = build_apk(
        None,
        extra={
            "META-INF/A.SF": b"x",
            "META-INF/A.RSA": pkcs7_block(signer()),
            "META-INF/B.SF": b"x",
            "META-INF/B.EC": pkcs7_block(other_signer()),
        },
    )
    return [
        ("empty file", b"", "apk_empty", "APK 文件是空的，请重新选择 .apk 文件。"),
        (
            "a PNG renamed .apk",
            b"\x89PNG\r\n\x1a\n" + b"\0" * 200,
            "apk_not_zip",
            "所选文件不是 APK：APK 是 ZIP 格式的安装包，请上传 .apk 文件。",
        ),
        (
            "first half of an APK",
            good[: len(good) // 2],
            "apk_truncated",
            "APK 文件不完整（上传中断或文件被截断），找不到 ZIP 目录，请重新上传完整的 .apk 文件。",
        ),
        ("APK less its last 10 bytes", good[:-10], "apk_truncated", None),
        (
            "EOCD claims 65,535 entries",
            _patch(_patch(good, eocd + 8, "<H", 0xFFFF), eocd + 10, "<H", 0xFFFF),
            "apk_too_many_entries",
            "APK 包含的文件过多（65535 个，上限 50000 个），疑似压缩炸弹，已拒绝。",
        ),
        (
            "2 MB of zeros deflated",
            build_apk(signer(), extra={"assets/zeros.bin": b"\0" * (2 * 1024 * 1024)}),
            "apk_zip_bomb",
            None,
        ),
        (
            "two entries sharing the manifest's bytes",
            _patch(good, dex_cd + 42, "<I", struct.unpack_from("<I", good, manifest_cd + 42)[0]),
            "apk_corrupt",
            "APK 文件已损坏：ZIP 目录与文件内容不符（条目相互重叠），无法读取。",
        ),
        (
            "manifest declared 100 bytes longer than it inflates to",
            _patch(
                _patch(
                    good, manifest_cd + 24, "<I", struct.unpack_from("<I", good, manifest_cd + 24)[0] + 100
                ),
                manifest_local + 22,
                "<I",
                struct.unpack_from("<I", good, manifest_local + 22)[0] + 100,
            ),
            "apk_entry_mismatch",
            "APK 中的“AndroidManifest.xml”实际内容与 ZIP 目录声明的大小或校验值不符（文件损坏或被篡改）。",
        ),
        (
            "manifest CRC changed",
            _patch(good, manifest_cd + 16, "<I", 0x12345678),
            "apk_entry_mismatch",
            None,
        ),
        (
            "no AndroidManifest.xml",
            zip_bytes({"classes.dex": b"dex\n035\0", "META-INF/CERT.RSA": pkcs7_block(signer())}),
            "apk_no_manifest",
            "APK 中没有 AndroidManifest.xml，这不是 Android 安装包，请上传 .apk 文件。",
        ),
        (
            "manifest as text XML",
            build_apk(signer(), manifest=b'<manifest package="com.example.app"/>'),
            "apk_manifest_invalid",
            "APK 中的 AndroidManifest.xml 无法解析（不是有效的二进制 XML），请上传构建生成的 .apk 文件。",
        ),
        (
            "manifest cut in half",
            build_apk(signer(), manifest=binary_manifest()[:150]),
            "apk_manifest_invalid",
            None,
        ),
        (
            "root element not <manifest>",
            build_apk(signer(), manifest=binary_manifest(root="application")),
            "apk_manifest_invalid",
            None,
        ),
        (
            "1 MB manifest with a 250,000-string pool",
            build_apk(signer(), manifest=_crafted_string_pool(), compress=False),
            "apk_manifest_invalid",
            None,
        ),
        (
            "manifest without package",
            build_apk(signer(), manifest=binary_manifest(None)),
            "apk_manifest_no_package",
            "APK 的 AndroidManifest.xml 中没有有效的包名（package 属性），请手动填写包名或上传正确的 APK。",
        ),
        ("package not reverse-domain", build_apk(signer(), package="1bad"), "apk_manifest_no_package", None),
        (
            "unsigned APK",
            build_apk(None),
            "apk_no_signature",
            "APK 没有签名（没有 v1 签名文件，也没有 v2/v3 签名块），请上传签名后的 APK 或签名证书文件。",
        ),
        (
            "CERT.RSA of random bytes",
            build_apk(None, extra={"META-INF/CERT.RSA": b"\x30\x82\x01\x00" + b"\x5a" * 300}),
            "apk_certificate_invalid",
            "APK 中的签名证书无法解析，请改为上传签名证书文件（.pem、.cer 或 .der）。",
        ),
        (
            "v2 block whose signer is garbage",
            insert_signing_block(build_apk(None), signing_block({V2_ID: b"\x05\0\0\0abc"})),
            "apk_signature_invalid",
            "APK 的签名信息无法读取（v2/v3 签名结构错误），请改为上传签名证书文件（.pem、.cer 或 .der）。",
        ),
        (
            "v2 block whose certificate is not DER",
            insert_signing_block(
                build_apk(None),
                signing_block(
                    {V2_ID: scheme_block(signer()).replace(signer().der, b"\x01" * len(signer().der))}
                ),
            ),
            "apk_certificate_invalid",
            None,
        ),
        (
            "two v1 signers with different keys",
            two_signers,
            "apk_several_signers",
            "APK 有多个不同的签名证书，无法确定要备案哪一个，"
            "请改为上传要备案的签名证书文件（.pem、.cer 或 .der）。",
        ),
        (
            "two v2 signers",
            insert_signing_block(build_apk(None), signing_block({V2_ID: _two_v2_signers()})),
            "apk_several_signers",
            None,
        ),
    ]


def _two_v2_signers() -> bytes:
    one, two = scheme_block(signer()), scheme_block(other_signer())
    inner = one[4:] + two[4:]
    return struct.pack("<I", len(inner)) + inner


def test_r_ap2_hostile_apks_are_refused_each_with_its_own_message():
    for label, data, code, message in _hostile_cases():
        # given a hostile APK / when it is read / then it is refused with its own code and message
        err = refusal(data)
        assert (label, err.code) == (label, code)
        if message is not None:
            assert err.messages == [message], label


def test_r_ap2_limits_on_size_entries_and_entry_bytes(settings, monkeypatch):
    good = _good()
    # given a cap below the APK's size / then refused before anything is read
    settings.ICPFILING_APK_MAX_BYTES = 1024 * 1024
    big = build_apk(signer(), extra={"assets/noise.bin": random.Random(1).randbytes(1_300_000)})
    err = refusal(big)
    assert err.code == "apk_too_large"
    assert err.messages == [f"APK 文件过大（{len(big) / 1048576:.1f} MB，上限 1 MB）。"]
    settings.ICPFILING_APK_MAX_BYTES = 200 * 1024 * 1024
    # given more entries than the limit (lowered so the test stays small)
    monkeypatch.setattr(apk_module, "MAX_ENTRIES", 5)
    err = refusal(good)
    assert err.code == "apk_too_many_entries"
    assert err.messages == ["APK 包含的文件过多（6 个，上限 5 个），疑似压缩炸弹，已拒绝。"]
    monkeypatch.setattr(apk_module, "MAX_ENTRIES", 50_000)
    # given a manifest larger than the bytes the portal reads of it
    monkeypatch.setattr(apk_module, "MANIFEST_MAX_BYTES", 100)
    err = refusal(good)
    assert err.code == "apk_entry_too_large"
    assert err.messages == ["APK 中的“AndroidManifest.xml”过大（0 KB，上限 0 KB），无法读取。"]


@hypothesis_settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.integers(min_value=0, max_value=4000),
    flips=st.lists(st.tuples(st.integers(min_value=0, max_value=10_000), st.integers(1, 255)), max_size=6),
)
def test_r_ap2_any_damaged_apk_gives_facts_or_a_named_refusal(cut, flips):
    # given a v1+v2 APK, cut short and with bytes flipped anywhere
    data = bytearray(build_apk_v1v2())
    for at, xor in flips:
        data[at % len(data)] ^= xor
    data = bytes(data[: len(data) - cut])
    # when it is read / then the result is the facts or an ApkError, never another exception
    try:
        facts = extract(data)
    except ApkError as exc:
        refused = exc
    else:
        refused = None
        assert facts.package_name
        assert len(facts.fingerprint) == 32
    if refused is not None:
        assert refused.code in REFUSAL_CODES
        assert refused.messages


@functools.cache
def build_apk_v1v2() -> bytes:
    return build_apk(signer(), schemes=("v1", "v2"))


# ---------------------------------------------------------------- the app page


@pytest.fixture
def no_files_kept(settings, tmp_path):
    """Uploads go to a temporary file in ``uploads/``; storage writes go to ``storage/``."""
    uploads, storage = tmp_path / "uploads", tmp_path / "storage"
    uploads.mkdir()
    storage.mkdir()
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 0  # every upload is streamed to a temporary file
    settings.FILE_UPLOAD_TEMP_DIR = str(uploads)
    settings.MEDIA_ROOT = str(storage)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(storage)},
        },
    }

    class Files:
        def __init__(self):
            self.stored = set()

        def mark(self):
            """What the storage holds before the uploads under test (the order's own materials)."""
            self.stored = set(storage.rglob("*"))

        def __call__(self):
            assert list(uploads.iterdir()) == []
            assert set(storage.rglob("*")) == self.stored

    return Files()


def _platform(tenant, app) -> OrderAppPlatform:
    with tenant_scope(tenant.provider):
        return OrderAppPlatform.objects.get(app=app, platform="android")


@pytest.mark.django_db
def test_r_ap2_apk_extract_button_fills_the_fields_without_saving_and_keeps_no_file(
    alpha, beta, no_files_kept
):
    data = build_apk(signer(), package="cn.example.pay", schemes=("v2",))
    for tenant in (alpha, beta):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
        no_files_kept.mark()
        client = tenant.client("applicant")
        url = f"/orders/{order.pk}/apps/{app.pk}/"
        base = {"kind": "app", "name": "示例App", "android_package_name": "com.example.app"}
        # when the applicant uploads an APK and presses "读取 APK 并填写" (no JavaScript)
        r = client.post(
            url, {**base, "extract_apk": "1", "android_apk": SimpleUploadedFile("shop.apk", data)}
        )
        # then the page shows the fields filled from it, and nothing is saved yet
        assert r.status_code == 200
        form = r.context["form"]
        assert form["android_package_name"].value() == "cn.example.pay"
        assert form["android_fingerprint"].value() == signer().md5
        assert form["android_public_key"].value() == signer().public_pem
        page = r.content.decode()
        assert 'value="cn.example.pay"' in page
        assert "已从 APK 读取包名 cn.example.pay、签名公钥和 MD5 指纹（v2 签名），请核对后保存。" in page
        plat = _platform(tenant, app)
        assert (plat.package_name, plat.fingerprint) == (
            "com.example.app",
            "abcdef0123456789abcdef0123456789",
        )
        no_files_kept()
        # when the button is pressed with no file chosen / then the APK field asks for one
        r = client.post(url, {**base, "extract_apk": "1"})
        assert r.context["form"].errors == {"android_apk": ["请先选择要读取的 APK 文件。"]}
        # when they save with the APK attached / then the extracted values are stored
        r = client.post(url, {**base, "save": "1", "android_apk": SimpleUploadedFile("shop.apk", data)})
        assert r.status_code == 200
        plat = _platform(tenant, app)
        assert (plat.package_name, plat.fingerprint, plat.public_key) == (
            "cn.example.pay",
            signer().md5,
            signer().public_pem,
        )
        no_files_kept()


@pytest.mark.django_db
def test_r_ap2_hostile_apk_upload_is_refused_beside_the_field_and_changes_nothing(
    alpha, beta, no_files_kept, settings, monkeypatch
):
    # Django's FileField refuses an empty upload itself, with its own message.
    cases = [
        (label, data, "所提交的是空文件。" if label == "empty file" else message)
        for label, data, _code, message in _hostile_cases()
    ]
    settings.ICPFILING_APK_MAX_BYTES = 2048
    cases.append(("over the cap", _good() + b"\0" * 4096, None))
    for parity, tenant in enumerate((alpha, beta)):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
        no_files_kept.mark()
        client = tenant.client("applicant")
        url = f"/orders/{order.pk}/apps/{app.pk}/"
        for i, (label, data, message) in enumerate(cases):
            settings.ICPFILING_APK_MAX_BYTES = 2048 if label == "over the cap" else 200 * 1024 * 1024
            # each case goes through one button on one tenant and the other button on the other
            for button in [("extract_apk", "save")[(i + parity) % 2]]:
                # given a hostile APK uploaded with either button
                r = client.post(
                    url,
                    {
                        "kind": "app",
                        "name": "改名",
                        button: "1",
                        "android_apk": SimpleUploadedFile("x.apk", data),
                    },
                )
                # then the page names the APK field with the refusal, and nothing changed or stayed
                assert r.status_code == 200, label
                errors = r.context["form"].errors
                assert list(errors) == ["android_apk"], label
                if message is not None:
                    assert errors["android_apk"] == [message], label
                assert 'id="id_android_apk_err"' in r.content.decode(), label
                plat = _platform(tenant, app)
                assert (plat.package_name, plat.fingerprint, plat.public_key) == (
                    "com.example.app",
                    "abcdef0123456789abcdef0123456789",
                    PUBLIC_KEY.strip(),
                ), label
                with tenant_scope(tenant.provider):
                    assert app.__class__.objects.get(pk=app.pk).name == "示例App", label
                no_files_kept()


@pytest.mark.django_db
def test_r_ap2_hostile_certificate_uploads_are_refused_beside_the_field_and_leave_no_file(
    alpha, beta, no_files_kept
):
    from tests.mobile.test_apps import _certificate

    pem, der, _cert = _certificate()
    unreadable = "无法读取签名证书：请上传 PEM 或 DER 格式的 X.509 证书文件（.pem、.cer、.der）。"
    cases = [
        ("truncated DER", der[: len(der) // 2], unreadable),
        ("PEM with garbage inside", pem.replace(b"M", b"!", 3), unreadable),
        (
            "PEM armour around random base64",
            b"-----BEGIN CERTIFICATE-----\nQUJDRA==\n-----END CERTIFICATE-----\n",
            unreadable,
        ),
        ("a PNG, not a certificate", b"\x89PNG\r\n\x1a\n" + b"\0" * 100, unreadable),
        (
            "an APK, not a certificate",
            _good(),
            unreadable,
        ),
        (
            "oversized",
            b"0" * (64 * 1024 + 1),
            "证书文件过大（上限 64 KB），请上传签名证书本身（.pem、.cer 或 .der）。",
        ),
    ]
    for tenant in (alpha, beta):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
        no_files_kept.mark()
        client = tenant.client("applicant")
        url = f"/orders/{order.pk}/apps/{app.pk}/"
        for label, content, message in cases:
            for platform in ("android", "ios"):
                # given a hostile certificate file / when saved
                r = client.post(
                    url,
                    {
                        "kind": "app",
                        "name": "示例App",
                        "save": "1",
                        f"{platform}_certificate": SimpleUploadedFile("c.der", content),
                    },
                )
                # then refused beside that platform's certificate field; nothing changed, nothing kept
                assert r.status_code == 200, label
                assert r.context["form"].errors == {f"{platform}_certificate": [message]}, label
                plat = _platform(tenant, app)
                assert (plat.fingerprint, plat.public_key) == (
                    "abcdef0123456789abcdef0123456789",
                    PUBLIC_KEY.strip(),
                ), label
                no_files_kept()


@pytest.mark.django_db
def test_r_ap2_apk_and_certificate_together_are_refused(alpha, beta, no_files_kept):
    from tests.mobile.test_apps import _certificate

    _pem, der, _cert = _certificate()
    for tenant in (alpha, beta):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
        no_files_kept.mark()
        # given both an APK and a certificate for Android / when saved
        r = tenant.client("applicant").post(
            f"/orders/{order.pk}/apps/{app.pk}/",
            {
                "kind": "app",
                "name": "示例App",
                "save": "1",
                "android_apk": SimpleUploadedFile("a.apk", _good()),
                "android_certificate": SimpleUploadedFile("c.der", der),
            },
        )
        # then the APK field says to upload only one; nothing changed
        assert r.context["form"].errors == {
            "android_apk": ["请只上传 APK 或签名证书文件中的一个：两者都会填写公钥和指纹。"]
        }
        assert _platform(tenant, app).fingerprint == "abcdef0123456789abcdef0123456789"
        no_files_kept()


def test_r_ap2_an_oversized_upload_is_written_only_up_to_the_cap(settings, tmp_path):
    import os

    from icpfiling.uploads.handlers import CappedTemporaryFileUploadHandler

    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    # given a handler capped at 1,000 bytes receiving a 10,000-byte file in chunks
    handler = CappedTemporaryFileUploadHandler(None, cap=1000)
    handler.new_file("android_apk", "big.apk", "application/octet-stream", 10_000)
    for start in range(0, 10_000, 3000):
        handler.receive_data_chunk(b"x" * min(3000, 10_000 - start), start)
    upload = handler.file_complete(10_000)
    # then the disk holds 1,001 bytes, the file says 10,000 (so the form refuses it by size)
    assert os.path.getsize(upload.temporary_file_path()) == 1001
    assert upload.size == 10_000
    # and closing the upload (Django does it after the response) removes the temporary file
    upload.close()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.django_db
def test_r_ap2_the_app_page_still_checks_csrf_with_its_own_upload_handler(alpha, beta):
    from tests.conftest import CommittingClient

    for tenant in (alpha, beta):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            app = order.apps.get()
        client = CommittingClient(enforce_csrf_checks=True, HTTP_HOST=tenant.host)
        client.force_login(
            tenant.users["applicant"], backend="icpfiling.accounts.backends.TenantEmailBackend"
        )
        url = f"/orders/{order.pk}/apps/{app.pk}/"
        data = {"kind": "app", "name": "改名", "save": "1"}
        # when the page is posted without the CSRF token / then refused and nothing changes
        assert client.post(url, data).status_code == 403
        with tenant_scope(tenant.provider):
            assert app.__class__.objects.get(pk=app.pk).name == "示例App"
        # when posted with the token from the page / then saved
        token = client.get(url).context["csrf_token"]
        assert client.post(url, {**data, "csrfmiddlewaretoken": str(token)}).status_code == 200
        with tenant_scope(tenant.provider):
            assert app.__class__.objects.get(pk=app.pk).name == "改名"


def _odd_certificates() -> list[tuple[str, bytes]]:
    """Certificates cryptography loads but refuses later, with errors that are not ValueErrors."""
    ec_der = other_signer().der  # an EC certificate; each change below keeps its length
    version = b"\xa0\x03\x02\x01\x02"  # [0] EXPLICIT INTEGER 2: X.509 v3
    ec_key_oid = b"\x06\x07\x2a\x86\x48\xce\x3d\x02\x01"  # id-ecPublicKey
    return [
        ("version 127", ec_der.replace(version, b"\xa0\x03\x02\x01\x7f", 1)),
        ("unknown key type", ec_der.replace(ec_key_oid, ec_key_oid[:-1] + b"\x09", 1)),
    ]


def test_r_ap2_certificates_with_a_bad_version_or_unknown_key_are_refused_not_crashed():
    import base64

    from filings.appchecks import certificate_extract, clean_public_key

    for label, der in _odd_certificates():
        pem = (
            "-----BEGIN CERTIFICATE-----\n" + base64.encodebytes(der).decode() + "-----END CERTIFICATE-----\n"
        )
        # given the certificate as an uploaded file, as pasted PEM, and inside a v2-signed APK
        with pytest.raises(ValidationError) as exc:
            certificate_extract(der, platform="android")
        assert exc.value.code == "certificate_invalid", label
        with pytest.raises(ValidationError) as exc:
            clean_public_key(pem)
        assert exc.value.code == "public_key_invalid", label
        apk = insert_signing_block(
            build_apk(None),
            signing_block({V2_ID: scheme_block(other_signer()).replace(other_signer().der, der)}),
        )
        # then each is refused with its field's message, never an exception of another kind
        assert refusal(apk).code == "apk_certificate_invalid", label


@pytest.mark.django_db
def test_r_ap2_the_apk_button_posted_to_a_mini_program_page_saves_it_instead(alpha, beta):
    from filings.mobile.services import order_app_save
    from filings.models import OrderApp
    from tests.mobile.test_apps import app_values

    for tenant in (alpha, beta):
        order = app_only_order(tenant)
        with tenant_scope(tenant.provider):
            mini = order_app_save(
                order=order,
                app=None,
                actor=tenant.users["applicant"],
                values=app_values(kind="mini_program", mini_platform="wechat", mini_appid="wx0001"),
            )
        base = {"kind": "mini_program", "mini_platform": "wechat", "mini_appid": "wx0001", "extract_apk": "1"}
        for name, files in [
            ("小程序改名", {"android_apk": SimpleUploadedFile("a.apk", _good())}),
            ("再改名", {}),
        ]:
            # given a hand-made post of the APK button to a mini-program's page (it has no APK field)
            r = tenant.client("applicant").post(
                f"/orders/{order.pk}/apps/{mini.pk}/", {**base, "name": name, **files}
            )
            # then the page answers (no error page) and treats it as a save of the mini-program
            assert r.status_code == 200
            with tenant_scope(tenant.provider):
                assert OrderApp.objects.get(pk=mini.pk).name == name
