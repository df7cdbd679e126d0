"""The pages of failures outside a view's own answer: a request Django refuses before a
view can (400: too many parameters, a body over its limit), not found (404), forbidden
(403) and a form refused for its CSRF token (403). People get them in the portal's layout, with a way to log in when signed out;
machine clients of ``/api/`` and ``/iip/`` get JSON, as the API's own errors are
(``portal/api/errors.py``).

A 404 page says nothing of why: an image or collection one may not see is reported as
missing (``portal/permissions.py``), and both get the same page.
"""

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults

MACHINE_PREFIXES = ("/api/", "/iip/")


def for_people(request):
    return not request.path.startswith(MACHINE_PREFIXES)


def bad_request(request, exception=None):
    """What Django refuses itself (its ``SuspiciousOperation``s), said in words of the
    limit passed; the exception's own text is not shown."""
    if isinstance(exception, TooManyFieldsSent):
        reason = f"Too many parameters (at most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS})."
    elif isinstance(exception, TooManyFilesSent):
        reason = f"Too many files (at most {settings.DATA_UPLOAD_MAX_NUMBER_FILES})."
    elif isinstance(exception, RequestDataTooBig):
        reason = "The request body is larger than this server accepts."
    else:
        reason = "Bad request."
    if not for_people(request):
        return JsonResponse({"detail": reason}, status=400)
    return render(request, "frontend/400.html", {"reason": reason}, status=400)


def not_found(request, exception=None):
    if not for_people(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "frontend/404.html", status=404)


def permission_denied(request, exception=None, expired_form=False):
    if not for_people(request):
        return JsonResponse({"detail": "Permission denied."}, status=403)
    return render(request, "frontend/403.html", {"expired_form": expired_form}, status=403)


def csrf_failure(request, reason=""):
    """A form sent without its page's token (an old tab, cookies refused): say so."""
    return permission_denied(request, expired_form=True)


def server_error(request):
    """An uncaught failure: Django's plain page (nothing that might fail again), JSON for
    machine clients."""
    if not for_people(request):
        return JsonResponse({"detail": "Internal error."}, status=500)
    return defaults.server_error(request)
