"""Soak test: several signed-in users request tiles for a few minutes while an upload
warms in the same server. Loopback only, bounded in time; it stops by itself.

Run: ``python bench/soak.py [--seconds 120] [--users 6]``. Reports requests, errors,
latency per window and the server's resident memory over time (it should stay flat).
"""

import argparse
import asyncio
import random
import statistics
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.images import BENCH_DIR, all_images  # noqa: E402
from bench.tiles_http import login, prepare, request, start_server, tile_urls  # noqa: E402
from portal.demo import write_star_field  # noqa: E402


async def upload(port, cookie, path):
    """POST a FITS file to the API (multipart), as a browser would."""
    boundary = uuid.uuid4().hex
    content = path.read_bytes()
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: application/fits\r\n\r\n").encode() + content + f"\r\n--{boundary}--\r\n".encode()  # fmt: skip
    csrf = urllib.parse.unquote(cookie.split("csrftoken=")[1].split(";")[0])
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((f"POST /api/collections/bench/images/ HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n"
                  f"X-CSRFToken: {csrf}\r\nReferer: http://127.0.0.1:{port}/\r\n"
                  f"Content-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: {len(body)}\r\n\r\n").encode()
                 + body)  # fmt: skip
    head = await reader.readuntil(b"\r\n\r\n")
    writer.close()
    return int(head.split(b" ", 2)[1])


async def soak(port, cookies, urls, seconds, server, upload_path):
    latencies, errors, windows = [], 0, []
    deadline = time.perf_counter() + seconds
    rng = random.Random(3)

    async def user(cookie):
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.perf_counter() < deadline:
            url = rng.choice(urls)
            start = time.perf_counter()
            status, _head, body = await request(reader, writer, url, cookie)
            latencies.append(time.perf_counter() - start)
            if status != 200 or not body:
                errors += 1
            await asyncio.sleep(rng.uniform(0.0, 0.01))  # people pan; a little think time
        writer.close()

    async def monitor():
        last = 0
        while time.perf_counter() < deadline:
            await asyncio.sleep(10)
            window = latencies[last:]
            last = len(latencies)
            rss = psutil.Process(server.pid).memory_info().rss / 2**20
            p99 = sorted(window)[int(0.99 * (len(window) - 1))] * 1e3 if window else float("nan")
            windows.append((len(window), errors, p99, rss))
            print(
                f"  {len(windows) * 10:4d} s: {len(window) / 10:6.0f} tiles/s, p99 {p99:5.1f} ms, "
                f"errors so far {errors}, server RSS {rss:6.0f} MB",
                flush=True,
            )

    async def uploader():
        await asyncio.sleep(5)
        status = await upload(port, cookies[0], upload_path)
        print(f"  upload during the soak: HTTP {status}", flush=True)

    await asyncio.gather(monitor(), uploader(), *(user(cookie) for cookie in cookies))
    return latencies, errors, windows


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--users", type=int, default=6)
    args = parser.parse_args()
    var = BENCH_DIR / "soak"
    images = prepare(var, all_images().values())
    urls = tile_urls(images, 3000, random.Random(5))
    upload_path = write_star_field(var / f"soak-upload-{uuid.uuid4().hex[:6]}.fits", 4096, 4096, nstars=3000,
                                   seed=random.randrange(1000))  # fmt: skip
    server, port = start_server(var, tile_cache=True, core=None, warm=True)
    try:
        cookies = [asyncio.run(login(port)) for _ in range(args.users)]
        print(
            f"soak: {args.users} users, {args.seconds:.0f} s, one 4096^2 upload warming meanwhile"
        )
        latencies, errors, windows = asyncio.run(
            soak(port, cookies, urls, args.seconds, server, upload_path)
        )
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    rss = [w[3] for w in windows]
    print(f"  total {len(latencies)} requests, {errors} errors; p50 {statistics.median(latencies) * 1e3:.1f} ms, "
          f"p99 {latencies[int(0.99 * (len(latencies) - 1))] * 1e3:.1f} ms; server RSS "
          f"{rss[0]:.0f} -> {rss[-1]:.0f} MB (min {min(rss):.0f}, max {max(rss):.0f})")  # fmt: skip


if __name__ == "__main__":
    main()
