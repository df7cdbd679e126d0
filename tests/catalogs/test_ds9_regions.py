"""ds9 region files as astropy ``regions`` reads them: every shape and property kept, in
its frame, and written back out so that ``regions`` reads the same regions again.

The files are the ``regions`` package's own ds9 test files, read from the installed
package."""

import math
import warnings
from pathlib import Path

import numpy as np
import pytest
import regions as regions_package
from astropy import units as u
from regions import Regions

from catalogs.importers import import_catalog
from catalogs.importers.export import to_ds9

DS9_FILES = Path(regions_package.__file__).parent / "io" / "ds9" / "tests" / "data"
FILES = sorted(DS9_FILES.glob("*.reg"))
SHAPES = {"CircleSkyRegion": "circle", "EllipseSkyRegion": "ellipse", "RectangleSkyRegion": "box",
          "PolygonSkyRegion": "polygon", "LineSkyRegion": "line", "PointSkyRegion": "point",
          "TextSkyRegion": "text", "CircleAnnulusSkyRegion": "annulus",
          "EllipseAnnulusSkyRegion": "ellipse_annulus",
          "RectangleAnnulusSkyRegion": "box_annulus"}  # fmt: skip
FRAMES = {"fk5": "fk5", "fk4": "fk4", "icrs": "icrs", "galactic": "galactic",
          "barycentricmeanecliptic": "ecliptic"}  # fmt: skip


def read_with_regions(source):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if isinstance(source, Path):
            return Regions.read(str(source), format="ds9")
        return Regions.parse(source, format="ds9")


def shape_of(region):
    return SHAPES[type(region).__name__.replace("Pixel", "Sky")]


def test_the_regions_test_files_are_there():
    names = {path.name for path in FILES}
    for frame in ("fk4", "fk5", "icrs", "galactic", "ecliptic", "image", "composite", "color"):
        assert f"ds9.{frame}.reg" in names


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_region_is_kept_with_its_properties(path):
    expected = read_with_regions(path)
    result = import_catalog(path, fmt="ds9")
    assert len(result.features) == len(expected)
    for feature, region in zip(result.features, expected, strict=True):
        properties = feature["properties"]
        assert properties["shape"] == shape_of(region)
        assert properties["include"] is bool(int(region.meta.get("include", 1)))
        visual = dict(region.visual)
        colour = visual.get("edgecolor") or visual.get("color")
        assert properties.get("color") == colour
        width = visual.get("linewidth", visual.get("markeredgewidth"))
        if width is not None:
            assert properties["linewidth"] == float(width)
        for key in ("text", "tag"):
            assert properties.get(key) == (region.meta.get(key) or None) or key == "text"
        if "fontname" in visual:
            assert properties["font"].split()[:2] == [visual["fontname"], str(visual["fontsize"])]
        if hasattr(region.center if hasattr(region, "center") else None, "frame"):
            assert properties["coordsys"] == FRAMES[region.center.frame.name]
        if properties["shape"] == "text":
            assert properties["text"] == region.text
        centre = getattr(region, "center", None)
        if centre is not None and hasattr(centre, "x"):  # pixel: FITS 1-based
            assert feature["geometry"]["coordinates"] == [centre.x + 1, centre.y + 1]
            assert properties["coordsys"] == "image" and properties["frame"] == "image"
        elif centre is not None:
            icrs = centre.icrs
            assert feature["geometry"]["coordinates"] == pytest.approx(
                [icrs.ra.deg, icrs.dec.deg], abs=1e-10
            )
            if properties["coordsys"] != "icrs":
                native = centre.represent_as("unitspherical")
                assert properties["native"] == pytest.approx(
                    [native.lon.deg, native.lat.deg], abs=1e-10
                )


def test_the_fk5_file_keeps_all_17_shapes_exclusions_background_and_symbols():
    result = import_catalog(DS9_FILES / "ds9.fk5.reg", fmt="ds9")
    assert result.warnings == []
    features = result.features
    shapes = [f["properties"]["shape"] for f in features]
    assert shapes == ["circle", "ellipse", "box", "polygon", "line", "text", "annulus", "annulus",
                      "ellipse_annulus", "box_annulus"] + ["point"] * 7  # fmt: skip
    by_text = {f["properties"].get("text"): f["properties"] for f in features}
    assert by_text["Ellipse"]["include"] is False and by_text["Ellipse"]["source"] is False
    assert by_text["Box"]["include"] is False and by_text["Box"]["source"] is True
    assert by_text["Line"]["line"] == "1 1" and by_text["Line"]["include"] is False
    assert by_text["Circle"]["tag"] == ["foo", "foo bar"] and by_text["Circle"]["linewidth"] == 3
    assert by_text["Polygon"]["ds9"] == {"edit": "0", "rotate": "0"}
    symbols = [f["properties"]["point"] for f in features if f["properties"]["shape"] == "point"]
    assert symbols == ["circle", "box", "diamond", "cross", "x", "arrow", "boxcircle"]
    ellipse = by_text["Ellipse"]  # semi-axes 7.928", 3.964": full lengths kept, in degrees
    assert ellipse["width"] == pytest.approx(2 * 7.9280014 / 3600) and ellipse["angle"] == 2.3983109
    ring = by_text["Ellipse Annulus"]
    assert ring["inner"] == pytest.approx([2 * 2.9730005 / 3600, 2 * 1.4865003 / 3600])
    assert ring["outer"] == pytest.approx([2 * 5.946001 / 3600, 2 * 2.9730005 / 3600])
    assert by_text["Box Annulus"]["outer"] == pytest.approx([11.892002 / 3600, 5.946001 / 3600])
    annuli = [f["properties"]["radii"] for f in features if f["properties"]["shape"] == "annulus"]
    assert np.allclose(
        annuli, [[1.9820003 / 3600, 3.9640007 / 3600], [3.9640007 / 3600, 5.946001 / 3600]]
    )


def test_composite_members_know_their_composite():
    features = import_catalog(DS9_FILES / "ds9.composite.reg", fmt="ds9").features
    assert len(features) == 17
    assert {f["properties"]["composite"]["line"] for f in features} == {4}
    assert features[0]["properties"]["composite"]["at"] == "202.48165,47.1931,317.39831"


def test_a_galactic_box_knows_where_its_north_points_in_icrs():
    features = import_catalog(DS9_FILES / "ds9.galactic.reg", fmt="ds9").features
    box = next(f for f in features if f["properties"]["shape"] == "box")
    region = next(
        r for r in read_with_regions(DS9_FILES / "ds9.galactic.reg") if shape_of(r) == "box"
    )
    ahead = region.center.directional_offset_by(0 * u.deg, 1 * u.arcsec)
    expected = region.center.icrs.position_angle(ahead.icrs).deg
    assert math.isclose((box["properties"]["north"] - expected + 180) % 360 - 180, 0, abs_tol=1e-6)
    assert abs(box["properties"]["north"]) > 100  # galactic north is far from equatorial north here


def test_physical_and_unplaceable_frames_and_unknown_shapes_are_reported_by_line():
    text = (b"physical\ncircle(10,20,3) # dash=1 width=2\nlinear\nbox(1,2,3,4,0)\nfk5\n"
            b"vector(1,2,3\",4)\nblob(1,2)\n")  # fmt: skip
    result = import_catalog(text, fmt="ds9")
    assert [f["properties"]["coordsys"] for f in result.features] == ["physical"]
    circle = result.features[0]["properties"]
    assert circle["frame"] == "image" and circle["dash"] is True and circle["linewidth"] == 2
    assert result.warnings == [
        "line 4: a 'box' in frame 'linear' cannot be placed, left out.",
        "line 6: 'vector' regions are not supported, left out.",
        "line 7: 'blob' is not a ds9 shape, left out.",
    ]


def comparable(region):
    """What ``regions`` read of a region: its parameters, meta and visual."""
    values = {}
    for name in region._params:
        value = getattr(region, name)
        if hasattr(value, "frame"):
            values[name] = (value.frame.name, value)
        elif hasattr(value, "x"):
            values[name] = np.array(value.xy, dtype=float)
        elif hasattr(value, "unit"):
            values[name] = value.to_value(value.unit), value.unit
        else:
            values[name] = value
    return type(region).__name__, values, dict(region.meta), dict(region.visual)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_ds9_round_trip_reads_the_same_regions(path):
    first = import_catalog(path, fmt="ds9")
    text = "".join(to_ds9(lambda: first.features))
    again = import_catalog(text.encode(), fmt="ds9")
    original, written = read_with_regions(path), read_with_regions(text)
    assert len(written) == len(original)
    had_globals = "global" in path.read_text()
    for a, b in zip(original, written, strict=True):
        kind_a, values_a, meta_a, visual_a = comparable(a)
        kind_b, values_b, meta_b, visual_b = comparable(b)
        assert kind_a == kind_b
        for name, value in values_a.items():
            other = values_b[name]
            if isinstance(value, tuple) and hasattr(value[1], "frame"):
                assert other[0] == value[0]  # the same frame
                assert np.max(np.atleast_1d(value[1].separation(other[1]).arcsec)) < 1e-6
            elif isinstance(value, tuple):
                assert other[0] == pytest.approx(value[0], rel=1e-12) and other[1] == value[1]
            elif isinstance(value, np.ndarray):
                assert np.array_equal(other, value)
            else:
                assert other == value
        if had_globals:  # without a global line, ds9's defaults are written out
            assert meta_b == meta_a and visual_b == visual_a
        else:
            assert meta_b["include"] == meta_a["include"]
    # And the features read back are the same, to the last bits of the ICRS positions.
    for f1, f2 in zip(first.features, again.features, strict=True):
        assert f2["geometry"]["type"] == f1["geometry"]["type"]
        assert np.allclose(np.array(f2["geometry"]["coordinates"], dtype=object).tolist(),
                           f1["geometry"]["coordinates"], rtol=0, atol=1e-11)  # fmt: skip
        if had_globals:
            assert f2["properties"] == f1["properties"]
