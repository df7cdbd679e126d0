"""Create the demo: an admin account, a public collection and a generated star field."""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

from portal.demo import write_star_field
from portal.models import Collection
from portal.registration import register_path


class Command(BaseCommand):
    help = "Seed the demo admin account and demo image (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=4096, help="demo image width and height")

    def handle(self, size, **options):
        admin = self._admin()
        collection, _ = Collection.objects.get_or_create(
            slug="demo",
            defaults={
                "name": "Demo",
                "description": "A generated star field with a TAN WCS.",
                "owner": admin,
                "visibility": Collection.PUBLIC,
            },
        )
        if collection.images.exists():
            self.stdout.write("Demo image already registered.")
            return
        folder = settings.UPLOAD_ROOT / "demo"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "demo-starfield.fits"
        if not path.exists():
            self.stdout.write(f"Generating a {size}x{size} star field ...")
            write_star_field(path, size, size, nstars=size * size // 5000, obj="Demo star field")
        image = register_path(collection, path, user=admin, title="Demo star field")
        self.stdout.write(f"Registered the demo image as /images/{image.pk}/")

    def _admin(self):
        User = get_user_model()
        username = os.environ.get("FITSPORTAL_ADMIN_USER", "admin")
        user = User.objects.filter(username=username).first()
        if user is not None:
            return user
        password = os.environ.get("FITSPORTAL_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        user = User.objects.create_superuser(username, f"{username}@localhost", password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Created the admin account: user '{username}', password '{password}' "
                "(shown once; set FITSPORTAL_ADMIN_PASSWORD to choose it)."
            )
        )
        return user
