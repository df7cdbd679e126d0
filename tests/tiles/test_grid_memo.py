"""A tile grid works out its levels, level sizes and tile counts once: what it remembers
is its own (another grid, another size) and the same as working them out again."""

import math

import pytest

from tiles.engine import ParameterError, TileGrid


def expected(width, height, tile):
    """Levels, then (level size, tile counts) per level, from the definition."""
    levels = 1
    while max(math.ceil(width / 2 ** (levels - 1)), math.ceil(height / 2 ** (levels - 1))) > tile:
        levels += 1
    rows = []
    for level in range(levels):
        w, h = math.ceil(width / 2**level), math.ceil(height / 2**level)
        rows.append(((w, h), (math.ceil(w / tile), math.ceil(h / tile))))
    return levels, rows


@pytest.mark.parametrize("size", [(8192, 4096, 256), (1000, 3000, 256), (257, 1, 128)])
def test_each_grid_remembers_its_own_levels_sizes_and_counts(size):
    small = TileGrid(300, 200, 256)  # asked first: nothing of it is reused by the other
    assert (small.levels, small.tile_counts(0), small.level_size(1)) == (2, (2, 1), (150, 100))
    grid = TileGrid(*size)
    levels, rows = expected(*size)
    for _twice in range(2):
        assert grid.levels == levels
        for level, (level_size, counts) in enumerate(rows):
            assert grid.level_size(level) == level_size
            assert grid.tile_counts(level) == counts
    assert (small.levels, small.tile_counts(0), small.level_size(1)) == (2, (2, 1), (150, 100))


def test_a_level_outside_the_grid_is_still_refused_once_remembered():
    grid = TileGrid(1000, 1000, 256)
    assert grid.tile_counts(grid.levels - 1) == (1, 1)
    for level in (-1, grid.levels):
        with pytest.raises(ParameterError, match="outside 0..2"):
            grid.tile_counts(level)
        with pytest.raises(ParameterError, match="outside 0..2"):
            grid.level_size(level)
    assert grid == TileGrid(1000, 1000, 256) and hash(grid) == hash(TileGrid(1000, 1000, 256))
