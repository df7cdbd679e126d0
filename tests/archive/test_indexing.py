"""Searchable metadata at registration: footprints from the WCS (a mosaic's is the
union of its extensions'), the keyword mapping and its setting, dates and times, the
refill of images registered before (command and migration's function)."""

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS
from django.core.management import call_command

from archive import indexing, keywords, sky
from archive.models import ImageMetadata, SearchWord, SkyCell
from portal.demo import star_field_wcs
from portal.models import Image
from portal.registration import register_path
from tests.archive import skyref
from tiles.engine import inspect_fits

pytestmark = pytest.mark.django_db


def write(path, header_extras=None, width=300, height=200, ra=150.1, dec=2.2):
    header = star_field_wcs(width, height, ra=ra, dec=dec).to_header()
    header.update(header_extras or {})
    fits.PrimaryHDU(np.zeros((height, width), np.float32), header).writeto(path)
    return path


def register(settings, collections, name, **kwargs):
    path = write(settings.UPLOAD_ROOT / name, **kwargs)
    return register_path(collections["public"], path)


def test_a_registered_image_gets_its_footprint_and_columns(settings, collections):
    image = register(settings, collections, "a.fits", header_extras={
        "OBJECT": "M 42", "FILTER": "Ha", "INSTRUME": "WFI", "TELESCOP": "MPG/ESO 2.2",
        "DATE-OBS": "2023-11-02T01:02:03.5", "EXPTIME": 120, "BUNIT": "ADU",
    })  # fmt: skip
    meta = ImageMetadata.objects.get(image=image)
    assert (meta.object, meta.object_key, meta.band) == ("M 42", "m42", "Ha")
    assert (meta.instrument, meta.telescope, meta.bunit) == ("WFI", "MPG/ESO 2.2", "ADU")
    assert meta.date_obs.isoformat() == "2023-11-02T01:02:03.500000+00:00"
    assert meta.exptime == 120 and meta.pixel_scale == pytest.approx(0.4)
    wcs = star_field_wcs(300, 200)
    expected = wcs.calc_footprint(axes=(300, 200), center=False)
    got = np.array(meta.polygons[0])
    assert sky.angle(sky.unit_vectors(*got.T), sky.unit_vectors(*expected.T)).max() < 1e-6
    assert meta.ra == pytest.approx(150.1, abs=1e-3) and meta.dec == pytest.approx(2.2, abs=1e-3)
    assert SkyCell.objects.filter(image=image).exists()
    assert {"m", "42", "m42", "a", "fits"} <= set(
        SearchWord.objects.filter(image=image).values_list("word", flat=True)
    )


def test_a_change_reindexes(settings, collections):
    image = register(settings, collections, "b.fits", header_extras={"OBJECT": "Old"})
    image.header = {**image.header, "OBJECT": "New name", "CRVAL1": 10.0}
    image.save()
    meta = ImageMetadata.objects.get(image=image)
    assert meta.object == "New name" and meta.ra == pytest.approx(10.0, abs=1e-3)


def test_a_mosaic_footprint_is_the_union_of_its_extensions(settings, collections):
    """Two 200 x 100 amplifiers side by side, each with its own WCS: two parts; a point
    on the second only is found by a contains search."""
    whole = star_field_wcs(400, 100)
    hdus = [fits.PrimaryHDU(header=fits.Header({"OBJECT": "Mosaic field", "FILTER": "i"}))]
    for k in range(2):
        header = whole.to_header()
        header["CRPIX1"] = whole.wcs.crpix[0] - 200 * k
        header["DETSEC"] = f"[{200 * k + 1}:{200 * k + 200},1:100]"
        header["DATASEC"] = "[1:200,1:100]"
        hdus.append(fits.ImageHDU(np.zeros((100, 200), np.float32), header))
    path = settings.UPLOAD_ROOT / "mosaic.fits"
    fits.HDUList(hdus).writeto(path)
    image = register_path(collections["public"], path)
    meta = ImageMetadata.objects.get(image=image)
    assert image.kind == "mosaic" and len(meta.polygons) == 2
    assert (meta.object, meta.band) == ("Mosaic field", "i")  # from the primary header
    for k in range(2):
        part = whole.deepcopy()
        part.wcs.crpix[0] -= 200 * k
        expected = part.calc_footprint(axes=(200, 100), center=False)
        got = np.array(meta.polygons[k])
        assert sky.angle(sky.unit_vectors(*got.T), sky.unit_vectors(*expected.T)).max() < 1e-6
    inside_second = whole.pixel_to_world(300, 50)
    from rest_framework.test import APIClient

    found = (
        APIClient()
        .get("/api/images/", {"contains": f"{inside_second.ra.deg},{inside_second.dec.deg}"})
        .json()["results"]
    )
    assert [r["id"] for r in found] == [image.pk]
    assert len(found[0]["metadata"]["polygons"]) == 2


@pytest.mark.parametrize(
    ("extras", "band"),
    [
        ({"FILTER": "r'"}, "r'"),
        ({"FILTNAM1": "F606W"}, "F606W"),  # HST WFPC2
        ({"FILTER1": "CLEAR1L", "FILTER2": "F814W"}, "F814W"),  # HST ACS: a clear wheel
        ({"BAND": "Ks"}, "Ks"),
        ({}, ""),
    ],
)
def test_the_band_keyword_mapping(extras, band):
    mapping = keywords.keyword_mapping()
    assert keywords.normalised_values([extras], mapping)["band"] == band


def test_a_deployment_puts_its_keywords_first(settings, collections):
    settings.ARCHIVE_KEYWORDS = keywords.parse_keywords_setting("band=WAVEBAND;object=FIELD")
    image = register(settings, collections, "c.fits", header_extras={
        "WAVEBAND": "NB921", "FILTER": "z", "FIELD": "SXDS", "OBJECT": "pointing 3",
    })  # fmt: skip
    meta = ImageMetadata.objects.get(image=image)
    assert (meta.band, meta.object) == ("NB921", "SXDS")
    with pytest.raises(ValueError):
        keywords.parse_keywords_setting("colour=B")
    with pytest.raises(ValueError):
        keywords.parse_keywords_setting("band=NOT A KEY")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ({"DATE-OBS": "2021-03-04T05:06:07"}, "2021-03-04T05:06:07+00:00"),
        ({"DATE-OBS": "2021-03-04T05:06:07.123456"}, "2021-03-04T05:06:07.123456+00:00"),
        ({"DATE-OBS": "2021-02-30T05:06:07"}, None),
        ({"DATE-OBS": "2021-03-04", "TIME-OBS": "05:06:07"}, "2021-03-04T05:06:07+00:00"),
        ({"DATE-OBS": "2021-03-04", "UT": "05:06"}, "2021-03-04T05:06:00+00:00"),
        ({"DATE-OBS": "04/03/98"}, "1998-03-04T00:00:00+00:00"),  # the old dd/mm/yy form
        ({"MJD-OBS": 59277.25}, "2021-03-04T06:00:00+00:00"),
        ({"DATE-OBS": "garbage", "MJD-OBS": 59277.25}, "2021-03-04T06:00:00+00:00"),
        ({"DATE-OBS": "garbage"}, None),
    ],
)
def test_observation_dates(header, expected):
    moment = keywords.normalised_values([header], keywords.keyword_mapping())["date_obs"]
    assert (moment.isoformat() if moment else None) == expected


def test_images_without_a_celestial_wcs_have_no_footprint(settings, collections):
    path = settings.UPLOAD_ROOT / "plain.fits"
    fits.PrimaryHDU(np.zeros((10, 10), np.float32)).writeto(path)
    image = register_path(collections["public"], path)
    meta = ImageMetadata.objects.get(image=image)
    assert meta.ra is None and meta.polygons == [] and not SkyCell.objects.filter(image=image)


def test_the_command_indexes_images_registered_before(settings, collections):
    images = [register(settings, collections, f"d{k}.fits", ra=20.0 + k) for k in range(3)]
    ImageMetadata.objects.filter(image=images[1]).delete()
    SkyCell.objects.filter(image=images[1]).delete()
    call_command("index_images")
    meta = ImageMetadata.objects.get(image=images[1])
    assert meta.ra == pytest.approx(21.0, abs=1e-3)
    assert SkyCell.objects.filter(image=images[1]).exists()


def test_the_stored_header_is_enough_without_the_file(settings, collections):
    image = register(settings, collections, "e.fits", ra=300.0, dec=-45.0)
    (settings.UPLOAD_ROOT / "e.fits").unlink()
    ImageMetadata.objects.filter(image=image).delete()
    call_command("index_images")
    meta = ImageMetadata.objects.get(image=image)
    wcs = skyref.tan_wcs(300.0, -45.0, 300, 200, 0.4 / 3600, 12.0)
    assert meta.ra == pytest.approx(300.0, abs=1e-3) and meta.dec == pytest.approx(-45.0, abs=1e-3)
    assert wcs.pixel_shape == (300, 200)


WCS_HEADERS = {
    "tan, rotated": {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CD1_1": -2e-4, "CD1_2": 1e-4,
                     "CD2_1": 1e-4, "CD2_2": 2e-4},
    "tan-sip": {"CTYPE1": "RA---TAN-SIP", "CTYPE2": "DEC--TAN-SIP", "CDELT1": -3e-4,
                "CDELT2": 3e-4, "A_ORDER": 2, "A_0_2": 4e-5, "A_2_0": -3e-5, "B_ORDER": 2,
                "B_0_2": 2e-5, "B_1_1": 5e-5},
    "sin, pc matrix": {"CTYPE1": "RA---SIN", "CTYPE2": "DEC--SIN", "CDELT1": -5e-4,
                       "CDELT2": 5e-4, "PC1_1": 0.8, "PC1_2": -0.6, "PC2_1": 0.6, "PC2_2": 0.8},
    "galactic": {"CTYPE1": "GLON-TAN", "CTYPE2": "GLAT-TAN", "CDELT1": -3e-4, "CDELT2": 3e-4},
}  # fmt: skip


@pytest.mark.parametrize("kind", list(WCS_HEADERS))
def test_the_footprint_from_registration_cards_is_astropys(settings, collections, kind, tmp_path):
    header = fits.Header({"CRVAL1": 210.5, "CRVAL2": 54.3, "CRPIX1": 60.5, "CRPIX2": 40.5,
                          **WCS_HEADERS[kind]})  # fmt: skip
    header.update({f"NOISE{n:03d}": float(n) for n in range(30)})
    path = tmp_path / "w.fits"
    fits.PrimaryHDU(np.zeros((80, 120), np.float32), header).writeto(path)
    inventory = inspect_fits(path)
    image = Image(path=str(path), kind=inventory.kind, header=inventory.header, width=120,
                  height=80, hdus=inventory.hdus, title="w", name="w.fits")  # fmt: skip
    got = indexing.describe(image, inventory.header_cards)
    assert got == indexing.describe(image)  # the same as from the stored header
    wcs = WCS(fits.getheader(path))
    expected = wcs.calc_footprint(axes=(120, 80), center=False)
    if kind == "galactic":  # stored in ICRS
        icrs = SkyCoord(expected[:, 0] * u.deg, expected[:, 1] * u.deg, frame="galactic").icrs
        expected = np.column_stack([icrs.ra.deg, icrs.dec.deg])
    corners = np.array(got.values["polygons"][0])
    # The image's four corners are corners of its footprint (a distorted or non-TAN
    # image has more, along its curved edges).
    gaps = sky.angle(sky.unit_vectors(*corners.T)[None], sky.unit_vectors(*expected.T)[:, None])
    assert gaps.min(axis=1).max() < 1e-8
    assert len(corners) == 4 if kind != "tan-sip" else len(corners) > 4
