"""One answer for every image request of the tile protocols: REST tiles and region
snapshots, every IIP operation.

A request is read once into a typed request -- ``TileRequest``, ``RegionRequest``,
``IIPCall`` -- and ``answer(request, user)`` answers it, always in the same steps:

    permission (404) -> open the data -> render (or describe) -> ETag / 304
    -> cache headers -> errors as JSON ({"detail": ...}, one mapping: ``error_answer``)

It gives an ``Answer`` (status, content type, headers, body) that the ASGI fast path
(``tiles/fastpath.py``) sends as it is and the Django views (``tiles/views.py``,
``tiles/iip_views.py``) turn into an ``HttpResponse``: the same bytes and headers either
way. Who the user is comes before (DRF's authentication in the views, the same rules
read from raw headers by ``portal/auth.py`` in the fast path): sessions and API tokens,
for REST and IIP alike.

``answer(request, user, wait=False)`` is the same answer when it needs no I/O -- the
user's access to the image and the image's pyramid already known to this process, a
tile -- and None otherwise: the fast path then asks again from a thread.

Cache headers keep the revocation promise: a private image's tiles are ``private,
no-cache`` (the browser keeps them but asks again each time; with their ETag the answer
is a 304 that costs no rendering, after the permission check), a public image's may be
kept ``TILE_MAX_AGE_PUBLIC`` seconds.
"""

import json
from contextlib import nullcontext
from dataclasses import dataclass, field

from django.conf import settings

from portal import permissions
from tiles import heavy, iip, service
from tiles import params as rest_params
from tiles.engine import EngineError, InvalidFitsError, ParameterError
from tiles.engine.describe import input_images, with_cd_matrix

FORMATS = {"jpg": "jpeg", "jpeg": "jpeg", "png": "png", "webp": "webp"}  # URL suffix -> engine
JSON = "application/json"
TEXT = "text/plain; charset=utf-8"
BANNER = (
    "fitsportal IIP server: IIP/VisiOmatic protocol 3.0. "
    "Use FIF=<image> with obj, INFO, JTL, VAL, PFL or RGN."
)


@dataclass(slots=True)
class Answer:
    status: int
    body: bytes = b""
    content_type: str | None = None  # None only for a 304
    headers: list = field(default_factory=list)  # (name, value) str pairs beside the type


class NoSuchImage(Exception):
    """The image does not exist or the user may not view it: 404, the same message."""


_UNKNOWN = object()  # not known without I/O (``wait=False``)


# --- the answer ----------------------------------------------------------------------
def answer(request, user, wait=True):
    """The ``Answer`` to ``request`` for ``user`` (a user or ``AnonymousUser``); a
    failure ``error_status`` does not name is raised (a bug: Django's 500). With
    ``wait=False``: None unless it can be given without I/O."""
    try:
        if not wait and not request.inline:
            return None
        early = request.before_image()
        if early is not None:
            return early
        image = request.find_image(user, wait)
        if image is _UNKNOWN:
            return None
        if image is None:
            raise NoSuchImage
        if wait:
            data = service.open_data(image)
        else:
            data = service.open_data_if_open(image)
            if data is None or not data.has_pyramid:
                return None  # the FITS file is read until the pyramid exists: a thread's work
        result = request.respond(image, data)
        if isinstance(result, Answer):
            return result
        return _image_answer(request, image, result)
    except Exception as exc:  # noqa: BLE001 - mapped below, or raised again
        mapped = error_answer(exc)
        if mapped is None:
            raise
        return mapped


def _image_answer(request, image, rendering):
    headers = [("ETag", rendering.etag), ("Cache-Control", cache_control(image))]
    if request.if_none_match == rendering.etag:
        return Answer(304, headers=headers)
    with request.slot():
        body = rendering.body()
    return Answer(200, body, rendering.content_type, headers + request.extra_headers(image))


def cache_control(image):
    """Private images: kept by the browser but asked again each time (``no-cache``), so
    a revoked grant takes effect at the next request; public ones for a while."""
    if image.collection.visibility == image.collection.PUBLIC:
        return f"public, max-age={settings.TILE_MAX_AGE_PUBLIC}"
    return "private, no-cache"


# --- errors, mapped once -------------------------------------------------------------
def error_status(exc):
    """(status, detail, extra headers) of a failure the tile protocols name, else None:
    the one mapping of the pixel endpoints (``portal/api/errors.py`` uses it too)."""
    if isinstance(exc, NoSuchImage):
        return 404, "No such image.", []
    if isinstance(exc, ParameterError):
        return 400, str(exc), []
    if isinstance(exc, heavy.Busy):
        return 503, str(exc), [("Retry-After", str(exc.retry_after))]
    if isinstance(exc, InvalidFitsError):
        return 422, f"The image file cannot be read: {exc}", []
    if isinstance(exc, EngineError | OSError):
        return 422, "The image file cannot be read.", []
    return None


def error_answer(exc):
    mapped = error_status(exc)
    if mapped is None:
        return None
    status, detail, headers = mapped
    return json_answer({"detail": detail}, status, headers)


def json_answer(value, status=200, headers=()):
    # As DRF's JSONRenderer writes it: compact, UTF-8.
    body = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()
    return Answer(status, body, JSON, list(headers))


# --- the requests --------------------------------------------------------------------
class _Request:
    """What every request kind gives ``answer``."""

    kind = ""  # "rest" or "iip": which Django view answers it otherwise
    inline = False  # may be answered without I/O when everything is known
    if_none_match = None

    def before_image(self):
        """An ``Answer`` that needs no image (a parse error, the IIP banner), or None."""
        return None

    def slot(self):
        return nullcontext()

    def extra_headers(self, image):
        return []


def _image_by_id(user, image_id, wait):
    if wait:
        return permissions.viewable_image_cached(user, image_id)
    found, image = permissions.peek_viewable_image(user, image_id)
    return image if found else _UNKNOWN


@dataclass(frozen=True, slots=True)
class TileRequest(_Request):
    """``/api/images/<image_id>/tiles/<z>/<x>/<y>.<fmt>``: ``z`` = 0 the coarsest level,
    ``x`` the column, ``y`` the row from the top; ``query``: name -> list of values."""

    image_id: int
    z: int
    x: int
    y: int
    fmt: str  # the engine's: jpeg, png, webp
    query: dict
    if_none_match: str | None = None
    kind = "rest"
    inline = True

    def find_image(self, user, wait):
        return _image_by_id(user, self.image_id, wait)

    def respond(self, image, data):
        grid = data.grid
        if self.z >= grid.levels:
            raise ParameterError(f"z: {self.z} is outside 0..{grid.levels - 1}.")
        stats = service.channel_stats(image, data)
        params = rest_params.parse(self.query, data.channels, stats, self.fmt)
        return service.tile(image, data, grid.levels - 1 - self.z, self.x, self.y, params)


@dataclass(frozen=True, slots=True)
class RegionRequest(_Request):
    """``/api/images/<image_id>/region.<suffix>``: a region snapshot (``x1..y2``,
    ``binning`` and the rendering parameters in ``query``), as an attachment."""

    image_id: int
    suffix: str  # of the URL: jpg, jpeg, png, webp
    query: dict
    if_none_match: str | None = None
    kind = "rest"

    def find_image(self, user, wait):
        return _image_by_id(user, self.image_id, wait)

    def respond(self, image, data):
        stats = service.channel_stats(image, data)
        level, box, params = rest_params.region_request(
            self.query, data.grid, data.channels, stats, FORMATS[self.suffix]
        )
        return service.region(image, data, level, box, params)

    def slot(self):
        return heavy.slot("region")

    def extra_headers(self, image):
        return [("Content-Disposition", f'attachment; filename="{image.pk}-region.{self.suffix}"')]


@dataclass(frozen=True, slots=True)
class IIPCall(_Request):
    """One ``/iip/`` request, its parameters parsed (``query``) or refused (``error``)."""

    query: iip.IIPRequest | None
    error: ParameterError | None = None
    if_none_match: str | None = None
    kind = "iip"

    @classmethod
    def read(cls, pairs, if_none_match=None):
        """From the query's (name, value) pairs; a malformed one is answered 400 (after
        the user is known: a refused token is a 401 first)."""
        try:
            return cls(iip.parse(pairs), None, if_none_match)
        except ParameterError as exc:
            return cls(None, exc, if_none_match)

    @property
    def inline(self):
        query = self.query
        return query is not None and query.jtl is not None and not _describes(query)

    def before_image(self):
        if self.error is not None:
            raise self.error
        if self.query.fif is None:
            return Answer(200, BANNER.encode(), TEXT)
        return None

    def find_image(self, user, wait):
        fif = self.query.fif
        if fif.isdigit():
            return _image_by_id(user, int(fif), wait)
        if wait:
            image = permissions.viewable_image_named_cached(user, fif)
        else:
            found, image = permissions.peek_viewable_image_named(user, fif)
            if not found:
                return _UNKNOWN
        if image is permissions.AMBIGUOUS:
            raise ParameterError(
                f"FIF: several images are named '{fif.rsplit('/', 1)[-1][:100]}': "
                "name one as <collection>/<file name> or by its id."
            )
        return image

    def respond(self, image, data):
        query = self.query
        stats = service.channel_stats(image, data)
        if query.info:
            return json_answer(info(image, data, stats))
        if query.obj:
            return Answer(200, obj(data, iip.default_cuts(stats)).encode(), TEXT)
        if query.val is not None:
            channels = iip.value_channels(query, data.channels)
            return json_answer({"values": data.pixel_values(*query.val, channels)})
        if query.pfl is not None:
            line, channels = iip.profile_request(query, data.channels)
            with heavy.slot("profile"):
                return json_answer({"profile": data.profile(*line, channels)})
        params = iip.render_params(query, data.channels, stats)
        if query.jtl is not None:
            resolution, index = query.jtl
            level = data.grid.level_from_iip(resolution)
            col, row = data.grid.tile_from_index(level, index)
            return service.tile(image, data, level, col, row, params)
        if query.rgn is not None:
            level, box = iip.region_box(query, data.grid)
            return service.region(image, data, level, box, params)
        raise ParameterError("Nothing requested: add obj, INFO, JTL, VAL, PFL or RGN.")

    def slot(self):
        if self.query.jtl is None and self.query.rgn is not None:
            return heavy.slot("region")
        return nullcontext()


def _describes(query):
    return query.info or query.obj or query.val is not None or query.pfl is not None


# --- IIP descriptions ----------------------------------------------------------------
def obj(data, cuts):
    """The IIP ``obj`` text: sizes, levels, sample ranges and the FITS header cards."""
    grid = data.grid
    cards = data.header_cards
    lines = [
        "IIP:1.0",
        f"Max-size:{data.width} {data.height}",
        f"Tile-size:{grid.tile_size} {grid.tile_size}",
        f"Resolution-number:{grid.levels}",
        "Bits-per-channel:32",
        "Min-Max-sample-values:" + " ".join(f"{lo:.9g}" for lo, _ in cuts) + " "
        + " ".join(f"{hi:.9g}" for _, hi in cuts),
        f"subject/{len(cards)}:{cards}",
    ]  # fmt: skip
    return "\n".join(lines) + "\n"


def info(image, data, stats):
    """The IIP ``INFO`` description (``type`` must be "visiomatic" for the client);
    ``stats``: the per-channel statistics (dicts), whose VisiOmatic cuts it reports."""
    header = with_cd_matrix(image.header or data.header)
    per_channel = {
        "background_level": [s["background"] for s in stats],
        "background_mad": [s["mad"] for s in stats],
        "min_max": [list(pair) for pair in iip.default_cuts(stats)],
    }
    return {
        "type": "visiomatic",
        "version": "3.0",
        "image_name": image.name,
        "object_name": str(header.get("OBJECT", "")),
        "full_size": [data.width, data.height],
        "tile_size": [data.grid.tile_size, data.grid.tile_size],
        "tile_levels": data.grid.levels,
        "channels": data.channels,
        "channel_labels": list(data.channel_labels),
        "bits_per_channel": 32,
        **iip.info_defaults(),
        "header": header,
        "images": [{**entry, **per_channel} for entry in input_images(data, header)],
    }
