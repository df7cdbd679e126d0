"""Attacks on a real server: what each costs it, and what its other users see meanwhile.

``make bench`` runs it with ``--quick`` (about a minute); in full, about four minutes.
It starts its own portal (uvicorn, DEBUG off, SQLite, embedded worker) in a temporary
``var/``, with a signed-in user owning a private collection that holds the 8192²
benchmark field, warmed. For each
attack it prints the answers (status, seconds, body bytes), the server's RSS before,
at its peak (sampled every 20 ms) and a moment after, and the worst and median latency
of ordinary tiles another client requests meanwhile (every 0.1 s):

- ``pfl``: IIP ``PFL=1,1:10000000,1`` and the same line as a REST profile;
- ``region``: one 8192² ``region.png``, then four at once (two slots by default: two
  of them wait for nothing and answer 503 with ``Retry-After``);
- ``numbers``: ``x2`` = 10^400 written out, ``1e400`` and ``nan`` on region, cutout, profile;
- ``catalogs``: a 100,000-line ds9 file and a 10⁶-line CSV (``--quick``: 10,000 and
  100,000) uploaded: time to the 202, time to ``ready`` (polling the catalog), peak RSS;
- ``files``: a file registered in place cut short while the server warms it, and
  another after its warm: the server lives on (its pid, another image's tile), the image
  is ``failed`` with the reason, time from the cut to the first 422;
- ``logout``: the session cookie of a logout on a fast-path tile, right after.

    .venv/bin/python bench/attacks.py [--quick] [--only NAME]

The exit status is 1 when any answer is a 500 or the server dies.
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import psutil
from astropy.io import fits

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.images import BENCH_DIR, field8k  # noqa: E402
from bench.server import Portal  # noqa: E402
from portal.demo import write_star_field  # noqa: E402

PASSWORD = "attack-password-1"
SEED = """
from django.contrib.auth.models import User
from rest_framework.authtoken.models import Token
from portal.models import Collection
from portal.registration import register_path
user = User.objects.create_user("alice", password="{password}")
night = Collection.objects.create(slug="night", name="night", owner=user)
print("TOKEN", Token.objects.create(user=user).key)
for path in {paths!r}:
    print("IMAGE", register_path(night, path, user=user).pk)
"""
REGISTER = """
from portal.models import Collection
from portal.registration import register_path
print("IMAGE", register_path(Collection.objects.get(slug="night"), {path!r}).pk)
"""
failures = []


def call(portal, method, path, headers=(), body=None):
    """(status, headers, body, seconds) of one request on a connection of its own."""
    connection = http.client.HTTPConnection("127.0.0.1", portal.port, timeout=900)
    start = time.perf_counter()
    try:
        connection.request(method, path, body=body, headers=dict(headers))
        response = connection.getresponse()
        answer = response.status, response.headers, response.read()
    except OSError as error:  # nobody answers: the server is gone
        answer = None, {}, str(error).encode()
    finally:
        connection.close()
    status = answer[0]
    if status is None or (status >= 500 and status != 503):
        failures.append(f"{method} {path[:80]}: {status}")
    return (*answer, time.perf_counter() - start)


def detail(body):
    try:
        said = json.loads(body)
        return (
            str(said.get("detail") or said.get("state_reason") or said)
            if isinstance(said, dict)
            else ""
        )
    except ValueError:
        return body[:60].decode(errors="replace") if len(body) < 2000 else ""


class Watch:
    """RSS of the server and the latency of ordinary tiles while a block runs."""

    def __init__(self, bench):
        self.bench, self.done = bench, threading.Event()
        self.process = psutil.Process(bench.portal.server.pid)

    def rss(self):
        try:
            return self.process.memory_info().rss / 2**20
        except psutil.Error:
            return float("nan")

    def sample(self):
        while not self.done.wait(0.02):
            self.peak = max(self.peak, self.rss())

    def tiles(self):
        rng = random.Random(7)
        while not self.done.wait(0.1):
            x, y, gamma = rng.randrange(32), rng.randrange(32), rng.choice((1.1, 1.2, 1.3, 1.4))
            url = f"/api/images/{self.bench.field}/tiles/5/{x}/{y}.jpg?gamma={gamma}"
            self.latencies.append(call(self.bench.portal, "GET", url, self.bench.cookie)[3])

    def __enter__(self):
        self.before = self.peak = self.rss()
        self.latencies = []
        self.threads = [threading.Thread(target=self.sample), threading.Thread(target=self.tiles)]
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        time.sleep(0.3)
        self.done.set()
        for thread in self.threads:
            thread.join()
        self.after = self.rss()


class Bench:
    def __init__(self, var, quick):
        self.quick, self.data = quick, var / "data"
        self.data.mkdir()
        self.portal = Portal(var, FITSPORTAL_WARM_ON_REGISTER="0",
                             FITSPORTAL_DATA_ROOTS=os.pathsep.join([str(BENCH_DIR), str(self.data)]))  # fmt: skip
        self.portal.manage("migrate", "-v0")
        small = write_star_field(self.data / "small.fits", 2048, 2048, seed=3)
        said = self.portal.shell(SEED.format(password=PASSWORD, paths=[str(field8k()), str(small)]))
        self.token = said.split("TOKEN", 1)[1].split()[0]
        self.field, self.small = [
            int(line.split()[1]) for line in said.splitlines() if line.startswith("IMAGE")
        ]
        self.portal.manage("warm_images", "--wait")
        self.portal.start()
        self.cookie = self.login()
        self.get(f"/api/images/{self.field}/tiles/5/3/3.jpg")  # the field is open

    def get(self, path, cookie=None):
        return call(self.portal, "GET", path, cookie or self.cookie)

    def login(self):
        status, headers, _, _ = call(self.portal, "GET", "/accounts/login/")
        csrf = headers["Set-Cookie"].split("csrftoken=", 1)[1].split(";")[0]
        form = f"username=alice&password={PASSWORD}&csrfmiddlewaretoken={csrf}"
        status, headers, _, _ = call(self.portal, "POST", "/accounts/login/", {
            "Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"}, form)  # fmt: skip
        session = [c for c in headers.get_all("Set-Cookie") or () if c.startswith("sessionid=")]
        if status != 302 or not session:
            raise SystemExit(f"login failed: {status}")
        return {"Cookie": f"{session[0].split(';')[0]}; csrftoken={csrf}", "X-CSRFToken": csrf}

    def restart(self):
        self.portal.stop()
        self.portal.start()

    def alive(self):
        return (
            self.portal.alive() and self.get(f"/api/images/{self.field}/tiles/4/1/1.jpg")[0] == 200
        )


def parallel(bench, paths):
    answers = [None] * len(paths)

    def one(i):
        answers[i] = bench.get(paths[i])

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(paths))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def row(what, answers, watch, note=None):
    """One line of the table: ``answers`` are ``call`` results (seconds: the slowest)."""
    statuses = " ".join(str(a[0]) for a in answers)
    seconds = max(a[3] for a in answers)
    size = sum(len(a[2]) for a in answers)
    if note is None:
        refused = [a for a in answers if a[0] and a[0] >= 400]
        note = ""
        if refused:
            retry = refused[0][1].get("Retry-After")
            note = (f"Retry-After {retry}: " if retry else "") + detail(refused[0][2])
    lat = sorted(watch.latencies) or [float("nan")]
    tiles = f"{lat[-1] * 1e3:7.0f} {statistics.median(lat) * 1e3:5.0f} {len(lat):4d}"
    rss = f"{watch.before:6.0f} {watch.peak:6.0f} {watch.after:6.0f}"
    print(
        f"{what:<30} {statuses:<16} {seconds:7.2f} {size:>11,} {rss} {tiles}  {note[:120]}",
        flush=True,
    )


def header():
    print(f"{'attack':<30} {'status':<16} {'seconds':>7} {'body bytes':>11} "
          f"{'RSS MB bef/peak/aft':>20} {'tiles ms max/p50/n':>18}  note")  # fmt: skip


def attack_pfl(bench):
    field = bench.field
    for what, path in (("IIP PFL=1,1:10000000,1", f"/iip/?FIF={field}&PFL=1,1:10000000,1"),
                       ("REST profile x2=10000000", f"/api/images/{field}/profile/?x1=1&y1=1&x2=10000000&y2=1")):  # fmt: skip
        with Watch(bench) as watch:
            answers = [bench.get(path)]
        row(what, answers, watch)


def attack_region(bench):
    path = f"/api/images/{bench.field}/region.png?x1=1&y1=1&x2=8192&y2=8192"
    with Watch(bench) as watch:
        answers = [bench.get(path + "&gamma=1.05")]
    row("region.png 8192² x1", answers, watch)
    with Watch(bench) as watch:
        answers = parallel(bench, [f"{path}&gamma={g}" for g in (1.1, 1.2, 1.3, 1.4)])
    row("region.png 8192² x4 at once", sorted(answers, key=lambda a: a[0] or 0), watch)


def attack_numbers(bench):
    for name, value in (("10^400", "1" + "0" * 400), ("1e400", "1e400"), ("nan", "nan")):
        for endpoint in ("region.jpg", "cutout.fits", "profile/"):
            with Watch(bench) as watch:
                answers = [
                    bench.get(f"/api/images/{bench.field}/{endpoint}?x1=1&y1=1&y2=20&x2={value}")
                ]
            row(f"{endpoint} x2={name}", answers, watch)


def catalog_file(lines, kind):
    """A ds9 region file or a CSV catalog of ``lines`` sources, written once."""
    path = BENCH_DIR / "catalogs" / f"sources{lines}.{kind}"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        rng = random.Random(lines)
        with open(path.with_suffix(".tmp"), "w") as out:
            out.write(
                "# Region file format: DS9 version 4.1\nfk5\n"
                if kind == "reg"
                else "name,ra,dec,mag\n"
            )
            for i in range(lines):
                ra, dec, mag = rng.uniform(0, 360), rng.uniform(-80, 80), rng.uniform(10, 20)
                if kind == "reg":
                    out.write(f'circle({ra:.6f},{dec:.6f},3") # text={{s{i}}} color=red\n')
                else:
                    out.write(f"s{i},{ra:.6f},{dec:.6f},{mag:.3f}\n")
        path.with_suffix(".tmp").rename(path)
    return path


def attack_catalogs(bench):
    small, big = (10_000, 100_000) if bench.quick else (100_000, 1_000_000)
    for lines, kind in ((small, "reg"), (big, "csv")):
        path = catalog_file(lines, kind)
        boundary = uuid.uuid4().hex
        body = b"".join([
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\n{path.name}\r\n'.encode(),
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{path.name}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode(), path.read_bytes(),
            f"\r\n--{boundary}--\r\n".encode()])  # fmt: skip
        headers = {"Authorization": f"Token {bench.token}",
                   "Content-Type": f"multipart/form-data; boundary={boundary}"}  # fmt: skip
        with Watch(bench) as watch:
            start = time.perf_counter()
            answer = call(bench.portal, "POST", "/api/catalogs/?collection=night", headers, body)
            state = json.loads(answer[2]) if answer[0] == 202 else {}
            while state.get("state") in ("pending", "importing") and bench.portal.alive():
                time.sleep(0.25)
                state = json.loads(
                    call(bench.portal, "GET", f"/api/catalogs/{state['id']}/", headers)[2]
                )
            ready = time.perf_counter() - start
        note = (f"{state.get('state')} after {ready:.1f} s, {state.get('feature_count')} features"
                if state else detail(answer[2]))  # fmt: skip
        row(
            f"{path.suffix[1:]} import, {lines:,} lines",
            [answer],
            watch,
            f"{len(body) / 2**20:.0f} MB; {note}",
        )


def data_start(path):
    with fits.open(path) as hdus:
        return hdus[0].fileinfo()["datLoc"]


def first_422(bench, image, timeout=120):
    """Seconds until a tile of ``image`` answers 422 (its answers, the last one kept)."""
    start, answer = time.perf_counter(), None
    while time.perf_counter() - start < timeout and bench.portal.alive():
        answer = bench.get(f"/api/images/{image}/tiles/5/7/7.jpg")
        if answer[0] == 422:
            break
        time.sleep(0.01)
    return time.perf_counter() - start, answer


def attack_files(bench):
    copy = bench.data / "cut-while-warming.fits"
    shutil.copyfile(field8k(), copy)
    with open(copy, "r+b") as out:  # another file to the portal (its checksum), same pixels
        out.seek(out.read(data_start(copy)).index(b"OBJECT  ="))
        out.write("OBJECT  = 'a copy to cut short'".ljust(80).encode())
    image = int(bench.portal.shell(REGISTER.format(path=str(copy))).split("IMAGE", 1)[1])
    bench.restart()  # the server warms what is pending when it starts
    with Watch(bench) as watch:
        state, deadline = {}, time.monotonic() + 120
        while state.get("state") in (None, "pending") or not state.get("progress"):
            if state.get("state") in ("ready", "failed") or time.monotonic() > deadline:
                raise SystemExit(f"the warm was not caught under way: {state}")
            state = json.loads(bench.get(f"/api/images/{image}/")[2])
            time.sleep(0.005)
        os.truncate(copy, data_start(copy) + 600 * 8192 * 4)
        seconds, answer = first_422(bench, image)
    what = f"file cut while it warms ({state['progress']:.0%})"
    report_file(bench, what, image, seconds, answer, watch)
    small = bench.data / "small.fits"
    bench.get(f"/api/images/{bench.small}/tiles/3/1/1.jpg")
    with Watch(bench) as watch:
        os.truncate(small, data_start(small) + 4096)
        seconds, answer = first_422(bench, bench.small)
    report_file(bench, "file cut after its warm", bench.small, seconds, answer, watch)


def report_file(bench, what, image, seconds, answer, watch):
    state = json.loads(bench.get(f"/api/images/{image}/")[2])
    store = bench.portal.var / "cache" / "pyramids"
    work = [p for p in store.iterdir() if p.name.startswith(".")] if store.exists() else []
    alive = bench.alive()
    if not alive:
        failures.append(f"{what}: the server died")
    note = (f"422 after {seconds * 1e3:.0f} ms; server {'alive' if alive else 'DEAD'}, "
            f"{len(work)} work folders; {state.get('state')}: {state.get('state_reason')}")  # fmt: skip
    row(what, [answer], watch, note)


def attack_logout(bench):
    with Watch(bench) as watch:
        leaving = bench.login()
        tile = f"/api/images/{bench.field}/tiles/5/9/9.jpg"
        before = bench.get(tile, leaving)
        out = call(bench.portal, "POST", "/accounts/logout/", leaving)
        after = bench.get(tile, leaving)
    note = f"tile {before[0]}, logout {out[0]}, the same cookie at once: {after[0]} ({after[3] * 1e3:.0f} ms)"
    row("tile with a logged-out cookie", [before, out, after], watch, note)
    if after[0] != 404:
        failures.append(f"a logged-out session got its tile: {after[0]}")


ATTACKS = {"pfl": attack_pfl, "region": attack_region, "numbers": attack_numbers,
           "catalogs": attack_catalogs, "files": attack_files, "logout": attack_logout}  # fmt: skip


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="catalogs of 10,000 and 100,000 lines")
    parser.add_argument("--only", choices=ATTACKS, action="append", help="this attack (repeatable)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fitsportal-attacks-") as var:
        bench = Bench(Path(var), args.quick)
        try:
            print(
                f"load average {' '.join(f'{v:.2f}' for v in os.getloadavg())}, {os.cpu_count()} cores"
            )
            header()
            for name in args.only or ATTACKS:
                ATTACKS[name](bench)
                if not bench.alive():
                    failures.append(f"{name}: the server died")
                    print(bench.portal.log())
                    break
        finally:
            bench.portal.stop()
    for failure in failures:
        print("FAILED:", failure)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
