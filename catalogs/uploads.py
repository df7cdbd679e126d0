"""Catalog files arriving with a request: streamed to disk, capped at ``MAX_CATALOG_BYTES``.

Django writes an uploaded file to ``UPLOAD_ROOT/.incoming/tmp*.upload.<ext>`` while the
body is read (and removes it when the request ends); an accepted file is then moved to
``import_path(catalog)`` — ``.incoming/catalog-<id>.import`` — where it waits for its
import task, which removes it when done. ``abandoned_files`` finds the ones whose import
will never run.
"""

import os
import re
import time

from django.conf import settings
from django.core.files.uploadhandler import StopUpload, TemporaryFileUploadHandler
from django.http import QueryDict
from django.utils.datastructures import MultiValueDict

from portal.uploads import size_limit_message

IMPORT_NAME = re.compile(r"^catalog-(\d{1,19})\.import$")
MULTIPART_SLACK = 64 * 1024  # the other fields and the multipart framing


class CatalogUploadHandler(TemporaryFileUploadHandler):
    """Streams a catalog file to a temporary file; a body or file over the limit stops
    the upload and sets ``request.upload_refused`` (the view answers 413)."""

    def handle_raw_input(self, input_data, META, content_length, boundary, encoding=None):
        if content_length and content_length > settings.MAX_CATALOG_BYTES + MULTIPART_SLACK:
            self.request.upload_refused = size_limit_message(settings.MAX_CATALOG_BYTES)
            return QueryDict(), MultiValueDict()
        return None

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > settings.MAX_CATALOG_BYTES:
            if getattr(self, "file", None) is not None:
                self.file.close()  # a temporary file deletes itself on close
            self.request.upload_refused = size_limit_message(settings.MAX_CATALOG_BYTES)
            raise StopUpload(connection_reset=False)
        return super().receive_data_chunk(raw_data, start)


# --- JSON nesting, read before the import ---------------------------------------------
# The GeoJSON reader (ijson) keeps, for every level it is in, the path of keys and items
# leading there: a 200 KB file of 100,000 nested arrays asked it for some 50 GB, and the
# out-of-memory killer ended the server. A JSON file is therefore refused when it nests
# deeper than the API's JSON bodies may (``portal/api/parsers.py``), read once in blocks.
JSON_BLOCK = 1 << 20
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_IN_STRING = re.compile(rb'(?:[^"\\]|\\.)*', re.DOTALL)  # what follows, inside a string
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def json_too_deep(stream, limit, block=JSON_BLOCK):
    """Whether the JSON text of the binary ``stream`` (read from where it is, to its end)
    may nest deeper than ``limit``. Never False for a deeper text; a shallow one is True
    only when it is not JSON (each block's brackets are counted as if they all nested).
    """
    depth, in_string, escaped = 0, False, False
    while data := stream.read(block):
        start = 0
        if in_string:  # the string the last block ended in goes on
            end = _IN_STRING.match(data, 1 if escaped else 0).end()
            if end == len(data):
                escaped = False
                continue
            if data[end : end + 1] == b"\\":  # a backslash ends the block: escaping
                escaped = True
                continue
            in_string, escaped, start = False, False, end + 1  # past its closing quote
        outside = _STRING.sub(b"", data[start:])
        quote = outside.find(b'"')
        if quote >= 0:  # a string begins that does not end in this block
            tail = outside[quote + 1 :]
            in_string, escaped = True, (len(tail) - len(tail.rstrip(b"\\"))) % 2 == 1
            outside = outside[:quote]
        depth, deepest = _bracket_depth(outside.translate(_BRACKETS, _NOT_BRACKETS), depth, limit)
        if deepest > limit:
            return True
    return False


def upload_too_deep(upload, limit):
    """Whether the uploaded file is JSON (its first character, past a BOM and blanks, is
    ``{`` or ``[``) that may nest deeper than ``limit``; other formats are not read."""
    stream = upload.open("rb")
    try:
        stream.seek(0)
        head = stream.read(4096).removeprefix(b"\xef\xbb\xbf").lstrip()
        if not head.startswith((b"{", b"[")):
            return False
        stream.seek(0)
        return json_too_deep(stream, limit)
    finally:
        stream.seek(0)


def _bracket_depth(brackets, depth, limit):
    """(the depth after ``brackets``, a bound of the deepest within them) from ``depth``:
    pairs nested ``passes`` deep, then the closings and openings left unpaired."""
    if b"[" * (limit + 1) in brackets:
        return depth, limit + 1
    passes = 0
    while brackets and passes <= limit:
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            break
        brackets, passes = shorter, passes + 1
    closing = len(brackets) - len(brackets.lstrip(b"]"))
    opening = len(brackets) - closing
    return max(depth - closing, 0) + opening, depth + passes + opening


def body_too_large(request):
    """A refusal message if the body's declared length is over the limit, else None."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if length > settings.MAX_CATALOG_BYTES + MULTIPART_SLACK:
        return size_limit_message(settings.MAX_CATALOG_BYTES)
    return None


def incoming_root():
    return settings.UPLOAD_ROOT / ".incoming"


def import_path(catalog_id):
    return incoming_root() / f"catalog-{int(catalog_id)}.import"


def store_upload(upload, catalog_id):
    """Move (or copy) an uploaded file to where the import task reads it."""
    target = import_path(catalog_id)
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = getattr(upload, "temporary_file_path", None)
    if temporary is not None:
        os.replace(temporary(), target)  # same file system: the temporary file is gone
        return target
    with open(target, "wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    return target


def remove_import_file(catalog_id):
    import_path(catalog_id).unlink(missing_ok=True)


def abandoned_files(older_than=3600, now=None):
    """Stored catalog files (``.incoming/catalog-<id>.import``) older than ``older_than``
    seconds whose catalog is gone or no longer waits for its import: safe to delete.

    A file whose catalog is ``pending`` or ``importing`` is kept however old it is (a
    broker may hold its task for long); the age rule covers the moment between the
    upload's move and the commit of its catalog.
    """
    from catalogs.models import Catalog

    now = time.time() if now is None else now
    found = {}
    try:
        entries = list(os.scandir(incoming_root()))
    except FileNotFoundError:
        return []
    for entry in entries:
        match = IMPORT_NAME.match(entry.name)
        if not match:
            continue
        try:
            if now - entry.stat().st_mtime < older_than:
                continue
        except FileNotFoundError:
            continue
        found[int(match.group(1))] = entry.path
    waiting = set(
        Catalog.objects.filter(
            pk__in=list(found), state__in=[Catalog.PENDING, Catalog.IMPORTING]
        ).values_list("pk", flat=True)
    )
    return sorted(path for pk, path in found.items() if pk not in waiting)
