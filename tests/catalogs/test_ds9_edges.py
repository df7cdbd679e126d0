"""ds9 properties and physical sizes the reference files do not hold, worked by hand:
annuli in physical coordinates go through the LTM's scale, and the text angle and fill
settings are kept as ds9 writes them."""

import pytest
from astropy import units as u
from astropy.coordinates import FK4, SkyCoord

from catalogs.importers import CatalogImportError, import_catalog

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


def test_a_composite_is_read_around_parentheses_in_its_text():
    text = (b"image\n# composite(10,10,0) || composite=0 color=red text={a(b)c}\n"
            b"circle(10,10,3) ||\nbox(10,10,4,4,0)\n")  # fmt: skip
    composites = [f["properties"]["composite"] for f in import_catalog(text, fmt="ds9").features]
    assert [(c["at"], c["global"], c["color"]) for c in composites] == [
        ("10,10,0", False, "red")
    ] * 2


def test_a_composite_line_without_its_closing_parenthesis_has_no_position():
    text = b"image\n# composite(10,10,0 || composite=0\ncircle(10,10,3)\n"
    (circle,) = import_catalog(text, fmt="ds9").features
    assert circle["properties"]["composite"]["at"] == ""
    assert circle["properties"]["composite"]["global"] is False


def test_a_composite_keeps_at_most_200_characters_of_position_and_40_of_colour():
    digits, colour = "1" * 250, "a" * 45
    text = (
        f"image\n# composite(10.{digits}, 10, 0) || color={colour} width=thick\ncircle(10,10,3)\n"
    )
    (circle,) = import_catalog(text.encode(), fmt="ds9").features
    composite = circle["properties"]["composite"]
    assert composite["at"] == f"10.{digits},10,0"[:200] and len(composite["at"]) == 200
    assert composite["color"] == "a" * 40
    assert composite["linewidth"] == "thick"  # not a number: as written


@pytest.mark.parametrize(
    ("frame", "position"),
    [("galactic", "10,20"), ("galactic", "200,-30"), ("galactic", "300,60"), ("fk4", "120,-40")],
)
def test_north_is_a_position_angle_in_minus_180_to_180(frame, position):
    text = f'{frame}\nbox({position},10",4",30)\n'
    (box,) = import_catalog(text.encode(), fmt="ds9").features
    north = box["properties"]["north"]
    lon, lat = map(float, position.split(","))
    centre = SkyCoord(lon * u.deg, lat * u.deg, frame="galactic" if frame == "galactic" else FK4())
    angle = centre.icrs.position_angle(centre.directional_offset_by(0 * u.deg, 1 * u.arcsec).icrs)
    expected = (angle.deg + 180.0) % 360.0 - 180.0
    assert -180.0 <= north < 180.0
    assert north == pytest.approx(expected, abs=1e-9)
    assert north == round(north, 10)  # kept to 1e-10 degrees


def test_only_shapes_in_frames_other_than_icrs_have_a_north():
    text = b'icrs\nbox(10,20,10",4",30)\nfk5\nbox(10,20,10",4",30)\n'
    icrs, fk5 = (f["properties"] for f in import_catalog(text, fmt="ds9").features)
    assert "north" not in icrs and "native" not in icrs
    assert "north" in fk5


def test_a_label_keeps_its_text_as_written():
    (label,) = import_catalog(b"image\n# text(1,2) text={ two  spaces }\n", fmt="ds9").features
    assert label["properties"]["text"] == " two  spaces "  # what regions reads, spaces kept


def physical_circle(header):
    result = import_catalog(b"physical\ncircle(100,200,8)\n", fmt="ds9", physical=header)
    return result.features[0] if result.features else None


def test_a_header_without_ltm_cards_maps_physical_as_image_pixels():
    circle = physical_circle({})
    assert circle["geometry"]["coordinates"] == [100.0, 200.0]
    assert circle["properties"]["radius"] == 8.0
    assert "native" not in circle["properties"] and "physical" not in circle["properties"]
    shifted = physical_circle({"LTV1": 5.0, "LTV2": -2.0})  # the LTM left out: identity
    assert shifted["geometry"]["coordinates"] == [105.0, 198.0]
    assert shifted["properties"]["radius"] == 8.0
    assert shifted["properties"]["physical"] == {
        "ltm": [[1.0, 0.0], [0.0, 1.0]],
        "ltv": [5.0, -2.0],
    }


def test_only_a_scale_and_a_rotation_carry_circles():
    noise = physical_circle({"LTM1_1": 0.5, "LTM2_2": 0.5, "LTM2_1": 1e-16})  # rounding
    assert noise["properties"]["radius"] == pytest.approx(4.0)
    with pytest.raises(CatalogImportError):  # the circle is refused: nothing else is left
        physical_circle({"LTM1_1": 0.5, "LTM2_2": 0.5, "LTM2_1": 0.1})  # sheared
    with pytest.raises(CatalogImportError):
        physical_circle({"LTM1_1": 0.0, "LTM2_2": 0.0})  # every point on one pixel


def test_a_broken_physical_line_is_named():
    with pytest.raises(CatalogImportError) as error:
        import_catalog(b"physical\npoint(1,1)\ncircle(1,2\n", fmt="ds9", physical=HALF)
    assert error.value.line == 3
