"""Colormaps as 256-entry RGB tables (uint8), from formulas or colour anchors."""

import numpy as np

_X = np.linspace(0.0, 1.0, 256)


def _clip(values):
    return np.clip(values, 0.0, 1.0)


def _from_anchors(hex_colours):
    anchors = np.array([[int(h[i : i + 2], 16) for i in (1, 3, 5)] for h in hex_colours], float)
    positions = np.linspace(0.0, 1.0, len(anchors))
    return np.stack([np.interp(_X, positions, anchors[:, k]) for k in range(3)], axis=1) / 255.0


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


_VIRIDIS = ["#440154", "#472d7b", "#3b528b", "#2c728e", "#21918c", "#28ae80", "#5ec962",
            "#addc30", "#fde725"]  # fmt: skip
_MAGMA = ["#000004", "#1c1033", "#4f127b", "#812581", "#b5367a", "#e55964", "#fb8761",
          "#fec287", "#fcfdbf"]  # fmt: skip

_TABLES = {
    "grey": _grey(),
    "jet": _jet(),
    "cold": _cold(),
    "cool": _cool(),
    "hot": _hot(),
    "viridis": _from_anchors(_VIRIDIS),
    "magma": _from_anchors(_MAGMA),
}

COLORMAPS = tuple(_TABLES)
TABLES = {name: np.round(table * 255.0).astype(np.uint8) for name, table in _TABLES.items()}
