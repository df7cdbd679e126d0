"""``fitsportal view image.fits``: look at a local file the way VisiOmatic users do.

Starts the embedded portal if none answers at the address, registers the file in place in
the private collection "local" of the local user, opens the viewer in the default browser
(signed in through a one-time link) or prints the link, and warms the pyramid meanwhile.
"""

import argparse
import getpass
import os
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BANNER = b"fitsportal IIP server"


def answering(base):
    try:
        with urllib.request.urlopen(f"{base}/iip/", timeout=2) as response:
            return BANNER in response.read(200)
    except OSError:
        return False


def start_server(host, port, env):
    log = open(Path(env["FITSPORTAL_VAR_DIR"]) / "fitsportal-view.log", "ab")  # noqa: SIM115 (detached)
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "portal.asgi:application", "--host", host, "--port", str(port),
         "--no-access-log"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    (Path(env["FITSPORTAL_VAR_DIR"]) / "fitsportal-view.pid").write_text(str(server.pid))


def setup_django(var_dir):
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    os.environ.setdefault("FITSPORTAL_VAR_DIR", str(var_dir))
    secret = Path(var_dir) / "secret_key"
    if "SECRET_KEY" not in os.environ:
        if not secret.exists():
            import secrets

            secret.parent.mkdir(parents=True, exist_ok=True)
            secret.write_text(secrets.token_urlsafe(50))
            secret.chmod(0o600)
        os.environ["SECRET_KEY"] = secret.read_text().strip()
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def register(path):
    """The Image for ``path`` in the local user's private "local" collection."""
    from django.conf import settings
    from django.contrib.auth import get_user_model

    from portal.models import Collection, Image
    from portal.registration import RegistrationError, register_path
    from tiles.engine import file_checksum

    name = os.environ.get("FITSPORTAL_LOCAL_USER") or getpass.getuser() or "local"
    user, created = get_user_model().objects.get_or_create(username=name)
    if created:
        user.set_unusable_password()
        user.save()
    collection, _ = Collection.objects.get_or_create(
        slug=f"local-{user.pk}", defaults={"name": f"{name}'s local files", "owner": user}
    )
    real = path.resolve()
    existing = Image.objects.filter(collection=collection, path=str(real)).first()
    if existing is not None and existing.checksum == file_checksum(real):
        return user, existing
    settings.DATA_ROOTS = [*settings.DATA_ROOTS, real.parent]  # the user's own file, from the shell
    settings.WARM_ON_REGISTER = False  # warmed below, in this process
    try:
        return user, register_path(collection, real)
    except RegistrationError as exc:
        raise SystemExit(f"fitsportal: {exc.message}") from exc


def sign_in_link(base, user, image):
    from django.core import signing
    from django.urls import reverse

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
    view.add_argument("--port", type=int, default=8000)
    view.add_argument(
        "--no-browser", action="store_true", help="print the link instead of opening it"
    )
    view.add_argument(
        "--var-dir", type=Path, default=Path(os.environ.get("FITSPORTAL_VAR_DIR", ROOT / "var"))
    )
    args = parser.parse_args(argv)
    if not args.file.is_file():
        raise SystemExit(f"fitsportal: {args.file}: no such file.")
    base = f"http://{args.host}:{args.port}"
    setup_django(args.var_dir)
    user, image = register(args.file)
    if not answering(base):
        start_server(args.host, args.port, dict(os.environ))
        deadline = time.monotonic() + 30
        while not answering(base):
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"fitsportal: the portal did not start on {base} (see {args.var_dir})."
                )
            time.sleep(0.2)
    link = sign_in_link(base, user, image)
    if args.no_browser:
        print(link, flush=True)
    else:
        print(f"Opening {base}{image.get_absolute_url()}", flush=True)
        webbrowser.open(link)
    from tiles.tasks import warm_signature

    if image.state != image.READY:
        warm_signature(image.pk).apply()
        image.refresh_from_db()
        print(
            f"{image.name}: {image.state}{': ' + image.state_reason if image.state_reason else ''}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
