"""Footprints of the WCS real instruments write, always stored in ICRS.

Each footprint is checked against an answer computed here: astropy.wcs for the pixels'
world coordinates, in the frame the test names (not the one the code guesses), converted
with astropy.coordinates; or positions known by hand (the galactic centre, the ecliptic
pole).
"""

import math

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import FK4, FK5, SkyCoord
from astropy.io import fits
from astropy.wcs import WCS

from archive import footprint, sky

CENTRE = {"CRVAL1": 210.5, "CRVAL2": 54.3, "CRPIX1": 60.5, "CRPIX2": 40.5}
WIDTH, HEIGHT = 120, 80


def header_of(**cards):
    return fits.Header({**CENTRE, **cards})


def edge_pixels(width, height, n=41):
    """0-based pixel positions along the outer pixel edges and over the inside."""
    xs = np.linspace(-0.5, width - 0.5, n)
    ys = np.linspace(-0.5, height - 0.5, n)
    xx, yy = np.meshgrid(xs, ys)
    return xx.ravel(), yy.ravel()


def world_icrs(header, frame, width=WIDTH, height=HEIGHT, n=41):
    """ICRS (ra, dec) of the image's sampled pixels, by astropy, read in ``frame``;
    pixels off the sky left out. Axes are taken as (longitude, latitude) by name."""
    wcs = WCS(header).celestial
    x, y = edge_pixels(width, height, n)
    world = wcs.all_pix2world(x, y, 0)
    lon_axis = 0 if wcs.wcs.ctype[0][:4] in ("RA--", "GLON", "ELON") else 1
    lon, lat = world[lon_axis], world[1 - lon_axis]
    good = np.isfinite(lon) & np.isfinite(lat)
    coords = SkyCoord(lon[good] * u.deg, lat[good] * u.deg, frame=frame).icrs
    return coords.ra.deg, coords.dec.deg


def covered(polygons, ra, dec, tolerance_deg):
    """Whether each position lies within ``tolerance_deg`` of the inner side of every
    edge's great circle of one of the (convex) polygons: inside, or just outside."""
    points = sky.unit_vectors(np.asarray(ra, float), np.asarray(dec, float))
    result = np.zeros(len(points), dtype=bool)
    for polygon in polygons:
        corners = sky.unit_vectors(*np.asarray(polygon, float).T)
        normals = np.cross(corners, np.roll(corners, -1, axis=0))
        normals /= np.linalg.norm(normals, axis=1, keepdims=True)
        centre = corners.sum(axis=0)
        normals *= np.sign(normals @ centre)[:, None]
        result |= np.all(points @ normals.T >= -math.sin(math.radians(tolerance_deg)), axis=1)
    return result


def polygons_of(header, width=WIDTH, height=HEIGHT):
    result = footprint.icrs_footprint(header, width, height)
    assert result, "no footprint"
    return result


def assert_tight(polygons, header, frame, width=WIDTH, height=HEIGHT, tolerance_arcsec=0.05):
    """Every sampled pixel is inside; every corner of the footprint is a point of the
    image (astropy takes it back to pixels on the image's outer edges or inside)."""
    ra, dec = world_icrs(header, frame, width, height)
    assert covered(polygons, ra, dec, tolerance_arcsec / 3600).all()
    corners = np.concatenate([np.asarray(p) for p in polygons])
    wcs = WCS(header).celestial
    native = SkyCoord(corners[:, 0] * u.deg, corners[:, 1] * u.deg).transform_to(frame)
    lon = native.spherical.lon.deg
    lat = native.spherical.lat.deg
    lon_first = wcs.wcs.ctype[0][:4] in ("RA--", "GLON", "ELON")
    world = (lon, lat) if lon_first else (lat, lon)
    x, y = wcs.all_world2pix(*world, 0)
    assert np.all((x > -0.5 - 1e-3) & (x < width - 0.5 + 1e-3))
    assert np.all((y > -0.5 - 1e-3) & (y < height - 0.5 + 1e-3))


ROTATION = math.radians(30.0)
SCALE = 0.2 / 3600  # degrees per pixel
CD = {
    "CD1_1": -SCALE * math.cos(ROTATION),
    "CD1_2": SCALE * math.sin(ROTATION),
    "CD2_1": -SCALE * math.sin(ROTATION),
    "CD2_2": -SCALE * math.cos(ROTATION),
}


def test_cd_pc_and_crota2_describe_the_same_footprint():
    """Paper II: CD_ij = CDELT_i PC_ij, and CROTA2 = rho means PC = [[cos, -sin], [sin,
    cos]] with CDELT1 < 0 (here rho = 30 deg and the y axis pointing south, CDELT2 < 0)."""
    tan = {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN"}
    with_cd = header_of(**tan, **CD)
    cos, sin = math.cos(ROTATION), math.sin(ROTATION)
    with_pc = header_of(**tan, CDELT1=-SCALE, CDELT2=-SCALE, PC1_1=cos, PC1_2=-sin,
                        PC2_1=sin, PC2_2=cos)  # fmt: skip
    with_crota = header_of(**tan, CDELT1=-SCALE, CDELT2=-SCALE, CROTA2=30.0)
    expected = WCS(with_cd).calc_footprint(axes=(WIDTH, HEIGHT), center=False)
    for header in (with_cd, with_pc, with_crota):
        (polygon,) = polygons_of(header)
        got = sky.unit_vectors(*np.array(polygon).T)
        assert sky.angle(got, sky.unit_vectors(*expected.T)).max() * 3600 < 1e-6
        scale = sky.pixel_scale_arcsec(header)
        assert scale == pytest.approx(0.2, rel=1e-9)


SIP = {
    "CTYPE1": "RA---TAN-SIP", "CTYPE2": "DEC--TAN-SIP", "CRPIX1": 2048.0, "CRPIX2": 1024.0,
    "CD1_1": -1.4e-5, "CD1_2": 1e-7, "CD2_1": 1e-7, "CD2_2": 1.4e-5,
    "A_ORDER": 2, "A_0_2": 4e-6, "A_1_1": 2e-6, "A_2_0": -3e-6,
    "B_ORDER": 2, "B_0_2": 2e-6, "B_1_1": 5e-6, "B_2_0": 1e-6,
}  # fmt: skip
TPV = {
    "CTYPE1": "RA---TPV", "CTYPE2": "DEC--TPV", "CRPIX1": 1024.0, "CRPIX2": 2048.0,
    "CD1_1": 0.0, "CD1_2": 7.3e-5, "CD2_1": -7.3e-5, "CD2_2": 0.0,
    "PV1_0": 0.0, "PV1_1": 1.01, "PV1_2": 0.0, "PV1_4": 0.004, "PV1_7": 0.02,
    "PV2_0": 0.0, "PV2_1": 1.0, "PV2_2": 0.0, "PV2_4": -0.006, "PV2_7": 0.01,
}  # fmt: skip


@pytest.mark.parametrize(
    "cards, width, height",
    [(SIP, 4096, 2048), (TPV, 2048, 4096)],
    ids=["sip, as HST's ACS writes it", "tpv, as DECam's pipeline writes it"],
)
def test_distortion_is_in_the_footprint(cards, width, height):
    header = header_of(**cards)
    polygons = polygons_of(header, width, height)
    assert_tight(polygons, header, "icrs", width, height)
    ra, dec = world_icrs(header, "icrs", width, height)
    # The distortion moves the edges by most of an arcsecond: a linear footprint misses them.
    linear = header.copy()
    linear["CTYPE1"], linear["CTYPE2"] = "RA---TAN", "DEC--TAN"
    for key in [k for k in linear if k[:2] in ("A_", "B_", "PV")]:
        del linear[key]
    ra_lin, dec_lin = world_icrs(linear, "icrs", width, height)
    moved = sky.angle(sky.unit_vectors(ra, dec), sky.unit_vectors(ra_lin, dec_lin)) * 3600
    assert moved.max() > 0.5  # ten times the tolerance of assert_tight


@pytest.mark.parametrize("projection", ["ZPN", "SIN", "CAR", "AIT", "ZEA", "STG", "ARC"])
def test_other_projections(projection):
    cards = {"CTYPE1": f"RA---{projection}", "CTYPE2": f"DEC--{projection}",
             "CDELT1": -0.01, "CDELT2": 0.01}  # fmt: skip
    if projection == "ZPN":  # as VISTA's and UKIRT's WFCAM's pipelines write it
        cards.update(PV2_0=0.0, PV2_1=1.0, PV2_3=44.0)
    header = header_of(**cards)
    polygons = polygons_of(header)
    assert_tight(polygons, header, "icrs", tolerance_arcsec=1.0)


def test_galactic_axes_are_converted_to_icrs():
    """An image centred on the galactic centre, whose ICRS position is known: (266.405,
    -28.936) (Reid and Brunthaler 2004, with the IAU 1958 definition)."""
    header = fits.Header({"CTYPE1": "GLON-TAN", "CTYPE2": "GLAT-TAN", "CRVAL1": 0.0,
                          "CRVAL2": 0.0, "CRPIX1": 60.5, "CRPIX2": 40.5,
                          "CDELT1": -1e-3, "CDELT2": 1e-3})  # fmt: skip
    polygons = polygons_of(header)
    assert sky.contain(polygons, 266.405, -28.936).any()
    assert not sky.contain(polygons, 0.0, 0.0).any()  # the galactic numbers read as ICRS
    assert_tight(polygons, header, "galactic")
    # RADESYS is about equatorial axes: galactic ones stay galactic with it.
    header["RADESYS"] = "ICRS"
    assert footprint.icrs_footprint(header, WIDTH, HEIGHT) == polygons
    ra, dec, _ = footprint.summary(polygons, sky.celestial_wcs(header), WIDTH, HEIGHT)
    assert (ra, dec) == pytest.approx((266.405, -28.936), abs=1e-3)


def test_ecliptic_axes_are_converted_to_icrs():
    """The north ecliptic pole (J2000) is at RA 18h, Dec 90 - 23.4393 deg."""
    header = fits.Header({"CTYPE1": "ELON-TAN", "CTYPE2": "ELAT-TAN", "CRVAL1": 0.0,
                          "CRVAL2": 90.0, "CRPIX1": 60.5, "CRPIX2": 40.5,
                          "CDELT1": -1e-3, "CDELT2": 1e-3})  # fmt: skip
    polygons = polygons_of(header)
    centre = footprint.summary(polygons, sky.celestial_wcs(header), WIDTH, HEIGHT)
    assert centre[:2] == pytest.approx((270.0, 66.5607), abs=2e-3)
    assert sky.contain(polygons, 270.0, 66.5607).any()


def test_fk4_b1950_is_precessed_to_icrs():
    header = header_of(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CDELT1=-3e-4, CDELT2=3e-4,
                       RADESYS="FK4", EQUINOX=1950.0)  # fmt: skip
    polygons = polygons_of(header)
    assert_tight(polygons, header, FK4(equinox="B1950"))
    # Fifty years of precession: half a degree away from the B1950 numbers.
    assert not sky.contain(polygons, 210.5, 54.3).any()
    # EQUINOX = 1950 without RADESYS is FK4 too (paper II, before 1984).
    del header["RADESYS"]
    assert footprint.icrs_footprint(header, WIDTH, HEIGHT) == polygons
    # The old EPOCH keyword, as 1980s headers have it.
    del header["EQUINOX"]
    header["EPOCH"] = 1950.0
    got = footprint.icrs_footprint(header, WIDTH, HEIGHT)
    assert np.allclose(got, polygons, atol=1e-9)


def test_equinox_2000_without_radesys_is_fk5():
    header = header_of(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CDELT1=-3e-4, CDELT2=3e-4,
                       EQUINOX=2000.0)  # fmt: skip
    polygons = polygons_of(header)
    assert_tight(polygons, header, FK5(equinox="J2000"), tolerance_arcsec=0.001)


def test_axes_swapped_declination_first():
    normal = header_of(CTYPE1="RA---TAN", CTYPE2="DEC--TAN", CDELT1=-3e-4, CDELT2=3e-4)
    swapped = fits.Header({"CTYPE1": "DEC--TAN", "CTYPE2": "RA---TAN", "CRVAL1": 54.3,
                           "CRVAL2": 210.5, "CRPIX1": 40.5, "CRPIX2": 60.5,
                           "CDELT1": 3e-4, "CDELT2": -3e-4})  # fmt: skip
    # The transposed image: its width is the other one's height.
    got = polygons_of(swapped, HEIGHT, WIDTH)
    assert_tight(got, swapped, "icrs", HEIGHT, WIDTH)
    expected = np.array(polygons_of(normal)[0])
    assert (
        sky.angle(
            sky.unit_vectors(*np.array(got[0]).T)[:, None], sky.unit_vectors(*expected.T)[None]
        )
        .min(axis=1)
        .max()
        * 3600
        < 1e-6
    )  # the same four corners, in another order


def test_radio_cube_with_degenerate_frequency_and_stokes_axes():
    header = fits.Header({"NAXIS": 4, "NAXIS1": 100, "NAXIS2": 100, "NAXIS3": 1, "NAXIS4": 1,
                          "CTYPE1": "RA---SIN", "CTYPE2": "DEC--SIN", "CTYPE3": "FREQ",
                          "CTYPE4": "STOKES", "CRVAL1": 83.8, "CRVAL2": -5.4, "CRVAL3": 1.4e9,
                          "CRVAL4": 1.0, "CRPIX1": 50.5, "CRPIX2": 50.5, "CRPIX3": 1.0,
                          "CRPIX4": 1.0, "CDELT1": -1e-3, "CDELT2": 1e-3, "CDELT3": 1e6,
                          "CDELT4": 1.0, "BUNIT": "Jy/beam"})  # fmt: skip
    polygons = polygons_of(header, 100, 100)
    assert_tight(polygons, header, "icrs", 100, 100, tolerance_arcsec=0.01)
    assert sky.pixel_scale_arcsec(header) == pytest.approx(3.6)


def test_an_all_sky_car_map_covers_both_poles_and_ra_zero():
    header = fits.Header({"CTYPE1": "RA---CAR", "CTYPE2": "DEC--CAR", "CRVAL1": 180.0,
                          "CRVAL2": 0.0, "CRPIX1": 180.5, "CRPIX2": 90.5, "CDELT1": -1.0,
                          "CDELT2": 1.0})  # fmt: skip
    polygons = polygons_of(header, 360, 180)
    rng = np.random.default_rng(3)
    ra = rng.uniform(0, 360, 300)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, 300)))
    points = [(0.0, 90.0), (0.0, -90.0), (0.0, 0.0), (359.99, 10.0), (180.0, 0.0)]
    ra = np.concatenate([ra, [p[0] for p in points]])
    dec = np.concatenate([dec, [p[1] for p in points]])
    assert covered(polygons, ra, dec, 1e-6).all()
    assert all(sky.Polygon(p).radius < 90 for p in polygons)  # each one convex, small


def test_an_all_sky_ait_map_in_galactic_covers_the_sky():
    header = fits.Header({"CTYPE1": "GLON-AIT", "CTYPE2": "GLAT-AIT", "CRVAL1": 0.0,
                          "CRVAL2": 0.0, "CRPIX1": 180.5, "CRPIX2": 90.5, "CDELT1": -1.0,
                          "CDELT2": 1.0})  # fmt: skip
    polygons = polygons_of(header, 360, 180)
    rng = np.random.default_rng(4)
    ra = rng.uniform(0, 360, 300)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, 300)))
    # The points of the sphere the map holds (all but the thin slivers along its edge,
    # where the hull of sampled points cuts the ellipse's curve): at least 98 %.
    assert covered(polygons, ra, dec, 0.5).mean() > 0.98
    # The galactic poles are on the map, exactly: ICRS (192.8595, 27.1283) and opposite.
    assert covered(polygons, [192.85948, 12.85948], [27.12825, -27.12825], 1e-3).all()


def test_a_footprint_across_ra_zero():
    header = fits.Header({"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CRVAL1": 0.01,
                          "CRVAL2": -5.0, "CRPIX1": 60.5, "CRPIX2": 40.5,
                          "CDELT1": -3e-4, "CDELT2": 3e-4})  # fmt: skip
    polygons = polygons_of(header)
    ras = [p[0] for p in polygons[0]]
    assert min(ras) < 1.0 and max(ras) > 359.0  # corners on both sides, in [0, 360)
    assert sky.contain(polygons, 359.995, -5.0).any() and sky.contain(polygons, 0.02, -5.0).any()
    assert not sky.contain(polygons, 180.01, -5.0).any()
    assert sky.meet_box(polygons, sky.Box(359.9, -5.1, 0.005, -4.9)).any()
    assert not sky.meet_box(polygons, sky.Box(1.0, -6.0, 2.0, -4.0)).any()


@pytest.mark.parametrize(
    "cards",
    [
        {"CTYPE1": "HPLN-TAN", "CTYPE2": "HPLT-TAN", "CDELT1": 1e-3, "CDELT2": 1e-3},
        {"CTYPE1": "LINEAR", "CTYPE2": "LINEAR", "CDELT1": 1.0, "CDELT2": 1.0},
        {"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CDELT1": 0.0, "CDELT2": 0.0},
    ],
    ids=["the sun's frame", "no sky axes", "a singular matrix"],
)
def test_no_footprint_without_a_sky_position(cards):
    assert footprint.icrs_footprint(header_of(**cards), WIDTH, HEIGHT) == []


def test_convex_hull_of_points_around_a_pole():
    ra = np.array([0.0, 90.0, 180.0, 270.0, 45.0, 10.0])
    dec = np.array([85.0, 85.0, 85.0, 85.0, 89.0, 90.0])
    hull = footprint.convex_hull(ra, dec)
    assert sorted(round(r) for r, _ in hull) == [0, 90, 180, 270]
    assert sky.contain([hull], 0.0, 90.0)[0]
    assert footprint.convex_hull(np.array([1.0, 2.0, 3.0]), np.zeros(3)) is None  # on a line
