"""Two code trees side by side: CPU per tile alternately, and their answers compared.

Run: ``python bench/tiles_compare.py cpu OLD NEW`` or ``python bench/tiles_compare.py
equal OLD NEW``, OLD and NEW two checkouts of the repository (e.g. ``git clone`` of an
older commit, its ``.venv`` linked). Both servers run over the same ``var/bench/http``
of this checkout (``bench/tiles_http.py`` prepares it), pinned to the first core, the load
generator on the last.

- ``cpu``: the VisiOmatic mix (``bench/tiles_http.py``), IIP then REST, each round
  sent to one server then the other (the order swapped every round), the same distinct
  URLs to both: server CPU per tile, tiles/s and p99, medians of ``--rounds``. On a
  shared machine the other load changes by the minute: only runs made this way compare.
- ``equal``: thousands of answers (the mix at both paths, PNG, WebP, other stretches,
  colormaps and IIP parameters, errors, 304s) from both servers: status, every header
  but ``Date`` and the body bytes must be the same. Both servers get ``PYTHONHASHSEED=0``:
  the CSP header lists its directives in the order of a set.
"""

import argparse
import asyncio
import os
import random
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import tiles_http as th  # noqa: E402
from bench.images import BENCH_DIR, all_images  # noqa: E402

VAR = BENCH_DIR / "http"


async def fetch_all(port, cookie, urls, concurrency=4, extra=""):
    """(status line, headers but Date, body) of each URL, in order."""
    todo = list(enumerate(urls))
    results = [None] * len(urls)

    async def worker():
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while todo:
            i, url = todo.pop()
            writer.write(
                f"GET {url} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {cookie}\r\n{extra}\r\n".encode()
            )
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = [tuple(line.split(": ", 1)) for line in head[1:] if line]
            length = int(next((v for k, v in headers if k.lower() == "content-length"), 0))
            body = await reader.readexactly(length)
            results[i] = (head[0], [h for h in headers if h[0].lower() != "date"], body)
        writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return results


def variants(iip, rest, count):
    """More renderings than the mix: other formats, stretches, colormaps, errors."""
    more = []
    for url in rest[: count // 4]:
        path, query = url.split("?", 1)
        more += [f"{path.replace('.jpg', '.png')}?{query}",
                 f"{path.replace('.jpg', '.webp')}?{query}&colormap=viridis",
                 f"{url}&stretch=asinh&invert=1",
                 url.replace("quality=95", "quality=80") + "&colormap=hot&gamma=1.5&brightness=5&contrast=1.3"]  # fmt: skip
    for url in iip[: count // 4]:
        more += [f"{url}&INV=1", f"{url}&CNT=1.4&BRT=3", f"{url}&SMO=2"]
    return more + ["/iip/?FIF=field8k.fits&JTL=99,0", "/iip/?FIF=field8k.fits&JTL=1,0&QLT=abc",
                   "/iip/?FIF=nothere.fits&JTL=1,0"]  # fmt: skip


def equal(servers, cookies, iip, rest, count):
    same = total = 0
    for urls in (iip[:count], rest[:count], variants(iip, rest, count)):
        got = [
            asyncio.run(fetch_all(port, c, urls))
            for (_p, port), c in zip(servers, cookies, strict=True)
        ]
        for i, url in enumerate(urls):
            total += 1
            if got[0][i] == got[1][i]:
                same += 1
            else:
                print(
                    "differs:",
                    url,
                    got[0][i][0],
                    got[1][i][0],
                    set(got[0][i][1]) ^ set(got[1][i][1]),
                )
        for i, url in enumerate(urls[:300]):  # the same ETag answered 304 by both
            etag = next((v for k, v in got[0][i][1] if k.lower() == "etag"), None)
            if etag is None:
                continue
            extra = f"If-None-Match: {etag}\r\n"
            again = [asyncio.run(fetch_all(port, c, [url], 1, extra))[0]
                     for (_p, port), c in zip(servers, cookies, strict=True)]  # fmt: skip
            total += 1
            if again[0] == again[1] and again[0][0].split()[1] == "304":
                same += 1
            else:
                print("304 differs:", url, again[0][0], again[1][0])
    print(f"identical answers (status, headers but Date, body bytes): {same}/{total}")


def cpu(trees, servers, cookies, iip, rest, args):
    results = {(tree, kind): [] for tree in trees for kind in ("iip", "rest")}
    for run in range(args.rounds):
        chunk = slice(run * args.urls, (run + 1) * args.urls)
        order = list(zip(trees, servers, cookies, strict=True))
        if run % 2:
            order.reverse()
        for kind, urls in (("iip", iip), ("rest", rest)):
            for tree, (process, port), cookie in order:
                result = th.measured(process, port, cookie, urls[chunk], 8, args.seconds)
                results[(tree, kind)].append(result)
                th.report(f"{kind:4s} round {run + 1} {tree}", result)
    for (tree, kind), runs in results.items():
        print(f"  {kind:4s} {tree}: median of {len(runs)}: server CPU "
              f"{statistics.median(r['cpu_ms'] for r in runs):.3f} ms/tile, "
              f"{statistics.median(r['tiles_per_s'] for r in runs):.0f} tiles/s, "
              f"p99 {statistics.median(r['p99_ms'] for r in runs):.1f} ms")  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("what", choices=["cpu", "equal"])
    parser.add_argument("trees", nargs=2, help="the two checkouts, old then new")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=5.0, help="time limit per run")
    parser.add_argument("--urls", type=int, default=3000, help="distinct URLs per run")
    parser.add_argument("--count", type=int, default=3000, help="equal: URLs of each kind")
    args = parser.parse_args()
    cores = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cores[-1]})
    paths = list(all_images().values())
    images = th.prepare(VAR, paths)
    names = [path.name for path in paths]
    count = max(args.urls * (args.rounds + 1), args.count)
    iip, rest = th.visiomatic_urls(images, names, count, random.Random(5))
    servers = [th.start_server(VAR, False, cores[0], tree=Path(tree).resolve(), PYTHONHASHSEED="0")
               for tree in args.trees]  # fmt: skip
    try:
        cookies = [asyncio.run(th.login(port)) for _process, port in servers]
        for (_process, port), cookie in zip(servers, cookies, strict=True):
            asyncio.run(th.drive(port, cookie, iip[-500:], 8, 10))  # open images, page cache
            asyncio.run(th.drive(port, cookie, rest[-500:], 8, 10))
        if args.what == "cpu":
            cpu(args.trees, servers, cookies, iip, rest, args)
        else:
            equal(servers, cookies, iip, rest, args.count)
    finally:
        for process, _port in servers:
            process.terminate()
            process.wait(timeout=20)


if __name__ == "__main__":
    main()
