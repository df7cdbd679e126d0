"""Catalog spatial query benchmark: a bounding box returning ~1,000 of 100,000 features,
through the REST endpoint (in-process client, JSON included). SQLite by default; run with
``DATABASE_URL=postgres://...`` for PostgreSQL (a throwaway test database is created).

Run: ``python bench/catalog_query.py [--features N] [--queries Q]``.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--features", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("FITSPORTAL_INSECURE_DEV_KEY", "1")
    os.environ.setdefault("FITSPORTAL_VAR_DIR", tempfile.mkdtemp(prefix="fitsportal-catalog-"))
    import django

    django.setup()
    from django.test.runner import DiscoverRunner
    from django.test.utils import setup_test_environment

    setup_test_environment()
    runner = DiscoverRunner(verbosity=0)
    old = runner.setup_databases()
    try:
        run(args)
    finally:
        runner.teardown_databases(old)


def run(args):
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from catalogs import storage
    from portal.models import Collection

    rng = np.random.default_rng(3)
    # A survey of 10 x 10 degrees around RA 0 (it wraps), the density of a deep field.
    ra = rng.uniform(-5, 5, args.features) % 360
    dec = rng.uniform(-5, 5, args.features)
    owner = get_user_model().objects.create_user("owner")
    collection = Collection.objects.create(
        name="c", slug="c", owner=owner, visibility=Collection.PUBLIC
    )
    start = time.perf_counter()
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(a), float(d)]},
                 "properties": {"shape": "point", "mag": float(m)}}
                for a, d, m in zip(ra, dec, rng.uniform(15, 25, args.features), strict=True)]  # fmt: skip
    catalog = storage.create_catalog(collection, features, name="deep")
    load = time.perf_counter() - start
    client = Client()
    # A box of 1 x 1 degree holds ~1,000 of the 100,000.
    times, counts = [], []
    for _ in range(args.queries):
        ra0, dec0 = rng.uniform(-4, 3), rng.uniform(-4, 3)
        url = f"/api/catalogs/{catalog.pk}/features/?bbox={ra0 % 360},{dec0},{(ra0 + 1) % 360},{dec0 + 1}"
        begin = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - begin)
        counts.append(response.json()["count"])
    times.sort()
    print(f"catalog bbox query on {connection.vendor}: {args.features:,} features (loaded in {load:.1f} s); "
          f"~{statistics.median(counts):.0f} returned per query; p50 {statistics.median(times) * 1e3:.1f} ms, "
          f"p90 {times[int(0.9 * (len(times) - 1))] * 1e3:.1f} ms over {args.queries} queries")  # fmt: skip


if __name__ == "__main__":
    main()
