"""Image pyramids: every level of every channel as a memory-mapped float32 array.

Level ``l`` is the 2x2 box mean (NaN-aware) of level ``l - 1``; level 0 is a native
float32 copy of the FITS pixels (FITS data are big-endian, and mosaics need assembling:
a copy makes every tile a plain slice). Arrays are in FITS orientation (row 0 at the
bottom). A pyramid is built in a temporary directory and renamed into place when
complete, with ``manifest.json`` written last: a half-built pyramid is never used.

Levels are written with plain writes (a full disk is an ``OSError``, not a SIGBUS from a
mapped page that found no room) and read through memory maps: a tile is then a slice,
where ``pread`` of its 256 row pieces would cost more than rendering it. That is safe
because the files are the portal's own: written once in a locked work folder, published
by a rename, never changed in place, removed by rename then unlink -- and an unlinked
file stays valid for whoever maps it. Nothing may truncate or rewrite them in place; on
a shared network file system (NFS), let only the portal remove them (its cleaners keep
live work), never a tool that deletes files another host may still read.
"""

import contextlib
import fcntl
import json
import os
import shutil
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tiles.engine.geometry import TileGrid
from tiles.engine.reader import RawPlane, open_source
from tiles.engine.stats import ChannelStats, channel_stats, sample_rows

MANIFEST = "manifest.json"
FORMAT_VERSION = 1
BLOCK_ROWS = 512  # rows of the output level computed at a time


@dataclass
class PyramidInfo:
    width: int
    height: int
    channels: int
    tile_size: int
    levels: int
    stats: list  # ChannelStats per channel
    source_size: int
    source_mtime_ns: int

    def to_json(self):
        values = dict(self.__dict__, stats=[s.as_dict() for s in self.stats])
        return json.dumps(dict(values, version=FORMAT_VERSION))

    @classmethod
    def from_json(cls, text):
        values = json.loads(text)
        values.pop("version", None)
        values["stats"] = [ChannelStats.from_dict(s) for s in values["stats"]]
        return cls(**values)


def level_path(directory, channel, level):
    return Path(directory) / f"c{channel}_l{level}.npy"


def read_manifest(cache_dir):
    """The ``PyramidInfo`` of a complete pyramid in ``cache_dir``, else None."""
    try:
        text = (Path(cache_dir) / MANIFEST).read_text()
        info = PyramidInfo.from_json(text)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info


def pyramid_complete(cache_dir):
    return read_manifest(cache_dir) is not None


def pyramid_matches(path, cache_dir, tile_size=256):
    """Whether ``cache_dir`` holds a complete pyramid of ``path`` as it is now."""
    info = read_manifest(cache_dir)
    return info is not None and _matches(info, path, tile_size)


def _matches(info, path, tile_size):
    stat = os.stat(path)
    return (
        info.tile_size == tile_size
        and info.source_size == stat.st_size
        and info.source_mtime_ns == stat.st_mtime_ns
    )


def refresh_source(cache_dir, path):
    """Record the current size and mtime of ``path`` in the manifest of the pyramid in
    ``cache_dir``, if it has one of the same size: the caller has verified that the file
    holds the pixels the pyramid was built from (a ``touch``, same checksum). Atomic."""
    info = read_manifest(cache_dir)
    stat = os.stat(path)
    if info is None or info.source_size != stat.st_size:
        return False
    if info.source_mtime_ns == stat.st_mtime_ns:
        return True
    info.source_mtime_ns = stat.st_mtime_ns
    fresh = Path(cache_dir) / f".{MANIFEST}.{uuid.uuid4().hex[:8]}"
    fresh.write_text(info.to_json())
    os.replace(fresh, Path(cache_dir) / MANIFEST)
    return True


def open_levels(cache_dir, info):
    """Memory maps ``[channel][level]`` of a complete pyramid (read-only), as plain arrays
    over the maps (each keeps its map open): a tile is a slice, and slicing a plain
    array costs a fraction of slicing a ``np.memmap``."""
    return [
        [
            np.load(level_path(cache_dir, c, level), mmap_mode="r").view(np.ndarray)
            for level in range(info.levels)
        ]
        for c in range(info.channels)
    ]


def build_pyramid(path, cache_dir, progress=None, tile_size=256):
    """Build (or find) the pyramid of ``path`` in ``cache_dir``; returns its ``PyramidInfo``.

    Idempotent: a complete pyramid of the same file (size and mtime) is returned as is; a
    stale one is replaced. ``progress(level, done, total)`` is called as rows are written,
    ``done``/``total`` counting output rows of all levels and channels.
    """
    cache_dir = Path(cache_dir)
    info = read_manifest(cache_dir)
    if info is not None and _matches(info, path, tile_size):
        return info
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    remove_abandoned_work(cache_dir)
    work = cache_dir.with_name(f".{cache_dir.name}.{HOST}.{os.getpid()}.{uuid.uuid4().hex[:8]}")
    with _claimed(work, cache_dir):
        try:
            info = _build(path, work, progress, tile_size)
            (work / MANIFEST).write_text(info.to_json())
            _publish(work, cache_dir)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return read_manifest(cache_dir) or info


@contextlib.contextmanager
def _claimed(work, cache_dir):
    """Create the work directory ``work`` and hold a lock on it while building in it: the
    kernel drops the lock with its process, however the process ends, so others can tell
    it was abandoned. The directory gets its name only once locked (the lock follows the
    rename), so no one ever sees it unlocked while its builder lives."""
    claim = cache_dir.with_name(f".{cache_dir.name}.claim.{uuid.uuid4().hex[:8]}")
    claim.mkdir()
    fd = os.open(claim, os.O_RDONLY | os.O_DIRECTORY)
    try:
        with contextlib.suppress(OSError):  # no locks on this file system: names and ages
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.rename(claim, work)
        yield
    finally:
        os.close(fd)
        if claim.exists():
            shutil.rmtree(claim, ignore_errors=True)


def _lock_free(work):
    """True if nobody holds the lock of ``work``, False if someone does or it is gone,
    None where the file system has no locks."""
    try:
        fd = os.open(work, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return False  # gone already
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except OSError:
        return None
    finally:
        os.close(fd)


def _abandoned(work):
    """Whether nobody builds in ``work`` any more: its builder's lock is free (or, where
    the file system has no locks, its builder's process is gone or it is old)."""
    free = _lock_free(work)
    if free is not None:
        return free
    parts = work.name.split(".")
    host, pid = parts[-3], parts[-2]
    if host == HOST and pid.isdigit():
        try:
            os.kill(int(pid), 0)
            return False
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
    return _age(work) >= ABANDONED_AFTER_SECONDS


HOST = socket.gethostname().replace(".", "-")
ABANDONED_AFTER_SECONDS = 6 * 3600  # without locks, work of another host is dead this old
CLAIM_SECONDS = 60  # a claim lives microseconds: older and unlocked, its builder died


def remove_abandoned_work(cache_dir):
    """Delete the half-built pyramids of ``cache_dir`` whose builder died."""
    for work in Path(cache_dir).parent.glob(f".{Path(cache_dir).name}.*"):
        _remove_if_abandoned(work)


def remove_all_abandoned_work(root):
    """Delete every half-built, claimed or stale pyramid under ``root`` (the folder that
    holds the pyramids) whose builder died; returns the paths removed. Live builders hold
    their lock, so this is safe at any time, from any process."""
    try:
        candidates = [p for p in Path(root).iterdir() if p.name.startswith(".")]
    except OSError:
        return []
    return [work for work in candidates if _remove_if_abandoned(work)]


def _remove_if_abandoned(work):
    parts = work.name.split(".")
    if len(parts) < 4 or not work.is_dir():
        return False
    kind = parts[-2]
    if kind == "stale":  # an old pyramid whose removal was cut short
        abandoned = True
    elif kind == "claim":
        abandoned = _lock_free(work) and _age(work) > CLAIM_SECONDS
    else:
        abandoned = len(parts) >= 5 and _abandoned(work)
    if abandoned:
        shutil.rmtree(work, ignore_errors=True)
    return bool(abandoned)


def _age(path):
    try:
        return time.time() - path.stat().st_mtime
    except OSError:
        return 0.0


def remove_pyramid(cache_dir):
    """Remove the pyramid in ``cache_dir``, if any: renamed away first, so no reader
    finds it half removed (open maps stay valid), then deleted."""
    cache_dir = Path(cache_dir)
    stale = cache_dir.with_name(f".{cache_dir.name}.stale.{uuid.uuid4().hex[:8]}")
    try:
        os.rename(cache_dir, stale)
    except FileNotFoundError:
        return
    shutil.rmtree(stale, ignore_errors=True)


def _publish(work, cache_dir):
    """Move the finished pyramid into place, replacing a stale or broken one."""
    remove_pyramid(cache_dir)
    try:
        os.rename(work, cache_dir)
    except OSError:
        if not pyramid_complete(cache_dir):  # another builder did not win the race either
            raise


def _build(path, work, progress, tile_size):
    stat = os.stat(path)
    with open_source(path) as source:
        grid = TileGrid(source.width, source.height, tile_size)
        sizes = [grid.level_size(level) for level in range(grid.levels)]
        total = source.channels * sum(h for _w, h in sizes)
        done = 0
        stats = []
        for channel in range(source.channels):
            previous = None
            for level in range(grid.levels):
                with _LevelFile(work, channel, level, sizes[level]) as current:
                    data_range = _Range()
                    for row0 in range(0, current.height, BLOCK_ROWS):
                        row1 = min(row0 + BLOCK_ROWS, current.height)
                        if previous is None:  # level 0: the FITS pixels, one read a block
                            block = source.region(channel, 0, row0, source.width, row1)
                            data_range.add(block)
                        else:
                            block = bin2x2(previous.rows(2 * row0, min(2 * row1, previous.height)))
                        current.append(block)
                        done += row1 - row0
                        _report(progress, level, done, total)
                    if previous is None:  # the same rows as ImageData.stats samples
                        rows = sample_rows(source.height)
                        sample = np.concatenate([current.rows(y, y + 1) for y in rows])
                        stats.append(channel_stats(sample, data_range.bounds))
                if previous is not None:
                    previous.close()
                previous = current
            previous.close()
    return PyramidInfo(
        width=grid.width,
        height=grid.height,
        channels=len(stats),
        tile_size=tile_size,
        levels=grid.levels,
        stats=stats,
        source_size=stat.st_size,
        source_mtime_ns=stat.st_mtime_ns,
    )


class _Range:
    """(min, max) of the finite values of the blocks added (None before any)."""

    def __init__(self):
        self.bounds = None

    def add(self, block):
        values = np.ravel(block)
        lo, hi = float(np.fmin.reduce(values)), float(np.fmax.reduce(values))  # NaN-blind
        if not (np.isfinite(lo) and np.isfinite(hi)):  # all NaN, or infinities
            values = values[np.isfinite(values)]
            if not values.size:
                return
            lo, hi = float(values.min()), float(values.max())
        self.bounds = (lo, hi) if self.bounds is None else (
            min(lo, self.bounds[0]), max(hi, self.bounds[1]))  # fmt: skip


class _LevelFile:
    """One level being built: a ``.npy`` file of native float32 rows, written with plain
    writes and read back (to build the next level) with ``pread``. No memory map: a write
    that finds the disk full is an ``OSError`` (the warm fails and its work folder goes),
    not a SIGBUS that would end the process -- the embedded worker runs in the server.
    The file stays readable after its ``with`` block, until ``close``."""

    def __init__(self, work, channel, level, size):
        self.width, self.height = size
        self.path = level_path(work, channel, level)
        self.handle = open(self.path, "w+b")  # noqa: SIM115 (kept open to be read back)
        header = {"descr": "<f4", "fortran_order": False, "shape": (self.height, self.width)}
        np.lib.format.write_array_header_1_0(self.handle, header)
        self.plane = RawPlane(self.handle, self.handle.tell(), *size, "<f4")
        self.written = 0

    def append(self, rows):
        rows = np.ascontiguousarray(rows, dtype="<f4")
        self.handle.write(memoryview(rows).cast("B"))
        self.written += rows.shape[0]

    def rows(self, y0, y1):
        """Native float32 rows [y0, y1) of what was written."""
        self.handle.flush()
        return self.plane.read(0, y0, self.width, y1)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.flush()
        if exc[0] is not None:
            self.close()
        elif self.written != self.height:
            raise OSError(f"{self.path.name}: {self.written} of {self.height} rows written")

    def close(self):
        self.handle.close()


def _report(progress, level, done, total):
    if progress is not None:
        progress(level, done, total)


def bin2x2(block):
    """2x2 box mean of a float32 block, NaN-aware; odd edges average what exists.

    An odd last row or column is padded with a copy of itself, so its mean is the mean
    of the pixels that exist.
    """
    block = np.asarray(block, dtype=np.float32)
    height, width = block.shape
    if height % 2 or width % 2:
        block = np.pad(block, ((0, height % 2), (0, width % 2)), mode="edge")
    if not np.isnan(block).any():
        rows = block[0::2] + block[1::2]
        out = rows[:, 0::2] + rows[:, 1::2]
        out *= np.float32(0.25)
        return out
    finite = ~np.isnan(block)
    values = np.where(finite, block, np.float32(0))
    rows = values[0::2] + values[1::2]
    sums = rows[:, 0::2] + rows[:, 1::2]
    counts_rows = finite[0::2].astype(np.float32) + finite[1::2]
    counts = counts_rows[:, 0::2] + counts_rows[:, 1::2]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / counts  # 0/0 -> NaN where no pixel exists
