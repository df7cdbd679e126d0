"""Registration of files as real instruments write them: what is stored (kind, size,
searchable columns, an ICRS footprint checked against astropy's WCS of each extension),
and refusals that say why and leave no row and no file behind."""

import gzip
import shutil

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.wcs import WCS
from django.core.management import call_command

from archive import sky
from archive.models import ImageMetadata, SearchWord
from portal.models import Image
from portal.registration import RegistrationError, register_path
from tests.engine.instruments import decam_mef, hst_flt, radio_cube

pytestmark = pytest.mark.django_db


def extension_centres(path, extensions, frame="icrs"):
    """ICRS (ra, dec) of each extension's central pixel, by astropy."""
    found = []
    for ext in extensions:
        header = fits.getheader(path, ext)
        wcs = WCS(header)
        lon, lat = wcs.all_pix2world((header["NAXIS1"] - 1) / 2, (header["NAXIS2"] - 1) / 2, 0)
        coords = SkyCoord(float(lon) * u.deg, float(lat) * u.deg, frame=frame).icrs
        found.append((coords.ra.deg, coords.dec.deg))
    return found


def test_a_decam_exposure_is_one_mosaic_found_on_each_ccd(collections, data_root):
    path = decam_mef(data_root / "c4d_141021_053716_ooi_r_v1.fits.fz", compressed=True)
    image = register_path(collections["public"], path)
    assert (image.kind, image.width, image.height, len(image.hdus)) == ("mosaic", 512, 1024, 63)
    meta = ImageMetadata.objects.get(image=image)
    assert (meta.band, meta.instrument, meta.exptime) == ("r", "DECam", 90.0)
    assert meta.date_obs.isoformat() == "2014-10-21T05:37:16.432961+00:00"
    assert meta.pixel_scale == pytest.approx(0.263, rel=1e-6)
    assert len(meta.polygons) == 62
    for k, (ra, dec) in enumerate(extension_centres(path, range(1, 63))):
        assert sky.contain(meta.polygons, ra, dec).sum() == 1, k  # its CCD's, no other
    # The grid's missing corner CCD, left of extension 1 in the detector, is not in it.
    header = fits.getheader(path, 1)
    missing = WCS(header).all_pix2world(31.5 - 64, 63.5, 0)
    assert sky.contain(meta.polygons, float(missing[0]), float(missing[1])).sum() == 0
    beside = WCS(header).all_pix2world(31.5, 63.5, 0)  # the same position on extension 1
    assert sky.contain(meta.polygons, float(beside[0]), float(beside[1])).sum() == 1
    assert "373242" in SearchWord.objects.filter(image=image).values_list("word", flat=True)


def test_an_hst_flt_is_found_on_both_chips(collections, data_root):
    path = hst_flt(data_root / "j8pu0ha2q_flt.fits")
    image = register_path(collections["public"], path)
    assert (image.kind, image.channels) == ("channels", 6)
    meta = ImageMetadata.objects.get(image=image)
    assert (meta.band, meta.object, meta.telescope) == ("F814W", "NGC104", "HST")
    assert meta.date_obs.isoformat() == "2004-09-24T17:49:07+00:00"
    assert meta.pixel_scale == pytest.approx(0.0468, abs=1e-4)  # from the CD matrix
    assert len(meta.polygons) == 2
    for ra, dec in extension_centres(path, [1, 4]):
        assert sky.contain(meta.polygons, ra, dec).sum() == 1
    assert "j8pu0ha2q" in SearchWord.objects.filter(image=image).values_list("word", flat=True)


def test_a_galactic_image_is_stored_in_icrs(collections, data_root):
    header = fits.Header({"CTYPE1": "GLON-CAR", "CTYPE2": "GLAT-CAR", "CRVAL1": 0.0,
                          "CRVAL2": 0.0, "CRPIX1": 50.5, "CRPIX2": 25.5, "CDELT1": -0.01,
                          "CDELT2": 0.01, "RADESYS": "FK5", "BUNIT": "K"})  # fmt: skip
    path = data_root / "planck_gc.fits"
    fits.PrimaryHDU(np.zeros((50, 100), np.float32), header).writeto(path)
    meta = ImageMetadata.objects.get(image=register_path(collections["public"], path))
    # The galactic centre, ICRS (266.405, -28.936), known by hand.
    assert (meta.ra, meta.dec) == pytest.approx((266.405, -28.936), abs=2e-3)
    assert sky.contain(meta.polygons, 266.405, -28.936).any()
    assert meta.pixel_scale == pytest.approx(36.0)  # CDELT, 0.01 deg
    assert meta.bunit == "K"


def test_a_radio_cube_keeps_its_unit_and_has_no_exposure(collections, data_root):
    path = radio_cube(data_root / "orion_kl.fits")
    image = register_path(collections["public"], path)
    assert (image.kind, image.channels) == ("cube", 1)
    meta = ImageMetadata.objects.get(image=image)
    assert (meta.bunit, meta.exptime, meta.telescope) == ("JY/BEAM", None, "VLA")
    assert meta.pixel_scale == pytest.approx(1.44)
    # The central pixel (49.5, 49.5 from 0) of an even-sized image, half a pixel from
    # CRPIX (51, 51 from 1), by astropy: FK5 J2000, as good as ICRS to 0.1 arcsec.
    centre = WCS(fits.getheader(path)).celestial.all_pix2world(49.5, 49.5, 0)
    assert (meta.ra, meta.dec) == pytest.approx((float(centre[0]), float(centre[1])), abs=1e-4)
    assert sky.contain(meta.polygons, 83.8221, -5.3911).any()


def test_a_gzipped_file_in_place_is_read_decompressed(collections, data_root, settings):
    plain = radio_cube(data_root / "tmp.fits")
    zipped = data_root / "orion.fits.gz"
    with open(plain, "rb") as source, gzip.open(zipped, "wb") as target:
        shutil.copyfileobj(source, target)
    plain.unlink()
    image = register_path(collections["public"], zipped)
    assert image.source_path == str(zipped) and image.owns_file
    assert ImageMetadata.objects.get(image=image).ra == pytest.approx(83.8221, abs=1e-3)


def only_tables(path):
    table = fits.BinTableHDU.from_columns([fits.Column(name="ra", format="D", array=[1.0])])
    fits.HDUList([fits.PrimaryHDU(), fits.ImageHDU(name="SCI"), table]).writeto(path)


def truncated_fz(path):
    decam_mef(path, ccds=3, compressed=True)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 5000])


def bad_bitpix(path):
    fits.PrimaryHDU(np.zeros((4, 4), np.int16)).writeto(path)
    data = bytearray(path.read_bytes())
    at = data.index(b"BITPIX  =")
    data[at : at + 30] = b"BITPIX  =                   12"
    path.write_bytes(bytes(data))


def broken_gzip(path):
    fits.PrimaryHDU(np.zeros((40, 40), np.float32)).writeto(path.with_suffix(""))
    packed = gzip.compress(path.with_suffix("").read_bytes())
    path.with_suffix("").unlink()
    path.write_bytes(packed[: len(packed) // 2])


@pytest.mark.parametrize(
    "name, make, message",
    [
        ("tables.fits", only_tables, "no 2-D image data (it holds only tables)"),
        ("cut.fits.fz", truncated_fz, "truncated"),
        ("bitpix.fits", bad_bitpix, "BITPIX = 12 is not a FITS data type"),
        ("cut.fits.gz", broken_gzip, "truncated"),
    ],
)
def test_refused_files_say_why_and_leave_nothing(collections, data_root, settings, snapshot,
                                                 name, make, message):  # fmt: skip
    path = data_root / name
    make(path)
    before = path.read_bytes()
    uploads = snapshot(settings.UPLOAD_ROOT)
    with pytest.raises(RegistrationError) as refused:
        register_path(collections["public"], path)
    assert message in refused.value.message and name in refused.value.message
    assert not Image.objects.exists() and not ImageMetadata.objects.exists()
    assert snapshot(settings.UPLOAD_ROOT) == uploads  # nothing decompressed left behind
    assert path.read_bytes() == before


def test_register_images_recursive_over_mefs(collections, data_root, capsys):
    night = data_root / "20141021"
    night.mkdir()
    for k in range(3):
        decam_mef(night / f"c4d_{k}.fits", ra=36.45 + k, data=False)
    only_tables(night / "catalog.fits")
    call_command("register_images", "public-survey", str(data_root), "--recursive")
    out = capsys.readouterr()
    assert "3 registered, 1 refused" in out.out
    assert "no 2-D image data" in out.err
    metas = ImageMetadata.objects.order_by("ra")
    assert [round(m.ra, 6) for m in metas] == [36.45, 37.45, 38.45]
    assert all(len(m.polygons) == 62 for m in metas)


def test_a_mosaic_extension_takes_its_frame_from_the_primary_header(collections, data_root):
    """CCD headers without RADESYS or EQUINOX, a primary header saying FK4 B1950: each
    CCD's footprint is precessed to ICRS as FK4 (astropy's, in the frame named here)."""
    path = decam_mef(data_root / "old_plates.fits", ccds=4, data=False)
    with fits.open(path, mode="update") as hdulist:
        hdulist[0].header["RADESYS"], hdulist[0].header["EQUINOX"] = "FK4", 1950.0
    meta = ImageMetadata.objects.get(image=register_path(collections["public"], path))
    assert len(meta.polygons) == 4
    for ra, dec in extension_centres(path, range(1, 5), frame="fk4"):
        assert sky.contain(meta.polygons, ra, dec).sum() == 1
