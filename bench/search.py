"""Archive search at scale: 1,000,000 images in 2,000 collections, searched through
``GET /api/images/`` (in-process client, JSON included) by a user who sees 5 % of them
and by a superuser; the admin's image list and a collection page; the query plans.

Footprints are TAN-like quadrilaterals scattered uniformly on the sky, 3' to 1.6 deg
across, rotated; metadata as an archive has it (objects, five filters, four
instruments, dates over ten years, exposure times). The footprints' HEALPix cells are
those registration stores (archive/sky.py), computed over every core once and kept in
``var/bench/search-<rows>.npz`` (under 3 minutes of CPU for a million); rows go in as
plain tuples (COPY on PostgreSQL, executemany on SQLite), the cells in index order.

Each case reports the wall clock (median, p95) and, since a shared machine's clock
counts other programs too, the p95 CPU time of this process (with SQLite, the
database's work included) and the p95 time spent in SQL statements.

SQLite by default (a throwaway database under a temporary var dir); for PostgreSQL:
``DATABASE_URL=postgres://postgres@127.0.0.1:5432/fp_search`` (its test database is
created and dropped). Run: ``python bench/search.py [--rows N] [--queries Q]``.

``--reuse`` keeps the rows for the next run instead: the database of ``DATABASE_URL``
itself (``sqlite:////path/search.sqlite3`` or a PostgreSQL URL) is migrated, filled
once, and only searched when it already holds the ``--rows`` images.
"""

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COLLECTIONS = 2000
USERS = 300
GROUPS = 40
BANDS = ["u", "g", "r", "i", "z"]
INSTRUMENTS = ["DECam", "MegaCam", "HSC", "WFC3"]
TELESCOPES = ["Blanco", "CFHT", "Subaru", "HST"]
OBJECTS = [f"NGC {n}" for n in range(1, 2001)] + ["M 31", "M 42", "M 51", "Orion", "COSMOS"]
BATCH = 20_000


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=40, help="timed requests per case")
    parser.add_argument("--reuse", action="store_true", help="keep the rows in DATABASE_URL")
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("FITSPORTAL_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("FITSPORTAL_VAR_DIR", tempfile.mkdtemp(prefix="fitsportal-search-"))
    data = footprints(args.rows)
    import django

    django.setup()
    if args.reuse:
        return run(args, kept(args.rows, data))
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0, interactive=False)  # a stale copy is replaced
    old = runner.setup_databases()
    try:
        run(args, populate(args.rows, data))
    finally:
        runner.teardown_databases(old)


def kept(rows, data):
    """(reader, superuser, collection) of the rows kept in DATABASE_URL, filled first
    if it does not hold ``rows`` images (an interrupted fill is started again)."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from portal.models import Collection, Image

    call_command("migrate", verbosity=0, interactive=False)
    if Image.objects.count() != rows or not get_user_model().objects.filter(username="admin"):
        call_command("flush", verbosity=0, interactive=False)
        return populate(rows, data)
    User = get_user_model()
    reader = User.objects.get(username="user0")
    seen = Collection.objects.visible_to(reader).filter(visibility=Collection.PRIVATE)
    print(f"reusing {rows:,} images")
    return reader, User.objects.get(username="admin"), seen.first()


# --- the data set ----------------------------------------------------------------------


def _cells_of(chunk):
    """NUNIQ cells of the discs (ra, dec, radius) of ``chunk``, as registration covers
    a footprint: (cells, counts)."""
    from archive import sky

    ra, dec, radius = chunk
    cells, counts = [], []
    for disc in zip(ra.tolist(), dec.tolist(), radius.tolist(), strict=True):
        found = sky.disc_cells([disc])
        cells += found
        counts.append(len(found))
    return np.array(cells, dtype=np.int64), np.array(counts, dtype=np.int64)


def footprints(rows):
    """Footprints and cells of ``rows`` images, computed once per size."""
    cache = ROOT / "var" / "bench" / f"search-{rows}.npz"
    if cache.exists():
        return dict(np.load(cache))
    larger = ROOT / "var" / "bench" / "search-1000000.npz"
    if rows < 1_000_000 and larger.exists():  # the first rows of the full set
        data = dict(np.load(larger))
        offsets = data["offsets"][: rows + 1]
        sliced = {k: data[k][:rows] for k in ("ra", "dec", "radius", "corners")}
        return {**sliced, "cells": data["cells"][: offsets[-1]], "offsets": offsets}
    from archive import sky

    started = time.perf_counter()
    rng = np.random.default_rng(15)
    ra = rng.uniform(0, 360, rows)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, rows)))
    size = 10 ** rng.uniform(-1.3, 0.2, rows)  # degrees across
    aspect = rng.uniform(1.0, 2.0, rows)
    rotation = np.radians(rng.uniform(0, 360, rows))
    centre = sky.unit_vectors(ra, dec)
    east = np.stack([-np.sin(np.radians(ra)), np.cos(np.radians(ra)), np.zeros(rows)], axis=1)
    north = np.cross(centre, east)
    corners = np.empty((rows, 4, 2))
    for k, (sx, sy) in enumerate(((-1, -1), (1, -1), (1, 1), (-1, 1))):
        half_x = np.radians(size / 2) * sx
        half_y = np.radians(size / 2 / aspect) * sy
        xi = half_x * np.cos(rotation) - half_y * np.sin(rotation)
        eta = half_x * np.sin(rotation) + half_y * np.cos(rotation)
        point = centre + xi[:, None] * east + eta[:, None] * north  # gnomonic: a plane
        point /= np.linalg.norm(point, axis=1, keepdims=True)
        corners[:, k, 0] = np.degrees(np.arctan2(point[:, 1], point[:, 0])) % 360
        corners[:, k, 1] = np.degrees(np.arcsin(np.clip(point[:, 2], -1, 1)))
    radius = np.degrees(np.arctan(np.hypot(np.radians(size / 2), np.radians(size / 2 / aspect))))
    # The cells registration stores (sky.disc_cells), over every core: a footprint
    # takes a few dozen microseconds of astropy-healpix.
    chunks = [
        (ra[i : i + 20_000], dec[i : i + 20_000], radius[i : i + 20_000])
        for i in range(0, rows, 20_000)
    ]
    with multiprocessing.get_context("fork").Pool(os.cpu_count() or 1) as pool:
        parts = pool.map(_cells_of, chunks)
    cells = np.concatenate([p[0] for p in parts])
    offsets = np.concatenate([[0], np.cumsum(np.concatenate([p[1] for p in parts]))])
    data = {
        "ra": ra, "dec": dec, "radius": radius, "corners": corners,
        "cells": cells, "offsets": offsets.astype(np.int64),
    }  # fmt: skip
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **data)
    print(f"{rows:,} footprints, {len(cells):,} cells, in {time.perf_counter() - started:.0f} s")
    return data


def _load(table, columns, rows):
    """Write ``rows`` (tuples of ``columns``) into ``table``: COPY on PostgreSQL,
    executemany in one transaction on SQLite."""
    from django.db import connection

    if connection.vendor == "postgresql":
        sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
    else:
        marks = ", ".join(["%s"] * len(columns))
        with connection.cursor() as cursor:
            cursor.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)


IMAGE_COLUMNS = (
    "id", "collection_id", "title", "name", "path", "owns_file", "source_path", "checksum",
    "size", "mtime_ns", "kind", "width", "height", "channels", "channel_names", "hdus",
    "header", "stats", "uploaded_by_id", "state", "state_reason", "progress", "version",
    "last_run", "created", "updated",
)  # fmt: skip
META_COLUMNS = (
    "image_id", "collection_id", "ra", "dec", "radius", "polygons", "object", "object_key", "band",
    "instrument", "telescope", "date_obs", "exptime", "pixel_scale", "bunit",
)  # fmt: skip


def populate(rows, data):
    """Users, groups, collections with grants, images and their archive rows; returns
    (reader, superuser, a collection the reader sees).

    Rows go in as plain tuples (COPY on PostgreSQL, executemany on SQLite), a batch per
    transaction; the cells in the order of their index, so that it is appended to."""
    import json
    from datetime import UTC, datetime, timedelta

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db import connection, transaction

    from archive.models import ImageMetadata, SearchWord, SkyCell
    from portal.models import (
        Collection,
        CollectionGroupPermission,
        CollectionUserPermission,
        Image,
    )

    User = get_user_model()
    rng = np.random.default_rng(16)
    started = time.perf_counter()
    users = User.objects.bulk_create(User(username=f"user{i}") for i in range(USERS))
    superuser = User.objects.create_superuser("admin", "admin@example.org", "admin")
    reader = users[0]
    groups = Group.objects.bulk_create(Group(name=f"team{i}") for i in range(GROUPS))
    Through = User.groups.through
    Through.objects.bulk_create(
        Through(user_id=u.pk, group_id=groups[i % GROUPS].pk) for i, u in enumerate(users)
    )
    # 1 % public, 1 % team (every signed-in user sees them), the rest private.
    visibilities = [Collection.PUBLIC] * 20 + [Collection.TEAM] * 20
    visibilities += [Collection.PRIVATE] * (COLLECTIONS - len(visibilities))
    collections = Collection.objects.bulk_create(
        Collection(
            name=f"Survey {i:04d}",
            slug=f"survey-{i:04d}",
            visibility=v,
            owner=users[1 + i % (USERS - 1)],
        )  # fmt: skip
        for i, v in enumerate(visibilities)
    )
    view = Permission.objects.get(codename="view_collection")
    contribute = Permission.objects.get(codename="contribute_collection")
    private = collections[40:]
    # The reader: 40 private collections granted directly, 20 through its group.
    grants = [CollectionUserPermission(user=reader, permission=view, content_object=c)
              for c in private[:40]]  # fmt: skip
    grants += [
        CollectionUserPermission(user=users[int(u)], permission=contribute, content_object=c)
        for c, u in zip(private[100:], rng.integers(1, USERS, len(private) - 100), strict=True)
    ]
    CollectionUserPermission.objects.bulk_create(grants)
    CollectionGroupPermission.objects.bulk_create(
        [
            CollectionGroupPermission(group=groups[0], permission=view, content_object=c)
            for c in private[40:60]
        ]  # fmt: skip
        + [
            CollectionGroupPermission(
                group=groups[1 + i % (GROUPS - 1)], permission=view, content_object=c
            )
            for i, c in enumerate(private[60:1000])
        ]  # fmt: skip
    )
    start = datetime(2015, 1, 1, tzinfo=UTC)
    registered = datetime(2025, 1, 1, tzinfo=UTC)  # then one image every ten seconds
    per_collection = max(1, rows // COLLECTIONS)
    band = rng.integers(0, len(BANDS), rows)
    instrument = rng.integers(0, len(INSTRUMENTS), rows)
    objects = rng.integers(0, len(OBJECTS), rows)
    seconds = rng.uniform(0, 10 * 365.25 * 86400, rows)
    exptime = rng.choice([30.0, 60.0, 90.0, 120.0, 300.0, 600.0, 900.0], rows)
    scale = rng.choice([0.17, 0.187, 0.263, 0.04], rows)
    no_date = rng.random(rows) < 0.03
    collection_ids = [c.pk for c in collections]
    moment_value = connection.ops.adapt_datetimefield_value
    json_value = json.dumps
    empty_list = json_value([])
    for low in range(0, rows, BATCH):
        high = min(rows, low + BATCH)
        images, metas, words = [], [], []
        for i in range(low, high):
            pk = i + 1
            obj = OBJECTS[objects[i]]
            band_i, instrument_i = BANDS[band[i]], INSTRUMENTS[instrument[i]]
            name = f"{instrument_i.lower()}_{pk:07d}_{band_i}.fits"
            moment = None if no_date[i] else start + timedelta(seconds=float(seconds[i]))
            header = {"OBJECT": obj, "FILTER": band_i, "EXPTIME": float(exptime[i]),
                      "INSTRUME": instrument_i, "AIRMASS": 1.0 + (i % 7) / 10}  # fmt: skip
            created = moment_value(registered + timedelta(seconds=10 * pk))
            images.append((
                pk, collection_ids[min(i // per_collection, COLLECTIONS - 1)], obj, name,
                f"/archive/{name}", False, "", f"{pk:064x}", int(8e6 + pk), None, "image",
                2048, 4096, 1, empty_list, empty_list, json_value(header), empty_list, None,
                Image.READY, "", 1.0, 1, None, created, created,
            ))  # fmt: skip
            polygon = [[[round(float(a), 7), round(float(b), 7)] for a, b in data["corners"][i]]]
            metas.append((
                pk, images[-1][1], float(data["ra"][i]), float(data["dec"][i]), float(data["radius"][i]),
                json_value(polygon), obj, obj.replace(" ", "").lower(), band_i,
                instrument_i, TELESCOPES[instrument[i]],
                None if moment is None else moment_value(moment), float(exptime[i]),
                float(scale[i]), "ADU",
            ))  # fmt: skip
            words += [(pk, w) for w in {*obj.lower().split(), obj.replace(" ", "").lower(),
                                        *name[:-5].split("_"), "fits"}]  # fmt: skip
        with transaction.atomic():
            if connection.vendor == "postgresql":  # the rows are consistent: no FK triggers
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            _load(Image._meta.db_table, IMAGE_COLUMNS, images)
            _load(ImageMetadata._meta.db_table, META_COLUMNS, metas)
            _load(SearchWord._meta.db_table, ("image_id", "word"), words)
        if low % 100_000 == 0:
            print(f"  {high:,} images ({time.perf_counter() - started:.0f} s)", flush=True)
    # Cells sorted by (cell, image): their index is appended to, not written at random.
    cells, offsets = data["cells"], data["offsets"]
    owners = np.repeat(np.arange(1, rows + 1, dtype=np.int64), np.diff(offsets))
    order = np.lexsort((owners, cells))
    cells, owners = cells[order], owners[order]
    for low in range(0, len(cells), 20 * BATCH):
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL session_replication_role = replica")
            chunk = slice(low, low + 20 * BATCH)
            _load(
                SkyCell._meta.db_table,
                ("image_id", "cell"),
                zip(owners[chunk].tolist(), cells[chunk].tolist(), strict=True),
            )
    print(f"  cells ({time.perf_counter() - started:.0f} s)", flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT setval('portal_image_id_seq', %s)", [rows + 1])
            cursor.execute("VACUUM ANALYZE")
        else:
            cursor.execute("ANALYZE")
    print(f"populated in {time.perf_counter() - started:.0f} s: {rows:,} images, "
          f"{len(cells):,} cells, {SearchWord.objects.count():,} words")  # fmt: skip
    seen = Collection.objects.visible_to(reader)
    share = Image.objects.visible_to(reader).count() / rows
    print(f"the reader sees {seen.count()} collections, {share:.1%} of the images")
    return reader, superuser, seen.filter(visibility=Collection.PRIVATE).first()


# --- timing ----------------------------------------------------------------------------


def cases(rng, n):
    def cone(radius_low, radius_high):
        return lambda: {
            "ra": f"{rng.uniform(0, 360):.4f}",
            "dec": f"{np.degrees(np.arcsin(rng.uniform(-1, 1))):.4f}",
            "radius": f"{10 ** rng.uniform(np.log10(radius_low), np.log10(radius_high)):.4f}",
        }

    def box():
        ra, dec, size = rng.uniform(0, 360), rng.uniform(-70, 70), rng.uniform(0.2, 3)
        return {"box": f"{ra:.3f},{dec:.3f},{(ra + size) % 360:.3f},{dec + size:.3f}"}

    def contains():
        return {"contains": f"{rng.uniform(0, 360):.4f},{rng.uniform(-80, 80):.4f}"}

    return {
        "cone 0.05-1 deg": cone(0.05, 1),
        "cone 1-5 deg": cone(1, 5),
        "cone 1 deg + filter r": lambda: {**cone(1, 1)(), "filter": "r"},
        "box 0.2-3 deg": box,
        "contains": contains,
        "filter + instrument": lambda: {
            "filter": str(rng.choice(BANDS)),
            "instrument": str(rng.choice(INSTRUMENTS)),
        },  # fmt: skip
        "object": lambda: {"object": str(rng.choice(OBJECTS))},
        "exptime 250-650 s, newest": lambda: {"exptime_min": "250", "exptime_max": "650"},
        "date range (1 month)": lambda: {
            "date_min": f"{2015 + int(rng.integers(0, 10))}-{int(rng.integers(1, 12)):02d}-01",
            "date_max": f"{2015 + int(rng.integers(0, 10))}-12-31",
        },
        "words (q=ngc 12)": lambda: {"q": f"ngc {int(rng.integers(1, 200))}"},
        "header.AIRMASS + filter": lambda: {"header.AIRMASS": "1.3", "filter": "g"},
        "first page, -date_obs": lambda: {},
        "first page, exptime": lambda: {"sort": "exptime"},
        "first page, -id": lambda: {"sort": "-id"},
    }


def _p95(values):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(0.95 * (len(values) - 1))))]


def time_requests(client, make_params, queries):
    """(median ms, p95 ms, p95 CPU ms of this process, p95 ms in SQL statements, number
    of results of the last). On a shared machine the wall clock counts other programs'
    time too: the CPU time of this process (with SQLite, the database's work as well)
    and the statements' time tell what the search costs."""
    from django.db import connection

    durations, cpu, sql = [], [], []

    def timed(execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql[-1] += (time.perf_counter() - started) * 1000

    with connection.execute_wrapper(timed):
        for _ in range(queries):
            params = make_params()
            sql.append(0.0)
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get("/api/images/", params)
            durations.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, response.content[:300]
    count = len(response.json()["results"])
    return statistics.median(durations), _p95(durations), _p95(cpu), _p95(sql), count


def time_page(client, url, repeat=5):
    durations = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        durations.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(durations), max(durations)


def explain(user, params):
    """The plans of the statements a search runs for ``user`` (but the list of the
    collections the user sees): EXPLAIN ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on
    SQLite."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from archive.search import SearchQuery, search

    with CaptureQueriesContext(connection) as captured:
        search(user, SearchQuery.parse(params))
    prefix = "EXPLAIN ANALYZE " if connection.vendor == "postgresql" else "EXPLAIN QUERY PLAN "
    plans = []
    with connection.cursor() as cursor:
        for statement in captured.captured_queries:
            if statement["sql"].startswith('SELECT "portal_collection"."id"'):
                continue
            cursor.execute(prefix + statement["sql"])
            rows = cursor.fetchall()
            lines = [r[0] for r in rows] if len(rows[0]) == 1 else [r[-1] for r in rows]
            plans.append(statement["sql"][:160] + " ...\n  " + "\n  ".join(lines))
    return "\n\n".join(plans)


def run(args, people):
    from django.db import connection
    from django.test import Client

    reader, superuser, collection = people
    limits = {"postgresql": 100, "sqlite": 300}
    limit = limits.get(connection.vendor, 300)
    print(f"\n{connection.vendor}, {args.rows:,} images; p95 target {limit} ms")
    print(f"{'case':32} {'who':10} {'median ms':>10} {'p95 ms':>8} {'p95 CPU':>8} "
          f"{'p95 SQL':>8} {'results':>8}")  # fmt: skip
    failures = []
    for who, user in (("5 % user", reader), ("superuser", superuser)):
        client = Client()
        client.force_login(user)
        client.get("/api/images/", {"sort": "-id"})  # connection and caches warm
        rng = np.random.default_rng(17)
        for name, make in cases(rng, args.queries).items():
            median, p95, cpu, sql, count = time_requests(client, make, args.queries)
            mark = "" if p95 <= limit else "  OVER"
            if mark:
                failures.append((name, who, p95))
            print(f"{name:32} {who:10} {median:10.1f} {p95:8.1f} {cpu:8.1f} {sql:8.1f} "
                  f"{count:8}{mark}")  # fmt: skip
    client = Client()
    client.force_login(superuser)
    for label, url in (
        ("admin image list", "/admin/portal/image/"),
        ("admin collection list", "/admin/portal/collection/"),
        ("collection page (500 images)", collection.get_absolute_url()),
    ):
        median, worst = time_page(client, url)
        mark = "" if worst < 1000 else "  OVER 1 s"
        print(f"{label:32} {'superuser':10} {median:10.1f} {worst:8.1f}{mark}")
    print("\nQuery plans (the reader):")
    for label, params in (
        ("cone 3 deg", {"ra": "150", "dec": "2", "radius": "3"}),
        ("box 2.5 deg", {"box": "150,2,152.5,4.5"}),
        ("filter + instrument", {"filter": "r", "instrument": "HSC"}),
        ("first page, -date_obs", {}),
        ("first page, -id", {"sort": "-id"}),
        ("exptime 250-650 s", {"exptime_min": "250", "exptime_max": "650"}),
        ("words", {"q": "ngc 12"}),
        ("header.AIRMASS + filter", {"header.AIRMASS": "1.3", "filter": "g"}),
    ):
        print(f"-- {label}\n{explain(reader, params)}\n")
    if failures:
        print("over the target:", failures)


if __name__ == "__main__":
    main()
