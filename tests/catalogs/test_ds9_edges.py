"""ds9 properties and physical sizes the reference files do not hold, worked by hand:
annuli in physical coordinates go through the LTM's scale, and the text angle and fill
settings are kept as ds9 writes them."""

import pytest

from catalogs.importers import import_catalog

HALF = {"LTM1_1": 0.5, "LTM2_2": 0.5}  # image = physical / 2


def test_physical_annuli_are_scaled_to_image_pixels():
    text = (b"physical\nannulus(100,200,4,8)\nellipse(50,60,4,2,8,4,30)\n"
            b"box(50,60,4,2,8,4,30)\n")  # fmt: skip
    rings = [f["properties"] for f in import_catalog(text, fmt="ds9", physical=HALF).features]
    assert [r["shape"] for r in rings] == ["annulus", "ellipse_annulus", "box_annulus"]
    assert rings[0]["radii"] == pytest.approx([2.0, 4.0])
    # An ellipse's sizes are semi-axes (full axes 8, 4 and 16, 8), a box's full sides.
    assert rings[1]["inner"] == pytest.approx([4.0, 2.0])
    assert rings[1]["outer"] == pytest.approx([8.0, 4.0])
    assert rings[2]["inner"] == pytest.approx([2.0, 1.0])
    assert rings[2]["outer"] == pytest.approx([4.0, 2.0])


def test_text_angle_and_fill_are_kept():
    text = b"image\n# text(1,2) text={a} textangle=30\ncircle(1,2,3) # fill=1\n"
    label, circle = (f["properties"] for f in import_catalog(text, fmt="ds9").features)
    assert label["textangle"] == 30
    assert circle["fill"] is True


def test_a_physical_feature_keeps_the_map_it_was_read_with():
    text = b"physical\ncircle(100,200,8)\n"
    shifted = {"LTM1_1": 0.5, "LTM2_2": 0.5, "LTV1": -10.0, "LTV2": 5.0}
    (circle,) = import_catalog(text, fmt="ds9", physical=shifted).features
    assert circle["properties"]["physical"] == {
        "ltm": [[0.5, 0.0], [0.0, 0.5]],
        "ltv": [-10.0, 5.0],
    }


def test_a_composite_keeps_its_frame_by_its_own_name_and_its_position_without_spaces():
    text = b'j2000\n# composite(10, 20, 0) || composite=1\ncircle(10,20,1") ||\npoint(10,20)\n'
    composites = [f["properties"]["composite"] for f in import_catalog(text, fmt="ds9").features]
    assert [(c["frame"], c["at"]) for c in composites] == [("fk5", "10,20,0")] * 2
