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
from portal.demo import star_field, star_field_wcs  # noqa: E402

pixels = [(100.0, 100.0), (750.0, 550.0), (1400.0, 1000.0), (300.0, 900.0), (1200.0, 200.0)]
sky = star_field_wcs(1500, 1100).all_pix2world(pixels, 1)
features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(ra), float(dec)]},
             "properties": {"shape": "point", "name": f"star {n}", "x": x, "y": y}}
            for n, ((ra, dec), (x, y)) in enumerate(zip(sky, pixels, strict=True))]  # fmt: skip
catalog = storage.create_catalog(survey, features, name="Known stars", owner=alice)
# A public image of an odd size, for clients that come without an account (VisiOmatic's).
public_sky = Collection.objects.create(
    name="Public sky", slug="public-sky", owner=alice, visibility=Collection.PUBLIC
)
odd = write_star_field(folder / "odd.fits", 983, 1061, nstars=300, seed=7, obj="Odd field")
public = register_path(public_sky, odd, user=alice)
# A public 2 x 2 mosaic of 300 x 400 amplifiers, the top right one read out flipped in x;
# each extension carries its own WCS (in its own pixels) of one 600 x 800 field.
mosaic_wcs = star_field_wcs(600, 800)
whole = star_field(600, 800, nstars=200, seed=8)
hdus = [fits.PrimaryHDU()]
for k, (x0, y0) in enumerate([(0, 0), (300, 0), (0, 400), (300, 400)]):
    flip = k == 3
    part = whole[y0 : y0 + 400, x0 : x0 + 300]
    header = mosaic_wcs.to_header()
    header["CRPIX1"] = (
        (x0 + 301 - mosaic_wcs.wcs.crpix[0]) if flip else mosaic_wcs.wcs.crpix[0] - x0
    )
    header["CRPIX2"] = mosaic_wcs.wcs.crpix[1] - y0
    if flip:
        for key in ("PC1_1", "PC2_1"):
            header[key] = -header[key]
    header["DETSEC"] = f"[{x0 + 300}:{x0 + 1},{y0 + 1}:{y0 + 400}]" if flip else \
        f"[{x0 + 1}:{x0 + 300},{y0 + 1}:{y0 + 400}]"  # fmt: skip
    header["DATASEC"] = "[1:300,1:400]"
    header["EXTNAME"] = f"AMP{k + 1}"
    hdus.append(fits.ImageHDU(part[:, ::-1] if flip else part, header))
fits.HDUList(hdus).writeto(folder / "mosaic.fits")
mosaic = register_path(public_sky, folder / "mosaic.fits", user=alice)
public_cube = register_path(public_sky, folder / "cube.fits", user=alice, title="Public cube")
# For the XSS test: an attacker who stores payloads through the API, and an administrator
# who opens the admin pages.
User.objects.create_user("mallory", "mallory@example.org", "mallory-password")
User.objects.create_superuser("root", "root@example.org", "root-password")
print(
    f"public_cube={public_cube.pk} image={image.pk} hidden={hidden.pk} catalog={catalog.pk} cube={cube.pk} public={public.pk} "
    f"mosaic={mosaic.pk}"
)
# For the visual checks: a private collection of alice's holding a 512 x 384 test pattern
# on a gentle sky gradient (100 to 130), five flat-topped "stars" (disks of radius 6
# pixels) of known levels at known pixels, given by a catalog in RA/Dec (a TAN WCS
# elsewhere on the sky than the fields above).
from astropy.wcs import WCS  # noqa: E402

checks = Collection.objects.create(name="Visual checks", slug="visual-checks", owner=alice)
rows, columns = np.mgrid[1:385, 1:513]
pattern = (100.0 + 20.0 * columns / 512 + 10.0 * rows / 384).astype(np.float32)
stars_at = {(100, 100): 200.0, (256, 192): 300.0, (400, 300): 500.0, (150, 300): 700.0,
            (420, 90): 800.0}  # fmt: skip
for (x, y), level in stars_at.items():
    pattern[(columns - x) ** 2 + (rows - y) ** 2 <= 36] = level
pattern_wcs = WCS(naxis=2)
pattern_wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
pattern_wcs.wcs.crval = [210.8, 54.35]
pattern_wcs.wcs.crpix = [256.5, 192.5]
pattern_wcs.wcs.cdelt = [-0.5 / 3600, 0.5 / 3600]
pattern_header = pattern_wcs.to_header()
pattern_header["OBJECT"] = "Test pattern"
pattern_header["BUNIT"] = "ADU"
fits.PrimaryHDU(pattern, pattern_header).writeto(folder / "stars.fits")
stars = register_path(checks, folder / "stars.fits", user=alice, title="Test pattern")
sky = pattern_wcs.all_pix2world([list(p) for p in stars_at], 1)
features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [float(ra), float(dec)]},
             "properties": {"name": f"pattern star {n}", "level": level}}
            for n, ((ra, dec), level) in enumerate(zip(sky, stars_at.values(), strict=True))]  # fmt: skip
stars_catalog = storage.create_catalog(checks, features, name="Pattern stars", owner=alice)
print(f"stars={stars.pk} stars_catalog={stars_catalog.pk}")
# For the sky map and the collection cards: dora's private collection, seen by no other
# test's user: three images of one object in three filters (the cards must tell them
# apart), two wide footprints across RA 0h and 12h, and 52 small images at one place
# (more than one page of results).
dora = User.objects.create_user("dora", "dora@example.org", "dora-password")
edges = Collection.objects.create(name="Dora edges", slug="dora-edges", owner=dora)


def write_tan(name, ra, dec, width, height, arcsec, **cards):
    """A constant image with a TAN WCS centred on (ra, dec), ``arcsec`` per pixel."""
    wcs = WCS(naxis=2)
    wcs.wcs.ctype = ["RA---TAN", "DEC--TAN"]
    wcs.wcs.crval = [ra, dec]
    wcs.wcs.crpix = [(width + 1) / 2, (height + 1) / 2]
    wcs.wcs.cdelt = [-arcsec / 3600, arcsec / 3600]
    header = wcs.to_header()
    for key, value in cards.items():
        header[key.replace("_", "-")] = value
    data = np.full((height, width), 1000, np.uint16)
    fits.PrimaryHDU(data, header).writeto(folder / name)
    return folder / name


trio = {}
for band, date, seconds in [("g", "2024-01-10T03:00:00", 60.0), ("r", "2024-01-10T03:10:00", 90.0),
                            ("i", "2024-01-10T03:20:00", 120.0)]:  # fmt: skip
    trio[band] = register_path(edges, write_tan(f"m42_{band}.fits", 83.82, -5.39, 200, 160, 1.0,
                               OBJECT="M42", FILTER=band, DATE_OBS=date, EXPTIME=seconds), user=dora)  # fmt: skip
# 20 x 10 degrees each (720 x 360 pixels of 100 arcsec)
across_0 = register_path(edges, write_tan("across0.fits", 0.5, 10.0, 720, 360, 100.0,
                                          OBJECT="Across zero"), user=dora)  # fmt: skip
across_12h = register_path(edges, write_tan("across12h.fits", 179.5, -20.0, 720, 360, 100.0,
                                            OBJECT="Across twelve"), user=dora)  # fmt: skip
crowd = Collection.objects.create(name="Dora crowd", slug="dora-crowd", owner=dora)
for k in range(52):
    register_path(crowd, write_tan(f"crowd_{k:02d}.fits", 30.0 + k * 0.01, 40.0, 16, 16, 2.0,
                                   OBJECT="Crowd", EXPTIME=float(k + 1)), user=dora)  # fmt: skip
print(f"m42_g={trio['g'].pk} across_0={across_0.pk} across_12h={across_12h.pk}")
