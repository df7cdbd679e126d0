"""Tile geometry of the pyramid, as the IIP protocol defines it.

Level ``0`` is full resolution; level ``l`` is the image binned ``2**l x 2**l``, of size
``ceil(W / 2**l) x ceil(H / 2**l)``. Tiles are numbered with ``row 0 at the top`` of the
displayed image (FITS row 1 is the bottom), columns from the left. IIP resolutions count
the other way: ``r = 0`` is the coarsest level.
"""

from dataclasses import dataclass
from functools import cached_property

from tiles.engine.errors import ParameterError


def ceil_div(a, b):
    return -(-a // b)


@dataclass(frozen=True)
class TileGrid:
    width: int
    height: int
    tile_size: int = 256

    # A grid never changes (frozen): its levels, their sizes and tile counts are worked
    # out once, when first asked (every tile asks several times).
    @cached_property
    def levels(self):
        t = self.tile_size
        return max(((self.width - 1) // t).bit_length(), ((self.height - 1) // t).bit_length()) + 1

    @cached_property
    def _level_sizes(self):
        return tuple(
            (ceil_div(self.width, 1 << level), ceil_div(self.height, 1 << level))
            for level in range(self.levels)
        )

    @cached_property
    def _tile_counts(self):
        t = self.tile_size
        return tuple((ceil_div(w, t), ceil_div(h, t)) for w, h in self._level_sizes)

    def level_size(self, level):
        """(width, height) of ``level`` in its own pixels."""
        self._check_level(level)
        return self._level_sizes[level]

    def tile_counts(self, level):
        """(columns, rows) of tiles at ``level``."""
        self._check_level(level)
        return self._tile_counts[level]

    def tile_box(self, level, col, row):
        """(x0, y0, x1, y1) of a tile in level pixels, y counted down from the top."""
        nx, ny = self.tile_counts(level)
        if not (0 <= col < nx and 0 <= row < ny):
            raise ParameterError(
                f"Tile ({col}, {row}) is outside level {level} ({nx} x {ny} tiles)."
            )
        w, h = self.level_size(level)
        t = self.tile_size
        return col * t, row * t, min((col + 1) * t, w), min((row + 1) * t, h)

    def level_from_iip(self, resolution):
        """Internal level of an IIP resolution number (0 = coarsest), clamped at 0."""
        if resolution < 0:
            raise ParameterError(f"Resolution {resolution} must be >= 0.")
        return max(self.levels - 1 - resolution, 0)

    def tile_from_index(self, level, index):
        """(col, row) of the IIP tile number ``index`` (row-major, x first)."""
        nx, ny = self.tile_counts(level)
        if not 0 <= index < nx * ny:
            raise ParameterError(
                f"Tile index {index} is outside 0..{nx * ny - 1} at this resolution."
            )
        return index % nx, index // nx

    def _check_level(self, level):
        if not 0 <= level < self.levels:
            raise ParameterError(f"Level {level} is outside 0..{self.levels - 1}.")
