"""Warm of the 8192^2 float32 image end to end through Celery: a real worker process,
Redis as broker (``REDIS_URL``, default redis://127.0.0.1:6379/0), SQLite shared by the
benchmark and the worker. Reports wall time from queueing to ``ready`` and the worker's
peak resident memory (anonymous, and with mapped file pages).

Run: ``python bench/warm_celery.py`` (``make bench`` runs it when Redis answers).
"""

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.images import BENCH_DIR, field8k  # noqa: E402


def rss_of(process):
    """(anonymous MB, total MB) of a process and its children."""
    anon = total = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            info = proc.memory_full_info()
        except psutil.Error:
            continue
        total += info.rss
        anon += info.rss - info.shared
    return anon / 2**20, total / 2**20


def main():
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    path = field8k()
    var = Path(tempfile.mkdtemp(prefix="fitsportal-warm-"))
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(DJANGO_SETTINGS_MODULE="portal.settings", FITSPORTAL_VAR_DIR=str(var), REDIS_URL=redis_url,
               FITSPORTAL_INSECURE_DEV_KEY="1", FITSPORTAL_DATA_ROOTS=str(BENCH_DIR), PYTHONPATH=str(ROOT),
               FITSPORTAL_WARM_ON_REGISTER="0")  # fmt: skip
    os.environ.update(env)
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    subprocess.run([python, "-m", "celery", "-A", "portal", "purge", "-f"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    worker = subprocess.Popen(
        [python, "-m", "celery", "-A", "portal", "worker", "--concurrency=1", "--pool=solo", "--loglevel=WARNING"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    try:
        import django

        django.setup()
        from django.contrib.auth import get_user_model

        from portal import jobs
        from portal.models import Collection, Image
        from portal.registration import register_path
        from portal.tasks import worker_identity
        from tiles.tasks import warm_signature

        jobs.submit(worker_identity.si()).get(timeout=60)  # the worker is up
        owner = get_user_model().objects.create_user("bench-owner")
        collection = Collection.objects.create(name="warm", slug="warm", owner=owner)
        image = register_path(collection, path)
        handle = psutil.Process(worker.pid)
        peak_anon = peak_total = 0.0
        start = time.perf_counter()
        jobs.submit(warm_signature(image.pk))
        while True:
            anon, total = rss_of(handle)
            peak_anon, peak_total = max(peak_anon, anon), max(peak_total, total)
            state = Image.objects.values_list("state", flat=True).get(pk=image.pk)
            if state in (Image.READY, Image.FAILED):
                break
            if time.perf_counter() - start > 120:
                raise SystemExit("no answer from the worker in 120 s")
            time.sleep(0.02)
        wall = time.perf_counter() - start
        print(f"warm of the 8192^2 image through Celery + Redis: {state} in {wall:.2f} s; worker peak RSS "
              f"{peak_anon:.0f} MB anonymous, {peak_total:.0f} MB with mapped file pages")  # fmt: skip
    finally:
        worker.terminate()
        worker.wait(timeout=30)


if __name__ == "__main__":
    main()
