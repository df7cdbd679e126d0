"""The search page's sky map and result states, as a user reads them: results close
together are shown zoomed (their footprints large enough to tell apart, a grid labelled
in sexagesimal), the whole sky on demand, a footprint across 12h cut in two along the
map's edge rather than dropped, the row under the pointer highlighted on the map, and an
empty search or a bad query said where the results would be."""

import re

import pytest

from .conftest import log_in

pytestmark = pytest.mark.browser


def boxes(page, selector):
    return page.locator(selector).evaluate_all(
        "nodes => nodes.map(n => { const r = n.getBoundingClientRect();"
        " return {x: r.x, y: r.y, w: r.width, h: r.height}; })"
    )


def union(found):
    """The left and right screen edges of boxes together."""
    return min(box["x"] for box in found), max(box["x"] + box["w"] for box in found)


def texts(page, selector):
    """Text of SVG elements (they have no innerText)."""
    return page.locator(selector).evaluate_all("nodes => nodes.map(n => n.textContent)")


def search(page, server, query):
    page.goto(f"{server.url}/search/?{query}")
    page.wait_for_function(
        "!document.querySelector('.fp-search-status').textContent.startsWith('Searching')"
        " && document.querySelector('.fp-search-status').textContent !== ''"
    )


def test_close_results_are_zoomed_and_labelled(screen, server):
    page = screen.page
    log_in(page, server, "alice", "alice-password")
    search(page, server, "position=10:00:24+%2B02:12:00&radius=1")
    page.locator(".fp-results tbody tr").first.wait_for()
    assert page.get_attribute(".fp-skymap", "data-view") == "field"
    assert page.inner_text(".fp-sky-legend").startswith("Field of the results")
    screen.shot("field")
    # the seeded fields are about 10 arcminutes wide: on screen, many pixels, not a dot
    field = page.locator(".fp-sky-footprint", has=page.locator("title", has_text="field.fits"))
    width = max(box["w"] for box in boxes(page, ".fp-sky-footprint path"))
    assert width > 60, width
    # RA labels in hours and minutes, Dec labels in degrees and arcminutes, readable
    labels = texts(page, ".fp-sky-label")
    assert any(re.fullmatch(r"10h0\dm(\d\ds)?", text) for text in labels), labels
    assert any(re.fullmatch(r"\+02°\d\d′", text) for text in labels), labels
    heights = [box["h"] for box in boxes(page, ".fp-sky-label")]
    assert heights and min(heights) >= 9 and max(heights) <= 20, heights
    svg = boxes(page, ".fp-skymap")[0]
    for box in boxes(page, ".fp-sky-label"):  # inside the map, none cut at its sides
        assert svg["x"] - 1 <= box["x"] and box["x"] + box["w"] <= svg["x"] + svg["w"] + 1, box
    # the labels do not run into each other, along the bottom (RA) or the left (Dec)
    placed = boxes(page, ".fp-sky-label")
    for axis, size in (("x", "w"), ("y", "h")):
        other = "y" if axis == "x" else "x"
        rows = {}
        for box in placed:
            rows.setdefault(round(box[other]), []).append(box)
        for row in rows.values():
            row.sort(key=lambda box: box[axis])
            for a, b in zip(row, row[1:], strict=False):
                assert a[axis] + a[size] <= b[axis] + 0.5, (a, b)
    # the whole sky on demand: the same footprint is a speck there
    page.click(".fp-sky-toggle")
    assert page.get_attribute(".fp-skymap", "data-view") == "sky"
    assert page.inner_text(".fp-sky-toggle") == "Zoom to the results"
    assert page.inner_text(".fp-sky-legend").startswith("All-sky map")
    speck = max(box["w"] for box in boxes(page, ".fp-sky-footprint path"))
    assert speck < 8, speck
    assert sorted(texts(page, ".fp-sky-label"))[:2] == ["+30°", "+60°"]
    screen.shot("sky")
    page.click(".fp-sky-toggle")
    assert page.get_attribute(".fp-skymap", "data-view") == "field"
    field.dispatch_event("click")
    page.wait_for_url(f"**/images/{server.seed['image']}/")


def test_footprints_across_0h_and_12h(screen, server):
    page = screen.page
    log_in(page, server, "dora", "dora-password")
    search(page, server, "object=Across+twelve")
    assert page.locator(".fp-results .fp-name a").all_inner_texts() == ["across12h.fits"]
    # zoomed, the map is centred on it: its parts (a wide image is stored as several
    # convex pieces) together in the middle of the map
    assert page.get_attribute(".fp-skymap", "data-view") == "field"
    svg = boxes(page, ".fp-skymap")[0]
    left, right = union(boxes(page, ".fp-sky-footprint path"))
    assert abs((left + right) / 2 - (svg["x"] + svg["w"] / 2)) < 0.05 * svg["w"]
    page.click(".fp-sky-toggle")
    # on the whole sky (centred on 0h) it is cut along the edge: parts at each side,
    # none across the map
    outline = boxes(page, ".fp-sky-outline")[0]
    pieces = boxes(page, ".fp-sky-footprint path")
    middle = outline["x"] + outline["w"] / 2
    west = [box for box in pieces if box["x"] + box["w"] < middle]
    east = [box for box in pieces if box["x"] > middle]
    assert west and east and len(west) + len(east) == len(pieces), pieces
    assert min(box["x"] for box in west) - outline["x"] < 0.1 * outline["w"]
    assert (
        outline["x"] + outline["w"] - max(box["x"] + box["w"] for box in east) < 0.1 * outline["w"]
    )
    assert all(box["w"] < 0.1 * outline["w"] for box in pieces)  # 10 degrees each side
    screen.shot("across-12h")

    search(page, server, "object=Across+zero")
    page.click(".fp-sky-toggle")
    outline = boxes(page, ".fp-sky-outline")[0]
    left, right = union(boxes(page, ".fp-sky-footprint path"))
    middle = outline["x"] + outline["w"] / 2
    assert left < middle < right  # whole, across 0h at the centre
    assert right - left > 0.04 * outline["w"]  # 20 degrees of the 360
    assert right - left < 0.1 * outline["w"]  # not drawn across the whole map
    screen.shot("across-0h")


def test_the_row_under_the_pointer_is_highlighted_on_top(screen, server):
    page = screen.page
    log_in(page, server, "dora", "dora-password")
    search(page, server, "object=M42")
    rows = page.locator(".fp-results tbody tr")
    assert rows.count() == 3
    footprints = page.locator(".fp-sky-footprint")
    assert footprints.count() == 3  # the three filters at the same place
    row = rows.nth(1)
    image = row.get_attribute("data-image")
    row.dispatch_event("mouseenter")
    chosen = page.locator(f".fp-sky-footprint[data-image='{image}']")
    assert "fp-hover" in chosen.get_attribute("class")
    # drawn last, over the two others at the same place
    assert footprints.last.get_attribute("data-image") == image
    stroke = chosen.locator("path").first.evaluate("p => getComputedStyle(p).strokeWidth")
    assert float(stroke.removesuffix("px")) >= 2
    screen.shot("highlighted")
    row.dispatch_event("mouseleave")
    assert "fp-hover" not in chosen.get_attribute("class")


def test_empty_and_refused_searches_say_so(screen, server):
    page = screen.page
    log_in(page, server, "dora", "dora-password")
    search(page, server, "q=nothingmatcheshere")
    empty = page.locator(".fp-no-results")
    assert empty.is_visible() and "No image you may see matches" in empty.inner_text()
    assert page.locator(".fp-results").is_hidden()
    assert page.get_attribute(".fp-skymap", "data-view") == "sky"
    screen.shot("empty")
    search(page, server, "date_min=someday")
    status = page.locator(".fp-search-status")
    assert "date_min" in status.inner_text()
    assert status.evaluate("s => getComputedStyle(s).color") == "rgb(197, 48, 48)"
    assert page.locator(".fp-results").is_hidden() and empty.is_hidden()
    screen.shot("refused")
    # a good search afterwards shows its table again, the message gone
    search(page, server, "object=M42")
    assert page.locator(".fp-results").is_visible()
    assert status.evaluate("s => getComputedStyle(s).color") != "rgb(197, 48, 48)"


def test_many_results_come_a_page_at_a_time(screen, server):
    page = screen.page
    log_in(page, server, "dora", "dora-password")
    search(page, server, "object=Crowd&sort=exptime")
    rows = page.locator(".fp-results tbody tr")
    assert rows.count() == 50
    assert page.inner_text(".fp-search-status") == "50 images (more below)."
    more = page.locator(".fp-more")
    assert more.is_visible()
    more.click()
    page.wait_for_function("document.querySelectorAll('.fp-results tbody tr').length === 52")
    assert page.inner_text(".fp-search-status") == "52 images."
    assert more.is_hidden()
    names = page.locator(".fp-results .fp-name a").all_inner_texts()
    assert names[:2] == ["crowd_00.fits", "crowd_01.fits"] and names[-1] == "crowd_51.fits"
    assert len(set(names)) == 52
    assert page.locator(".fp-sky-footprint").count() == 52
    # the results span half a degree: zoomed onto them
    assert page.get_attribute(".fp-skymap", "data-view") == "field"
    screen.shot("paged")


def test_the_result_table_fits_the_screen(screen, server):
    """Every column in view without a sideways scroll: on a phone the object goes under
    the file name and the time under the day."""
    page = screen.page
    log_in(page, server, "dora", "dora-password")
    search(page, server, "object=M42&sort=date_obs")
    wrap = page.locator(".fp-results-wrap")
    scroll, client = wrap.evaluate("w => [w.scrollWidth, w.clientWidth]")
    assert scroll <= client, (scroll, client)
    row = page.locator(".fp-results tbody tr").first
    date = row.locator(".fp-date")
    assert (
        date.bounding_box()["x"] + date.bounding_box()["width"]
        <= screen.page.viewport_size["width"]
    )
    day, time = date.locator(".fp-day").bounding_box(), date.locator(".fp-time").bounding_box()
    assert date.inner_text().split() == ["2024-01-10", "03:00"]
    name = row.locator(".fp-name")
    if screen.name == "phone":
        assert page.locator("th.fp-object").is_hidden()
        assert name.locator(".fp-name-object").inner_text() == "M42"
        assert time["y"] >= day["y"] + day["height"] - 1  # a line of its own
    else:
        assert row.locator("td.fp-object").inner_text() == "M42"
        assert name.locator(".fp-name-object").is_hidden()
        assert abs(time["y"] - day["y"]) < 2  # one line
    screen.shot("table")
