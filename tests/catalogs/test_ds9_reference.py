"""ds9 shape sizes and angles, against ``regions`` reading the same text and against
ds9's own conventions worked out by hand: an ellipse is written with its semi-axes (the
feature's ``width``/``height`` are full axes, twice them), a box with its full sides;
the first size is along the shape's own x axis, turned by ``angle`` degrees."""

import pytest
from astropy import units as u
from regions import Regions

from catalogs.importers import import_catalog

TEXT = """# Region file format: DS9 version 4.1
icrs
ellipse(10.0,20.0,12",4",30)
box(11.0,21.0,40",10",75)
circle(12.0,22.0,7")
annulus(13.0,23.0,3",9")
image
ellipse(100,200,30,8,-20)
box(150,250,60,14,110)
circle(50,60,12.5)
"""

# (shape, width, height, angle) by hand: degrees on the sky, pixels in the image frame.
BY_HAND = [
    ("ellipse", 24 / 3600, 8 / 3600, 30.0),
    ("box", 40 / 3600, 10 / 3600, 75.0),
    ("ellipse", 60.0, 16.0, -20.0),
    ("box", 60.0, 14.0, 110.0),
]


@pytest.fixture(scope="module")
def features():
    return import_catalog(TEXT.encode(), fmt="ds9").features


def test_sizes_and_angles_as_ds9_writes_them(features):
    shaped = [f["properties"] for f in features if f["properties"]["shape"] in ("ellipse", "box")]
    assert len(shaped) == len(BY_HAND)
    for properties, (shape, width, height, angle) in zip(shaped, BY_HAND, strict=True):
        assert properties["shape"] == shape
        assert properties["width"] == pytest.approx(width, rel=1e-9), properties
        assert properties["height"] == pytest.approx(height, rel=1e-9), properties
        assert properties["angle"] == pytest.approx(angle, abs=1e-9), properties
    circles = [f["properties"] for f in features if f["properties"]["shape"] == "circle"]
    assert [c["radius"] for c in circles] == pytest.approx([7 / 3600, 12.5])
    (annulus,) = [f["properties"] for f in features if f["properties"]["shape"] == "annulus"]
    assert annulus["radii"] == pytest.approx([3 / 3600, 9 / 3600])


def test_sizes_and_angles_match_what_regions_reads(features):
    reference = Regions.parse(TEXT, format="ds9")
    assert len(reference) == len(features)
    for region, feature in zip(reference, features, strict=True):
        properties = feature["properties"]
        sky = "Sky" in type(region).__name__

        def size(value, sky=sky):
            return value.to_value(u.deg) if sky else float(value)

        for name in ("width", "height"):
            if hasattr(region, name):
                assert properties[name] == pytest.approx(size(getattr(region, name)), rel=1e-9)
        if hasattr(region, "angle"):
            assert properties["angle"] == pytest.approx(region.angle.to_value(u.deg), abs=1e-9)
        if hasattr(region, "radius"):
            assert properties["radius"] == pytest.approx(size(region.radius), rel=1e-9)
        if sky:
            centre = region.center.icrs
            lon, lat = feature["geometry"]["coordinates"]
            assert (lon, lat) == pytest.approx((centre.ra.deg, centre.dec.deg), abs=1e-9)
        else:  # regions counts pixels from 0, the feature from 1 as FITS does
            x, y = feature["geometry"]["coordinates"]
            assert (x, y) == pytest.approx((region.center.x + 1, region.center.y + 1))
