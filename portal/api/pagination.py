from urllib.parse import urlencode

from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response


class PortalPagination(PageNumberPagination):
    """Pages of ``PAGE_SIZE`` items; clients may ask for up to 500 with ``page_size``."""

    page_size_query_param = "page_size"
    max_page_size = 500


def cursor_response(request, page, results):
    """A search page: ``{"next": URL or null, "examined": n, "results": [...]}``; the
    next URL repeats the query with the page's cursor."""
    next_url = None
    if page.next_cursor is not None:
        params = [(k, v) for k, v in request.query_params.items() if k != "cursor"]
        params.append(("cursor", page.next_cursor))
        next_url = request.build_absolute_uri(request.path) + "?" + urlencode(params)
    return Response({"next": next_url, "examined": page.examined, "results": results})
