"""Smoothing benchmark: the cost of ``smooth=sigma`` per 256 x 256 tile, render + encode.

Run: ``python bench/smoothing.py [--tiles N]``. Pinned to one core; medians over N tiles of
a warm 2048 x 2048 float32 image, at full resolution (the largest kernel) and one level
coarser; the machine is shared, so compare the ratios to ``smooth=0``.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tiles.engine import RenderParams, build_pyramid, open_image  # noqa: E402
from tiles.engine.image import render_tile  # noqa: E402

SIGMAS = (0.0, 1.0, 2.0, 5.0, 10.0)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiles", type=int, default=60)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "field.fits"
        noise = np.random.default_rng(0).normal(100, 5, (2048, 2048)).astype(np.float32)
        fits.PrimaryHDU(noise).writeto(path)
        build_pyramid(path, Path(folder) / "cache")
        image = open_image(path, Path(folder) / "cache")
        base = {}
        for level in (0, 1):
            count = (2048 >> level) // 256  # tiles across
            for sigma in SIGMAS:
                params = RenderParams(minmax=((90.0, 130.0),), channel=0, gamma=2.2,
                                      quality=90, smooth=sigma)  # fmt: skip
                times = []
                for k in range(args.tiles):
                    col, row = k % count, (k // count) % count
                    start = time.perf_counter()
                    render_tile(image, level, col, row, params)
                    times.append(time.perf_counter() - start)
                median = statistics.median(times) * 1e3
                base.setdefault(level, median)
                print(f"level {level}  smooth={sigma:<4}  {median:6.2f} ms a tile  "
                      f"({median / base[level]:.1f}x smooth=0)")  # fmt: skip


if __name__ == "__main__":
    main()
