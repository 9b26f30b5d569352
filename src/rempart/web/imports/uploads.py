"""Uploads are cut off at REMPART_IMPORT_MAX_BYTES while they stream in.

A request whose Content-Length already says it is too big is refused before its body is read
(``too_large``); a client that does not say, or lies, is stopped by the upload handler at the
first chunk over the limit, so a 2 GB upload never reaches the disk.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest

# Room for the multipart envelope and the other form fields around the file.
ENVELOPE = 64 * 1024


def too_large(request: HttpRequest) -> bool:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return declared > settings.REMPART_IMPORT_MAX_BYTES + ENVELOPE


class LimitedUploadHandler(FileUploadHandler):
    """Counts the bytes of every uploaded file and stops the upload past the limit."""

    def __init__(self, request: Any = None) -> None:
        super().__init__(request)
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > settings.REMPART_IMPORT_MAX_BYTES:
            if self.request is not None:
                self.request.rempart_upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def upload_was_cut(request: HttpRequest) -> bool:
    return bool(getattr(request, "rempart_upload_too_large", False))
