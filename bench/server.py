"""A real portal for the scripts that attack one: uvicorn as ``make run`` starts it
(DEBUG off, SQLite, embedded worker) over a ``var/`` of its own, and ``manage.py`` on it."""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Portal:
    """``with Portal(var, FITSPORTAL_X="1") as portal:`` one server over ``var``, its
    output in ``var/server-<port>.log``; ``portal.manage(...)`` runs a command beside it."""

    def __init__(self, var, **env):
        self.var = Path(var)
        self.env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        self.env.update(FITSPORTAL_VAR_DIR=str(var), FITSPORTAL_INSECURE_DEV_KEY="1", DEBUG="0",
                        DJANGO_SETTINGS_MODULE="portal.settings", PYTHONPATH=str(ROOT))  # fmt: skip
        self.env.update(env)
        self.server = None

    def manage(self, *args, **env):
        return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env={**self.env, **env},
                              capture_output=True, text=True)  # fmt: skip

    def shell(self, code):
        """What ``code`` prints, run by ``manage.py shell`` (a failure ends the script)."""
        done = self.manage("shell", "-c", code)
        if done.returncode:
            raise SystemExit(f"manage.py shell failed:\n{done.stderr[-2000:]}")
        return done.stdout

    def start(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.var.mkdir(parents=True, exist_ok=True)
        with open(self.var / f"server-{self.port}.log", "wb") as log:
            self.server = subprocess.Popen(
                [PYTHON, "-m", "uvicorn", "portal.asgi:application", "--port", str(self.port),
                 "--no-access-log"], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if self.server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the server did not start:\n{self.log()}") from None
                time.sleep(0.2)

    def alive(self):
        return self.server is not None and self.server.poll() is None

    def log(self):
        return (self.var / f"server-{self.port}.log").read_text(errors="replace")[-3000:]

    def stop(self):
        if self.alive():
            self.server.terminate()
            self.server.wait(timeout=60)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
