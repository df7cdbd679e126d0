"""Upload streaming: every uploaded file goes straight to disk, with a size limit.

Files are written under ``UPLOAD_ROOT/.incoming`` (``FILE_UPLOAD_TEMP_DIR``), on the
same file system as their final place, so registration moves them with a rename.
A file over ``MAX_UPLOAD_BYTES`` stops the upload; the request then carries
``upload_refused`` with a message that the view returns as a 413/400. (Bodies over the
limit, or sent by whoever may not upload, are refused before this: ``portal.body_limits``.)

A temporary file is held under an ``flock`` while its request lives: the clean-up of
abandoned files (``portal.housekeeping``) leaves locked files alone.
"""

import fcntl

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

MULTIPART_SLACK = 64 * 1024  # a request's other fields and its multipart framing


def _size(nbytes):
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if nbytes < 1024 or unit == "TiB":
            return f"{nbytes:.0f} {unit}" if unit == "bytes" else f"{nbytes:.1f} {unit}"
        nbytes /= 1024


def size_limit_message(limit=None):
    limit = settings.MAX_UPLOAD_BYTES if limit is None else limit
    return f"File too large: the upload limit is {_size(limit)}."


class LimitedTemporaryFileUploadHandler(TemporaryFileUploadHandler):
    """Streams uploads to a temporary file and refuses any beyond the size limit."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.MAX_UPLOAD_BYTES + MULTIPART_SLACK:
            # The whole request is larger than any acceptable file: parse nothing.
            self.request.upload_refused = size_limit_message()
            return QueryDict(), MultiValueDict()
        return None

    def new_file(self, *args, **kwargs):
        super().new_file(*args, **kwargs)
        fcntl.flock(self.file.fileno(), fcntl.LOCK_EX)  # released when the file closes

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.MAX_UPLOAD_BYTES:
            if getattr(self, "file", None) is not None:
                self.file.close()  # a temporary file deletes itself on close
            self._refuse()
        return super().receive_data_chunk(raw_data, start)

    def _refuse(self):
        self.request.upload_refused = size_limit_message()
        raise StopUpload(connection_reset=False)
