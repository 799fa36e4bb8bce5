"""An upload handler that never writes more of a file than the page will read."""

from __future__ import annotations

from django.core.files.uploadhandler import TemporaryFileUploadHandler
from django.http import HttpRequest


class CappedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Streams each file to a temporary file, writing at most ``cap + 1`` bytes of it.

    Django reads the whole request body whatever happens; past the cap the bytes are dropped
    instead of filling the disk, and the file keeps the size it was sent with (Django counts
    every byte), so the form refuses it by its size and never reads the cut copy.
    """

    def __init__(self, request: HttpRequest | None = None, *, cap: int):
        super().__init__(request)
        self.cap = cap

    def receive_data_chunk(self, raw_data: bytes, start: int) -> None:
        room = self.cap + 1 - start
        if room > 0:
            self.file.write(raw_data[:room])


class SiteCappedUploadHandler(CappedTemporaryFileUploadHandler):
    """Every page's handler (``FILE_UPLOAD_HANDLERS``): no file is written past the largest size
    any page accepts (``ICPFILING_UPLOAD_FILE_CAP``, the provider setting's maximum), so a huge
    body sent to any form cannot fill the disk; the APK page sets its own, larger cap."""

    def __init__(self, request: HttpRequest | None = None):
        from django.conf import settings

        super().__init__(request, cap=settings.ICPFILING_UPLOAD_FILE_CAP)
