"""The exact footprint predicates against brute-force astropy, on images anywhere on the
sky (poles, ra = 0, rotated, tiny and wide)."""

import numpy as np
import pytest
from astropy import units as u
from astropy.coordinates import SkyCoord

from archive import sky
from tests.archive import skyref


def random_images(seed, count):
    rng = np.random.default_rng(seed)
    for _ in range(count):
        ra = rng.uniform(0, 360)
        dec = float(np.degrees(np.arcsin(rng.uniform(-1, 1))))
        if rng.random() < 0.2:
            dec = float(rng.choice([-1, 1]) * rng.uniform(85, 90))  # around a pole
        if rng.random() < 0.2:
            ra = float(rng.uniform(-1, 1)) % 360  # across ra = 0
        width, height = int(rng.integers(50, 4000)), int(rng.integers(50, 4000))
        scale = 10 ** rng.uniform(-4.5, -2.5)  # 0.1" to 11" per pixel
        yield skyref.tan_wcs(ra, dec, width, height, scale, rng.uniform(0, 360))


def polygon_of(wcs):
    """The image's outer pixel corners as astropy places them."""
    corners = wcs.calc_footprint(axes=wcs.pixel_shape, center=False)
    return sky.Polygon([(float(ra) % 360.0, float(dec)) for ra, dec in corners])


def near(wcs, rng, n, spread=1.5):
    """Random positions around the image, out to ``spread`` times its size."""
    width, height = wcs.pixel_shape
    x = rng.uniform(-spread * width, (1 + spread) * width, n)
    y = rng.uniform(-spread * height, (1 + spread) * height, n)
    return wcs.pixel_to_world(x, y)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_contains_matches_the_pixel_grid(seed):
    rng = np.random.default_rng(seed + 100)
    for wcs in random_images(seed, 25):
        polygon = polygon_of(wcs)
        points = near(wcs, rng, 400)
        expected = skyref.contains(wcs, points)
        got = polygon.contains(sky.unit_vectors(points.ra.deg, points.dec.deg))
        assert expected.any() and not expected.all()
        np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("seed", [4, 5])
def test_distance_matches_separations(seed):
    rng = np.random.default_rng(seed + 100)
    for wcs in random_images(seed, 15):
        polygon = polygon_of(wcs)
        width, height = wcs.pixel_shape
        scale = abs(np.linalg.det(wcs.wcs.cd)) ** 0.5
        spacing = max(width, height) * scale / 1999  # between the reference's edge points
        for point in near(wcs, rng, 20, spread=3):
            expected = skyref.distance(wcs, point.ra.deg, point.dec.deg)
            got = polygon.distance(sky.unit_vectors(point.ra.deg, point.dec.deg))
            assert got <= expected + 1e-9
            assert expected - got <= spacing / 2 + 1e-9


def test_distance_far_away_is_the_separation_to_the_nearest_corner():
    wcs = skyref.tan_wcs(10.0, 20.0, 100, 100, 1e-3, 0.0)
    polygon = polygon_of(wcs)
    far = SkyCoord(190.0 * u.deg, -20.0 * u.deg)  # the antipode of the image
    expected = skyref.distance(wcs, 190.0, -20.0)
    assert expected > 179.9
    assert polygon.distance(sky.unit_vectors(190.0, -20.0)) == pytest.approx(expected, abs=1e-3)
    assert not polygon.contains(sky.unit_vectors(far.ra.deg, far.dec.deg))


def random_box(rng, wcs):
    centre = wcs.pixel_to_world(*(rng.uniform(-1, 2) * s for s in wcs.pixel_shape))
    size = max(wcs.pixel_shape) * abs(wcs.wcs.cd[0, 0]) * rng.uniform(0.05, 3)
    dec_min = max(-90.0, centre.dec.deg - size * rng.uniform(0.1, 1))
    dec_max = min(90.0, centre.dec.deg + size * rng.uniform(0.1, 1))
    width = min(359.0, size * rng.uniform(0.2, 2) / max(np.cos(np.radians(centre.dec.deg)), 0.05))
    ra_min = (centre.ra.deg - width / 2) % 360
    return ra_min, dec_min, (ra_min + width) % 360, dec_max


@pytest.mark.parametrize("seed", [6, 7])
def test_box_intersection_matches_sampling(seed):
    rng = np.random.default_rng(seed + 100)
    outcomes = []
    polygons, boxes = [], []
    for wcs in random_images(seed, 20):
        polygon = polygon_of(wcs)
        for _ in range(6):
            box = random_box(rng, wcs)
            expected = skyref.meets_box(wcs, box)
            assert polygon.intersects_box(sky.Box(*box)) == expected, (wcs.wcs.crval, box)
            outcomes.append(expected)
            polygons.append(polygon)
            boxes.append(box)
    assert 0.2 < np.mean(outcomes) < 0.9
    # All the polygons at once, against each box: each polygon's answer as alone. (A
    # triangle among them: polygons of other sizes in one array.)
    polygons.insert(7, sky.Polygon(polygons[7].corners[:3]))
    for box in boxes[::10]:
        alone = [p.intersects_box(sky.Box(*box)) for p in polygons]
        assert sky.meet_box(polygons, sky.Box(*box)).tolist() == alone


def test_a_thin_box_crossing_an_image_without_corners_inside_meets_it():
    wcs = skyref.tan_wcs(100.0, 30.0, 1000, 1000, 1e-3, 0.0)  # about 1 degree wide
    polygon = polygon_of(wcs)
    box = (99.0, 29.99, 101.0, 30.01)  # a band through the middle, corners outside
    assert skyref.meets_box(wcs, box)
    assert polygon.intersects_box(sky.Box(*box))
    assert not polygon.intersects_box(sky.Box(99.0, 31.0, 101.0, 31.2))


def test_cells_cover_the_footprint():
    """Every position on the image lies in one of its stored cells (no match lost)."""
    for wcs in random_images(8, 30):
        polygon = polygon_of(wcs)
        cells = set(sky.footprint_cells([polygon]))
        points = skyref.grid(wcs, 30)
        for ra, dec in zip(points.ra.deg, points.dec.deg, strict=False):
            assert set(sky.point_cells(ra, dec)) & cells


def test_query_ranges_cover_the_cone():
    rng = np.random.default_rng(9)
    for _ in range(30):
        ra, dec, radius = rng.uniform(0, 360), rng.uniform(-90, 90), 10 ** rng.uniform(-3, 1.5)
        ranges = sky.disc_ranges([(ra, dec, radius)])
        centre = SkyCoord(ra * u.deg, dec * u.deg)
        inside = centre.directional_offset_by(
            rng.uniform(0, 360, 50) * u.deg, rng.uniform(0, radius, 50) * u.deg
        )
        for point in inside:
            cells = sky.point_cells(point.ra.deg, point.dec.deg)
            assert any(low <= c < high for c in cells for low, high in ranges)


# --- boxes at the edges: ra 0/360, the poles, one inside the other, touching ------------


def corners_of(polygon):
    return np.array(polygon.corners)


@pytest.mark.parametrize(
    ("image", "box", "meets"),
    [
        # across ra = 0: an image over it, boxes over it or short of it on either side
        ((0.2, 10.0, 1.0), (359.5, 9.0, 0.5, 11.0), True),
        ((0.2, 10.0, 1.0), (1.0, 9.0, 359.0, 11.0), False),  # all but ra 359..1
        ((0.2, 10.0, 1.0), (359.5, 10.0, 359.7, 10.2), True),  # over its west edge only
        ((359.8, -20.0, 1.0), (0.2, -21.0, 0.4, -19.0), True),
        ((359.8, -20.0, 1.0), (0.5, -21.0, 2.0, -19.0), False),
        # near the poles: an image over the pole, boxes of every ra up there
        ((45.0, 89.6, 2.0), (100.0, 89.9, 110.0, 90.0), True),
        ((45.0, 89.6, 2.0), (0.001, 88.4, 0.0, 88.45), True),  # a ring across it
        ((45.0, 89.6, 2.0), (0.001, 88.2, 0.0, 88.3), False),  # and one below it
        ((45.0, 89.6, 2.0), (200.0, 87.0, 210.0, 87.5), False),
        ((45.0, 89.6, 2.0), (0.001, -90.0, 0.0, -89.0), False),
        ((300.0, -88.9, 1.5), (280.0, -90.0, 290.0, -89.9), False),
        ((300.0, -88.9, 1.5), (295.0, -89.5, 305.0, -89.4), True),
        # a box inside the image, and an image inside the box
        ((120.0, 40.0, 3.0), (119.8, 39.8, 120.2, 40.2), True),
        ((120.0, 40.0, 0.01), (110.0, 30.0, 130.0, 50.0), True),
        # an image much wider than a thin box across it: no corner of either in the other
        ((60.0, 0.0, 8.0), (55.0, -0.01, 65.0, 0.01), True),
        ((60.0, 0.0, 8.0), (59.99, -10.0, 60.01, 10.0), True),
        ((60.0, 0.0, 8.0), (55.0, 5.0, 65.0, 6.0), False),
    ],
)
def test_boxes_at_the_edges_agree_with_sampling(image, box, meets):
    ra, dec, size = image
    wcs = skyref.tan_wcs(ra, dec, 1000, 800, size / 1000, 20.0)
    assert skyref.meets_box(wcs, box) == meets  # the case is what it says
    assert polygon_of(wcs).intersects_box(sky.Box(*box)) == meets


def test_boxes_touching_an_image_meet_it_and_those_just_apart_do_not():
    """A box whose side passes through a corner of the image, or whose corner is an
    image's corner, shares that point; moved off by a millionth of a degree, nothing."""
    wcs = skyref.tan_wcs(30.0, -40.0, 1000, 1000, 1e-3, 0.0)  # north up: corners at ra ends
    polygon = polygon_of(wcs)
    corners = corners_of(polygon)
    east = corners[np.argmax((corners[:, 0] - 30.0 + 180.0) % 360.0)]  # the largest ra
    ra, dec = east
    far = 1e-6
    touching = [
        (ra, dec - 0.5, ra + 1.0, dec + 0.5),  # its west side through the corner
        (ra, dec, ra + 1.0, dec + 1.0),  # its corner on the image's corner
        (ra - 1.0, dec - 1.0, ra, dec),
    ]
    for box in touching:
        assert polygon.intersects_box(sky.Box(*box)), box
    apart = [(ra + far, dec - 0.5, ra + 1.0, dec + 0.5)]
    highest = corners[:, 1].max()
    apart.append((29.0, highest + far, 31.0, highest + 1.0))  # just above the image
    for box in apart:
        assert not skyref.meets_box(wcs, box), box
        assert not polygon.intersects_box(sky.Box(*box)), box


def test_arcs_are_tested_all_at_once_as_one_by_one():
    """The box's test of many edges at once gives each edge's own answer."""
    rng = np.random.default_rng(11)
    box = sky.Box(350.0, -10.0, 20.0, 15.0)
    a = sky.unit_vectors(rng.uniform(330, 400, 300) % 360, rng.uniform(-30, 30, 300))
    b = sky.unit_vectors(rng.uniform(330, 400, 300) % 360, rng.uniform(-30, 30, 300))
    together = box.crosses_arcs(a, b)
    alone = [bool(box.crosses_arcs(a[i], b[i])[0]) for i in range(len(a))]
    assert together.tolist() == alone
    assert 0.1 < together.mean() < 0.9


def test_cones_and_positions_tested_at_once_answer_as_one_by_one():
    """``meet_cone`` and ``contain`` test every polygon of a page at once: each answer
    is the one ``Polygon.distance`` and ``Polygon.contains`` give alone (a triangle and
    polygons anywhere on the sky, poles and ra = 0 among them, in one array)."""
    rng = np.random.default_rng(12)
    images = list(random_images(12, 12))
    polygons = [polygon_of(wcs) for wcs in images]
    polygons.insert(3, sky.Polygon(polygons[3].corners[:3]))
    inside, within = [], []
    for wcs in images:
        for point in near(wcs, rng, 4, spread=1.0):
            ra, dec = point.ra.deg, point.dec.deg
            vector = sky.unit_vectors(ra, dec)
            alone = [p.distance(vector) for p in polygons]
            radius = float(rng.uniform(0, 2) * max(min(alone), 1e-3))
            assert sky.meet_cone(polygons, ra, dec, radius).tolist() == [d <= radius for d in alone]
            # at a polygon's own distance (to rounding), it is met; a little less, not
            nearest = int(np.argmin(alone))
            assert sky.meet_cone(polygons, ra, dec, alone[nearest] * (1 + 1e-12) + 1e-15)[nearest]
            if alone[nearest] > 0:
                assert not sky.meet_cone(polygons, ra, dec, alone[nearest] * (1 - 1e-9))[nearest]
            assert sky.contain(polygons, ra, dec).tolist() == [
                bool(p.contains(vector)) for p in polygons
            ]
            inside += sky.contain(polygons, ra, dec).tolist()
            within += [d <= radius for d in alone]
    assert 0 < np.mean(inside) < 0.5 and 0 < np.mean(within) < 0.5
    assert sky.meet_cone([], 1.0, 2.0, 3.0).tolist() == sky.contain([], 1.0, 2.0).tolist() == []
