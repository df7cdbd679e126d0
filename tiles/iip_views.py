"""The IIP / VisiOmatic endpoint ``/iip/``: one GET, answered as IIP.md specifies.

``FIF`` names an image by its id, as ``<collection-slug>/<file name>`` or by a file name
alone; either way it is looked up among the images the user may view (404 otherwise),
never on the file system.
"""

import math

from django.http import Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.views.decorators.http import require_GET

from portal import permissions
from tiles import heavy, iip, service
from tiles.engine import EngineError, InvalidFitsError, ParameterError
from tiles.engine.inventory import header_to_json
from tiles.views import cache_control

BANNER = "fitsportal IIP server: IIP/VisiOmatic protocol 3.0. Use FIF=<image> with obj, INFO, JTL, VAL, PFL or RGN."


def error(status, message):
    return JsonResponse(
        {"detail": message}, status=status, json_dumps_params={"separators": (",", ":")}
    )


def lookup(user, fif):
    """The Image a FIF value names, if ``user`` may view it: an id, ``<collection-slug>/
    <file name>``, or (as VisiOmatic's own FIF paths end) a file name that only one of the
    images the user may view has. Several such images: a ``ParameterError`` saying so."""
    if fif.isdigit():
        return permissions.viewable_image_cached(user, int(fif))
    image = permissions.viewable_image_named_cached(user, fif)
    if image is permissions.AMBIGUOUS:
        raise ParameterError(
            f"FIF: several images are named '{fif.rsplit('/', 1)[-1][:100]}': "
            "name one as <collection>/<file name> or by its id."
        )
    return image


@require_GET
def iip_endpoint(request):
    try:
        query = iip.parse(_pairs(request))
        if query.fif is None:
            return HttpResponse(BANNER, content_type="text/plain; charset=utf-8")
        image = lookup(request.user, query.fif)
        if image is None:
            raise Http404
        data = service.open_data(image)
        return _answer(request, query, image, data)
    except Http404:
        return error(404, "No such image.")
    except ParameterError as exc:
        return error(400, str(exc))
    except heavy.Busy as exc:
        response = error(503, str(exc))
        response["Retry-After"] = str(exc.retry_after)
        return response
    except InvalidFitsError as exc:
        return error(422, f"The image file cannot be read: {exc}")
    except (EngineError, OSError):
        return error(422, "The image file cannot be read.")


def _pairs(request):
    return [(name, value) for name, values in request.GET.lists() for value in values]


def _answer(request, query, image, data):
    cuts = service.default_cuts(image, data)
    if query.info:
        return JsonResponse(info(image, data, cuts))
    if query.obj:
        return HttpResponse(obj(data, cuts), content_type="text/plain; charset=utf-8")
    if query.val is not None:
        channels = iip.value_channels(query, data.channels)
        return JsonResponse({"values": data.pixel_values(*query.val, channels)})
    if query.pfl is not None:
        line, channels = iip.profile_request(query, data.channels)
        with heavy.slot("profile"):
            return JsonResponse({"profile": data.profile(*line, channels)})
    params = iip.render_params(query, data.channels, cuts)
    if query.jtl is not None:
        resolution, index = query.jtl
        level = data.grid.level_from_iip(resolution)
        col, row = data.grid.tile_from_index(level, index)
        return _image(request, image, service.tile(image, data, level, col, row, params))
    if query.rgn is not None:
        level, box = iip.region_box(query, data.grid)
        with heavy.slot("region"):
            rendered = service.region(image, data, level, box, params)
        return _image(request, image, rendered)
    raise ParameterError("Nothing requested: add obj, INFO, JTL, VAL, PFL or RGN.")


def _image(request, image, rendered):
    headers = {"ETag": rendered.etag, "Cache-Control": cache_control(image)}
    if request.headers.get("If-None-Match") == rendered.etag:
        return HttpResponseNotModified(headers=headers)
    return HttpResponse(rendered.body, content_type=rendered.content_type, headers=headers)


def obj(data, cuts):
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


def info(image, data, cuts):
    header = with_cd_matrix(image.header or data.header)
    stats = image.stats or [s.as_dict() for s in data.stats]
    return {
        "type": "visiomatic",
        "version": "3.0",
        "image_name": image.name,
        "object_name": str(header.get("OBJECT", "")),
        "full_size": [data.width, data.height],
        "tile_size": [data.grid.tile_size, data.grid.tile_size],
        "tile_levels": data.grid.levels,
        "channels": data.channels,
        "channel_labels": list(image.channel_names or data.channel_names),
        "bits_per_channel": 32,
        "brightness": iip.DEFAULT_BRIGHTNESS,
        "contrast": iip.DEFAULT_CONTRAST,
        "color_saturation": iip.DEFAULT_SATURATION,
        "gamma": iip.DEFAULT_GAMMA,
        "quality": iip.DEFAULT_QUALITY,
        "header": header,
        "images": _input_images(header, data, stats, cuts),
    }


def with_cd_matrix(header):
    """``header`` with ``CDi_j`` written out when it gives its linear transformation as
    ``PCi_j``/``CDELTi`` or ``CDELTi``/``CROTA2``: the VisiOmatic client reads only CD.

    FITS rules: CD = diag(CDELT) . PC, PC defaulting to the identity, or to the rotation
    by CROTA2 when there is no PC; CDELT defaults to 1. Headers with a CD, or without a
    celestial or linear WCS, are returned as they are.
    """
    keys = ("CD1_1", "CD1_2", "CD2_1", "CD2_2")
    if any(k in header for k in keys) or not any(
        k in header for k in ("CTYPE1", "CDELT1", "PC1_1", "CROTA2")
    ):
        return header
    try:
        cdelt = [float(header.get("CDELT1", 1.0)), float(header.get("CDELT2", 1.0))]
        if any(k in header for k in ("PC1_1", "PC1_2", "PC2_1", "PC2_2")):
            pc = [[float(header.get("PC1_1", 1.0)), float(header.get("PC1_2", 0.0))],
                  [float(header.get("PC2_1", 0.0)), float(header.get("PC2_2", 1.0))]]  # fmt: skip
        else:
            rho = math.radians(float(header.get("CROTA2", 0.0)))
            pc = [[math.cos(rho), -math.sin(rho) * cdelt[1] / cdelt[0]],
                  [math.sin(rho) * cdelt[0] / cdelt[1], math.cos(rho)]]  # fmt: skip
    except (TypeError, ValueError, ZeroDivisionError):
        return header  # a broken WCS stays as it is: the client falls back to pixels
    cd = {f"CD{i + 1}_{j + 1}": cdelt[i] * pc[i][j] for i in range(2) for j in range(2)}
    return {**header, **cd}


def _input_images(header, data, stats, cuts):
    """The input images, as the VisiOmatic client places them: one per extension of a
    mosaic, with its own header (its WCS in its own pixels) and where its data go;
    else one, the whole image."""
    shared = {
        "background_level": [s["background"] for s in stats],
        "background_mad": [s["mad"] for s in stats],
        "min_max": [list(pair) for pair in cuts],
    }
    layout = data.source.layout
    if layout.kind != "mosaic":
        full = [[1, data.width, 1], [1, data.height, 1]]
        return [{"size": [data.width, data.height], "dataslice": full, "detslice": full,
                 **shared, "header": header}]  # fmt: skip
    entries = []
    for placement in layout.placements:
        hdu_header = data.source.hdulist[placement.hdu].header
        dataslice, detslice = _placement_slices(placement)
        entries.append({
            "size": [hdu_header.get("NAXIS1", 0), hdu_header.get("NAXIS2", 0)],
            "dataslice": dataslice,
            "detslice": detslice,
            **shared,
            "header": with_cd_matrix(header_to_json(hdu_header)),
        })  # fmt: skip
    return entries


def _placement_slices(placement):
    """([[x1, x2, 1], [y1, y2, 1]] of the data section, ascending; [[...], [...]] of the
    mosaic pixels they land on, 1-based, descending where the axis is flipped)."""
    sec = placement.datasec
    dataslice, detslice = [], []
    for low, high, origin, flip in (
        (min(sec.x1, sec.x2), max(sec.x1, sec.x2), placement.x0, placement.flip_x),
        (min(sec.y1, sec.y2), max(sec.y1, sec.y2), placement.y0, placement.flip_y),
    ):
        first, last = origin + 1, origin + 1 + high - low
        dataslice.append([low, high, 1])
        detslice.append([last, first, -1] if flip else [first, last, 1])
    return dataslice, detslice
