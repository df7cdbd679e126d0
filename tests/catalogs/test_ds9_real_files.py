"""Region files as ds9 and the tools before it write them, each written here by hand: the
header lines of ds9 4.1, 4.0 and 3, funtools and CIAO files with no frame line, global
lines with every property, each sky frame, sexagesimal and degrees with their units, each
shape (those that cannot be kept reported by line), texts and tags, and the bytes of real
files (CRLF, a BOM, Latin-1, tabs, trailing spaces). Positions are checked against
astropy's coordinates computed here, sizes against hand-worked arcseconds."""

import pytest
from astropy import units as u
from astropy.coordinates import Angle, SkyCoord

from catalogs.importers import import_catalog

M51 = ("13:29:52.700", "+47:11:42.60")
GLOBAL = ('global color=green dashlist=8 3 width=1 font="helvetica 10 normal roman" select=1 '
          "highlite=1 dash=0 fixed=0 edit=1 move=1 delete=1 include=1 source=1")  # fmt: skip


def read(text, **kwargs):
    data = text if isinstance(text, bytes) else text.encode()
    return import_catalog(data, fmt="ds9", **kwargs)


def icrs(lon, lat, frame="fk5", unit=(u.deg, u.deg)):
    coord = SkyCoord(lon, lat, unit=unit, frame=frame).icrs
    return [coord.ra.deg, coord.dec.deg]


def sky_distance(a, b):
    return SkyCoord(*a, unit="deg").separation(SkyCoord(*b, unit="deg")).arcsec


DS9_41 = f"""# Region file format: DS9 version 4.1
{GLOBAL}
fk5
circle({M51[0]},{M51[1]},10")
circle(202.4695833,47.1951667,0.5')
circle(202.4695833d,47.1951667d,0.001d)
ellipse({M51[0]},{M51[1]},30",15",45) # color=red width=2
box(202.47,47.195,60",120",30) # dash=1 dashlist=4 2
polygon(202.46,47.19,202.48,47.19,202.47,47.20) # tag={{spiral arm}} tag={{M51}}
line(202.46,47.19,202.48,47.20) # line=1 0
point(202.47,47.195) # point=cross 11
annulus(202.47,47.195,5",10",15")
# text(202.47,47.195) text={{M 51; the "Whirlpool"}} font="times 12 bold italic"
# vector(202.47,47.195,30",45) vector=1
# ruler(202.46,47.19,202.48,47.20) ruler=fk5 arcsec
# compass(202.47,47.195,20") compass=fk5 {{N}} {{E}} 1 1
# projection(202.46,47.19,202.48,47.20,5")
# segment(202.46,47.19,202.48,47.19,202.47,47.20)
panda(202.47,47.195,0,360,4,5",10",2)
epanda(202.47,47.195,0,360,4,5",2.5",10",5",1,0)
bpanda(202.47,47.195,0,360,4,5",2.5",10",5",1,0)
# composite(202.47,47.195,0) || composite=1 color=cyan
circle(202.47,47.195,5") ||
box(202.47,47.195,4",4",0)
-circle(202.47,47.195,3") # background
circle(202.40,47.10,1");circle(202.41,47.11,1") # color=blue;point(202.42,47.12) # point=x
"""


def test_a_ds9_4_1_file_every_shape_read_or_reported():
    result = read(DS9_41)
    shapes = [f["properties"]["shape"] for f in result.features]
    assert shapes == ["circle"] * 3 + ["ellipse", "box", "polygon", "line", "point"] + \
        ["annulus"] * 2 + ["text", "circle", "box", "circle", "circle", "circle", "point"]  # fmt: skip
    assert result.warnings == [
        "line 14: 'vector' regions are not supported, left out.",
        "line 15: 'ruler' regions are not supported, left out.",
        "line 16: 'compass' regions are not supported, left out.",
        "line 17: 'projection' regions are not supported, left out.",
        "line 18: 'segment' regions are not supported, left out.",
        "line 19: 'panda' regions are not supported, left out.",
        "line 20: 'epanda' regions are not supported, left out.",
        "line 21: 'bpanda' regions are not supported, left out.",
    ]


def test_the_4_1_file_positions_and_sizes():
    f = read(DS9_41).features
    m51 = icrs(Angle(M51[0], u.hourangle).deg, Angle(M51[1], u.deg).deg)
    assert sky_distance(f[0]["geometry"]["coordinates"], m51) < 1e-6
    assert f[0]["properties"]["radius"] == pytest.approx(10 / 3600)
    assert sky_distance(f[1]["geometry"]["coordinates"], icrs(202.4695833, 47.1951667)) < 1e-6
    assert f[1]["properties"]["radius"] == pytest.approx(30 / 3600)  # 0.5'
    assert f[2]["properties"]["radius"] == pytest.approx(0.001)
    ellipse = f[3]["properties"]
    # ds9 writes the semi-axes: the full lengths are twice them
    assert (ellipse["width"], ellipse["height"]) == pytest.approx((60 / 3600, 30 / 3600))
    assert (ellipse["angle"], ellipse["color"], ellipse["linewidth"]) == (45.0, "red", 2)
    box = f[4]["properties"]
    assert (box["width"], box["height"], box["angle"]) == pytest.approx((1 / 60, 2 / 60, 30))
    assert (box["dash"], box["dashlist"]) == (True, "4 2")
    ring = f[5]["geometry"]["coordinates"][0]
    expected = [icrs(202.46, 47.19), icrs(202.48, 47.19), icrs(202.47, 47.20)]
    assert len(ring) == 4 and ring[0] == ring[-1]
    assert all(sky_distance(a, b) < 1e-6 for a, b in zip(ring, expected, strict=False))
    assert f[5]["properties"]["tag"] == ["spiral arm", "M51"]
    assert f[6]["geometry"]["type"] == "LineString" and f[6]["properties"]["line"] == "1 0"
    assert (f[7]["properties"]["point"], f[7]["properties"]["point_size"]) == ("cross", 11)
    # one annulus of three radii is two rings
    assert f[8]["properties"]["radii"] == pytest.approx([5 / 3600, 10 / 3600])
    assert f[9]["properties"]["radii"] == pytest.approx([10 / 3600, 15 / 3600])


def test_the_4_1_file_properties_texts_composites_and_exclusions():
    f = read(DS9_41).features
    text = f[10]["properties"]
    assert text["text"] == 'M 51; the "Whirlpool"'  # ";" and quotes inside braces
    assert text["font"] == "times 12 bold italic"
    circle = f[0]["properties"]
    # the global line's settings, editing defaults left out
    assert (circle["color"], circle["linewidth"], circle["dash"]) == ("green", 1, False)
    assert circle["font"] == "helvetica 10 normal roman" and "dashlist" not in circle
    assert "ds9" not in circle and (circle["include"], circle["source"]) == (True, True)
    members = f[11:13]
    assert [m["properties"]["composite"]["line"] for m in members] == [22, 22]
    assert members[0]["properties"]["composite"]["color"] == "cyan"
    excluded = f[13]["properties"]
    assert (excluded["include"], excluded["source"]) == (False, False)
    assert [p["properties"].get("color") for p in f[14:]] == ["green", "blue", "green"]
    assert f[16]["properties"]["point"] == "x"
    assert sky_distance(f[16]["geometry"]["coordinates"], icrs(202.42, 47.12)) < 1e-6


@pytest.mark.parametrize(
    ("frame", "astropy_frame"),
    [("fk5", "fk5"), ("j2000", "fk5"), ("fk4", "fk4"), ("b1950", "fk4"), ("icrs", "icrs"),
     ("galactic", "galactic"), ("ecliptic", "barycentricmeanecliptic")],
)  # fmt: skip
def test_each_sky_frame_is_placed_in_icrs(frame, astropy_frame):
    [circle] = read(f'{frame}; circle(104.85,68.56,2")\n').features
    assert (
        sky_distance(circle["geometry"]["coordinates"], icrs(104.85, 68.56, astropy_frame)) < 1e-6
    )
    assert circle["properties"]["radius"] == pytest.approx(2 / 3600)
    if frame != "icrs":
        assert circle["properties"]["native"] == pytest.approx([104.85, 68.56])


def test_galactic_and_ecliptic_sexagesimal_are_degrees():
    # ds9 reads h:m:s only for an equatorial longitude; in galactic, 104:51:00 is degrees
    [galactic] = read('galactic; circle(104:51:00,+68:33:36,2")\n').features
    assert galactic["properties"]["native"] == pytest.approx([104.85, 68.56])


@pytest.mark.parametrize(
    "header",
    ["# Region file format: DS9 version 4.1", "# Region file format: DS9 version 4.0",
     "# Region file format: DS9 version 3.0\n# Filename: m51.fits", "", "# filename: a.fits"],
)  # fmt: skip
def test_every_header_line_reads_the_same(header):
    body = ('global color=green font="helvetica 10 normal" select=1 edit=1 move=1 delete=1 '
            'include=1 fixed=0 source\nfk5;circle(202.4695833,47.1951667,10.000")\n')  # fmt: skip
    [circle] = read(f"{header}\n{body}").features
    assert sky_distance(circle["geometry"]["coordinates"], icrs(202.4695833, 47.1951667)) < 1e-6
    assert (circle["properties"]["radius"], circle["properties"]["source"]) == (
        pytest.approx(10 / 3600),
        True,
    )


def test_a_funtools_file_of_physical_pixels_with_no_frame_line():
    text = "# funtools\nCIRCLE(100,100,20)\n-box(100,100,20,10,0)\ncircle 100 100 5 # color=blue\n"
    result = read(text, physical={"LTM1_1": 0.25, "LTM2_2": 0.25, "LTV1": 0.5, "LTV2": 0.5})
    # image = 0.25 * physical + 0.5
    assert [f["geometry"]["coordinates"] for f in result.features] == [[25.5, 25.5]] * 3
    circle, box, small = (f["properties"] for f in result.features)
    assert (circle["radius"], small["radius"], small["color"]) == (5.0, 1.25, "blue")
    assert (box["width"], box["height"], box["include"]) == (5.0, 2.5, False)
    assert {p["coordsys"] for p in (circle, box, small)} == {"physical"}


def test_a_ciao_file_keeps_its_pixels_and_names_what_it_cannot_read():
    text = ("# Region file format: CIAO version 1.0\ncircle(4096.5,4096.5,20)\n"
            "rotbox(4096,4096,10,20,30)\n")  # fmt: skip
    result = read(text)
    assert [f["geometry"]["coordinates"] for f in result.features] == [[4096.5, 4096.5]]
    assert result.warnings == ["line 3: 'rotbox' is not a ds9 shape, left out."]


def test_frames_that_need_the_image_are_reported_by_line():
    result = read("image;circle(1,1,1)\nlinear;circle(1,1,1)\nwcsa;circle(1,1,1)\n"
                  "wcs;circle(202.5,47.2,1\")\namplifier;circle(1,1,1)\ndetector;point(1,1)\n")  # fmt: skip
    assert len(result.features) == 1
    assert result.warnings == [
        f"line {n}: a '{shape}' in frame '{frame}' cannot be placed, left out."
        for n, shape, frame in [
            (2, "circle", "linear"),
            (3, "circle", "wcsa"),
            (4, "circle", "wcs"),
            (5, "circle", "amplifier"),
            (6, "point", "detector"),
        ]  # fmt: skip
    ]


def test_a_latitude_written_in_hours_is_refused_for_that_region():
    result = read('fk5\ncircle(1h00m00s,+1h00m00s,2")\ncircle(1h00m00s,+15d00m00s,2")\n'
                  "polygon(10,10,11,1h,12,10)\ngalactic;point(10,0h30m)\nline(1,2,3,4h)\n")  # fmt: skip
    [circle] = result.features
    assert sky_distance(circle["geometry"]["coordinates"], icrs(15.0, 15.0)) < 1e-6
    assert result.warnings == [
        "line 2: a 'circle' whose latitude (Dec) '+1h00m00s' is written in hours (h): a latitude "
        "is in degrees; left out.",
        "line 4: a 'polygon' whose latitude (Dec) '1h' is written in hours (h): a latitude is in "
        "degrees; left out.",
        "line 5: a 'point' whose latitude (Dec) '0h30m' is written in hours (h): a latitude is "
        "in degrees; left out.",
        "line 6: a 'line' whose latitude (Dec) '4h' is written in hours (h): a latitude is in "
        "degrees; left out.",
    ]


def test_sizes_in_pixels_on_a_sky_region_are_refused_with_the_reason():
    result = read('fk5;circle(202.47,47.195,2.5p)\nfk5;circle(202.47,47.195,2.5")\n')
    assert len(result.features) == 1
    [why] = result.warnings
    assert why.startswith("line 1: a 'circle' region could not be read (Cannot parse sky region")


def test_ds9_texts_in_each_form():
    texts = read(
        "image\ntext(10,20) text={plain}\n# text(10,20) text={commented}\ntext 10 20 {spaced}\n"
        "text(10,20) {braced} # color=red\ntext(10,20) \"quoted\"\ntext(10,20) # text='single'\n"
        "text(10,20) # text={with {open brace}\n"
    ).features
    assert [t["properties"]["text"] for t in texts] == [
        "plain", "commented", "spaced", "braced", "quoted", "single", "with {open brace"
    ]  # fmt: skip
    assert texts[3]["properties"]["color"] == "red"
    assert all(t["geometry"]["coordinates"] == [10.0, 20.0] for t in texts)


def test_settings_written_without_their_hash_are_read():
    box, circle = read(
        "image\nbox(10,10,4,2,0) color=red width=3\ncircle(1,2,3) tag={a}\n"
    ).features
    assert (box["properties"]["color"], box["properties"]["linewidth"]) == ("red", 3)
    assert (box["properties"]["width"], box["properties"]["height"]) == (4.0, 2.0)
    assert circle["properties"]["tag"] == ["a"]


def test_every_point_symbol():
    symbols = ["circle", "box", "diamond", "cross", "x", "arrow", "boxcircle"]
    text = "image\n" + "".join(f"point(5,6) # point={s} {i + 3}\n" for i, s in enumerate(symbols))
    points = read(text).features
    assert [p["properties"]["point"] for p in points] == symbols
    assert [p["properties"]["point_size"] for p in points] == list(range(3, 10))
    # ds9 also reads the symbol written before the shape
    written = read("image\ncircle point 5 6\nx point(5,6) # color=red\n-BOX POINT(5,6)#width=2\n")
    assert [p["properties"]["point"] for p in written.features] == ["circle", "x", "box"]
    assert [p["geometry"]["coordinates"] for p in written.features] == [[5.0, 6.0]] * 3
    assert written.features[1]["properties"]["color"] == "red"
    assert written.features[2]["properties"]["include"] is False
    assert written.features[2]["properties"]["linewidth"] == 2


def test_the_bytes_of_real_files():
    body = (f"# Region file format: DS9 version 4.1\r\n{GLOBAL}\r\nfk5\r\n"
            "circle(202.47,47.195,2\")  # text={Caf\u00e9}   \r\n"
            "\tbox(202.47 , 47.195 ,\t4\", 2\" , 0)\t# color=red\t\r\n   \r\n")  # fmt: skip
    for data in (body.encode("utf-8"), b"\xef\xbb\xbf" + body.encode("utf-8"),
                 body.encode("latin-1")):  # fmt: skip
        result = read(data)
        circle, box = result.features
        assert circle["properties"]["text"] == "Caf\u00e9"
        assert sky_distance(circle["geometry"]["coordinates"], icrs(202.47, 47.195)) < 1e-6
        assert (box["properties"]["color"], box["properties"]["width"]) == (
            "red",
            pytest.approx(4 / 3600),
        )
        assert result.warnings == []


def test_values_that_cannot_make_their_shape_are_refused_by_region():
    result = read(
        "image\ncircle(1,2,3,4)\npoint(1,2,3)\nline(1,2,3,4,5,6)\ntext(1,2,3) # text={a}\n"
        "polygon(1,2,3,4)\npolygon(1,2,3,4,5,6,7)\ncircle(nan,1,1)\nbox(1,2,3,4,inf)\n"
        'fk5;circle(1e400,2,3")\ncircle(1,2,3e999)\nimage;polygon(1,2,3,4,5,6)\n'
    )
    assert [f["properties"]["shape"] for f in result.features] == ["polygon"]
    assert result.features[0]["geometry"]["coordinates"] == [
        [[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [1.0, 2.0]]
    ]
    assert result.warnings == [
        "line 2: a 'circle' needs 3 values (x, y, radius), not 4; left out.",
        "line 3: a 'point' needs 2 values (x, y), not 3; left out.",
        "line 4: a 'line' needs 4 values (x1, y1, x2, y2), not 6; left out.",
        "line 5: a 'text' needs 2 values (x, y), not 3; left out.",
        "line 6: a 'polygon' needs pairs of x, y for 3 vertices or more, not 4 values; left out.",
        "line 7: a 'polygon' needs pairs of x, y for 3 vertices or more, not 7 values; left out.",
    ] + [
        f"line {n}: a '{shape}' with a value that is not a finite number; left out."
        for n, shape in [(8, "circle"), (9, "box"), (10, "circle"), (11, "circle")]
    ]


def test_words_that_are_no_region_are_reported_not_passed_over():
    result = read('fk5 circle(1,2,3")\nfk5\nx point\nhello world\ncircle(1,2,3")\n')
    assert len(result.features) == 1
    assert result.warnings == [
        "line 1: 'fk5 circle(1,2,3\")' is not a ds9 region (a frame and a region need a ';' or "
        "a new line between them), left out.",
        "line 3: 'x point' is not a ds9 region, left out.",
        "line 4: 'hello world' is not a ds9 region, left out.",
    ]


def test_a_setting_that_is_no_finite_number_is_kept_as_written():
    [text] = read("image\ntext(1,2) # textangle=nan width=inf text={a}\n").features
    assert (text["properties"]["textangle"], text["properties"]["linewidth"]) == ("nan", "inf")


def test_a_file_of_regions_left_out_lists_the_first_thousand_notes_and_counts_the_rest():
    # 2,500 vectors: more than a chunk of 2,000 lines, cut after each chunk
    result = read("image\n" + "vector(1,2,3,4)\n" * 2500 + "circle(1,2,3)\n")
    assert len(result.features) == 1
    assert len(result.warnings) == 1001
    assert result.warnings[0] == "line 2: 'vector' regions are not supported, left out."
    assert result.warnings[999] == "line 1001: 'vector' regions are not supported, left out."
    assert result.warnings[1000] == "1,500 more notes, not listed."


def test_notes_are_cut_after_each_chunk_not_only_at_the_end(monkeypatch):
    from catalogs.importers import ds9

    seen, parse_chunk = [], ds9._parse_chunk

    def counting(state, chunk, notes):
        seen.append(len(notes))  # the notes kept when a chunk starts
        return parse_chunk(state, chunk, notes)

    monkeypatch.setattr(ds9, "_parse_chunk", counting)
    result = read("image\n" + "vector(1,2,3,4)\n" * 5000 + "circle(1,2,3)\n")
    assert seen == [0, ds9.NOTED, ds9.NOTED]
    assert result.warnings[-1] == "4,000 more notes, not listed."
