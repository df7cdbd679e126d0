"""One mapping from failures to JSON responses: every API error is ``{"detail": ...}``.

Failures of the pixel endpoints (bad parameters, an image one may not see, a busy
server, an unreadable file) are mapped by ``tiles.answer.error_status``, the mapping the
tile answers use themselves; the others here.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.registration import RegistrationError
from tiles.answer import error_status


def json_exception_handler(exc, context):
    if isinstance(exc, RegistrationError):
        return Response({"detail": exc.message}, status=exc.status)
    if isinstance(exc, RecursionError):
        # Nothing of the API recurses but the decoding of nested input that the body's
        # parser did not see (JSON text in a form field): the input's fault.
        return Response({"detail": "The request is nested too deeply."}, status=400)
    mapped = error_status(exc)
    if mapped is not None:
        code, detail, headers = mapped
        return Response({"detail": detail}, status=code, headers=dict(headers))
    if isinstance(exc, Http404):
        message = str(exc) if str(exc) and "matches the given query" not in str(exc) else None
        return Response({"detail": message or "Not found."}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, DjangoPermissionDenied):
        return Response({"detail": str(exc) or "Permission denied."}, status=403)
    response = exception_handler(exc, context)
    if response is not None and not (isinstance(response.data, dict) and "detail" in response.data):
        # Field validation errors: keep the per-field messages, add one readable line.
        response.data = {"detail": _summary(response.data), "errors": response.data}
    return response


def _summary(errors):
    if isinstance(errors, dict):
        parts = []
        for field, messages in errors.items():
            text = (
                " ".join(str(m) for m in messages) if isinstance(messages, list) else str(messages)
            )
            parts.append(text if field == "non_field_errors" else f"{field}: {text}")
        return " ".join(parts)
    if isinstance(errors, list):
        return " ".join(str(e) for e in errors)
    return str(errors)
