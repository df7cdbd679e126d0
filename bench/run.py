"""``make bench``: every benchmark, one after the other (the Celery one when Redis answers),
the attacks in their quick form."""

import os
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

HERE = Path(__file__).resolve().parent


def redis_answers():
    url = urlparse(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=1):
            return True
    except OSError:
        return False


scripts = ["engine.py", "tiles_http.py", "catalog_query.py", "attacks.py --quick"] + (
    ["warm_celery.py"] if redis_answers() else []
)
for script in scripts:
    print(f"--- bench/{script}", flush=True)
    name, *args = script.split()
    subprocess.run([sys.executable, str(HERE / name), *args], check=True)
if "warm_celery.py" not in scripts:
    print("--- bench/warm_celery.py skipped: no Redis at REDIS_URL")
