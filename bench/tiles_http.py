"""HTTP tile benchmark: the real ASGI server (as ``make run`` starts it, DEBUG off)
pinned to one core, a load generator on the other, a signed-in user with a grant.

Run: ``python bench/tiles_http.py [--seconds S]`` (``make bench`` runs it). Loopback only;
every run is bounded in requests and time and stops by itself.

Reports, rendered-tile cache off, every URL distinct, over the three benchmark images:

- the VisiOmatic client's mix (``--mix visiomatic``, the default): the URLs its viewer sends
  -- default colour mode at quality 95, ``CHAN``, ``CHAN`` + ``MINMAX``, ``CMP``, ``GAM``,
  ``QLT``, ``MIX``, ``MIX`` + ``MINMAX`` -- naming images by file, at ``/iip/`` and the
  same queries in REST's words at the REST tile URLs (not always the same work: without
  ``CHAN``, IIP renders a one-channel image in colour mode, ``MIX`` applied, where REST
  renders it mono, ``mix`` unused, as each protocol defines): tiles/s, server CPU per tile (the server
  process's CPU time over the run / tiles), p50/p99 latency at 8 connections, median of
  ``--repeat`` runs. Each slider takes a few values, as in a viewing session
  (``--per-url``: every URL values of its own). The server is pinned to one core, so
  tiles/s at 8 connections is what one core serves;
- ``--processes 2``: the IIP mix again with two servers, one pinned to each core, the
  load generator on both: tiles/s of the two together, each one's CPU per tile, and its
  ratio to the one-process run (the issue's target: within 10 %);
- the REST mix of earlier runs (``--mix rest``): levels, channels, colour mixes,
  colormaps and stretches at concurrency 8 and 32;
- with the tile cache on, 120 URLs repeated; and the database queries per tile request;
- ``--cutout``: the server's RSS while a 511 MB FITS cutout is downloaded.
"""

import argparse
import asyncio
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.images import BENCH_DIR, all_images  # noqa: E402

USER, PASSWORD = "bench", "bench-password-1"
SEED = """
import django, sys
django.setup()
from django.contrib.auth.models import User
from guardian.shortcuts import assign_perm
from portal.models import Collection, Image
from portal.registration import register_path
owner = User.objects.filter(username="owner").first() or User.objects.create_user("owner")
user = User.objects.filter(username="{user}").first() or User.objects.create_user("{user}", password="{password}")
collection, _ = Collection.objects.get_or_create(slug="bench", defaults=dict(name="Bench", owner=owner))
assign_perm("contribute_collection", user, collection)
for path in sys.argv[1:]:
    image = Image.objects.filter(collection=collection, name=path.rsplit("/", 1)[1]).first()
    image = image or register_path(collection, path)
    print(image.pk, image.width, image.height, image.channels)
"""


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def environment(var, tile_cache, warm=False):
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_SETTINGS_MODULE="portal.settings", FITSPORTAL_VAR_DIR=str(var), DEBUG="0",
        FITSPORTAL_INSECURE_DEV_KEY="1", FITSPORTAL_DATA_ROOTS=str(BENCH_DIR), PYTHONPATH=str(ROOT),
        FITSPORTAL_TILE_CACHE="1" if tile_cache else "0", FITSPORTAL_WARM_ON_REGISTER="1" if warm else "0",
    )  # fmt: skip
    return env


def prepare(var, paths):
    env = environment(var, False)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    seed = SEED.format(user=USER, password=PASSWORD)
    out = subprocess.run([python, "-c", seed, *map(str, paths)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    subprocess.run([python, "manage.py", "warm_images", "--wait"], cwd=ROOT, env=env, check=True,
                   stdout=subprocess.DEVNULL)  # fmt: skip
    return [tuple(int(v) for v in line.split()) for line in out.split("\n") if line.strip()]


def start_server(var, tile_cache, core, warm=False, tree=ROOT, **env):
    """A server of the code in ``tree`` (this checkout unless told) over ``var``, pinned to
    ``core`` (None: any); ``env``: more of its environment. (process, port)."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--host", "127.0.0.1",
               "--port", str(port), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    if (Path(tree) / "portal" / "http_protocol.py").exists():  # the portal's bounded heads
        command += ["--http", "portal.http_protocol:BoundedHttpToolsProtocol"]
    process = subprocess.Popen(
        command, cwd=tree, env={**environment(var, tile_cache, warm), "PYTHONPATH": str(tree), **env},
        preexec_fn=(lambda: os.sched_setaffinity(0, {core})) if core is not None else None,
    )  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the server of {tree} did not start")


async def request(reader, writer, path, cookie):
    writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n\r\n".encode())
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    match = re.search(rb"(?i)content-length:\s*(\d+)", head)
    length = int(match.group(1)) if match else 0
    body = await reader.readexactly(length)
    return status, head, body


async def login(port):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    status, head, _ = await request(reader, writer, "/accounts/login/", "")
    csrf = re.search(rb"csrftoken=([^;]+)", head).group(1).decode()
    form = urllib.parse.urlencode(
        {"username": USER, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
    )
    writer.write((f"POST /accounts/login/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: csrftoken={csrf}\r\n"
                  f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(form)}\r\n"
                  f"Referer: http://127.0.0.1:{port}/accounts/login/\r\n\r\n{form}").encode())  # fmt: skip
    head = await reader.readuntil(b"\r\n\r\n")
    match = re.search(rb"(?i)content-length:\s*(\d+)", head)
    await reader.readexactly(int(match.group(1)) if match else 0)
    writer.close()
    session = re.search(rb"sessionid=([^;]+)", head)
    if not session:
        raise SystemExit("login failed")
    return f"sessionid={session.group(1).decode()}; csrftoken={csrf}"


async def drive(port, cookie, urls, concurrency, seconds):
    """Request ``urls`` in order over ``concurrency`` keep-alive connections, for at most
    ``seconds`` or until the list is exhausted."""
    queue = iter(urls)
    latencies, errors = [], 0
    deadline = time.perf_counter() + seconds

    async def worker():
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for url in queue:
                if time.perf_counter() > deadline:
                    break
                start = time.perf_counter()
                status, _head, body = await request(reader, writer, url, cookie)
                latencies.append(time.perf_counter() - start)
                if status != 200 or not body:
                    errors += 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "requests": len(latencies), "errors": errors, "tiles_per_s": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1e3, "p99_ms": latencies[int(0.99 * (len(latencies) - 1))] * 1e3,
    }  # fmt: skip


def server_cpu_seconds(pid):
    """User + system CPU time of process ``pid`` (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measured(process, port, cookie, urls, concurrency, seconds):
    """``drive`` plus the server's CPU time per answered request, in ms."""
    before = server_cpu_seconds(process.pid)
    result = asyncio.run(drive(port, cookie, urls, concurrency, seconds))
    cpu = server_cpu_seconds(process.pid) - before
    result["cpu_ms"] = cpu * 1e3 / max(1, result["requests"])
    return result


# The renderings the VisiOmatic client asks for, as (IIP query, REST query) of an image of
# ``channels`` channels. As a viewing session sends them, each slider takes a few values
# (``SESSION_VALUES``) over many tiles; ``per_url``: a value of its own for every URL
# (then the gamma tables, 64 kept, are built again for most tiles).
SESSION_VALUES = 6


def visiomatic_variants(channels, rng, per_url=False):
    def pick(low, high, scale=1):
        if per_url:
            return rng.randrange(low, high) / scale
        step = (high - low) // SESSION_VALUES
        return (low + step * rng.randrange(SESSION_VALUES)) / scale

    c = rng.randrange(1, channels + 1)
    lo, hi = int(pick(900, 1000)), int(pick(1100, 3000))
    if channels > 1:
        mix = [(1, "0,0,1"), (2, "0,1,0"), (3, "1,0,0")][:channels]
    else:
        mix = [(1, f"1,{pick(50, 100, 100)},0.5")]
    mix_iip = "&".join(f"MIX={k}:{v}" for k, v in mix)
    mix_rest = "&".join(f"mix={k}:{v}" for k, v in mix)
    minmax = "&".join(f"{k}:{lo + k},{hi}" for k, _ in mix)
    gamma, quality = pick(50, 300, 100), int(pick(60, 95))
    cmap = rng.choice(["jet", "cold", "cool", "hot"])
    return [
        ("", "quality=95"),
        (f"CHAN={c}", f"channel={c}&quality=95"),
        (f"CHAN={c}&MINMAX={c}:{lo},{hi}", f"channel={c}&minmax={c}:{lo},{hi}&quality=95"),
        (f"CHAN={c}&CMP={cmap}", f"channel={c}&colormap={cmap}&quality=95"),
        (f"GAM={gamma}", f"gamma={gamma}&quality=95"),
        (f"QLT={quality}", f"quality={quality}"),
        (mix_iip, f"{mix_rest}&quality=95"),
        (mix_iip + "&" + "&".join(f"MINMAX={m}" for m in minmax.split("&")),
         f"{mix_rest}&" + "&".join(f"minmax={m}" for m in minmax.split("&")) + "&quality=95"),
    ]  # fmt: skip


def visiomatic_urls(images, names, count, rng, per_url=False):
    """(IIP URLs, REST URLs) of ``count`` distinct tiles of the VisiOmatic mix, the same
    renderings in the same order; IIP names the images by file (``FIF=<file name>``)."""
    from tiles.engine import TileGrid

    seen, iip, rest = set(), [], []
    named = list(zip(images, names, strict=True))
    for _attempt in range(100 * count):
        if len(iip) == count:
            break
        (pk, width, height, channels), name = rng.choice(named)
        grid = TileGrid(width, height)
        z = rng.randrange(grid.levels)
        nx, ny = grid.tile_counts(grid.levels - 1 - z)
        col, row = rng.randrange(nx), rng.randrange(ny)
        variant = rng.choice(visiomatic_variants(channels, rng, per_url))
        if (pk, z, col, row, variant) in seen:
            continue
        seen.add((pk, z, col, row, variant))
        query_iip, query_rest = variant
        iip.append(
            f"/iip/?FIF={name}&JTL={z},{row * nx + col}" + (f"&{query_iip}" if query_iip else "")
        )
        rest.append(f"/api/images/{pk}/tiles/{z}/{col}/{row}.jpg?{query_rest}")
    if len(iip) < count:
        raise SystemExit(f"only {len(iip)} distinct URLs of the mix: ask for fewer (--urls)")
    return iip, rest


def tile_urls(images, count, rng):
    """Distinct tile URLs over the images, mixing levels, channels, mixes and colormaps."""
    from tiles.engine import TileGrid

    urls = set()
    while len(urls) < count:
        pk, width, height, channels = rng.choice(images)
        grid = TileGrid(width, height)
        z = rng.randrange(grid.levels)
        nx, ny = grid.tile_counts(grid.levels - 1 - z)
        query = rng.choice(
            ["", "colormap=viridis", "colormap=hot&gamma=1.5", "stretch=asinh", "invert=1"]
        )
        if channels > 1:
            query = rng.choice([f"channel={rng.randrange(1, channels + 1)}", "mix=1:0,0,1&mix=2:0,1,0&mix=3:1,0,0",
                                "mix=1:0,0,1&mix=2:0,1,0&mix=3:1,0,0&saturation=1.5"])  # fmt: skip
        url = f"/api/images/{pk}/tiles/{z}/{rng.randrange(nx)}/{rng.randrange(ny)}.jpg"
        urls.add(url + ("?" + query if query else ""))
    urls = sorted(urls)
    rng.shuffle(urls)
    return urls


def queries_per_tile(var, images):
    """Database queries per tile request after the first, counted in-process."""
    os.environ.update(environment(var, False))
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(get_user_model().objects.get(username=USER))
    pk = images[0][0]
    client.get(f"/api/images/{pk}/tiles/0/0/0.jpg")
    with CaptureQueriesContext(connection) as queries:
        for z in range(1, 3):
            client.get(f"/api/images/{pk}/tiles/{z}/0/0.jpg")
    return len(queries) / 2


CUTOUT_SIDE = 11300  # float32: a 511 MB cutout of the whole image


def big_image(path):
    """A CUTOUT_SIDE-square float32 FITS file, written a strip at a time."""
    if path.exists():
        return path
    import numpy as np
    from astropy.io import fits

    header = fits.Header({"SIMPLE": True, "BITPIX": -32, "NAXIS": 2, "NAXIS1": CUTOUT_SIDE,
                          "NAXIS2": CUTOUT_SIDE, "OBJECT": "bench cutout"})  # fmt: skip
    rng = np.random.default_rng(3)
    with open(path, "wb") as file:
        file.write(header.tostring().encode())
        for first in range(0, CUTOUT_SIDE, 512):
            rows = min(512, CUTOUT_SIDE - first)
            file.write(rng.normal(100, 10, (rows, CUTOUT_SIDE)).astype(">f4").tobytes())
        file.write(bytes(-(CUTOUT_SIDE * CUTOUT_SIDE * 4) % 2880))
    return path


def cutout_run(var, server_core):
    """Server RSS while a whole-image FITS cutout of ~511 MB is downloaded."""
    import psutil

    path = big_image(BENCH_DIR / "cutout11k.fits")
    env = environment(var, False)
    seed = SEED.format(user=USER, password=PASSWORD)
    out = subprocess.run([sys.executable, "-c", seed, str(path)], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True).stdout  # fmt: skip
    pk = int(out.split()[0])
    os.environ["FITSPORTAL_MAX_CUTOUT_PIXELS"] = str(CUTOUT_SIDE * CUTOUT_SIDE)
    process, port = start_server(var, False, server_core)
    try:
        cookie = asyncio.run(login(port))
        server = psutil.Process(process.pid)
        url = f"/api/images/{pk}/cutout.fits?x1=1&y1=1&x2={CUTOUT_SIDE}&y2={CUTOUT_SIDE}"
        asyncio.run(download(port, cookie, url.replace(f"{CUTOUT_SIDE}", "100")))  # open it
        before = server.memory_info().rss
        peak = [before]

        async def sample():
            while True:
                peak[0] = max(peak[0], server.memory_info().rss)
                await asyncio.sleep(0.02)

        async def measured_download():
            sampler = asyncio.create_task(sample())
            try:
                return await download(port, cookie, url)
            finally:
                sampler.cancel()

        start = time.perf_counter()
        status, received = asyncio.run(measured_download())
        seconds = time.perf_counter() - start
        print(f"  FITS cutout of {CUTOUT_SIDE}x{CUTOUT_SIDE} float32: status {status}, "
              f"{received / 1e6:.0f} MB in {seconds:.1f} s, server RSS {before / 1e6:.0f} MB before, "
              f"peak {peak[0] / 1e6:.0f} MB (+{(peak[0] - before) / 1e6:.0f} MB)", flush=True)  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=20)
        os.environ.pop("FITSPORTAL_MAX_CUTOUT_PIXELS")


async def download(port, cookie, url):
    """(status, body bytes) of one GET, the body read as it comes (not kept)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**20)
    writer.write(f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                 "Connection: close\r\n\r\n".encode())  # fmt: skip
    head = await reader.readuntil(b"\r\n\r\n")
    received = 0
    while chunk := await reader.read(2**20):
        received += len(chunk)
    writer.close()
    return int(head.split(b" ", 2)[1]), received


def report(label, result):
    cpu = f", server CPU {result['cpu_ms']:.2f} ms/tile" if "cpu_ms" in result else ""
    print(f"  {label}: {result['tiles_per_s']:7.0f} tiles/s{cpu}, p50 {result['p50_ms']:.1f} ms, "
          f"p99 {result['p99_ms']:.1f} ms, errors {result['errors']}/{result['requests']}", flush=True)  # fmt: skip


def visiomatic_runs(args, var, images, names, server_core):
    """The VisiOmatic mix at /iip/ and REST, alternating, ``--repeat`` times each."""
    rng = random.Random(11)
    iip, rest = visiomatic_urls(images, names, args.urls * (args.repeat + 1), rng, args.per_url)
    process, port = start_server(var, False, server_core)
    try:
        cookie = asyncio.run(login(port))
        asyncio.run(drive(port, cookie, iip[-400:], 8, args.seconds))  # open images, page cache
        asyncio.run(drive(port, cookie, rest[-400:], 8, args.seconds))
        results = {"iip": [], "rest": []}
        for run in range(args.repeat):
            chunk = slice(run * args.urls, (run + 1) * args.urls)
            for kind, urls in (("iip", iip), ("rest", rest)):
                result = measured(process, port, cookie, urls[chunk], 8, args.seconds)
                report(f"VisiOmatic mix, {kind:4s}, run {run + 1}, concurrency 8", result)
                results[kind].append(result)
        medians = {}
        for kind, runs in results.items():
            medians[kind] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            report(f"VisiOmatic mix, {kind:4s}, median of {len(runs)}", medians[kind])
        print(f"  VisiOmatic mix, CPU per tile iip / rest: "
              f"{medians['iip']['cpu_ms'] / medians['rest']['cpu_ms']:.2f}", flush=True)  # fmt: skip
    finally:
        process.terminate()
        process.wait(timeout=20)
    return medians


def two_process_runs(args, var, images, names, cores, single):
    """The IIP mix with a server pinned to each of two cores, both loaded at once (8
    connections each); ``single``: the one-process medians, for the CPU ratio."""
    rng = random.Random(13)
    count = args.urls * args.repeat + 400
    urls = [visiomatic_urls(images, names, count, rng, args.per_url)[0] for _ in cores]
    os.sched_setaffinity(0, set(cores))  # the load generator shares both cores
    servers = [start_server(var, False, core) for core in cores]
    try:
        cookies = [asyncio.run(login(port)) for _process, port in servers]

        async def together(chunk):
            return await asyncio.gather(*(
                drive(port, cookie, server_urls[chunk], 8, args.seconds)
                for (_process, port), cookie, server_urls in zip(servers, cookies, urls, strict=True)
            ))  # fmt: skip

        asyncio.run(together(slice(-400, None)))  # open images, page cache
        runs = []
        for run in range(args.repeat):
            before = [server_cpu_seconds(process.pid) for process, _port in servers]
            results = asyncio.run(together(slice(run * args.urls, (run + 1) * args.urls)))
            for (process, _port), result, start in zip(servers, results, before, strict=True):
                cpu = server_cpu_seconds(process.pid) - start
                result["cpu_ms"] = cpu * 1e3 / max(1, result["requests"])
            total = sum(r["tiles_per_s"] for r in results)
            cpu = statistics.mean(r["cpu_ms"] for r in results)
            runs.append((total, cpu))
            cpus = ", ".join(f"{r['cpu_ms']:.2f}" for r in results)
            p99s = ", ".join(f"{r['p99_ms']:.1f}" for r in results)
            print(f"  two processes, iip, run {run + 1}: {total:7.0f} tiles/s together, server "
                  f"CPU {cpus} ms/tile, p99 {p99s} ms", flush=True)  # fmt: skip
        total = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        ratio = f", {cpu / single['cpu_ms']:.2f} x one process's" if single else ""
        print(f"  two processes, iip, median of {len(runs)}: {total:7.0f} tiles/s together, "
              f"server CPU {cpu:.2f} ms/tile{ratio}", flush=True)  # fmt: skip
    finally:
        for process, _port in servers:
            process.terminate()
            process.wait(timeout=20)


def rest_runs(args, var, images, server_core):
    rng = random.Random(7)
    urls = tile_urls(images, args.urls, rng)
    for cached in (False, True):
        process, port = start_server(var, cached, server_core)
        try:
            cookie = asyncio.run(login(port))
            if not cached:
                asyncio.run(
                    drive(port, cookie, urls[:200], 8, args.seconds)
                )  # open images, page cache
                for concurrency in (8, 32):
                    chunk = urls[200:] if concurrency == 8 else urls[200:][::-1]
                    result = measured(process, port, cookie, chunk, concurrency, args.seconds)
                    report(f"REST mix, cold render, concurrency {concurrency:2d}", result)
            else:
                asyncio.run(drive(port, cookie, urls[:120], 8, args.seconds))  # fill the cache
                result = measured(process, port, cookie, urls[:120] * 200, 8, args.seconds)
                report("cached tiles (120 URLs repeated), concurrency 8", result)
        finally:
            process.terminate()
            process.wait(timeout=20)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per run")
    parser.add_argument("--urls", type=int, default=12000, help="distinct URLs per run")
    parser.add_argument("--per-url", action="store_true",
                        help="VisiOmatic mix: every URL its own gamma, quality, cuts")  # fmt: skip
    parser.add_argument("--repeat", type=int, default=3, help="runs of the VisiOmatic mix per path")
    parser.add_argument("--mix", choices=["visiomatic", "rest", "all", "none"], default="all")
    parser.add_argument("--processes", type=int, choices=[1, 2], default=1,
                        help="2: also the IIP mix on two servers, one per core")  # fmt: skip
    parser.add_argument("--cutout", action="store_true", help="also: RSS of a 511 MB cutout")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    server_core, client_core = (cores[0], cores[-1]) if len(cores) > 1 else (None, None)
    if client_core is not None:
        os.sched_setaffinity(0, {client_core})
    var = BENCH_DIR / "http"
    paths = list(all_images().values())
    images = prepare(var, paths)
    names = [path.name for path in paths]
    print(f"tile HTTP benchmark: server on core {server_core}, client on core {client_core}")
    single = None
    if args.mix in ("visiomatic", "all"):
        single = visiomatic_runs(args, var, images, names, server_core)["iip"]
    if args.processes == 2 and len(cores) > 1:
        two_process_runs(args, var, images, names, cores[:2], single)
        os.sched_setaffinity(0, {client_core})
    if args.mix in ("rest", "all"):
        rest_runs(args, var, images, server_core)
    if args.cutout:
        cutout_run(var, server_core)
    print(
        f"  database queries per tile request (after the first): {queries_per_tile(var, images):.0f}"
    )


if __name__ == "__main__":
    main()
