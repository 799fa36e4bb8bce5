"""Test APKs built from scratch: a binary AndroidManifest.xml, v1/v2/v3 signatures, a ZIP.

Only what the portal reads is real: the manifest's string pool and root element, the
PKCS#7 signature block (made by ``cryptography``) and the APK Signing Block's layout. No
signature here would verify on a phone; the portal does not verify them either.
"""

from __future__ import annotations

import datetime as dt
import io
import struct
import zipfile
from dataclasses import dataclass

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs7
from cryptography.x509.oid import NameOID

ANDROID_NS = "http://schemas.android.com/apk/res/android"
NO_INDEX = 0xFFFFFFFF
V2_ID = 0x7109871A
V3_ID = 0xF05368C0


@dataclass
class Signer:
    key: object
    cert: x509.Certificate

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def public_pem(self) -> str:
        return (
            self.cert.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
            .strip()
        )

    @property
    def md5(self) -> str:
        return self.cert.fingerprint(hashes.MD5()).hex()  # noqa: S303 - Android's fingerprint


def make_signer(name: str = "Example Android Signing", *, rsa_key: bool = True) -> Signer:
    key = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if rsa_key
        else ec.generate_private_key(ec.SECP256R1())
    )
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=9000))
        .sign(key, hashes.SHA256())
    )
    return Signer(key, cert)


# --- binary XML ------------------------------------------------------------------------------


def _string_pool(strings: list[str], *, utf8: bool) -> bytes:
    offsets, data = [], b""
    for s in strings:
        offsets.append(len(data))
        if utf8:
            raw = s.encode("utf-8")
            assert len(raw) < 0x80  # one-byte lengths are all these tests need
            data += bytes([len(s), len(raw)]) + raw + b"\0"
        else:
            data += struct.pack("<H", len(s)) + s.encode("utf-16-le") + b"\0\0"
    data += b"\0" * (-len(data) % 4)
    strings_start = 28 + 4 * len(strings)
    body = struct.pack("<IIIII", len(strings), 0, 0x100 if utf8 else 0, strings_start, 0)
    body += b"".join(struct.pack("<I", o) for o in offsets) + data
    return struct.pack("<HHI", 0x0001, 28, 8 + len(body)) + body


def _node(kind: int, body: bytes) -> bytes:
    # ResXMLTree_node: chunk header, line number, comment; then the node's own data.
    return struct.pack("<HHI", kind, 16, 16 + len(body)) + struct.pack("<II", 1, NO_INDEX) + body


def _attribute(ns: int, name: int, raw: int, vtype: int, data: int) -> bytes:
    return struct.pack("<IIIHBBI", ns, name, raw, 8, 0, vtype, data)


def binary_manifest(
    package: str | None = "com.example.app", *, utf8: bool = False, root: str = "manifest"
) -> bytes:
    """A compiled AndroidManifest.xml: <manifest xmlns:android android:versionCode package>."""
    strings = ["versionCode", "package", "android", ANDROID_NS, root, package or "unused"]
    version_code, pkg, prefix, uri, element, value = range(6)
    attributes = [_attribute(uri, version_code, NO_INDEX, 0x10, 1)]
    if package is not None:
        attributes.append(_attribute(NO_INDEX, pkg, value, 0x03, value))
    start = struct.pack("<IIHHHHHH", NO_INDEX, element, 20, 20, len(attributes), 0, 0, 0) + b"".join(
        attributes
    )
    body = (
        _string_pool(strings, utf8=utf8)
        + struct.pack("<HHI", 0x0180, 8, 12)
        + struct.pack("<I", 0x0101021B)  # resource id of android:versionCode
        + _node(0x0100, struct.pack("<II", prefix, uri))
        + _node(0x0102, start)
        + _node(0x0103, struct.pack("<II", NO_INDEX, element))
        + _node(0x0101, struct.pack("<II", prefix, uri))
    )
    return struct.pack("<HHI", 0x0003, 8, 8 + len(body)) + body


# --- signatures ------------------------------------------------------------------------------


def pkcs7_block(*signers: Signer) -> bytes:
    """A v1 signature block (META-INF/CERT.RSA): detached PKCS#7 SignedData over a .SF file."""
    builder = pkcs7.PKCS7SignatureBuilder().set_data(b"Signature-Version: 1.0\r\n\r\n")
    for s in signers:
        builder = builder.add_signer(s.cert, s.key, hashes.SHA256())
    return builder.sign(serialization.Encoding.DER, [pkcs7.PKCS7Options.DetachedSignature])


def _lp(data: bytes) -> bytes:
    return struct.pack("<I", len(data)) + data


def scheme_block(*signers: Signer, v3: bool = False) -> bytes:
    """The value of a v2 (or v3) signature scheme pair: signers with their certificates."""
    out = b""
    for s in signers:
        digests = _lp(_lp(struct.pack("<I", 0x0103) + _lp(b"\0" * 32)))
        signed = digests + _lp(_lp(s.der)) + (struct.pack("<II", 28, 0x7FFFFFFF) if v3 else b"") + _lp(b"")
        public_key = s.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        extra = struct.pack("<II", 28, 0x7FFFFFFF) if v3 else b""
        out += _lp(_lp(signed) + extra + _lp(_lp(struct.pack("<I", 0x0103) + _lp(b"sig"))) + _lp(public_key))
    return _lp(out)


def signing_block(pairs: dict[int, bytes]) -> bytes:
    body = b"".join(struct.pack("<QI", 4 + len(v), k) + v for k, v in pairs.items())
    size = len(body) + 8 + 16
    return struct.pack("<Q", size) + body + struct.pack("<Q", size) + b"APK Sig Block 42"


# --- the archive -----------------------------------------------------------------------------


def zip_bytes(entries: dict[str, bytes], *, compress: bool = True) -> bytes:
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


def insert_signing_block(apk: bytes, block: bytes) -> bytes:
    """Put an APK Signing Block before the central directory and move the EOCD's offset."""
    eocd = apk.rfind(b"PK\x05\x06")
    (cd_offset,) = struct.unpack_from("<I", apk, eocd + 16)
    out = apk[:cd_offset] + block + apk[cd_offset:]
    eocd += len(block)
    return out[: eocd + 16] + struct.pack("<I", cd_offset + len(block)) + out[eocd + 20 :]


def build_apk(
    signer: Signer | None,
    *,
    package: str = "com.example.app",
    schemes: tuple[str, ...] = ("v1",),
    extra: dict[str, bytes] | None = None,
    manifest: bytes | None = None,
    compress: bool = True,
) -> bytes:
    entries = {
        "AndroidManifest.xml": binary_manifest(package) if manifest is None else manifest,
        "classes.dex": b"dex\n035\0" + b"\x01\x02" * 500,
        "res/layout/main.xml": b"\x03\x00\x08\x00" + b"\x00" * 60,
        **(extra or {}),
    }
    if signer and "v1" in schemes:
        entries["META-INF/MANIFEST.MF"] = b"Manifest-Version: 1.0\r\n\r\n"
        entries["META-INF/CERT.SF"] = b"Signature-Version: 1.0\r\n\r\n"
        entries["META-INF/CERT.RSA"] = pkcs7_block(signer)
    apk = zip_bytes(entries, compress=compress)
    pairs = {}
    if signer and "v2" in schemes:
        pairs[V2_ID] = scheme_block(signer)
    if signer and "v3" in schemes:
        pairs[V3_ID] = scheme_block(signer, v3=True)
    return insert_signing_block(apk, signing_block(pairs)) if pairs else apk
