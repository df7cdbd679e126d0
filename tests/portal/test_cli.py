"""``fitsportal view``: start the portal, register a local file, sign in, see it."""

import contextlib
import http.cookiejar
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from portal.demo import write_star_field

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def var_dir(tmp_path):
    var = tmp_path / "var"
    yield var
    pid_file = var / "fitsportal-view.pid"
    if pid_file.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pid_file.read_text()), signal.SIGTERM)


def portal_env(var_dir):
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    env["FITSPORTAL_VAR_DIR"] = str(var_dir)
    return env


def view(data, var_dir, *extra):
    command = shutil.which("fitsportal", path=str(Path(sys.executable).parent))
    assert command, "the console script is installed with the package"
    return subprocess.run(
        [command, "view", str(data), "--no-browser", "--var-dir", str(var_dir), *extra],
        env=portal_env(var_dir), capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_view_a_local_file(tmp_path, var_dir):
    data = tmp_path / "night" / "m42.fits"
    data.parent.mkdir()
    write_star_field(data, 600, 500, nstars=100, seed=3, obj="M42 test")
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY")
    }
    env["FITSPORTAL_VAR_DIR"] = str(var_dir)
    command = shutil.which("fitsportal", path=str(Path(sys.executable).parent))
    assert command, "the console script is installed with the package"
    var_dir.mkdir(exist_ok=True)
    (var_dir / "server.json").write_text('{"pid": 999999999, "host": "127.0.0.1", "port": 1}')
    done = subprocess.run(
        [command, "view", str(data), "--no-browser", "--port", str(port), "--var-dir", str(var_dir)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    link = done.stdout.strip().splitlines()[0]
    assert link.startswith(f"http://127.0.0.1:{port}/accounts/once/")  # the stale run file ignored
    assert done.stdout.strip().splitlines()[-1] == "m42.fits: ready"
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(link, timeout=10)
    assert page.status == 200 and "/images/" in page.url
    assert "M42 test" in page.read().decode()
    image_id = page.url.rstrip("/").rsplit("/", 1)[1]
    tile = opener.open(f"http://127.0.0.1:{port}/api/images/{image_id}/tiles/0/0/0.jpg", timeout=10)
    assert tile.headers["Content-Type"] == "image/jpeg"
    # The link works once; strangers see nothing.
    with pytest.raises(urllib.error.HTTPError) as used:
        urllib.request.urlopen(link, timeout=10)
    assert used.value.code == 403
    with pytest.raises(urllib.error.HTTPError) as stranger:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/images/{image_id}/", timeout=10)
    assert stranger.value.code == 404


def test_view_finds_the_portal_running_on_another_port(tmp_path, var_dir):
    """A portal started by hand (``make run PORT=...``) on the same var/ is used, whatever
    port ``view`` is told; no second server starts; the last line is the actual state."""
    data = tmp_path / "m51.fits"
    write_star_field(data, 400, 300, nstars=50, seed=4, obj="M51 test")
    env = dict(portal_env(var_dir), FITSPORTAL_INSECURE_DEV_KEY="1")
    var_dir.mkdir(exist_ok=True)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--port", str(port)],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not (var_dir / "server.json").exists():
            assert server.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        assert json.loads((var_dir / "server.json").read_text()) == {
            "pid": server.pid, "host": "127.0.0.1", "port": port,
        }  # fmt: skip
        other = free_port()
        done = view(data, var_dir, "--port", str(other))
        assert done.returncode == 0, done.stderr[-2000:]
        lines = done.stdout.strip().splitlines()
        assert lines[0].startswith(f"http://127.0.0.1:{port}/accounts/once/")
        assert lines[-1] == "m51.fits: ready"
        assert f"runs on http://127.0.0.1:{port}: using it" in done.stderr
        assert not (var_dir / "fitsportal-view.pid").exists()  # nothing started
        again = view(data, var_dir)  # the same file again: the same image, still ready
        assert again.returncode == 0 and again.stdout.strip().splitlines()[-1] == "m51.fits: ready"
        assert again.stdout.splitlines()[0].startswith(f"http://127.0.0.1:{port}/")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert not (var_dir / "server.json").exists()  # removed when the server stopped
