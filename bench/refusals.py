"""Hostile inputs against a real server: what a refusal costs, what an acceptance costs.

Not in ``make bench`` (a few minutes, ~10 GB of disk for the big bombs; GNU ``time`` and
``curl``). Starts its own
portal (uvicorn, DEBUG off, SQLite, embedded worker) in a temporary ``var/``, and prints
one JSON line per measurement:

- gzip bombs (2.4 MB of gzip for 25000² float32 zeros, 1.6 MB for 20000²) and a gzip'd
  header claiming 10⁶ × 10⁶, through the REST upload and ``manage.py register_images``,
  with the default limits and with ``FITSPORTAL_MAX_DECOMPRESSED_BYTES`` = 1 GiB: status,
  seconds, server RSS before/after and its peak (or the command's peak RSS);
- request bodies: an anonymous POST promising 2 GiB (bytes the client got to send before
  the answer, seconds, disk growth of the temporary directory), and a 200 MB upload,
  declared and chunked, with a 10 MiB upload limit.

    .venv/bin/python bench/refusals.py [--small]    # --small: skip the 2.5 GB bombs
"""

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.server import PYTHON, ROOT, Portal  # noqa: E402

BLOCK = 2880


def fits_header(naxis1, naxis2, bitpix=-32):
    cards = ["SIMPLE  =                    T", f"BITPIX  = {bitpix:>20}", "NAXIS   =                    2",
             f"NAXIS1  = {naxis1:>20}", f"NAXIS2  = {naxis2:>20}", "END"]  # fmt: skip
    text = "".join(f"{c:<80}" for c in cards)
    return (text + " " * (-len(text) % BLOCK)).encode()


def write_gz(path, side, with_data=True):
    """A gzip'd FITS file of side x side float32 zeros, streamed (never in memory)."""
    if path.exists():
        return
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as out:
        out.write(compressor.compress(fits_header(side, side)))
        left = side * side * 4 if with_data else 0
        left += -left % BLOCK
        zeros = b"\0" * (16 * 1024**2)
        while left:
            out.write(compressor.compress(zeros[: min(left, len(zeros))]))
            left -= min(left, len(zeros))
        out.write(compressor.flush())


def memory(pid):
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(("VmRSS", "VmHWM")):
                name, value = line.split(":")
                values[name] = round(int(value.split()[0]) / 1024**2, 2)  # GiB
    return values


def setup(portal):
    portal.manage("migrate", "-v0")
    done = portal.manage("shell", "-c", (
        "from django.contrib.auth.models import User\n"
        "from rest_framework.authtoken.models import Token\n"
        "from portal.models import Collection\n"
        "a, _ = User.objects.get_or_create(username='alice')\n"
        "for slug in ('night', 'archive', 'again'):\n"
        "    Collection.objects.get_or_create(slug=slug, defaults=dict(name=slug, owner=a))\n"
        "print('TOKEN', Token.objects.get_or_create(user=a)[0].key)"))  # fmt: skip
    return done.stdout.split("TOKEN", 1)[1].split()[0]


def upload(portal, token, slug, path):
    before = memory(portal.server.pid)
    start = time.monotonic()
    done = subprocess.run(
        ["curl", "-s", "-w", "\n%{http_code}", "-H", f"Authorization: Token {token}",
         "-F", f"file=@{path}", f"{portal.url}/api/collections/{slug}/images/"],
        capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.monotonic() - start
    body, _, status = done.stdout.rpartition("\n")
    after = memory(portal.server.pid)
    report("REST upload", path.name, status=int(status), seconds=seconds,
           rss_before_gib=before["VmRSS"], rss_after_gib=after["VmRSS"], peak_gib=after["VmHWM"],
           detail=json.loads(body).get("detail") or f"image {json.loads(body)['id']}")  # fmt: skip


def register(portal, slug, path, **env):
    """``manage.py register_images`` under GNU time: its status, seconds and peak RSS."""
    start = time.monotonic()
    done = subprocess.run(
        ["/usr/bin/time", "-f", "PEAK-KB %M", PYTHON, "manage.py", "register_images", slug, str(path)],
        cwd=ROOT, env={**portal.env, "FITSPORTAL_DATA_ROOTS": str(path.parent), **env},
        capture_output=True, text=True,
    )  # fmt: skip
    seconds = time.monotonic() - start
    peak = int(done.stderr.rsplit("PEAK-KB", 1)[1].split()[0])
    said = [line for line in (done.stderr + done.stdout).splitlines()
            if line.strip() and "objects imported" not in line and "PEAK-KB" not in line]  # fmt: skip
    report("register_images", path.name, exit=done.returncode, seconds=seconds,
           peak_rss_gib=round(peak / 1024**2, 2), detail=said[0] if said else "",
           **({"limit": env} if env else {}))  # fmt: skip


def raw_post(portal, length, token=None, chunked=False):
    """Promise ``length`` bytes, then send zeros as fast as the server takes them until
    it answers; bytes sent, seconds, status line, growth of the temporary directory."""
    disk = shutil.disk_usage(tempfile.gettempdir()).used
    lines = ["POST /api/collections/night/images/ HTTP/1.1", "Host: 127.0.0.1",
             "Content-Type: multipart/form-data; boundary=xyz"]  # fmt: skip
    lines.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {length}")
    if token:
        lines.append(f"Authorization: Token {token}")
    sock = socket.create_connection(("127.0.0.1", portal.port))
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
    sock.setblocking(False)
    piece = b"\0" * 65536
    if chunked:
        piece = b"10000\r\n" + piece + b"\r\n"
    sent, answer, grew, start = 0, b"", 0, time.monotonic()
    pending = memoryview(piece)
    while sent < length and not answer:
        try:
            answer = sock.recv(65536)
            if not answer:
                break
        except BlockingIOError:
            pass
        except ConnectionError:
            break
        try:
            n = sock.send(pending)
            sent += n
            pending = pending[n:] or memoryview(piece)  # whole chunks, whatever send takes
        except BlockingIOError:
            time.sleep(0.0005)
        except ConnectionError:
            break
        grew = max(grew, shutil.disk_usage(tempfile.gettempdir()).used - disk)
    sock.setblocking(True)
    sock.settimeout(600)
    try:
        while b"\r\n\r\n" not in answer and (more := sock.recv(65536)):
            answer += more
    except (ConnectionError, TimeoutError):
        pass
    seconds = time.monotonic() - start
    sock.close()
    what = ("chunked " if chunked else "") + f"POST of {length / 1024**2:,.0f} MiB"
    report("body", what, signed_in=bool(token), sent_bytes=sent, seconds=seconds,
           temp_disk_growth_mib=round(grew / 1024**2, 1),
           status=answer.split(b"\r\n", 1)[0].decode(errors="replace"))  # fmt: skip


def report(kind, what, **values):
    values = {k: round(v, 3) if isinstance(v, float) else v for k, v in values.items()}
    print(json.dumps({"kind": kind, "what": what, **values}), flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", action="store_true", help="skip the 2.5 GB bombs")
    args = parser.parse_args()
    bombs = ROOT / "var" / "bench" / "bombs"
    bombs.mkdir(parents=True, exist_ok=True)
    files = [bombs / "claims1e6.fits.gz"]
    write_gz(files[0], 10**6, with_data=False)
    if not args.small:
        for side in (20000, 25000):
            files.append(bombs / f"zeros{side}.fits.gz")
            write_gz(files[-1], side)
    with tempfile.TemporaryDirectory(prefix="fitsportal-refusals-") as var:
        portal = Portal(Path(var))
        token = setup(portal)
        with portal:
            for path in files:
                upload(portal, token, "night", path)
            raw_post(portal, 2 * 1024**3)
        for path in files:
            register(portal, "archive", path)
        with Portal(Path(var), FITSPORTAL_MAX_DECOMPRESSED_BYTES=str(1024**3)) as small:
            for path in files[1:]:
                upload(small, token, "again", path)
        for path in files[1:]:
            register(portal, "again", path, FITSPORTAL_MAX_DECOMPRESSED_BYTES=str(1024**3))
        with Portal(Path(var), FITSPORTAL_MAX_UPLOAD_BYTES=str(10 * 1024**2)) as limited:
            raw_post(limited, 200 * 1024**2, token)
            raw_post(limited, 200 * 1024**2, token, chunked=True)


if __name__ == "__main__":
    main()
