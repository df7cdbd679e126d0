"""One mapping from failures to JSON responses: every API error is ``{"detail": ...}``."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.registration import RegistrationError
from tiles.engine import InvalidFitsError, ParameterError
from tiles.heavy import Busy


def json_exception_handler(exc, context):
    if isinstance(exc, RegistrationError):
        return Response({"detail": exc.message}, status=exc.status)
    if isinstance(exc, ParameterError):
        return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Busy):
        return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE,
                        headers={"Retry-After": str(exc.retry_after)})  # fmt: skip
    if isinstance(exc, InvalidFitsError | OSError):
        message = (
            f"The image file cannot be read: {exc}"
            if isinstance(exc, InvalidFitsError)
            else ("The image file cannot be read.")
        )
        return Response({"detail": message}, status=status.HTTP_422_UNPROCESSABLE_ENTITY)
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


# Outside any view (a URL that matches nothing, an uncaught failure): machine clients of
# /api/ and /iip/ get JSON too; people get Django's pages.
MACHINE_PREFIXES = ("/api/", "/iip/")


def _for_machines(request):
    return request.path.startswith(MACHINE_PREFIXES)


def not_found(request, exception=None):
    if _for_machines(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _for_machines(request):
        return JsonResponse({"detail": "Internal error."}, status=500)
    return defaults.server_error(request)
