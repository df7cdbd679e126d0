"""The IIP / VisiOmatic endpoint ``/iip/``: one GET, answered as IIP.md specifies.

``FIF`` names an image by its id, as ``<collection-slug>/<file name>`` or by a file name
alone; either way it is looked up among the images the user may view (404 otherwise),
never on the file system. A DRF view, as the REST tiles: a session or an API token
(``Authorization: Token ...``) says who asks, for every operation. The answer is
``tiles/answer.py``'s (the ASGI fast path sends the same).
"""

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from tiles.answer import IIPCall, answer
from tiles.views import http_response


@extend_schema(exclude=True)  # a protocol of its own (IIP.md), not the REST API's
class IIPView(APIView):
    def get(self, request):
        pairs = [(name, value) for name, values in request.GET.lists() for value in values]
        call = IIPCall.read(pairs, request.headers.get("If-None-Match"))
        return http_response(answer(call, request.user))


iip_endpoint = IIPView.as_view()
