"""ds9 composites: whether one is global (``composite=1``, ds9's default: its members are
drawn in its colour and width), and its colour and width, kept and written back."""

from catalogs.importers import import_catalog
from catalogs.importers.export import to_ds9


def composites(text):
    return [f["properties"]["composite"] for f in import_catalog(text.encode(), fmt="ds9").features]


def test_a_composite_is_global_unless_it_says_composite_0():
    global_one = (
        "image\n# composite(10,10,0) || composite=1\ncircle(10,10,3) ||\nbox(10,10,4,4,0)\n"
    )
    assert [c["global"] for c in composites(global_one)] == [True, True]
    unsaid = "image\n# composite(10,10,0) || color=red\ncircle(10,10,3) ||\nbox(10,10,4,4,0)\n"
    assert composites(unsaid)[0]["global"] is True
    local = "image\n# composite(10,10,0) || composite=0\ncircle(10,10,3) ||\nbox(10,10,4,4,0)\n"
    assert composites(local)[0]["global"] is False


def test_a_composite_takes_its_colour_and_width_from_its_line_then_the_global_ones():
    text = ("global color=cyan width=2\nimage\n# composite(10,10,0) || composite=1\n"
            "circle(10,10,3) || # color=red\nbox(10,10,4,4,0)\n"
            "# composite(30,30,0) || composite=1 color=#ff00ff width=4 text={color=blue}\n"
            "circle(30,30,3)\n")  # fmt: skip
    first, _, second = composites(text)
    assert (first["color"], first["linewidth"]) == ("cyan", 2)
    assert (second["color"], second["linewidth"]) == ("#ff00ff", 4)
    plain = composites("image\n# composite(1,1,0) || composite=1\ncircle(1,1,1)\n")[0]
    assert (plain["color"], plain["linewidth"]) == (None, None)  # the default colour, width


def test_composites_are_written_back_with_their_settings():
    text = ("image\n# composite(10,10,0) || composite=0 color=red width=3\n"
            "circle(10,10,3) || # color=blue\nbox(10,10,4,4,0)\n")  # fmt: skip
    first = import_catalog(text.encode(), fmt="ds9")
    written = "".join(to_ds9(lambda: first.features))
    assert "# composite(10,10,0) || composite=0 color=red width=3\n" in written
    again = import_catalog(written.encode(), fmt="ds9")
    keep = ("global", "color", "linewidth", "at")
    assert [{k: f["properties"]["composite"][k] for k in keep} for f in again.features] == [
        {k: f["properties"]["composite"][k] for k in keep} for f in first.features
    ]
    assert [f["properties"]["color"] for f in again.features] == [
        f["properties"]["color"] for f in first.features
    ]
