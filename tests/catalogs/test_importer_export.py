"""The writers line by line: each ds9 shape, setting, frame and composite as written by
hand from ds9's region syntax, read back by astropy's ``regions`` (sizes, angles); CSV
cells as a spreadsheet must see them."""

import csv
import io
import json

import pytest
from astropy import units as u
from regions import Regions

from catalogs.importers.export import csv_cell, csv_text, ds9_text, to_csv, to_ds9, to_geojson

HEADER = (
    "# Region file format: DS9 version 4.1\n"
    'global color=green dashlist=8 3 width=1 font="helvetica 10 normal roman" select=1 '
    "highlite=1 dash=0 fixed=0 edit=1 move=1 delete=1 include=1 source=1\n"
)


def point(x, y, image=True, **properties):
    if image:
        properties["frame"] = "image"
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [x, y]},
            "properties": properties}  # fmt: skip


def ds9(*features):
    text = "".join(to_ds9(lambda: list(features)))
    assert text.startswith(HEADER)
    return text[len(HEADER) :]


@pytest.mark.parametrize(
    ("feature", "line"),
    [
        (point(5, 6, shape="circle", radius=2.5), "circle(5.0,6.0,2.5)"),
        (point(5, 6, shape="ellipse", width=4, height=2, angle=30), "ellipse(5.0,6.0,2.0,1.0,30.0)"),
        (point(5, 6, shape="box", width=4, height=2, angle=-15), "box(5.0,6.0,4.0,2.0,-15.0)"),
        (point(5, 6, shape="annulus", radii=[1, 3]), "annulus(5.0,6.0,1.0,3.0)"),
        (point(5, 6, shape="ellipse_annulus", inner=[2, 1], outer=[6, 3], angle=10),
         "ellipse(5.0,6.0,1.0,0.5,3.0,1.5,10.0)"),
        (point(5, 6, shape="box_annulus", inner=[2, 1], outer=[6, 3], angle=10),
         "box(5.0,6.0,2.0,1.0,6.0,3.0,10.0)"),
        (point(5, 6, shape="text", text="hi"), "text(5.0,6.0) # text={hi}"),
        (point(5, 6), "point(5.0,6.0)"),
        (point(5, 6, shape="point", point="diamond", point_size=7), "point(5.0,6.0) # point=diamond 7"),
        (point(5, 6, shape="point", point="x"), "point(5.0,6.0) # point=x"),
        (point(5, 6, shape="circle", radius=1, include=False), "-circle(5.0,6.0,1.0)"),
        ({"type": "Feature", "geometry": {"type": "Polygon",
          "coordinates": [[[1, 1], [4, 1], [4, 3], [1, 1]]]}, "properties": {"frame": "image"}},
         "polygon(1.0,1.0,4.0,1.0,4.0,3.0)"),
        ({"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[1, 2], [3, 4]]},
          "properties": {"frame": "image", "line": "1 0"}}, "line(1.0,2.0,3.0,4.0) # line=1 0"),
    ],
)  # fmt: skip
def test_each_image_shape_as_ds9_writes_it(feature, line):
    assert ds9(feature) == f"image\n{line}\n"


def test_sky_sizes_are_arcseconds_and_positions_icrs_unless_written_in_another_frame():
    circle = point(10.5, -20.25, image=False, shape="circle", radius=0.001)
    assert ds9(circle) == 'icrs\ncircle(10.5,-20.25,3.6")\n'
    box = point(10.5, -20.25, image=False, shape="box", width=0.01, height=0.005, angle=20)
    assert ds9(box) == 'icrs\nbox(10.5,-20.25,36",18",20.0)\n'
    # Read in fk5: written back in fk5, at the coordinates as written there.
    fk5 = point(10.1, 20.1, image=False, shape="circle", radius=1 / 3600, coordsys="fk5",
                native=[10, 20])  # fmt: skip
    galactic = point(1, 2, image=False, shape="circle", radius=2 / 3600, coordsys="galactic",
                     native=[120.5, -10.25])  # fmt: skip
    assert ds9(fk5, galactic, circle) == (
        'fk5\ncircle(10.0,20.0,1")\ngalactic\ncircle(120.5,-10.25,2")\nicrs\ncircle(10.5,-20.25,3.6")\n'
    )
    # A native of another shape than the geometry is not used.
    odd = point(10.1, 20.1, image=False, shape="circle", radius=1 / 3600, coordsys="fk5",
                native=[10])  # fmt: skip
    assert ds9(odd) == 'fk5\ncircle(10.1,20.1,1")\n'
    # A pixel frame named for a sky feature (or the reverse) is not believed.
    assert ds9(point(1, 2, image=False, coordsys="image")) == "icrs\npoint(1.0,2.0)\n"
    assert ds9(point(1, 2, coordsys="fk5")) == "image\npoint(1.0,2.0)\n"
    assert ds9(point(1, 2, coordsys="nonsense")) == "image\npoint(1.0,2.0)\n"


def test_physical_regions_go_back_through_their_map():
    """Read with LTM = 2 I (image = 2 physical): a radius of 4 image pixels is 2 physical
    ones, at the native (physical) position; LTM a rotation by 90 degrees (LTM2_1 = 1,
    LTM1_2 = -1): an angle of 120 in the image is 30 as written."""
    scaled = point(6, 8, shape="circle", radius=4, coordsys="physical", native=[3, 4],
                   physical={"ltm": [[2, 0], [0, 2]], "ltv": [0, 0]})  # fmt: skip
    assert ds9(scaled) == "physical\ncircle(3.0,4.0,2.0)\n"
    turned = point(6, 8, shape="box", width=4, height=2, angle=120, coordsys="physical",
                   native=[3, 4], physical={"ltm": [[0, -1], [1, 0]], "ltv": [0, 0]})  # fmt: skip
    assert ds9(turned) == "physical\nbox(3.0,4.0,4.0,2.0,30.0)\n"
    broken = point(6, 8, shape="circle", radius=4, coordsys="physical", native=[3, 4],
                   physical={"ltm": "nonsense"})  # fmt: skip
    assert ds9(broken) == "physical\ncircle(3.0,4.0,4.0)\n"
    flat = point(6, 8, shape="circle", radius=4, coordsys="physical", native=[3, 4],
                 physical={"ltm": [[0, 0], [0, 0]]})  # fmt: skip
    assert ds9(flat) == "physical\ncircle(3.0,4.0,4.0)\n"
    flat_box = point(6, 8, shape="box", width=4, height=2, angle=120, coordsys="physical",
                     native=[3, 4], physical={"ltm": [[0, 0], [0, 0]]})  # fmt: skip
    assert ds9(flat_box) == "physical\nbox(3.0,4.0,4.0,2.0,120.0)\n"  # no map: as it is


def test_every_setting_in_its_order_and_quoted():
    feature = point(5, 6, shape="circle", radius=1, color="red", linewidth=2, dash=True,
                    dashlist="4 2", line="1 0", fill=True, textangle=45, textrotate=False,
                    ds9={"edit": "0", "Bad": "x", "move": "a b"}, source=False, text="a{b",
                    font="times 12 bold", tag=["x;y", "z"])  # fmt: skip
    assert ds9(feature) == (
        "image\ncircle(5.0,6.0,1.0) # color=red width=2 dash=1 dashlist=4 2 line=1 0 fill=1 "
        'textangle=45 textrotate=0 edit=0 background text="a{b" font="times 12 bold" '
        "tag={x,y} tag={z}\n"
    )
    refused = point(5, 6, shape="circle", radius=1, color="red;x", linewidth=101, dash=False,
                    dashlist="4 2", fill=False, textrotate=True, source=True, font="1x",
                    name="called")  # fmt: skip
    assert ds9(refused) == "image\ncircle(5.0,6.0,1.0) # text={called}\n"
    assert ds9(point(5, 6, shape="circle", radius=1, linewidth=0, dash=True, dashlist="x")) == (
        "image\ncircle(5.0,6.0,1.0) # width=0 dash=1\n"
    )
    assert ds9(point(5, 6, shape="circle", radius=1, linewidth=True)) == (
        "image\ncircle(5.0,6.0,1.0)\n"
    )


def test_labels_take_a_delimiter_they_do_not_hold():
    assert ds9_text("plain") == "{plain}"
    assert ds9_text("a{b}") == '"a{b}"'
    assert ds9_text('a{"b"}') == "'a{\"b\"}'"
    assert ds9_text("a{\"b'}") == "{a(\"b')}"
    assert ds9_text(" \x1b\n ") is None
    assert ds9_text("two\nlines\x7fend") == "{two lines end}"


def test_composites_as_ds9_writes_them():
    group = {"line": 3, "at": "10,20,0", "global": True, "color": "red", "linewidth": 2}
    members = [point(10, 20, image=False, shape="circle", radius=1 / 3600, composite=group),
               point(10.001, 20, image=False, shape="circle", radius=2 / 3600, composite=group,
                     color="blue")]  # fmt: skip
    alone = point(11, 21, image=False, shape="circle", radius=1 / 3600)
    assert ds9(*members, alone) == (
        "icrs\n# composite(10,20,0) || composite=1 color=red width=2\n"
        'circle(10.0,20.0,1") ||\ncircle(10.001,20.0,2") # color=blue\n'
        'circle(11.0,21.0,1")\n'
    )
    local = dict(group, at="1,2,3", **{"global": False, "color": "no such;colour"})
    del local["linewidth"]
    one = point(10, 20, image=False, shape="circle", radius=1 / 3600, composite=local)
    assert ds9(one) == 'icrs\n# composite(1,2,3) || composite=0\ncircle(10.0,20.0,1")\n'
    wide = dict(group, linewidth=101)  # ds9 draws lines up to 100 wide: not written
    assert ds9(point(1, 2, image=False, composite=wide)).startswith(
        "icrs\n# composite(10,20,0) || composite=1 color=red\n"
    )
    broken = dict(group, at="1;circle(")  # not a composite's parameters: members alone
    two = [point(10, 20, image=False, shape="point", composite=broken)] * 2
    assert ds9(*two) == "icrs\npoint(10.0,20.0)\npoint(10.0,20.0)\n"


def test_what_ds9_writes_regions_reads_with_the_same_sizes_and_angles():
    features = [
        point(5, 6, shape="ellipse", width=4, height=2, angle=30),
        point(5, 6, shape="box", width=4, height=2, angle=-15),
        point(5, 6, shape="annulus", radii=[1, 3]),
        point(10.5, -20.25, image=False, shape="box", width=0.01, height=0.005, angle=20),
    ]
    read = Regions.parse("".join(to_ds9(lambda: features)), format="ds9")
    ellipse, box, annulus, sky = read
    assert (ellipse.width, ellipse.height, ellipse.angle) == (4.0, 2.0, 30 * u.deg)
    assert (ellipse.center.x, ellipse.center.y) == (4.0, 5.0)  # regions is 0-based
    assert (box.width, box.height, box.angle) == (4.0, 2.0, -15 * u.deg)
    assert (annulus.inner_radius, annulus.outer_radius) == (1.0, 3.0)
    assert sky.width.to_value(u.arcsec) == pytest.approx(36) and sky.angle == 20 * u.deg
    assert sky.height.to_value(u.arcsec) == pytest.approx(18)
    assert sky.center.ra.deg == 10.5 and sky.center.dec.deg == -20.25


def test_features_without_a_ds9_shape_are_left_out():
    multi = {"type": "Feature", "geometry": {"type": "MultiPoint", "coordinates": [[1, 2]]},
             "properties": {}}  # fmt: skip
    assert ds9(multi) == ""
    assert ds9(multi, point(1, 2)) == "image\npoint(1.0,2.0)\n"


def test_csv_cells():
    assert [csv_cell(v) for v in (None, True, False, 3, 2.5)] == ["", "true", "false", 3, 2.5]
    assert csv_cell([1, "a"]) == '[1, "a"]' and csv_cell({"k": 1}) == '{"k": 1}'
    assert [csv_text(t) for t in ("=1+1", "+1", "-x", "@a", "\tt", "\rr", "ok=1")] == [
        "'=1+1", "'+1", "'-x", "'@a", "'\tt", "' r", "ok=1"
    ]  # fmt: skip
    assert csv_text("a\r\nb\nc\rd") == "a b c d"
    assert csv_cell("=cmd") == "'=cmd"


def test_csv_and_geojson_exports():
    features = [point(10.123456789, -5, image=False, name="=a", mag=12.5),
                point(350, 89.5, image=False, flag=True)] + [
        point(i * 0.2, 0.0, image=False) for i in range(1, 1500)]  # fmt: skip
    text = "".join(to_csv(lambda: features))
    table = list(csv.reader(io.StringIO(text)))
    assert table[0] == ["ra", "dec", "name", "mag", "flag"]
    assert table[1] == ["10.12345679", "-5.0", "'=a", "12.5", ""]
    assert table[2] == ["350.0", "89.5", "", "", "true"]
    assert len(table) == 1 + 1501 and table[-1] == ["299.8", "0.0", "", "", ""]
    pieces = list(to_csv(lambda: features))
    assert len(pieces) == 2  # a piece every 1000 rows, then the rest
    frame_only = [point(1, 2, shape="point")]
    assert next(csv.reader(io.StringIO("".join(to_csv(lambda: frame_only))))) == [
        "ra", "dec", "shape"
    ]  # fmt: skip
    document = json.loads("".join(to_geojson(features[:2])))
    assert document == {"type": "FeatureCollection", "features": features[:2]}
    assert "".join(to_geojson([])) == '{"type": "FeatureCollection", "features": []}'
