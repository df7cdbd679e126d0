"""Seeds the browser tests' server: two users, a private collection each, an image."""

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth.models import User  # noqa: E402

from portal.demo import write_star_field  # noqa: E402
from portal.models import Collection  # noqa: E402
from portal.registration import register_path  # noqa: E402

alice = User.objects.create_user("alice", "alice@example.org", "alice-password")
bob = User.objects.create_user("bob", "bob@example.org", "bob-password")
survey = Collection.objects.create(name="Alice survey", slug="alice-survey", owner=alice)
secret = Collection.objects.create(name="Bob secret", slug="bob-secret", owner=bob)
folder = settings.UPLOAD_ROOT / "seed"
folder.mkdir(parents=True, exist_ok=True)
field = write_star_field(folder / "field.fits", 1500, 1100, nstars=600, seed=5, obj="Seed field")
image = register_path(survey, field, user=alice)
hidden = register_path(
    secret, write_star_field(folder / "hidden.fits", 300, 300, nstars=20, seed=6), user=bob
)
# A 3-plane cube, each plane brighter than the last.
import numpy as np  # noqa: E402
from astropy.io import fits  # noqa: E402

planes = np.stack([np.full((300, 400), 100.0 * (k + 1), np.float32) for k in range(3)])
planes += np.random.default_rng(1).normal(0, 1, planes.shape).astype(np.float32)
fits.PrimaryHDU(planes).writeto(folder / "cube.fits")
cube = register_path(survey, folder / "cube.fits", user=alice, title="Seed cube")

# A catalog of five "stars" at known pixels of the field, given in RA/Dec.
from catalogs import storage  # noqa: E402
from portal.demo import star_field_wcs  # noqa: E402

pixels = [(100.0, 100.0), (750.0, 550.0), (1400.0, 1000.0), (300.0, 900.0), (1200.0, 200.0)]
sky = star_field_wcs(1500, 1100).all_pix2world(pixels, 1)
features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(ra), float(dec)]},
             "properties": {"shape": "point", "name": f"star {n}", "x": x, "y": y}}
            for n, ((ra, dec), (x, y)) in enumerate(zip(sky, pixels, strict=True))]  # fmt: skip
catalog = storage.create_catalog(survey, features, name="Known stars", owner=alice)
print(f"image={image.pk} hidden={hidden.pk} catalog={catalog.pk} cube={cube.pk}")
