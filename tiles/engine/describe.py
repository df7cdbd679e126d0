"""An image described as viewers read it: its header with a CD matrix, and its input images
(one per extension of a mosaic, with where its pixels land in the mosaic).

VisiOmatic clients read the WCS only as ``CDi_j`` and place a mosaic's extensions from
their data and detector slices (``INFO`` of ``../../IIP.md``); the arithmetic lives here,
next to the reader that built the mosaic, so the protocol code only formats it.
"""

import math

from tiles.engine.inventory import header_to_json

CD_KEYS = ("CD1_1", "CD1_2", "CD2_1", "CD2_2")
PC_KEYS = ("PC1_1", "PC1_2", "PC2_1", "PC2_2")


def with_cd_matrix(header):
    """``header`` (a dict) with ``CDi_j`` written out when it gives its linear
    transformation as ``PCi_j``/``CDELTi`` or ``CDELTi``/``CROTA2``.

    FITS rules: CD = diag(CDELT) . PC, PC defaulting to the identity, or to the rotation
    by CROTA2 when there is no PC; CDELT defaults to 1. Headers with a CD, or without a
    celestial or linear WCS, are returned as they are (the same object).
    """
    if any(k in header for k in CD_KEYS) or not any(
        k in header for k in ("CTYPE1", "CDELT1", "PC1_1", "CROTA2")
    ):
        return header
    try:
        cdelt = [float(header.get("CDELT1", 1.0)), float(header.get("CDELT2", 1.0))]
        if any(k in header for k in PC_KEYS):
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


def input_images(data, header):
    """The input images of ``data`` (an ``ImageData``) as dicts of ``size`` [W, H],
    ``dataslice`` and ``detslice`` ([[x1, x2, step], [y1, y2, step]], 1-based FITS pixels,
    inclusive) and ``header`` (its own, with a CD matrix): one per extension of a mosaic,
    else one, the whole image with ``header``."""
    layout = data.source.layout
    if layout.kind != "mosaic":
        full = [[1, data.width, 1], [1, data.height, 1]]
        return [{"size": [data.width, data.height], "dataslice": full, "detslice": full,
                 "header": header}]  # fmt: skip
    entries = []
    for placement in layout.placements:
        hdu_header = data.source.hdulist[placement.hdu].header
        dataslice, detslice = placement_slices(placement)
        entries.append({
            "size": [hdu_header.get("NAXIS1", 0), hdu_header.get("NAXIS2", 0)],
            "dataslice": dataslice,
            "detslice": detslice,
            "header": with_cd_matrix(header_to_json(hdu_header)),
        })  # fmt: skip
    return entries


def placement_slices(placement):
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
