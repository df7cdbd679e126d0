"""ds9 ``physical`` coordinates: mapped to the linked image's pixels through its LTM/LTV
(image = LTM · physical + LTV), refused by name where they cannot be placed, and written
back as they came."""

import numpy as np
import pytest

from catalogs.importers import import_catalog
from catalogs.importers.export import to_ds9

FILE = (
    "# Region file format: DS9 version 4.1\nphysical\n"
    "circle(100,200,8) # color=red\n"
    "box(50,60,10,4,30)\n"
    "polygon(10,10,20,10,20,20)\n"
    "point(30,40) # point=x\n"
    "image\ncircle(5,6,2)\n"
)
BLOCKED = {"LTM1_1": 0.5, "LTM2_2": 0.5, "LTV1": -10.0, "LTV2": 5.0}  # binned 2 x 2, shifted


def image_of(ltm, ltv, point):
    return list(np.asarray(ltm, dtype=float) @ np.asarray(point, dtype=float) + np.asarray(ltv))


def by_shape(result):
    return {
        f["properties"]["shape"]: f
        for f in result.features
        if f["properties"]["coordsys"] == "physical"
    }


def test_physical_regions_become_pixels_of_the_image_by_its_ltm_and_ltv():
    result = import_catalog(FILE.encode(), fmt="ds9", physical=BLOCKED)
    ltm, ltv = [[0.5, 0.0], [0.0, 0.5]], [-10.0, 5.0]
    shapes = by_shape(result)
    circle = shapes["circle"]
    assert circle["geometry"]["coordinates"] == pytest.approx(image_of(ltm, ltv, [100, 200]))
    assert circle["properties"]["radius"] == pytest.approx(4.0)
    assert circle["properties"]["frame"] == "image" and circle["properties"]["native"] == [
        100.0,
        200.0,
    ]
    box = shapes["box"]["properties"]
    assert shapes["box"]["geometry"]["coordinates"] == pytest.approx(image_of(ltm, ltv, [50, 60]))
    assert [box["width"], box["height"], box["angle"]] == pytest.approx([5.0, 2.0, 30.0])
    ring = shapes["polygon"]["geometry"]["coordinates"][0]
    expected = [image_of(ltm, ltv, p) for p in [[10, 10], [20, 10], [20, 20], [10, 10]]]
    assert np.allclose(ring, expected)
    assert shapes["point"]["geometry"]["coordinates"] == pytest.approx(image_of(ltm, ltv, [30, 40]))
    # Image-frame regions are not moved.
    (image,) = [f for f in result.features if f["properties"]["coordsys"] == "image"]
    assert image["geometry"]["coordinates"] == [5.0, 6.0]
    assert result.warnings == []


def test_a_rotated_ltm_turns_the_angles_of_physical_shapes():
    turned = {"LTM1_1": 0.0, "LTM1_2": -2.0, "LTM2_1": 2.0, "LTM2_2": 0.0}  # 90 degrees, x2
    box = by_shape(import_catalog(FILE.encode(), fmt="ds9", physical=turned))["box"]
    assert box["geometry"]["coordinates"] == pytest.approx([-120.0, 100.0])
    props = box["properties"]
    assert [props["width"], props["height"], props["angle"]] == pytest.approx([20.0, 8.0, 120.0])


def test_physical_regions_that_cannot_be_placed_are_refused_by_line():
    stretched = {"LTM1_1": 0.5, "LTM2_2": 1.0}  # a circle would become an ellipse
    result = import_catalog(FILE.encode(), fmt="ds9", physical=stretched)
    assert sorted(by_shape(result)) == ["point", "polygon"]
    assert result.warnings == [
        f"line {n}: a '{name}' in 'physical' coordinates cannot be drawn on this image, "
        "whose LTM stretches or mirrors it; left out."
        for n, name in ((3, "circle"), (4, "box"))
    ]
    unlinked = import_catalog(FILE.encode(), fmt="ds9", physical=None)
    assert [f["properties"]["coordsys"] for f in unlinked.features] == ["image"]
    assert unlinked.warnings[0] == (
        "line 3: a 'circle' in 'physical' coordinates needs the one image it belongs to "
        "(its LTM/LTV): link the file to that image; left out."
    )
    assert len(unlinked.warnings) == 4


def test_physical_regions_are_exported_as_they_came_and_read_back_the_same():
    first = import_catalog(FILE.encode(), fmt="ds9", physical=BLOCKED)
    text = "".join(to_ds9(lambda: first.features))
    assert "physical\ncircle(100.0,200.0,8.0) # color=red" in text
    assert "box(50.0,60.0,10.0,4.0,30.0)" in text
    again = import_catalog(text.encode(), fmt="ds9", physical=BLOCKED)
    kept = (
        "shape",
        "coordsys",
        "frame",
        "radius",
        "width",
        "height",
        "angle",
        "native",
        "point",
    )

    def placed(feature):  # the export adds ds9's global defaults (width, font, dash)
        return feature["geometry"], {k: feature["properties"].get(k) for k in kept}

    assert [placed(f) for f in again.features] == [placed(f) for f in first.features]
