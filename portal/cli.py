"""``fitsportal view image.fits``: look at a local file the way VisiOmatic users do.

Uses the portal already serving the ``var/`` directory, on whatever port it listens
(``var/server.json``, see ``portal.runfile``), or starts one (on ``--port``, 8000 by
default) -- never a second one on the same files. Registers the file in place in the
private collection "local" of the local user, opens the viewer in the default browser
(signed in through a one-time link) or prints the link, warms the pyramid meanwhile, and
ends with the image's actual state: ``ready``, ``failed: <reason>``, or still warming
after ``--wait`` seconds.
"""

import argparse
import contextlib
import fcntl
import getpass
import os
import secrets
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path

import django
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse

from portal import runfile
from tiles.engine import file_checksum

ROOT = Path(__file__).resolve().parent.parent
BANNER = b"fitsportal IIP server"
DEFAULT_PORT = 8000


def answering(base):
    try:
        with urllib.request.urlopen(f"{base}/iip/", timeout=2) as response:
            return BANNER in response.read(200)
    except OSError:
        return False


def start_server(host, port, env):
    """Start the portal in the background; its ``Popen``."""
    log = open(Path(env["FITSPORTAL_VAR_DIR"]) / "fitsportal-view.log", "ab")  # noqa: SIM115 (detached)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--host", host, "--port", str(port),
         "--no-access-log", "--http", "portal.http_protocol:BoundedHttpToolsProtocol"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    (Path(env["FITSPORTAL_VAR_DIR"]) / "fitsportal-view.pid").write_text(str(server.pid))
    return server


@contextlib.contextmanager
def starting(var_dir):
    """Held while looking for or starting the portal: two ``view`` at once start one."""
    Path(var_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(var_dir) / "server.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def base_url(host, port):
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def portal_for(var_dir, host, port, timeout=30):
    """The base URL of the portal serving ``var_dir``: the running one, wherever it
    listens, or one started on ``host:port``. ``SystemExit`` with the reason if none."""
    with starting(var_dir):
        live = runfile.live_server(var_dir)
        if live is not None:
            base = base_url(live["host"], live["port"])
            if port is not None and port != live["port"]:
                print(f"fitsportal: the portal of {var_dir} runs on {base}: using it "
                      f"(not port {port}).", file=sys.stderr)  # fmt: skip
            if not wait_answering(base, timeout, alive=lambda: runfile.live_server(var_dir)):
                raise SystemExit(f"fitsportal: the portal of {var_dir} (pid {live['pid']}) "
                                 f"does not answer on {base}.")  # fmt: skip
            return base
        base = base_url(host, port or DEFAULT_PORT)
        if answering(base):
            raise SystemExit(f"fitsportal: another portal (not serving {var_dir}) answers on "
                             f"{base}: choose a free --port.")  # fmt: skip
        server = start_server(host, port or DEFAULT_PORT, dict(os.environ))

        def ours():
            live = runfile.live_server(var_dir)
            return server.poll() is None and (live is None or live["pid"] == server.pid)

        if not wait_answering(base, timeout, alive=ours):
            raise SystemExit(f"fitsportal: the portal did not start on {base} "
                             f"(see {Path(var_dir) / 'fitsportal-view.log'}).")  # fmt: skip
        return base


def wait_answering(base, timeout, alive):
    deadline = time.monotonic() + timeout
    while alive():
        if answering(base):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return False


def setup_django(var_dir):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("FITSPORTAL_VAR_DIR", str(var_dir))
    secret = Path(var_dir) / "secret_key"
    if "SECRET_KEY" not in os.environ:
        if not secret.exists():
            secret.parent.mkdir(parents=True, exist_ok=True)
            secret.write_text(secrets.token_urlsafe(50))
            secret.chmod(0o600)
        os.environ["SECRET_KEY"] = secret.read_text().strip()
    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


def register(path):
    """The Image for ``path`` in the local user's private "local" collection."""
    # Models exist once ``setup_django`` has run.
    from portal.models import Collection, Image
    from portal.registration import RegistrationError, register_path

    name = os.environ.get("FITSPORTAL_LOCAL_USER") or getpass.getuser() or "local"
    user, created = get_user_model().objects.get_or_create(username=name)
    if created:
        user.set_unusable_password()
        user.save()
    collection, _ = Collection.objects.get_or_create(
        slug=f"local-{user.pk}", defaults={"name": f"{name}'s local files", "owner": user}
    )
    real = path.resolve()
    existing = (
        Image.objects.filter(collection=collection)
        .filter(Q(path=str(real)) | Q(source_path=str(real)))
        .first()
    )
    if existing is not None and unchanged(existing, real):
        return user, existing
    settings.DATA_ROOTS = [*settings.DATA_ROOTS, real.parent]  # the user's own file, from the shell
    settings.WARM_ON_REGISTER = False  # warmed below, in this process
    try:
        return user, register_path(collection, real)
    except RegistrationError as exc:
        raise SystemExit(f"fitsportal: {exc.message}") from exc


def unchanged(image, real):
    """Whether ``real`` is still the file ``image`` was registered from."""
    if image.source_path == str(real):  # decompressed at registration: the original's age
        return real.stat().st_mtime < image.created.timestamp()
    return image.checksum == file_checksum(real)


def settled(image, timeout):
    """``image`` once ready or failed, or as it is after ``timeout`` seconds (the warm
    may run in the portal's worker rather than here)."""
    deadline = time.monotonic() + timeout
    while image.state not in (image.READY, image.FAILED) and time.monotonic() < deadline:
        time.sleep(0.5)
        image.refresh_from_db()
    return image


def state_line(image, base, timeout):
    if image.state == image.READY:
        return f"{image.name}: ready"
    if image.state == image.FAILED:
        return f"{image.name}: failed: {image.state_reason}"
    return (f"{image.name}: still {image.state} ({image.progress:.0%}) after {timeout:g} s; "
            f"the portal at {base} goes on.")  # fmt: skip


def sign_in_link(base, user, image):
    token = signing.TimestampSigner(salt="fitsportal.view").sign(str(user.pk))
    return f"{base}{reverse('one-time-login', args=[token])}?next={image.get_absolute_url()}"


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="fitsportal", description="fitsportal on the command line"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    view = commands.add_parser("view", help="open a FITS file in the local portal")
    view.add_argument("file", type=Path)
    view.add_argument("--host", default="127.0.0.1")
    view.add_argument(
        "--port", type=int, default=None,
        help=f"where to start the portal if none serves --var-dir (default {DEFAULT_PORT})",
    )  # fmt: skip
    view.add_argument(
        "--no-browser", action="store_true", help="print the link instead of opening it"
    )
    view.add_argument(
        "--var-dir", type=Path, default=Path(os.environ.get("FITSPORTAL_VAR_DIR", ROOT / "var"))
    )
    view.add_argument(
        "--wait", type=float, default=600, help="seconds to wait for the warm (default 600)"
    )
    args = parser.parse_args(argv)
    if not args.file.is_file():
        raise SystemExit(f"fitsportal: {args.file}: no such file.")
    setup_django(args.var_dir)
    user, image = register(args.file)
    base = portal_for(args.var_dir, args.host, args.port)
    link = sign_in_link(base, user, image)
    if args.no_browser:
        print(link, flush=True)
    else:
        print(f"Opening {base}{image.get_absolute_url()}", flush=True)
        webbrowser.open(link)
    if image.state != image.READY:
        image.warm(wait=True)  # a no-op if the portal warms it already
        image.refresh_from_db()
        image = settled(image, args.wait)
    print(state_line(image, base, args.wait), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
