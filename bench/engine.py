"""Engine benchmark: render + encode per tile, pyramid build, first tile, memory.

Run: ``python bench/engine.py [--tiles N] [--json]`` (``make bench`` runs it). Pinned to
one core. Figures are medians over many tiles; the machine is shared, so compare ratios.
"""

import argparse
import json
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import psutil
import pyvips

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.images import all_images  # noqa: E402
from tiles.engine import RenderParams, build_pyramid, encode, mix_from_iip, open_image, render  # noqa: E402
from tiles.engine.image import render_tile  # noqa: E402


def pin_to_one_core():
    try:
        core = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {core})
        return core
    except (AttributeError, OSError):
        return None


def anonymous_rss_mb():
    """Resident anonymous memory (MB): what a leak grows. Mapped pyramid pages are file
    pages the kernel may drop, counted apart."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("RssAnon:"):
                return int(line.split()[1]) / 1024
    return psutil.Process().memory_info().rss / 2**20


def ms(seconds):
    return f"{seconds * 1e3:7.3f} ms"


def timed(function, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return times


def summary(times):
    times = sorted(times)
    return {"median_ms": statistics.median(times) * 1e3, "p90_ms": times[int(0.9 * (len(times) - 1))] * 1e3,
            "n": len(times)}  # fmt: skip


def tile_mix(image, kind, rng):
    """A random tile of a warm image and rendering parameters of the given kind."""
    level = rng.randrange(image.grid.levels)
    nx, ny = image.grid.tile_counts(level)
    col, row = rng.randrange(nx), rng.randrange(ny)
    cuts = tuple((s.lo, s.hi) for s in image.stats)
    if kind == "grey":
        params = RenderParams(minmax=cuts, channel=rng.randrange(image.channels), quality=90)
    elif kind == "colormap":
        cmap = rng.choice(["jet", "hot", "viridis", "magma", "cool"])
        params = RenderParams(
            minmax=cuts, channel=0, colormap=cmap, gamma=rng.choice([1.0, 2.2]), quality=90
        )
    else:
        mix = mix_from_iip({0: (0, 0, 1), 1: (0, 1, 0), 2: (1, 0, 0)}, 3)
        params = RenderParams(minmax=cuts, channel=None, mix=mix, quality=90)
    return level, col, row, params


def bench_tiles(images, tiles, rng):
    results = {}
    cases = [("grey", images["field8k"]), ("grey-mef", images["mef4"]), ("colormap", images["field8k"]),
             ("colour3", images["cube3x4k"])]  # fmt: skip
    for name, image in cases:
        kind = name.split("-")[0]
        requests = [tile_mix(image, kind, rng) for _ in range(tiles)]
        render_times, encode_times, total_times = [], [], []
        for level, col, row, params in requests:
            start = time.perf_counter()
            planes = image.tile_planes(level, col, row, params.channels_needed)
            pixels, alpha = render(planes, params, scratch=True)
            mid = time.perf_counter()
            encode(pixels, "jpeg", params.quality, alpha)
            end = time.perf_counter()
            render_times.append(mid - start)
            encode_times.append(end - mid)
            total_times.append(end - start)
        results[name] = {"render": summary(render_times), "encode": summary(encode_times),
                         "total": summary(total_times)}  # fmt: skip
    return results


def bench_encoders(image):
    cuts = ((image.stats[0].lo, image.stats[0].hi),)
    data = image.tile_data(0, 10, 10, [0])
    grey, _ = render(data, RenderParams(minmax=cuts, channel=0))
    rgb = np.ascontiguousarray(np.stack([grey, grey[::-1], grey[:, ::-1]], axis=2))

    def vips_jpeg(pixels):
        h, w = pixels.shape[:2]
        bands = 1 if pixels.ndim == 2 else 3
        return pyvips.Image.new_from_memory(
            np.ascontiguousarray(pixels).data, w, h, bands, "uchar"
        ).jpegsave_buffer(Q=90)

    out = {}
    for label, function in [
        ("simplejpeg grey", lambda: encode(grey, "jpeg", 90)),
        ("pyvips grey", lambda: vips_jpeg(grey)),
        ("simplejpeg rgb 4:2:0 q90", lambda: encode(rgb, "jpeg", 90)),
        ("simplejpeg rgb 4:4:4 q95", lambda: encode(rgb, "jpeg", 95)),
        ("pyvips rgb", lambda: vips_jpeg(rgb)),
        ("png grey (pyvips)", lambda: encode(grey, "png", 90)),
        ("webp grey (pyvips)", lambda: encode(grey, "webp", 90)),
    ]:
        function()
        out[label] = summary(timed(function, 300))
    return out


def bench_pyramids(paths, workdir):
    out = {}
    for name, path in paths.items():
        cache = workdir / f"pyr-{name}"
        start = time.perf_counter()
        build_pyramid(path, cache)
        out[name] = time.perf_counter() - start
    return out


def first_tiles(path, workdir):
    """Never-seen image, no pyramid: open + the coarsest tile, then a full-resolution one."""
    cache = workdir / "never-built"
    start = time.perf_counter()
    image = open_image(path, cache)
    cuts = tuple((s.lo, s.hi) for s in image.stats)
    params = RenderParams(minmax=cuts, channel=0, quality=90)
    render_tile(image, image.grid.levels - 1, 0, 0, params)
    coarsest = time.perf_counter() - start
    start = time.perf_counter()
    render_tile(image, 0, 5, 5, params)
    full = time.perf_counter() - start
    return {"open+stats+coarsest_tile_s": coarsest, "full_resolution_tile_s": full}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiles", type=int, default=3000, help="tiles per case")
    parser.add_argument("--rss-tiles", type=int, default=10000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    core = pin_to_one_core()
    paths = all_images()
    workdir = Path(tempfile.mkdtemp(prefix="fitsportal-bench-"))
    try:
        report = {"core": core, "first_tile_8k": first_tiles(paths["field8k"], workdir)}
        report["pyramid_s"] = bench_pyramids(paths, workdir)
        images = {name: open_image(path, workdir / f"pyr-{name}") for name, path in paths.items()}
        assert all(image.has_pyramid for image in images.values())
        rng = random.Random(1)
        bench_tiles(images, 200, rng)  # warm up page cache and tables
        process = psutil.Process()
        rss_before, anon_before = process.memory_info().rss, anonymous_rss_mb()
        report["tiles"] = bench_tiles(images, args.tiles, rng)
        bench_tiles(images, args.rss_tiles // 4, rng)
        report["rss_growth_mb"] = (process.memory_info().rss - rss_before) / 2**20
        report["anon_rss_growth_mb"] = anonymous_rss_mb() - anon_before
        report["encoders"] = bench_encoders(images["field8k"])
        report["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"engine benchmark (pinned to core {core})")
    print(f"  first tile of a never-seen 8192^2 image: {ms(report['first_tile_8k']['open+stats+coarsest_tile_s'])}"
          f" (coarsest, incl. open and cuts); full-resolution tile {ms(report['first_tile_8k']['full_resolution_tile_s'])}")  # fmt: skip
    for name, seconds in report["pyramid_s"].items():
        print(f"  pyramid {name:10s} {seconds:6.2f} s")
    print("  per 256x256 JPEG tile (q90), median / p90:")
    for name, parts in report["tiles"].items():
        print(f"    {name:10s} render {parts['render']['median_ms']:.3f}  encode {parts['encode']['median_ms']:.3f}"
              f"  total {parts['total']['median_ms']:.3f} / {parts['total']['p90_ms']:.3f} ms")  # fmt: skip
    print("  encoders, median per 256x256 tile:")
    for name, stats in report["encoders"].items():
        print(f"    {name:22s} {stats['median_ms']:.3f} ms")
    print(f"  over {args.tiles * 4 + args.rss_tiles} tiles: anonymous RSS growth {report['anon_rss_growth_mb']:.1f} MB,"
          f" total RSS growth {report['rss_growth_mb']:.1f} MB (mapped pyramid pages);"
          f" peak RSS {report['peak_rss_mb']:.0f} MB (includes generating the images)")  # fmt: skip


if __name__ == "__main__":
    main()
