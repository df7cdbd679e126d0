"""Tile geometry at its edges, against boxes worked out by hand: the first tile and column,
interior tiles of full size, the last tile of each level, and the exact messages of
out-of-range requests (a client shows them)."""

import pytest

from tiles.engine import ParameterError, TileGrid

# 983 x 1061 at tile size 256: level 0 has 4 x 5 tiles, level 1 (492 x 531) 2 x 3.


def test_every_tile_box_of_level_0_tiles_the_image_exactly():
    grid = TileGrid(983, 1061)
    columns = [(0, 256), (256, 512), (512, 768), (768, 983)]
    rows = [(0, 256), (256, 512), (512, 768), (768, 1024), (1024, 1061)]
    for c, (x0, x1) in enumerate(columns):
        for r, (y0, y1) in enumerate(rows):
            assert grid.tile_box(0, c, r) == (x0, y0, x1, y1), (c, r)


def test_first_and_interior_tiles_at_a_coarser_level():
    grid = TileGrid(983, 1061)
    assert grid.tile_box(1, 0, 0) == (0, 0, 256, 256)
    assert grid.tile_box(1, 0, 1) == (0, 256, 256, 512)
    assert grid.tile_box(1, 1, 1) == (256, 256, 492, 512)
    assert grid.tile_box(3, 0, 0) == (0, 0, 123, 133)


def test_tile_numbers_run_row_major_from_zero():
    grid = TileGrid(983, 1061)
    assert [grid.tile_from_index(0, i) for i in (0, 1, 3, 4, 19)] == [
        (0, 0), (1, 0), (3, 0), (0, 1), (3, 4),
    ]  # fmt: skip
    assert grid.tile_from_index(3, 0) == (0, 0)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda g: g.tile_box(0, 4, 0), "Tile (4, 0) is outside level 0 (4 x 5 tiles)."),
        (lambda g: g.tile_box(1, 0, -1), "Tile (0, -1) is outside level 1 (2 x 3 tiles)."),
        (lambda g: g.tile_from_index(0, 20), "Tile index 20 is outside 0..19 at this resolution."),
        (lambda g: g.tile_from_index(1, -1), "Tile index -1 is outside 0..5 at this resolution."),
        (lambda g: g.level_from_iip(-1), "Resolution -1 must be >= 0."),
        (lambda g: g.level_size(4), "Level 4 is outside 0..3."),
        (lambda g: g.level_size(-1), "Level -1 is outside 0..3."),
    ],
)
def test_out_of_range_messages(call, message):
    with pytest.raises(ParameterError) as caught:
        call(TileGrid(983, 1061))
    assert str(caught.value) == message
