"""The pages of failures outside a view's own answer: not found (404) and forbidden
(403). People get them in the portal's layout, with a way to log in when signed out;
machine clients of ``/api/`` and ``/iip/`` get JSON, as the API's own errors are
(``portal/api/errors.py``).

A 404 page says nothing of why: an image or collection one may not see is reported as
missing (``portal/permissions.py``), and both get the same page.
"""

from django.http import JsonResponse
from django.shortcuts import render

MACHINE_PREFIXES = ("/api/", "/iip/")


def for_people(request):
    return not request.path.startswith(MACHINE_PREFIXES)


def not_found(request, exception=None):
    if not for_people(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "frontend/404.html", status=404)


def permission_denied(request, exception=None):
    if not for_people(request):
        return JsonResponse({"detail": "Permission denied."}, status=403)
    return render(request, "frontend/403.html", status=403)
