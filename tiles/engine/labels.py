"""What to call each channel of an image, from its FITS headers.

- a cube whose axis 3 has a world coordinate: its value and unit at each plane, in the
  header's own unit (``6563 Å``, ``1.42 GHz``, ``-20 km s⁻¹``), computed by astropy.wcs
  (which works in SI: the value is converted back to ``CUNIT3``); a 4-D cube joins the
  values of axes 3 and 4;
- one channel per extension: its ``FILTER``, else ``EXTNAME`` and ``EXTVER`` (``SCI 2``);
- otherwise ``FILTER`` (or ``BANDPASS``) for a single plane, ``channel n`` for the rest.
Labels that would repeat get their channel number, so that no two channels look alike.
"""

import math
import warnings

import numpy as np
from astropy import units as u
from astropy.utils.exceptions import AstropyWarning
from astropy.wcs import WCS


def channel_labels(hdulist, layout):
    """A label per channel of ``layout`` (``tiles/engine/layout.py``) of ``hdulist``."""
    if layout.kind == "channels":
        labels = [_extension_label(hdulist[i].header) for i in layout.hdus]
    elif layout.kind == "cube":
        header = hdulist[layout.hdus[0]].header
        labels = _axis_labels(header, layout.channels)
    else:
        header = hdulist[layout.header_hdu].header
        labels = [_text(header.get("FILTER") or header.get("BANDPASS"))]
    labels = [label or f"channel {n}" for n, label in enumerate(labels, 1)]
    if len(set(labels)) < len(labels):
        seen = {label: labels.count(label) for label in labels}
        labels = [f"{label} ({n})" if seen[label] > 1 else label
                  for n, label in enumerate(labels, 1)]  # fmt: skip
    return labels


def _text(value):
    return str(value).strip() if value not in (None, "") else ""


def _extension_label(header):
    if _text(header.get("FILTER")):
        return _text(header.get("FILTER"))
    name = _text(header.get("EXTNAME"))
    if name and "EXTVER" in header:
        return f"{name} {_text(header['EXTVER'])}"
    return name


def _axis_labels(header, planes):
    """Labels of the planes of a cube (NAXIS3 varying fastest), from the world values of
    axes 3 (and 4); empty where the header has no usable coordinate."""
    naxis = header.get("NAXIS", 2)
    axes = [n for n in (3, 4) if n <= naxis and header.get(f"CTYPE{n}")]
    if not axes:
        return [""] * planes
    shape = [header.get(f"NAXIS{n}", 1) for n in range(3, naxis + 1)]
    index = np.unravel_index(np.arange(planes), shape, order="F")
    columns = []
    for n in axes:
        values = _world_values(header, n, index[n - 3])
        if values is None:
            return [""] * planes
        columns.append(values)
    return [", ".join(column[k] for column in columns) for k in range(planes)]


def _world_values(header, axis, pixels):
    """Formatted world values of 0-based ``pixels`` along ``axis``, or None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AstropyWarning)
            wcs = WCS(header, naxis=[axis], relax=True)
            values = wcs.pixel_to_world_values(np.asarray(pixels, float))
            unit = u.Unit(wcs.wcs.cunit[0]) if str(wcs.wcs.cunit[0]) else None
    except Exception:  # a header astropy cannot read: no label, not an error
        return None
    values = np.atleast_1d(values).astype(float)
    wanted = _header_unit(header.get(f"CUNIT{axis}"))
    if unit is not None and wanted is not None and unit.is_equivalent(wanted):
        values, unit = (values * unit).to_value(wanted, equivalencies=u.spectral()), wanted
    text = "" if unit is None or unit == u.dimensionless_unscaled else unit.to_string("unicode")
    return [_number(v) + (f" {text}" if text else "") for v in values]


def _header_unit(text):
    if not text:
        return None
    try:
        return u.Unit(str(text).strip(), format="fits", parse_strict="silent")
    except (ValueError, TypeError):
        return None


def _number(value):
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"
