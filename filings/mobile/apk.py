"""Reading an uploaded Android APK: package name and signing certificate (R-AP2).

The APK is hostile until proven otherwise. It is only read (never unpacked to disk, never
executed) from the uploaded file object, which Django has already streamed to a temporary
file for anything but a small upload; only three kinds of entries are decompressed, each with
a byte limit: ``AndroidManifest.xml``, the v1 signature blocks ``META-INF/*.RSA|*.DSA|*.EC``,
and the APK Signing Block (v2/v3) that sits before the ZIP's central directory.

Zip-bomb defences, in order: the file size; the end-of-central-directory record is read by
hand first so the entry count and directory size are refused before ``zipfile`` builds one
object per entry; then every entry's declared compression ratio and the total declared size,
overlapping entries, and for each entry read: its declared size against the limit and
against the bytes it really inflates to.

The binary XML of the manifest is read here (only the string pool and the first element), not
by a library: see the comment at ``manifest_package``.

Nothing is verified cryptographically: the portal wants the certificate the applicant signs
with, and the applicant could type any key by hand anyway; the authority checks the app.
"""

from __future__ import annotations

import itertools
import struct
import zipfile
import zlib
from dataclasses import dataclass
from typing import BinaryIO

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs7
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from filings.appchecks import clean_package_name
from filings.models import AppPlatform

# Real APKs: a few thousand entries (tens of thousands for the largest games), a manifest of
# kilobytes (about 1 MB for the biggest super-apps), signature blocks of a few KB.
MAX_ENTRIES = 50_000
MAX_CENTRAL_DIRECTORY_BYTES = 16 * 1024 * 1024
MANIFEST_MAX_BYTES = 4 * 1024 * 1024
SIGNATURE_FILE_MAX_BYTES = 256 * 1024
SIGNING_BLOCK_MAX_BYTES = 4 * 1024 * 1024
# Deflate reaches about 1000:1 on runs of zeros; real entries (dex, XML, PNG) stay far below 100:1
# once they are large enough to matter.
MAX_RATIO = 100
RATIO_MIN_BYTES = 1024 * 1024
MAX_TOTAL_UNCOMPRESSED = 4 * 1024 * 1024 * 1024

_EOCD = b"PK\x05\x06"
_LOCAL = b"PK\x03\x04"
_SIG_BLOCK_MAGIC = b"APK Sig Block 42"
_V2_ID = 0x7109871A
_V3_ID = 0xF05368C0
_V1_SUFFIXES = (".RSA", ".DSA", ".EC")
# What cryptography raises on a damaged certificate: InvalidVersion and UnsupportedAlgorithm are
# not ValueErrors.
_CERTIFICATE_ERRORS = (ValueError, TypeError, x509.InvalidVersion, UnsupportedAlgorithm)


def apk_max_bytes() -> int:
    return settings.ICPFILING_APK_MAX_BYTES


@dataclass(frozen=True)
class ApkFacts:
    package_name: str
    public_key: str
    fingerprint: str  # MD5 of the DER certificate, lower-case hex (R-AP2's Android fingerprint)
    scheme: str  # "v3", "v2" or "v1": where the certificate came from


class ApkError(ValidationError):
    pass


_MESSAGES = {
    "apk_too_large": _("APK 文件过大（%(size)s MB，上限 %(limit)s MB）。"),
    "apk_empty": _("APK 文件是空的，请重新选择 .apk 文件。"),
    "apk_not_zip": _("所选文件不是 APK：APK 是 ZIP 格式的安装包，请上传 .apk 文件。"),
    "apk_truncated": _(
        "APK 文件不完整（上传中断或文件被截断），找不到 ZIP 目录，请重新上传完整的 .apk 文件。"
    ),
    "apk_corrupt": _("APK 文件已损坏：ZIP 目录与文件内容不符（%(detail)s），无法读取。"),
    "apk_too_many_entries": _("APK 包含的文件过多（%(n)s 个，上限 %(limit)s 个），疑似压缩炸弹，已拒绝。"),
    "apk_zip_bomb": _("APK 中的“%(name)s”压缩比异常（%(ratio)s:1），疑似压缩炸弹，已拒绝。"),
    "apk_zip_bomb_total": _("APK 解压后总大小异常（声明 %(size)s MB），疑似压缩炸弹，已拒绝。"),
    "apk_entry_too_large": _("APK 中的“%(name)s”过大（%(size)s KB，上限 %(limit)s KB），无法读取。"),
    "apk_entry_mismatch": _(
        "APK 中的“%(name)s”实际内容与 ZIP 目录声明的大小或校验值不符（文件损坏或被篡改）。"
    ),
    "apk_no_manifest": _("APK 中没有 AndroidManifest.xml，这不是 Android 安装包，请上传 .apk 文件。"),
    "apk_manifest_invalid": _(
        "APK 中的 AndroidManifest.xml 无法解析（不是有效的二进制 XML），请上传构建生成的 .apk 文件。"
    ),
    "apk_manifest_no_package": _(
        "APK 的 AndroidManifest.xml 中没有有效的包名（package 属性），请手动填写包名或上传正确的 APK。"
    ),
    "apk_no_signature": _(
        "APK 没有签名（没有 v1 签名文件，也没有 v2/v3 签名块），请上传签名后的 APK 或签名证书文件。"
    ),
    "apk_signature_invalid": _(
        "APK 的签名信息无法读取（%(detail)s），请改为上传签名证书文件（.pem、.cer 或 .der）。"
    ),
    "apk_several_signers": _(
        "APK 有多个不同的签名证书，无法确定要备案哪一个，"
        "请改为上传要备案的签名证书文件（.pem、.cer 或 .der）。"
    ),
    "apk_certificate_invalid": _("APK 中的签名证书无法解析，请改为上传签名证书文件（.pem、.cer 或 .der）。"),
}


def _fail(code: str, **params) -> ApkError:
    return ApkError(_MESSAGES[code], code=code, params=params or None)


def _mb(n: int) -> str:
    return f"{n / (1024 * 1024):.1f}".removesuffix(".0")


# --- the ZIP container -----------------------------------------------------------------------


def _end_record(f: BinaryIO, size: int) -> tuple[int, int, int]:
    """(entry count, central directory size, central directory offset) from the EOCD record."""
    tail_len = min(size, 22 + 0xFFFF)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    pos = tail.rfind(_EOCD)
    while pos >= 0:
        if pos + 22 <= len(tail):
            (_sig, disk, cd_disk, _here, total, cd_size, cd_offset, comment_len) = struct.unpack_from(
                "<4sHHHHIIH", tail, pos
            )
            if pos + 22 + comment_len == len(tail):
                if disk or cd_disk:
                    raise _fail("apk_corrupt", detail=_("分卷 ZIP"))
                return total, cd_size, cd_offset
        pos = tail.rfind(_EOCD, 0, pos)
    raise _fail("apk_truncated")


def _check_entries(infos: list[zipfile.ZipInfo]) -> None:
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise _fail(
                "apk_zip_bomb", name=info.filename[:80], ratio=info.file_size // max(info.compress_size, 1)
            )
    if total > MAX_TOTAL_UNCOMPRESSED:
        raise _fail("apk_zip_bomb_total", size=_mb(total))
    # Entries sharing or overlapping their bytes are the "overlapping files" bomb (and never valid).
    ordered = sorted(infos, key=lambda i: i.header_offset)
    for a, b in itertools.pairwise(ordered):
        if a.header_offset + 30 + a.compress_size > b.header_offset:
            raise _fail("apk_corrupt", detail=_("条目相互重叠"))


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    name = info.filename[:80]
    if info.file_size > limit:
        raise _fail("apk_entry_too_large", name=name, size=info.file_size // 1024, limit=limit // 1024)
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _fail("apk_corrupt", detail=_("“%(name)s”加密或使用了不支持的压缩方式") % {"name": name})
    try:
        with zf.open(info) as fh:
            # zipfile stops at the declared size and checks the CRC there; one byte more than
            # declared is asked for so that a short entry shows up as a mismatch too.
            data = fh.read(info.file_size + 1)
    except (zipfile.BadZipFile, EOFError, zlib.error, OSError, ValueError, NotImplementedError):
        raise _fail("apk_entry_mismatch", name=name) from None
    if len(data) != info.file_size:
        raise _fail("apk_entry_mismatch", name=name)
    return data


# --- the binary XML manifest -----------------------------------------------------------------
# Written here rather than taken from a library: apkInspector (the lightest, no dependencies)
# decodes every string of the pool eagerly and scans byte by byte, so a crafted 1 MB manifest
# cost it 59 s of CPU in our trial; pyaxmlparser has had no release since 2024 and pulls lxml,
# click and asn1crypto; androguard is a whole analysis suite. The subset needed is small: walk
# the chunks (each advances by its own checked size), find the first element, read its
# ``package`` attribute, decoding only the few short strings looked at.
_RES_XML_TYPE = 0x0003
_RES_STRING_POOL_TYPE = 0x0001
_RES_XML_START_ELEMENT_TYPE = 0x0102
_UTF8_FLAG = 0x100
_NO_INDEX = 0xFFFFFFFF
_TYPE_STRING = 0x03
_SHORT_STRING = 256  # names and package names are short; longer strings are never decoded


class _StringPool:
    def __init__(self, data: bytes, start: int, header_size: int, end: int):
        if header_size < 28:
            raise ValueError("string pool header")
        count, _styles, flags, strings_start, _ = struct.unpack_from("<IIIII", data, start + 8)
        self.data, self.end, self.count = data, end, count
        self.offsets = start + header_size
        self.strings = start + strings_start
        self.utf8 = bool(flags & _UTF8_FLAG)
        if self.offsets + 4 * count > end or self.strings > end:
            raise ValueError("string pool bounds")

    def get(self, index: int) -> str | None:
        """The string at ``index``, or None when it is longer than anything looked for."""
        if index >= self.count:
            raise ValueError("string index")
        (off,) = struct.unpack_from("<I", self.data, self.offsets + 4 * index)
        pos = self.strings + off
        if self.utf8:
            pos = self._length(pos, 1)[1]  # the length in characters, not needed
            n, pos = self._length(pos, 1)
            raw_len, encoding = n, "utf-8"
        else:
            n, pos = self._length(pos, 2)
            raw_len, encoding = 2 * n, "utf-16-le"
        if raw_len > _SHORT_STRING * 4:
            return None
        if pos + raw_len > self.end:
            raise ValueError("string bounds")
        return self.data[pos : pos + raw_len].decode(encoding)

    def _length(self, pos: int, unit: int) -> tuple[int, int]:
        fmt, high = ("<B", 0x80) if unit == 1 else ("<H", 0x8000)
        if pos + 2 * unit > self.end:
            raise ValueError("length bounds")
        (n,) = struct.unpack_from(fmt, self.data, pos)
        pos += unit
        if n & high:
            (low,) = struct.unpack_from(fmt, self.data, pos)
            n = ((n & ~high) << (8 * unit)) | low
            pos += unit
        return n, pos


def manifest_package(data: bytes) -> str | None:
    """The ``package`` attribute of the root ``<manifest>`` element; ValueError if unreadable."""
    try:
        kind, header_size, total = struct.unpack_from("<HHI", data, 0)
    except struct.error:
        raise ValueError("file header") from None
    if kind != _RES_XML_TYPE or header_size < 8 or not 8 <= total <= len(data):
        raise ValueError("file header")
    pool: _StringPool | None = None
    pos = header_size
    while pos + 8 <= total:
        kind, header_size, size = struct.unpack_from("<HHI", data, pos)
        if header_size < 8 or size < header_size or pos + size > total:
            raise ValueError("chunk bounds")
        if kind == _RES_STRING_POOL_TYPE and pool is None:
            pool = _StringPool(data, pos, header_size, pos + size)
        elif kind == _RES_XML_START_ELEMENT_TYPE:
            if pool is None or header_size + 20 > size:
                raise ValueError("element before string pool")
            return _package_attribute(data, pos + header_size, pos + size, pool)
        pos += size
    raise ValueError("no element")


def _package_attribute(data: bytes, ext: int, end: int, pool: _StringPool) -> str | None:
    _ns, name, attr_start, attr_size, attr_count = struct.unpack_from("<IIHHH", data, ext)
    if pool.get(name) != "manifest":
        raise ValueError("root element is not <manifest>")
    if attr_size < 20 or ext + attr_start + attr_size * attr_count > end:
        raise ValueError("attribute bounds")
    for i in range(attr_count):
        at = ext + attr_start + i * attr_size
        ns, attr_name, raw, _vsize, _res0, vtype, value = struct.unpack_from("<IIIHBBI", data, at)
        # ``package`` has no namespace and no resource id: it is known by its name.
        if ns != _NO_INDEX or pool.get(attr_name) != "package":
            continue
        if raw != _NO_INDEX:
            return pool.get(raw)
        return pool.get(value) if vtype == _TYPE_STRING else None
    return None


# --- signatures ------------------------------------------------------------------------------


def _lp(buf: bytes, pos: int, *, size: str = "<I") -> tuple[bytes, int]:
    """One length-prefixed value of the APK Signing Block: (value, position after it)."""
    width = struct.calcsize(size)
    if pos + width > len(buf):
        raise ValueError("length prefix")
    (n,) = struct.unpack_from(size, buf, pos)
    if pos + width + n > len(buf):
        raise ValueError("value bounds")
    return buf[pos + width : pos + width + n], pos + width + n


def _lp_sequence(buf: bytes) -> list[bytes]:
    items, pos = [], 0
    while pos < len(buf):
        item, pos = _lp(buf, pos)
        items.append(item)
    return items


def _signing_block(f: BinaryIO, cd_offset: int) -> dict[int, bytes]:
    """The ID-value pairs of the APK Signing Block just before the central directory (or {})."""
    if cd_offset < 32:
        return {}
    f.seek(cd_offset - 24)
    footer = f.read(24)
    size, magic = struct.unpack("<Q16s", footer)
    if magic != _SIG_BLOCK_MAGIC:
        return {}
    if size < 24 or size + 8 > cd_offset or size + 8 > SIGNING_BLOCK_MAX_BYTES:
        raise _fail("apk_signature_invalid", detail=_("签名块大小异常"))
    f.seek(cd_offset - size - 8)
    block = f.read(size + 8)
    if struct.unpack_from("<Q", block, 0)[0] != size:
        raise _fail("apk_signature_invalid", detail=_("签名块首尾长度不一致"))
    pairs: dict[int, bytes] = {}
    body, pos = block[8:-24], 0
    try:
        while pos < len(body):
            pair, pos = _lp(body, pos, size="<Q")
            if len(pair) < 4:
                raise ValueError("pair")
            pairs.setdefault(struct.unpack_from("<I", pair, 0)[0], pair[4:])
    except ValueError:
        raise _fail("apk_signature_invalid", detail=_("签名块结构错误")) from None
    return pairs


def _scheme_certificates(value: bytes) -> list[bytes]:
    """The first certificate (DER) of each signer of a v2 or v3 signature scheme block."""
    try:
        signers, _end = _lp(value, 0)
        found = []
        for signer in _lp_sequence(signers):
            signed_data, _pos = _lp(signer, 0)
            _digests, pos = _lp(signed_data, 0)
            certificates, _pos = _lp(signed_data, pos)
            found.append(_lp(certificates, 0)[0])
    except ValueError:
        raise _fail("apk_signature_invalid", detail=_("v2/v3 签名结构错误")) from None
    return found


def _v1_certificates(data: bytes) -> list[x509.Certificate]:
    """The signer's certificate of one PKCS#7 signature block (the one no other cert issued)."""
    try:
        certs = pkcs7.load_der_pkcs7_certificates(data)
    except _CERTIFICATE_ERRORS:
        raise _fail("apk_certificate_invalid") from None
    if len(certs) <= 1:
        if not certs:
            raise _fail("apk_certificate_invalid")
        return certs
    # A chain: the signer is the certificate that issued none of the others.
    leaves = [c for c in certs if all(o.issuer != c.subject for o in certs if o is not c)]
    return leaves or certs[:1]


def _facts(certificate: x509.Certificate, *, package: str, scheme: str) -> ApkFacts:
    # cryptography parses a certificate's key only when asked: a damaged or unknown key shows here.
    try:
        key = certificate.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    except _CERTIFICATE_ERRORS:
        raise _fail("apk_certificate_invalid") from None
    return ApkFacts(
        package_name=package,
        public_key=key.decode("ascii").strip(),
        fingerprint=certificate.fingerprint(hashes.MD5()).hex(),  # noqa: S303 - the fingerprint R-AP2 asks for
        scheme=scheme,
    )


def apk_extract(f: BinaryIO, *, size: int) -> ApkFacts:
    """Package name, signing public key and MD5 fingerprint of an APK, or ``ApkError``."""
    limit = apk_max_bytes()
    if size > limit:
        raise _fail("apk_too_large", size=_mb(size), limit=_mb(limit))
    if size == 0:
        raise _fail("apk_empty")
    f.seek(0)
    if f.read(4) != _LOCAL:
        raise _fail("apk_not_zip")
    count, cd_size, cd_offset = _end_record(f, size)
    if count > MAX_ENTRIES or cd_size > MAX_CENTRAL_DIRECTORY_BYTES:
        raise _fail("apk_too_many_entries", n=count, limit=MAX_ENTRIES)
    if cd_offset + cd_size > size:
        raise _fail("apk_truncated")
    f.seek(0)
    try:
        zf = zipfile.ZipFile(f)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
        raise _fail("apk_corrupt", detail=_("ZIP 目录无法读取")) from None
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise _fail("apk_too_many_entries", n=len(infos), limit=MAX_ENTRIES)
        _check_entries(infos)
        manifests = [i for i in infos if i.filename == "AndroidManifest.xml"]
        if not manifests:
            raise _fail("apk_no_manifest")
        if len(manifests) > 1:
            raise _fail("apk_corrupt", detail=_("AndroidManifest.xml 出现多次"))
        try:
            package = manifest_package(_read_entry(zf, manifests[0], MANIFEST_MAX_BYTES))
        except (ValueError, UnicodeDecodeError, struct.error):
            raise _fail("apk_manifest_invalid") from None
        try:
            package = clean_package_name(package or "", platform=AppPlatform.ANDROID)
        except ValidationError:
            raise _fail("apk_manifest_no_package") from None

        pairs = _signing_block(f, cd_offset)
        for scheme, block_id in (("v3", _V3_ID), ("v2", _V2_ID)):
            if block_id in pairs:
                ders = set(_scheme_certificates(pairs[block_id]))
                if len(ders) > 1:
                    raise _fail("apk_several_signers")
                if not ders:
                    raise _fail("apk_signature_invalid", detail=_("%(s)s 签名块中没有证书") % {"s": scheme})
                try:
                    certificate = x509.load_der_x509_certificate(ders.pop())
                except _CERTIFICATE_ERRORS:
                    raise _fail("apk_certificate_invalid") from None
                return _facts(certificate, package=package, scheme=scheme)

        v1 = [
            i
            for i in infos
            if i.filename.startswith("META-INF/")
            and "/" not in i.filename[len("META-INF/") :]
            and i.filename.upper().endswith(_V1_SUFFIXES)
        ]
        if not v1:
            raise _fail("apk_no_signature")
        certificates: dict[bytes, x509.Certificate] = {}
        for info in v1[:8]:
            for cert in _v1_certificates(_read_entry(zf, info, SIGNATURE_FILE_MAX_BYTES)):
                certificates[cert.public_bytes(serialization.Encoding.DER)] = cert
        if len(certificates) > 1:
            raise _fail("apk_several_signers")
        return _facts(next(iter(certificates.values())), package=package, scheme="v1")
