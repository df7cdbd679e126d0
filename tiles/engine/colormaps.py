"""Colormaps as 256-entry RGB tables (uint8).

The IIP maps (grey, jet, cold, cool, hot) are the classic formulas; the perceptual maps
(viridis, magma) are matplotlib's own tables, read from the installed matplotlib once,
when this module is imported (astropy.visualization imports matplotlib in the same
process anyway, so the tile path pays nothing more).
"""

import hashlib

import matplotlib
import numpy as np

_X = np.linspace(0.0, 1.0, 256)
PERCEPTUAL = ("viridis", "magma")


def _clip(values):
    return np.clip(values, 0.0, 1.0)


def _jet():
    return np.stack(
        [
            _clip(1.5 - np.abs(4.0 * _X - 3.0)),
            _clip(1.5 - np.abs(4.0 * _X - 2.0)),
            _clip(1.5 - np.abs(4.0 * _X - 1.0)),
        ],
        axis=1,
    )


def _hot():
    return np.stack([_clip(3 * _X), _clip(3 * _X - 1), _clip(3 * _X - 2)], axis=1)


def _cold():  # the hot ramp through blue and cyan to white
    return _hot()[:, ::-1]


def _cool():
    return np.stack([_X, 1.0 - _X, np.ones_like(_X)], axis=1)


def _grey():
    return np.stack([_X, _X, _X], axis=1)


def _matplotlib(name):
    """matplotlib's 256-entry table of ``name`` (RGB fractions): sampling a 256-colour
    ListedColormap at k/255 gives its entry k."""
    return matplotlib.colormaps[name](_X)[:, :3]


_TABLES = {
    "grey": _grey(),
    "jet": _jet(),
    "cold": _cold(),
    "cool": _cool(),
    "hot": _hot(),
    **{name: _matplotlib(name) for name in PERCEPTUAL},
}

COLORMAPS = tuple(_TABLES)
TABLES = {name: np.round(table * 255.0).astype(np.uint8) for name, table in _TABLES.items()}


def fingerprint(tables):
    """12 hex digits that change whenever an entry of ``tables`` does."""
    data = b"".join(name.encode() + b"\0" + tables[name].tobytes() for name in sorted(tables))
    return hashlib.blake2b(data, digest_size=6).hexdigest()


# For the cache keys and ETags of what was rendered with these tables: another
# matplotlib, or a formula changed, changes it.
FINGERPRINT = fingerprint(TABLES)


def as_hex(name):
    """The table of ``name`` as 256 ``#rrggbb`` strings, entry 0 first."""
    return [f"#{r:02x}{g:02x}{b:02x}" for r, g, b in TABLES[name].tolist()]
