import os

import numpy as np
import pytest

from tiles.engine import build_pyramid, open_image, pyramid_complete
from tiles.engine.pyramid import bin2x2, read_manifest


def numpy_bin(array):
    """Reference: NaN-aware 2x2 mean, odd edges averaging what exists."""
    h, w = array.shape
    out = np.empty(((h + 1) // 2, (w + 1) // 2))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = (
                np.nanmean(array[2 * i : 2 * i + 2, 2 * j : 2 * j + 2])
                if np.isfinite(array[2 * i : 2 * i + 2, 2 * j : 2 * j + 2]).any()
                else np.nan
            )
    return out


@pytest.mark.parametrize("shape", [(8, 8), (7, 9), (1, 5), (5, 1)])
def test_bin2x2_matches_reference(shape):
    rng = np.random.default_rng(3)
    array = rng.normal(0, 1, shape).astype(np.float32)
    np.testing.assert_allclose(bin2x2(array), numpy_bin(array), rtol=1e-6)
    array[0, 0] = np.nan
    if array.size > 1:
        array[-1, -1] = np.nan
    np.testing.assert_allclose(bin2x2(array), numpy_bin(array), rtol=1e-6)


def test_bin2x2_all_nan_block_stays_nan():
    array = np.full((4, 4), np.nan, np.float32)
    array[0, 0] = 2.0
    result = bin2x2(array)
    assert result[0, 0] == 2.0 and np.isnan(result[1, 1])


def test_pyramid_levels_and_progress(write_fits, tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(100, 5, (260, 517)).astype(np.float32)
    path = write_fits(data)
    cache = tmp_path / "cache" / "abc"
    calls = []
    info = build_pyramid(path, cache, progress=lambda *a: calls.append(a))
    assert info.levels == 3 and pyramid_complete(cache)  # 517 wide: 3 levels
    assert calls[-1][1] == calls[-1][2]  # done == total at the end
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)  # level by level
    image = open_image(path, cache)
    assert image.has_pyramid
    level1 = image._levels[0][1]
    np.testing.assert_allclose(level1, numpy_bin(data), rtol=1e-5)
    level2 = image._levels[0][2]
    np.testing.assert_allclose(level2, numpy_bin(numpy_bin(data)), rtol=1e-5)
    assert image.stats[0].lo < 100 < image.stats[0].hi
    # Idempotent: a second build returns the same manifest without rebuilding.
    mtime = os.stat(cache / "manifest.json").st_mtime_ns
    build_pyramid(path, cache)
    assert os.stat(cache / "manifest.json").st_mtime_ns == mtime


def test_half_built_pyramid_is_not_used(write_fits, tmp_path):
    path = write_fits(np.ones((300, 300), np.float32))
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "c0_l0.npy").write_bytes(b"garbage")  # a crash left this, no manifest
    assert not pyramid_complete(cache)
    assert not open_image(path, cache).has_pyramid
    build_pyramid(path, cache)
    assert read_manifest(cache).levels == 2
    assert open_image(path, cache).has_pyramid


def test_only_work_whose_builder_is_gone_is_removed(write_fits, tmp_path):
    import fcntl

    from tiles.engine.pyramid import HOST

    path = write_fits(np.ones((300, 300), np.float32))
    cache = tmp_path / "cache"
    # Named as if this (live) process built them; only the lock tells a live builder.
    live, dead = (tmp_path / f".cache.{HOST}.{os.getpid()}.{tag}" for tag in ("aaaa", "bbbb"))
    stale = tmp_path / ".cache.stale.cccc"  # a replaced pyramid whose removal was cut short
    # Claims (a work directory before its lock and name): a fresh one may be about to be
    # locked; an old unlocked one was left by a builder that died in between.
    fresh_claim, old_claim = tmp_path / ".cache.claim.dddd", tmp_path / ".cache.claim.eeee"
    for directory in (live, dead, stale, fresh_claim, old_claim):
        directory.mkdir()
        (directory / "c0_l0.npy").write_bytes(b"partial")
    os.utime(old_claim, (1e9, 1e9))
    holder = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        build_pyramid(path, cache)
        assert live.exists() and fresh_claim.exists()
        assert not (dead.exists() or stale.exists() or old_claim.exists())
    finally:
        os.close(holder)
    assert pyramid_complete(cache)
    assert sorted(p.name for p in tmp_path.glob(".cache.*")) == [fresh_claim.name, live.name]


def test_every_abandoned_work_folder_of_the_store_is_removed(tmp_path):
    """The start-up / periodic clean-up: all pyramids' folders at once, live ones kept."""
    import fcntl

    from tiles.engine.pyramid import HOST, remove_all_abandoned_work

    store = tmp_path / "pyramids"
    store.mkdir()
    live = store / f".aaaa.{HOST}.{os.getpid()}.1111"
    dead = store / f".bbbb.{HOST}.{os.getpid()}.2222"
    stale = store / ".cccc.stale.3333"
    pyramid, other = store / "dddd", store / ".not-ours"
    for directory in (live, dead, stale, pyramid, other):
        directory.mkdir()
        (directory / "c0_l0.npy").write_bytes(b"partial")
    holder = os.open(live, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)
        removed = remove_all_abandoned_work(store)
    finally:
        os.close(holder)
    assert sorted(p.name for p in removed) == sorted([dead.name, stale.name])
    assert sorted(p.name for p in store.iterdir()) == sorted([live.name, pyramid.name, other.name])
    assert remove_all_abandoned_work(store / "missing") == []


def test_changed_file_invalidates_the_pyramid(write_fits, tmp_path):
    path = write_fits(np.ones((300, 300), np.float32))
    cache = tmp_path / "cache"
    build_pyramid(path, cache)
    os.utime(path, ns=(1, 1))
    assert not open_image(path, cache).has_pyramid
    build_pyramid(path, cache)
    assert open_image(path, cache).has_pyramid


def test_tiles_before_and_after_warm_agree(write_fits, tmp_path):
    rng = np.random.default_rng(1)
    data = rng.normal(0, 1, (700, 900)).astype(np.float32)
    path = write_fits(data)
    cold = open_image(path, tmp_path / "cache")
    before = {
        (lvl, c, r): cold.tile_data(lvl, c, r) for lvl, c, r in [(0, 3, 2), (1, 1, 1), (2, 0, 0)]
    }
    build_pyramid(path, tmp_path / "cache")
    warm = open_image(path, tmp_path / "cache")
    for (level, col, row), tile in before.items():
        np.testing.assert_allclose(warm.tile_data(level, col, row), tile, rtol=1e-5)
    # The top-left tile at level 0 is the top of the FITS array, flipped vertically.
    np.testing.assert_array_equal(warm.tile_data(0, 0, 0)[0], data[::-1][:256, :256])


def test_default_cuts_are_the_same_before_and_after_warm(write_fits, tmp_path):
    rng = np.random.default_rng(4)
    data = rng.normal(1000, 10, (1100, 700)).astype(np.float32)
    data[rng.integers(0, 1100, 300), rng.integers(0, 700, 300)] = 60000  # "stars"
    path = write_fits(data)
    before = open_image(path, tmp_path / "cache").stats
    build_pyramid(path, tmp_path / "cache")
    after = open_image(path, tmp_path / "cache").stats
    assert before == after
