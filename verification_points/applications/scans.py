"""Checking and storing application scans: PDF or JPG, at most 5 MB each (seed 000, R-D2..R-D4).

The type is decided from the bytes, never from the name: PDFs go through
``pdf_check`` (stored unchanged once clean), JPGs through the materials image
pipeline (re-encoded, metadata stripped). Stored names are generated and
tenant-prefixed; the client's filename is display data only.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from icpfiling.tenancy.storage import tenant_file_name
from icpfiling.uploads.images import UploadPolicy, process_upload, sanitise_display_name
from icpfiling.uploads.pdf_check import MAX_PDF_BYTES, check_pdf, looks_like_pdf

MAX_SCAN_BYTES = MAX_PDF_BYTES  # 5 MB for both formats (seed 000)
MAX_FILES_PER_FIELD = 3
# Application scans are copies the provider reads, not originals photographed for the
# authority, so the colour rule of R-D3 (photocopies refused) does not apply here.
JPEG_POLICY = UploadPolicy(
    max_bytes=MAX_SCAN_BYTES, allowed_formats=frozenset({"jpeg"}), require_colour=False, max_files=99
)
_JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass(frozen=True)
class CheckedScan:
    """A scan that passed its check, ready to store."""

    data: bytes
    file_format: str  # "pdf" | "jpeg"
    extension: str  # "pdf" | "jpg"
    sha256: str
    original_name: str


def _read_bounded(uploaded: UploadedFile) -> bytes:
    uploaded.seek(0)
    return uploaded.read(MAX_SCAN_BYTES + 1)


def scan_check(uploaded: UploadedFile) -> CheckedScan:
    """Check one uploaded scan; raise ValidationError (with a code) naming the file."""
    name = uploaded.name or ""
    data = _read_bounded(uploaded)
    if looks_like_pdf(data) or not data or len(data) > MAX_SCAN_BYTES:
        # Size refusals read the same for both formats; check_pdf words them.
        pdf = check_pdf(data, name=name, max_bytes=MAX_SCAN_BYTES)
        return CheckedScan(
            data=pdf.data,
            file_format="pdf",
            extension="pdf",
            sha256=pdf.sha256,
            original_name=pdf.original_name,
        )
    if data.startswith(_JPEG_MAGIC):
        image = process_upload(data, name=name, policy=JPEG_POLICY)
        return CheckedScan(
            data=image.data,
            file_format="jpeg",
            extension="jpg",
            sha256=image.sha256,
            original_name=image.original_name,
        )
    raise ValidationError(
        _("文件“%(name)s”既不是 PDF 也不是 JPG（按文件内容判断，与文件名无关）。请上传 PDF 或 JPG 扫描件。"),
        code="scan_format",
        params={"name": sanitise_display_name(name)},
    )


def storage():
    return storages["default"]


def scan_store(*, tenant_id: int, kind: str, scan: CheckedScan) -> str:
    """Write the bytes under a generated tenant-prefixed name; return the stored name."""
    name = tenant_file_name(tenant_id=tenant_id, kind=f"vp_{kind}", extension=scan.extension)
    return storage().save(name, ContentFile(scan.data))


def files_delete(names: list[str]) -> None:
    for name in names:
        with contextlib.suppress(OSError):  # already gone: the goal (no orphan) holds
            storage().delete(name)
