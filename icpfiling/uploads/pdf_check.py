"""The PDF check for verification-point application scans (seed 000: PDF or JPG, at most 5 MB).

Pure function, no database: :func:`check_pdf` takes the uploaded bytes and either returns
what to store or raises ``ValidationError`` with a stable ``code``:

- ``empty`` / ``too_large`` – size;
- ``not_pdf`` – the bytes are not a PDF, whatever the file is called (R-D2: content decides);
- ``pdf_encrypted`` – password-protected or encrypted (we could not check what is inside);
- ``pdf_broken`` – pypdf cannot parse it, or it has no pages;
- ``pdf_javascript`` – a /JavaScript name tree, a /JS entry or a JavaScript action anywhere;
- ``pdf_open_action`` – an /OpenAction that runs a script or launches something on opening;
- ``pdf_launch`` – a /Launch action (starts a program);
- ``pdf_embedded_file`` – /EmbeddedFile(s) or a file specification carrying a file (/EF);
- ``pdf_rich_media`` – /RichMedia (Flash, video) annotations;
- ``pdf_auto_action`` – /AA additional actions (run on page open, field focus, ...);
- ``pdf_xfa`` – an XFA form (scriptable XML forms);
- ``pdf_leading_bytes`` – anything (HTML, a script) before ``%PDF-``: served inline, a browser
  sniffing the start might render it as something else;
- ``pdf_uri_script`` – a /URI link whose scheme is not http, https or mailto (``javascript:``,
  ``data:``, ``file:``, ``vbscript:`` …);
- ``pdf_form_action`` – /SubmitForm, /ImportData or /ResetForm (sends or loads form data);
- ``pdf_remote_action`` – /GoToR, /GoToE, /Rendition, /Movie or /Sound (opens another file or media).

The whole object graph reachable from the trailer is walked after pypdf has decoded it, so
names written with ``#xx`` escapes (``/J#61vaScript``) and objects inside compressed object
streams are seen as they really are. The file is stored unchanged when it passes.
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

from icpfiling.uploads.images import sanitise_display_name

__all__ = ["MAX_PDF_BYTES", "CheckedPdf", "check_pdf", "looks_like_pdf"]

MAX_PDF_BYTES = 5 * 1024 * 1024
# The PDF header may follow a little junk (ISO 32000 readers look in the first 1024 bytes).
_HEADER_WINDOW = 1024
# Enough for any real scan; a file with more objects is refused rather than walked forever.
_MAX_OBJECTS = 200_000

_MESSAGES = {
    "empty": _("文件“%(name)s”是空文件（0 字节），请重新选择。"),
    "too_large": _("文件“%(name)s”超过了 5 MB 的上限，请压缩或降低扫描分辨率后重新上传。"),
    "not_pdf": _("文件“%(name)s”的内容不是 PDF（与文件名无关），请上传真正的 PDF 或 JPG 扫描件。"),
    "pdf_encrypted": _("PDF“%(name)s”已加密或设置了密码，无法检查其内容。请去掉密码后重新导出再上传。"),
    "pdf_broken": _("PDF“%(name)s”已损坏或没有任何页面，无法打开。请重新扫描或导出后上传。"),
    "pdf_javascript": _(
        "PDF“%(name)s”包含 JavaScript 脚本，出于安全原因不能接受。请用“打印为 PDF”重新导出后上传。"
    ),
    "pdf_open_action": _(
        "PDF“%(name)s”在打开时会自动执行脚本或动作，不能接受。请用“打印为 PDF”重新导出后上传。"
    ),
    "pdf_launch": _(
        "PDF“%(name)s”包含启动外部程序的动作（Launch），不能接受。请用“打印为 PDF”重新导出后上传。"
    ),
    "pdf_embedded_file": _("PDF“%(name)s”内嵌了其他文件（附件），不能接受。请删除附件或重新扫描后上传。"),
    "pdf_rich_media": _("PDF“%(name)s”包含多媒体内容（RichMedia），不能接受。请上传纯扫描件。"),
    "pdf_auto_action": _(
        "PDF“%(name)s”包含自动触发的动作（/AA），不能接受。请用“打印为 PDF”重新导出后上传。"
    ),
    "pdf_xfa": _("PDF“%(name)s”是 XFA 动态表单，不能接受。请打印或扫描为普通 PDF 后上传。"),
    "pdf_leading_bytes": _(
        "文件“%(name)s”在 PDF 文件头（%%PDF-）之前还有其他内容，不能接受。请用“打印为 PDF”重新导出后上传。"
    ),
    "pdf_uri_script": _(
        "PDF“%(name)s”包含指向脚本或本地文件的链接（只允许 http、https 和 mailto 链接），不能接受。"
        "请删除链接或用“打印为 PDF”重新导出后上传。"
    ),
    "pdf_form_action": _(
        "PDF“%(name)s”包含提交或导入表单数据的动作（SubmitForm 等），不能接受。"
        "请用“打印为 PDF”重新导出后上传。"
    ),
    "pdf_remote_action": _(
        "PDF“%(name)s”包含打开其他文件或多媒体的动作（GoToR 等），不能接受。请用“打印为 PDF”重新导出后上传。"
    ),
}

# Dictionary keys that alone make a file unacceptable, and the code each one gets.
_FORBIDDEN_KEYS = {
    "/JavaScript": "pdf_javascript",
    "/JS": "pdf_javascript",
    "/AA": "pdf_auto_action",
    "/EmbeddedFiles": "pdf_embedded_file",
    "/EmbeddedFile": "pdf_embedded_file",
    "/EF": "pdf_embedded_file",
    "/RichMedia": "pdf_rich_media",
    "/RichMediaContent": "pdf_rich_media",
    "/RichMediaSettings": "pdf_rich_media",
    "/XFA": "pdf_xfa",
}
# Values of /S (action type), /Type and /Subtype that are refused wherever they appear.
_FORBIDDEN_NAMES = {
    "/JavaScript": "pdf_javascript",
    "/Launch": "pdf_launch",
    "/EmbeddedFile": "pdf_embedded_file",
    "/RichMedia": "pdf_rich_media",
    "/SubmitForm": "pdf_form_action",
    "/ImportData": "pdf_form_action",
    "/ResetForm": "pdf_form_action",
    "/GoToR": "pdf_remote_action",
    "/GoToE": "pdf_remote_action",
    "/Rendition": "pdf_remote_action",
    "/Movie": "pdf_remote_action",
    "/Sound": "pdf_remote_action",
}
# Link targets a viewer may open; anything else (javascript:, data:, file:, ...) is refused.
_SAFE_URI_SCHEMES = ("http:", "https:", "mailto:")
# Control characters and spaces viewers ignore inside a scheme ("java\tscript:").
_URI_NOISE = dict.fromkeys(range(0x21), None)
# On opening, only a plain view destination (an array) or a GoTo action is harmless.
_SAFE_OPEN_ACTIONS = {"/GoTo"}

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckedPdf:
    data: bytes
    pages: int
    sha256: str
    original_name: str


def _refusal(code: str, name: str) -> ValidationError:
    return ValidationError(_MESSAGES[code], code=code, params={"name": name})


def looks_like_pdf(data: bytes) -> bool:
    return b"%PDF-" in data[:_HEADER_WINDOW]


def _uri_is_safe(value) -> bool:
    if isinstance(value, bytes):
        value = value.decode("latin-1")
    text = str(value).translate(_URI_NOISE).lower()
    if ":" not in text.split("/", 1)[0]:
        return True  # relative: no scheme, nothing to run
    return text.startswith(_SAFE_URI_SCHEMES)


def _resolve(obj):
    while isinstance(obj, IndirectObject):
        obj = obj.get_object()
    return obj


def _check_open_action(root: DictionaryObject, name: str) -> None:
    action = _resolve(root.get("/OpenAction"))
    if action is None or isinstance(action, ArrayObject):
        return
    if isinstance(action, DictionaryObject):
        kind = action.get("/S")
        if kind == "/JavaScript" or "/JS" in action:
            raise _refusal("pdf_open_action", name)
        if kind is not None and str(kind) not in _SAFE_OPEN_ACTIONS:
            raise _refusal("pdf_open_action", name)
        if "/Next" in action:  # a harmless GoTo chained to something else
            raise _refusal("pdf_open_action", name)


def _walk(reader: PdfReader, name: str) -> None:
    """Visit every object reachable from the trailer; raise at the first forbidden feature."""
    seen: set[tuple[int, int]] = set()
    stack = [reader.trailer]
    visited = 0
    while stack:
        obj = stack.pop()
        if isinstance(obj, IndirectObject):
            ref = (obj.idnum, obj.generation)
            if ref in seen:
                continue
            seen.add(ref)
            obj = obj.get_object()
        visited += 1
        if visited > _MAX_OBJECTS:
            raise _refusal("pdf_broken", name)
        if isinstance(obj, DictionaryObject):  # StreamObject is one too: its dictionary is checked
            for key, value in obj.items():
                code = _FORBIDDEN_KEYS.get(str(key))
                if code:
                    raise _refusal(code, name)
                if key == "/URI" and not _uri_is_safe(_resolve(value)):
                    raise _refusal("pdf_uri_script", name)
                if key in ("/S", "/Type", "/Subtype") and isinstance(value, NameObject):
                    code = _FORBIDDEN_NAMES.get(str(value))
                    if code:
                        raise _refusal(code, name)
                stack.append(value)
        elif isinstance(obj, ArrayObject):
            stack.extend(obj)
        # Strings, numbers and stream *contents* carry no actions; stream data is not parsed.


def check_pdf(data: bytes, *, name: str, max_bytes: int = MAX_PDF_BYTES) -> CheckedPdf:
    """Return the PDF to store, or raise ValidationError with one of the codes above."""
    display = sanitise_display_name(name)
    if not data:
        raise _refusal("empty", display)
    if len(data) > max_bytes:
        raise _refusal("too_large", display)
    if not looks_like_pdf(data):
        raise _refusal("not_pdf", display)
    if not data.startswith(b"%PDF-"):
        raise _refusal("pdf_leading_bytes", display)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        encrypted = reader.is_encrypted
    except Exception:  # pypdf raises many kinds on garbage; all mean "cannot parse"
        raise _refusal("pdf_broken", display) from None
    if encrypted:
        raise _refusal("pdf_encrypted", display)
    try:
        root = _resolve(reader.trailer.get("/Root"))
        if not isinstance(root, DictionaryObject):
            raise _refusal("pdf_broken", display)
        _check_open_action(root, display)
        _walk(reader, display)
        pages = len(reader.pages)
    except ValidationError:
        raise
    except Exception:
        logger.info("pdf check: unparsable PDF %r", display, exc_info=True)
        raise _refusal("pdf_broken", display) from None
    if pages < 1:
        raise _refusal("pdf_broken", display)
    return CheckedPdf(data=data, pages=pages, sha256=hashlib.sha256(data).hexdigest(), original_name=display)
