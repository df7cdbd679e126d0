"""``fitsportal view``: start the portal, register a local file, sign in, see it."""

import contextlib
import http.cookiejar
import os
import shutil
import signal
import socket
import subprocess
import sys
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
    done = subprocess.run(
        [command, "view", str(data), "--no-browser", "--port", str(port), "--var-dir", str(var_dir)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    link = done.stdout.strip().splitlines()[0]
    assert link.startswith(f"http://127.0.0.1:{port}/accounts/once/")
    assert "m42.fits: ready" in done.stdout
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
