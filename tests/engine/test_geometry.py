import pytest

from tiles.engine import ParameterError, TileGrid


@pytest.mark.parametrize(
    ("width", "height", "levels"),
    [
        (256, 256, 1),
        (257, 256, 2),
        (512, 512, 2),
        (513, 100, 3),
        (983, 1061, 4),
        (8192, 8192, 6),
        (1, 1, 1),
    ],
)
def test_levels(width, height, levels):
    assert TileGrid(width, height).levels == levels


def test_odd_size_983_by_1061():
    grid = TileGrid(983, 1061)
    assert [grid.level_size(level) for level in range(grid.levels)] == [
        (983, 1061), (492, 531), (246, 266), (123, 133),
    ]  # fmt: skip
    assert grid.tile_counts(0) == (4, 5)
    assert grid.tile_box(0, 3, 4) == (768, 1024, 983, 1061)  # border tile at true size
    assert grid.tile_box(1, 1, 2) == (256, 512, 492, 531)
    assert grid.level_from_iip(0) == 3 and grid.level_from_iip(3) == 0
    assert grid.level_from_iip(10) == 0  # clamped
    assert grid.tile_from_index(0, 5) == (1, 1)  # x first


def test_width_513_level_1_has_no_spurious_tile():
    grid = TileGrid(513, 300)
    assert grid.level_size(1) == (257, 150)
    assert grid.tile_counts(1) == (2, 1)
    assert grid.tile_box(1, 1, 0) == (256, 0, 257, 150)


@pytest.mark.parametrize(("level", "col", "row"), [(0, -1, 0), (0, 4, 0), (0, 0, 5), (4, 0, 0)])
def test_out_of_range_tiles_raise(level, col, row):
    with pytest.raises(ParameterError):
        TileGrid(983, 1061).tile_box(level, col, row)


def test_out_of_range_index_raises():
    with pytest.raises(ParameterError, match="outside"):
        TileGrid(983, 1061).tile_from_index(0, 20)
