"""Bulk ingest: ``manage.py register_images --recursive`` over 10,000 small FITS files.

The files (64 x 64 int16, 100 per night folder) carry the headers of an archive's
exposures: a TAN WCS scattered on the sky (CD matrix, rotated, 0.26"/pixel), DATE-OBS
and MJD-OBS, FILTER, EXPTIME, OBJECT, TELESCOP, INSTRUME, BUNIT and about 50 other
cards; 10 of them are broken (truncated, or text) and must be refused. They are made
once into ``var/bench/ingest-<files>/``.

Each run starts from an empty database (migrated, not timed) and times the command
pinned to one core (``taskset``), warms left for later: wall and CPU seconds, files/s;
the median of ``--runs``. Then the kill-and-resume check: the command is killed
(SIGKILL) once about half the files are in, run again to the end, and the database
must hold each good file once, with its metadata, sky cells and words, and nothing
else. ``--workers N`` also times the batches spread over N Celery workers (Redis at
``REDIS_URL``).

SQLite by default (a new var dir per run); PostgreSQL with
``--database postgres://postgres@127.0.0.1:5432/fp_ingest`` (dropped and created again
for each run). ``--baseline DIR``: also time a checkout of an earlier commit (its
``manage.py`` in DIR) on ``--baseline-files`` of the files.

Run: ``python bench/ingest.py [--files N] [--runs R] [--database URL] [--workers N]``.
"""

import argparse
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PER_FOLDER = 100
WIDTH = HEIGHT = 64
BROKEN = 10
SLUG = "bulk"

FILTERS = ["u", "g", "r", "i", "z", "Y"]
OBJECTS = [f"NGC {n}" for n in range(1, 400)] + ["M 31", "M 42", "COSMOS", "SDSS J1030+0524"]


# --- the files ------------------------------------------------------------------------


def card(keyword, value, comment=""):
    """One 80-character FITS card in the fixed format."""
    if isinstance(value, bool):
        text = f"{keyword:<8}= {'T' if value else 'F':>20}"
    elif isinstance(value, int):
        text = f"{keyword:<8}= {value:>20d}"
    elif isinstance(value, float):
        text = f"{keyword:<8}= {value:>20.12G}"
    else:
        quoted = "'" + str(value).replace("'", "''").ljust(8) + "'"
        text = f"{keyword:<8}= {quoted:<20}"
    if comment:
        text += f" / {comment}"
    return text[:80].ljust(80)


def exposure_header(rng, index):
    ra, dec = rng.uniform(0, 360), np.degrees(np.arcsin(rng.uniform(-1, 1)))
    scale, angle = 0.263 / 3600, np.radians(rng.uniform(0, 360))
    cd = scale * np.array([[-np.cos(angle), np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    mjd = 57000 + rng.uniform(0, 3650)
    date = np.datetime64("1858-11-17") + np.timedelta64(int(mjd * 86400e3), "ms")
    cards = [
        card("SIMPLE", True, "conforms to FITS standard"),
        card("BITPIX", 16, "array data type"),
        card("NAXIS", 2),
        card("NAXIS1", WIDTH),
        card("NAXIS2", HEIGHT),
        card("BZERO", 32768.0),
        card("BSCALE", 1.0),
        card("OBSTYPE", "object"),
        card("OBJECT", OBJECTS[index % len(OBJECTS)], "target"),
        card("TELESCOP", "CTIO 4.0-m telescope"),
        card("INSTRUME", "DECam"),
        card("OBSERVER", "A. Observer"),
        card("PROPID", "2019B-0001"),
        card("DATE-OBS", str(date)[:23], "UTC start of the exposure"),
        card("MJD-OBS", round(float(mjd), 8)),
        card("EXPTIME", float(rng.choice([15.0, 30.0, 60.0, 90.0, 300.0])), "seconds"),
        card("FILTER", f"{FILTERS[index % len(FILTERS)]} DECam SDSS c0001", "filter"),
        card("AIRMASS", round(float(rng.uniform(1.0, 2.2)), 3)),
        card("BUNIT", "ADU"),
        card("GAIN", 4.0),
        card("RDNOISE", 6.5),
        card("EQUINOX", 2000.0),
        card("RADESYS", "ICRS"),
        card("CTYPE1", "RA---TAN"),
        card("CTYPE2", "DEC--TAN"),
        card("CRVAL1", float(ra)),
        card("CRVAL2", float(dec)),
        card("CRPIX1", WIDTH / 2 + 0.5),
        card("CRPIX2", HEIGHT / 2 + 0.5),
        card("CD1_1", float(cd[0, 0])),
        card("CD1_2", float(cd[0, 1])),
        card("CD2_1", float(cd[1, 0])),
        card("CD2_2", float(cd[1, 1])),
        card("CUNIT1", "deg"),
        card("CUNIT2", "deg"),
    ]
    cards += [card(f"DTV{n:04d}", float(rng.normal()), "detector telemetry") for n in range(40)]
    cards += ["HISTORY reduced by the community pipeline".ljust(80), "END".ljust(80)]
    return pad("".join(cards).encode("ascii"), b" ")


def pad(block, fill):
    return block + fill * (-len(block) % 2880)


def make_files(count):
    """``count`` files (the last ``BROKEN`` broken) under var/bench, made once."""
    folder = ROOT / "var" / "bench" / f"ingest-{count}"
    done = folder / ".complete"
    if done.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    rng = np.random.default_rng(6)
    started = time.perf_counter()
    for index in range(count):
        night = folder / f"night-{index // PER_FOLDER:03d}"
        night.mkdir(parents=True, exist_ok=True)
        data = rng.integers(0, 60000, (HEIGHT, WIDTH)) - 32768
        content = exposure_header(rng, index) + pad(data.astype(">i2").tobytes(), b"\0")
        if index >= count - BROKEN:  # truncated, or not FITS at all
            content = content[:3000] if index % 2 else b"not a FITS file\n" * 200
        (night / f"c4d_{index:06d}_ooi.fits").write_bytes(content)
    done.write_text("")
    print(f"made {count} files in {time.perf_counter() - started:.1f} s under {folder}")
    return folder


# --- one database ---------------------------------------------------------------------


class Database:
    """A new, migrated database with the collection ``bulk``, and counts read from it."""

    def __init__(self, url, files):
        self.url = url
        self.var = Path(tempfile.mkdtemp(prefix="fitsportal-ingest-"))
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(FITSPORTAL_VAR_DIR=str(self.var), FITSPORTAL_INSECURE_DEV_KEY="1",
                        FITSPORTAL_DATA_ROOTS=str(files), DJANGO_SETTINGS_MODULE="portal.settings",
                        FITSPORTAL_WARM_ON_REGISTER="0")  # fmt: skip
        if url:
            self.env["DATABASE_URL"] = url
            self._recreate()
        manage(self.env, "migrate", "--noinput", "-v", "0")
        manage(self.env, "shell", "-c", (
            "from django.contrib.auth import get_user_model; from portal.models import Collection; "
            "u = get_user_model().objects.create_user('archivist'); "
            f"Collection.objects.create(name='Bulk', slug='{SLUG}', owner=u)"
        ))  # fmt: skip

    def _recreate(self):
        import psycopg

        name = urlparse(self.url).path.lstrip("/")
        admin = self.url.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
            connection.execute(f'CREATE DATABASE "{name}"')

    def query(self, sql):
        if self.url:
            import psycopg

            with psycopg.connect(self.url) as connection:
                return connection.execute(sql).fetchall()
        with sqlite3.connect(self.var / "fitsportal.sqlite3", timeout=30) as connection:
            return connection.execute(sql).fetchall()

    def count(self, table):
        return self.query(f"SELECT count(*) FROM {table}")[0][0]

    def close(self):
        shutil.rmtree(self.var, ignore_errors=True)


def manage(env, *args, **popen):
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True,
                          capture_output=True, text=True, **popen)  # fmt: skip


def ingest_command(files, *extra):
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    return [*pin, PYTHON, "manage.py", "register_images", SLUG, str(files), "--recursive",
            "--no-warm", *extra]  # fmt: skip


def run_timed(command, env, cwd=ROOT):
    """(wall s, CPU s, output): wait4 gives the child's CPU time."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)  # fmt: skip
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode}):\n{output[-3000:]}")
    return wall, usage.ru_utime + usage.ru_stime, output


# --- checks ---------------------------------------------------------------------------


def check_complete(db, count):
    """Each good file once, with its archive rows; the broken ones refused."""
    good = count - BROKEN
    images = db.count("portal_image")
    distinct = db.query("SELECT count(DISTINCT path) FROM portal_image")[0][0]
    unindexed = db.query(
        "SELECT count(*) FROM portal_image i LEFT JOIN archive_imagemetadata m "
        "ON m.image_id = i.id WHERE m.image_id IS NULL OR m.ra IS NULL OR m.band = '' "
        "OR m.date_obs IS NULL OR m.exptime IS NULL"
    )[0][0]
    cellless = db.query(
        "SELECT count(*) FROM portal_image i WHERE NOT EXISTS "
        "(SELECT 1 FROM archive_skycell c WHERE c.image_id = i.id)"
    )[0][0]
    wordless = db.query(
        "SELECT count(*) FROM portal_image i WHERE NOT EXISTS "
        "(SELECT 1 FROM archive_searchword w WHERE w.image_id = i.id)"
    )[0][0]
    problems = []
    if images != good or distinct != good:
        problems.append(f"{images} images, {distinct} distinct paths, expected {good}")
    if unindexed or cellless or wordless:
        problems.append(f"{unindexed} without metadata, {cellless} without cells, "
                        f"{wordless} without words")  # fmt: skip
    return problems


def kill_and_resume(url, files, count):
    db = Database(url, files)
    try:
        process = subprocess.Popen(ingest_command(files), cwd=ROOT, env=db.env,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        while process.poll() is None:
            time.sleep(0.05)
            try:
                if db.count("portal_image") >= count // 2:
                    break
            except (sqlite3.OperationalError, Exception):  # tables locked or not there yet
                continue
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        at_kill = db.count("portal_image")
        _, _, output = run_timed(ingest_command(files), db.env)
        summary = [line for line in output.splitlines() if "registered, " in line][-1]
        problems = check_complete(db, count)
        print(f"kill -9 with {at_kill} images in; rerun: {summary}")
        print("resume check:", "; ".join(problems) if problems else
              f"ok: {count - BROKEN} images once each, metadata, cells and words for all, "
              f"{BROKEN} refused")  # fmt: skip
        return not problems
    finally:
        db.close()


def start_up_cpu(url, files):
    """CPU seconds of the command over an empty folder: Python, Django, astropy."""
    db = Database(url, files)
    try:
        empty = db.var / "empty"
        empty.mkdir()
        return run_timed(ingest_command(empty), {**db.env, "FITSPORTAL_DATA_ROOTS": str(empty)})[1]
    finally:
        db.close()


def measure(url, files, count, runs, extra=(), label="in process"):
    rates, cpu_rates = [], []
    start_up = start_up_cpu(url, files)
    print(f"  start-up of the command: {start_up:.1f} s CPU")
    for run in range(runs):
        db = Database(url, files)
        try:
            wall, cpu, output = run_timed(ingest_command(files, *extra), db.env)
            problems = check_complete(db, count)
            if problems:
                raise SystemExit(f"run {run + 1}: {'; '.join(problems)}")
            rates.append(count / wall)
            cpu_rates.append(count / (cpu - start_up))
            print(f"  run {run + 1} ({label}): {wall:.1f} s wall, {cpu:.1f} s CPU of the command: "
                  f"{count / wall:.0f} files/s wall, {count / (cpu - start_up):.0f} files/s per "
                  "CPU second after start-up")  # fmt: skip
        finally:
            db.close()
    print(f"{label}: median {statistics.median(rates):.0f} files/s wall, "
          f"{statistics.median(cpu_rates):.0f} files/s per CPU second after start-up (runs: {runs})")  # fmt: skip
    return rates


def measure_workers(url, files, count, workers):
    """The batches as tasks of ``workers`` Celery worker processes (solo pool each)."""
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6")
    db = Database(url, files)
    env = {**db.env, "REDIS_URL": redis_url, "FITSPORTAL_TASK_QUEUE": f"ingest-bench-{os.getpid()}"}
    procs = [
        subprocess.Popen(
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "portal",
                "worker",
                "--pool=solo",
                "-Q",
                env["FITSPORTAL_TASK_QUEUE"],
                "-n",
                f"ingest{n}@%h",
                "--loglevel=WARNING",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for n in range(workers)
    ]
    try:
        time.sleep(8)  # the workers start
        command = [PYTHON, "manage.py", "register_images", SLUG, str(files), "--recursive",
                   "--no-warm"]  # fmt: skip
        wall, _, output = run_timed(command, env)
        problems = check_complete(db, count)
        print(f"{workers} Celery worker(s): {wall:.1f} s wall, {count / wall:.0f} files/s"
              + (f"; {'; '.join(problems)}" if problems else ", all registered once"))  # fmt: skip
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        db.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--files", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database", default="", help="PostgreSQL URL (default SQLite)")
    parser.add_argument("--workers", type=int, default=0, help="also time N Celery workers")
    parser.add_argument("--no-resume-check", action="store_true")
    parser.add_argument("--baseline", type=Path, help="a checkout of an earlier commit")
    parser.add_argument("--baseline-files", type=int, default=1000)
    args = parser.parse_args()
    files = make_files(args.files)
    print(f"{args.files} files, {'PostgreSQL' if args.database else 'SQLite'}")
    if args.runs:
        measure(args.database, files, args.files, args.runs)
    ok = True
    if not args.no_resume_check:
        ok = kill_and_resume(args.database, files, args.files)
    if args.workers:
        measure_workers(args.database, files, args.files, args.workers)
    if args.baseline:
        baseline(args, make_files(args.baseline_files))
    return 0 if ok else 1


def baseline(args, files):
    db = Database(args.database, files)
    try:
        command = ["taskset", "-c", "0", PYTHON, "manage.py", "register_images", SLUG, str(files),
                   "--recursive"]  # fmt: skip
        wall, cpu, _ = run_timed(command, db.env, cwd=args.baseline)
        print(f"baseline ({args.baseline}, {args.baseline_files} files): "
              f"{args.baseline_files / wall:.0f} files/s wall, {args.baseline_files / cpu:.0f} "
              "files/s per CPU second")  # fmt: skip
    finally:
        db.close()


if __name__ == "__main__":
    sys.exit(main())
