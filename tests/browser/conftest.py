"""A real server (uvicorn, ASGI, embedded mode) and a real browser (Debian's Chromium).

The server runs in its own process on a free port with its own SQLite database and
data directory, seeded by ``seed.py``; the browser is driven by Playwright. Screenshots
of each test are kept under ``test-artifacts/browser``.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FITSPORTAL_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def external_origin():
    """An origin of another site, allowed by the portal's CORS list."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def server(tmp_path_factory, external_origin):
    """Base URL of a seeded portal; ``server.seed`` holds what ``seed.py`` created."""
    var = tmp_path_factory.mktemp("portal-var")
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FITSPORTAL_VAR_DIR=str(var), FITSPORTAL_INSECURE_DEV_KEY="1", DEBUG="0",
               DJANGO_SETTINGS_MODULE="portal.settings", PYTHONPATH=str(ROOT),
               CORS_ALLOWED_ORIGINS=external_origin)  # fmt: skip
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    seeded = subprocess.run(
        [python, str(Path(__file__).with_name("seed.py"))], cwd=ROOT, env=env, check=True,
        capture_output=True, text=True,
    )  # fmt: skip
    port = free_port()
    log = open(var / "server.log", "w")  # noqa: SIM115 (closed at teardown)
    process = subprocess.Popen(
        [python, "-m", "uvicorn", "portal.asgi:application", "--host", "127.0.0.1", "--port", str(port),
         "--http", "portal.http_protocol:BoundedHttpToolsProtocol"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/", timeout=2)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                log.close()
                pytest.fail(
                    "The server did not start:\n" + (var / "server.log").read_text()[-3000:]
                )
            time.sleep(0.2)
    info = dict(line.split("=", 1) for line in seeded.stdout.split() if "=" in line)
    yield type("Server", (), {"url": base, "seed": info, "var": var})
    process.terminate()
    process.wait(timeout=20)
    log.close()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium is missing at {CHROMIUM}: apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    # Playwright's wait_for_function evaluates its predicate with eval(), which the
    # portal's Content-Security-Policy forbids; test_xss.py drives the pages under it.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, bypass_csp=True)
    page = context.new_page()
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()


# The two screens the viewer is checked on: a laptop and a phone (touch, no hover).
SCREENS = {
    "desktop": {"viewport": {"width": 1400, "height": 900}},
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True},
}


@pytest.fixture(params=sorted(SCREENS))
def screen(browser, request):
    """A page at each of ``SCREENS`` (the test runs once per screen): ``screen.page``,
    ``screen.name``; ``screen.shot(step)`` saves ``<test>-<step>.png`` among the
    artefacts, and the last state is saved at teardown."""
    context = browser.new_context(bypass_csp=True, **SCREENS[request.param])
    page = context.new_page()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    base = request.node.name.replace("[", "-").replace("]", "")

    def shot(step):
        page.screenshot(path=str(ARTIFACTS / f"{base}-{step}.png"))

    yield type("Screen", (), {"page": page, "name": request.param, "shot": staticmethod(shot)})
    shot("end")
    context.close()


def log_in(page, server, username, password):
    page.goto(server.url + "/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


@pytest.fixture
def login():
    return log_in


def pytest_sessionstart(session):
    shutil.rmtree(ARTIFACTS, ignore_errors=True)
