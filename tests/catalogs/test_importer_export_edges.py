"""The writers on features no importer of ours makes, but a GeoJSON file or an edited
catalog can hold: missing, non-finite or odd values, natives of another shape, composites
told apart by line and position, and the CSV text exactly as written. Every expected line
is written by hand from ds9's region syntax and the feature given."""

import csv
import io

from catalogs.importers.export import ds9_text, to_csv, to_ds9

HEADER_LINES = 2  # "# Region file format" and ds9's global defaults


def ds9(*features):
    return "".join(to_ds9(lambda: list(features))).split("\n", HEADER_LINES)[HEADER_LINES]


def feature(kind, coordinates, **properties):
    return {"type": "Feature", "geometry": {"type": kind, "coordinates": coordinates},
            "properties": properties}  # fmt: skip


def image_point(x, y, **properties):
    return feature("Point", [x, y], frame="image", **properties)


def test_non_finite_and_missing_numbers_are_written_as_zero():
    nan, inf = float("nan"), float("inf")
    assert ds9(image_point(nan, -inf)) == "image\npoint(0.0,0.0)\n"
    assert ds9(image_point(5, 6, shape="circle")) == "image\ncircle(5.0,6.0,0.0)\n"
    assert ds9(image_point(5, 6, shape="annulus")) == "image\nannulus(5.0,6.0,0.0,0.0)\n"
    assert ds9(image_point(5, 6, shape="annulus", radii=[3])) == "image\nannulus(5.0,6.0,0.0,0.0)\n"
    assert ds9(image_point(5, 6, shape="annulus", radii="1 3")) == (
        "image\nannulus(5.0,6.0,0.0,0.0)\n"
    )


def test_a_line_of_more_than_two_points_is_written_by_its_first_two():
    line = feature("LineString", [[1, 2], [3, 4], [5, 6]], frame="image")
    assert ds9(line) == "image\nline(1.0,2.0,3.0,4.0)\n"


def test_a_native_is_used_only_in_a_frame_of_its_own_and_of_the_same_shape():
    # icrs and image features are written at their geometry, whatever they carry.
    icrs = feature("Point", [10.5, 20.25], coordsys="icrs", native=[1, 2])
    assert ds9(icrs) == "icrs\npoint(10.5,20.25)\n"
    image = image_point(5, 6, coordsys="image", native=[1, 2])
    assert ds9(image) == "image\npoint(5.0,6.0)\n"
    # fk5: at the native when it has the geometry's shape, numbers only.
    assert ds9(feature("Point", [10.1, 20.1], coordsys="fk5", native=[10, 20])) == (
        "fk5\npoint(10.0,20.0)\n"
    )
    for native in (["a", "b"], [True, False], None, [[10, 20]]):
        odd = feature("Point", [10.1, 20.1], coordsys="fk5", native=native)
        assert ds9(odd) == "fk5\npoint(10.1,20.1)\n", native
    ring = [[1, 1], [2, 1], [2, 2], [1, 1]]
    polygon = feature("Polygon", [ring], coordsys="fk5")  # no native
    assert ds9(polygon) == "fk5\npolygon(1.0,1.0,2.0,1.0,2.0,2.0)\n"
    shorter = feature("Polygon", [ring], coordsys="fk5", native=[[[5, 5], [6, 5], [5, 5]]])
    assert ds9(shorter) == "fk5\npolygon(1.0,1.0,2.0,1.0,2.0,2.0)\n"
    same = feature("Polygon", [ring], coordsys="fk5", native=[[[5, 5], [6, 5], [6, 6], [5, 5]]])
    assert ds9(same) == "fk5\npolygon(5.0,5.0,6.0,5.0,6.0,6.0)\n"


def test_only_physical_features_go_back_through_a_map():
    mapped = {"ltm": [[2, 0], [0, 2]], "ltv": [0, 0]}
    image = image_point(5, 6, shape="circle", radius=4, coordsys="image", physical=mapped)
    assert ds9(image) == "image\ncircle(5.0,6.0,4.0)\n"
    # LTM = [[3, -4], [4, 3]]: a scale of 5 (its determinant is 25), a turn of atan2(4, 3).
    turned = image_point(6, 8, shape="circle", radius=10, coordsys="physical", native=[3, 4],
                         physical={"ltm": [[3, -4], [4, 3]], "ltv": [0, 0]})  # fmt: skip
    assert ds9(turned) == "physical\ncircle(3.0,4.0,2.0)\n"
    broken = image_point(6, 8, shape="box", width=4, height=2, angle=120, coordsys="physical",
                         native=[3, 4], physical={"ltm": "nonsense"})  # fmt: skip
    assert ds9(broken) == "physical\nbox(3.0,4.0,4.0,2.0,120.0)\n"


def test_line_widths_from_0_to_100_are_written():
    for width in (0, 0.5, 100):
        assert (
            ds9(image_point(1, 2, linewidth=width)) == f"image\npoint(1.0,2.0) # width={width:g}\n"
        )
        group = {"line": 3, "at": "1,2,0", "linewidth": width}
        assert ds9(image_point(1, 2, composite=group)) == (
            f"image\n# composite(1,2,0) || composite=1 width={width:g}\npoint(1.0,2.0)\n"
        )


def test_odd_composites_and_ds9_settings_are_left_out():
    assert ds9(image_point(1, 2, composite="3")) == "image\npoint(1.0,2.0)\n"
    assert ds9(image_point(1, 2, ds9="edit=0")) == "image\npoint(1.0,2.0)\n"
    no_position = {"line": 3}
    assert ds9(image_point(1, 2, composite=no_position)) == "image\npoint(1.0,2.0)\n"


def test_a_composite_is_known_by_its_line_and_its_position():
    def member(line, at):
        return image_point(1, 2, composite={"line": line, "at": at})

    # The same position on two lines, two positions on one line: four composites.
    text = ds9(member(3, "1,2,0"), member(7, "1,2,0"), member(7, "5,6,0"), member(3, "5,6,0"))
    assert text == "image\n" + "".join(
        f"# composite({at}) || composite=1\npoint(1.0,2.0)\n"
        for at in ("1,2,0", "1,2,0", "5,6,0", "5,6,0")
    )
    joined = ds9(member(3, "1,2,0"), member(3, "1,2,0"))
    assert joined == "image\n# composite(1,2,0) || composite=1\npoint(1.0,2.0) ||\npoint(1.0,2.0)\n"


def test_labels_are_written_whatever_they_say():
    assert ds9_text("a}b") == '"a}b"'
    for label in ("XXXX", "0", "text"):
        assert ds9(image_point(1, 2, text=label)) == f"image\npoint(1.0,2.0) # text={{{label}}}\n"
    assert ds9(image_point(1, 2, text="", name="")) == "image\npoint(1.0,2.0)\n"


def test_csv_text_quotes_text_and_writes_numbers_bare():
    features = [
        feature("Point", [10.123456789, -5.123456789], name="=a", mag=12.5, n=3),
        feature("Point", [1, 2], name="b", flag=True),
    ]
    assert "".join(to_csv(lambda: features)) == (
        "ra,dec,name,mag,n,flag\r\n"
        '10.12345679,-5.12345679,"\'=a",12.5,3,""\r\n'
        '1.0,2.0,"b","","","true"\r\n'
    )


def test_csv_rows_after_each_thousand_are_whole():
    features = [feature("Point", [i * 0.25, 0.5], k=i) for i in range(2500)]
    table = list(csv.reader(io.StringIO("".join(to_csv(lambda: features)))))
    assert table[0] == ["ra", "dec", "k"]
    assert table[1:] == [[f"{i * 0.25!r}", "0.5", str(i)] for i in range(2500)]
