"""JSON request bodies of bounded nesting.

Python's JSON decoder recurses once per array or object: a body of 100,000 ``[`` raised
``RecursionError`` out of DRF's parser (a 500), and one just under the interpreter's
limit was stored (a catalog's ``style``) to be sent back in every listing. No document of
this API nests deeper than a GeoJSON feature collection (a handful of levels), so
``BoundedJSONParser`` refuses bodies nested more than ``MAX_JSON_DEPTH`` levels with a
400 (``ParseError``), before decoding them.
"""

import io
import re

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_JSON_DEPTH = 64
TOO_DEEP = f"JSON nested more than {MAX_JSON_DEPTH} levels deep."

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)  # escapes included
_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))


def nesting_depth(raw, stop=MAX_JSON_DEPTH):
    """The deepest nesting of arrays and objects in the JSON text ``raw`` (bytes),
    counted up to ``stop + 1`` at most.

    The strings are taken out (a bracket in one is text), then only the brackets kept,
    and each innermost pair removed, one level at a time: a few passes of C code over
    the body, however it is nested."""
    brackets = _STRING.sub(b"", raw).translate(_BRACKETS, _NOT_BRACKETS)
    if b"[" * (stop + 1) in brackets:
        return stop + 1  # the usual attack, found at once
    depth = 0
    while brackets and depth <= stop:
        shorter = brackets.replace(b"[]", b"")
        if len(shorter) == len(brackets):
            break  # brackets that do not pair: not JSON, which the decoder says
        brackets, depth = shorter, depth + 1
    return depth


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser, refusing bodies nested more than ``MAX_JSON_DEPTH`` deep."""

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read() if stream is not None else b""
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is not None and len(raw) > limit:
            raise ParseError("JSON body too large.")
        if nesting_depth(raw) > MAX_JSON_DEPTH:
            raise ParseError(TOO_DEEP)
        return super().parse(io.BytesIO(raw), media_type, parser_context)
