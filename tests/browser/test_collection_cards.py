"""The collection page's cards as an observer reads them: images of one object are told
apart by their file name, filter, date and exposure, also for a card that arrives while
the page is open; the upload form's fields sit one under the other, none over another."""

import numpy as np
import pytest
from astropy.io import fits

from .conftest import log_in

pytestmark = pytest.mark.browser


def test_cards_tell_images_of_one_object_apart(screen, server):
    page = screen.page
    log_in(page, server, "dora", "dora-password")
    page.goto(f"{server.url}/c/dora-edges/")
    cards = page.locator(".fp-images .fp-card")
    names = cards.locator(".fp-card-name").all_inner_texts()
    assert sorted(names) == [
        "across0.fits",
        "across12h.fits",
        "m42_g.fits",
        "m42_i.fits",
        "m42_r.fits",
    ]
    observed = dict(zip(names, cards.locator(".fp-card-obs").all_inner_texts(), strict=True))
    assert observed["m42_g.fits"] == "g · 2024-01-10 03:00 · 60 s"
    assert observed["m42_r.fits"] == "r · 2024-01-10 03:10 · 90 s"
    assert observed["m42_i.fits"] == "i · 2024-01-10 03:20 · 120 s"
    assert observed["across0.fits"] == ""  # no filter, date or exposure in its header
    blank = cards.nth(names.index("across0.fits")).locator(".fp-card-obs")
    assert blank.is_hidden()  # and no empty line for it
    titles = cards.locator(".fp-card-title").all_inner_texts()
    assert titles.count("M42") == 3  # the object is still said, under the file name
    # the file name is what stands out: bold, above the object
    card = cards.nth(names.index("m42_g.fits"))
    name_box = card.locator(".fp-card-name").bounding_box()
    title_box = card.locator(".fp-card-title").bounding_box()
    assert name_box["y"] + name_box["height"] <= title_box["y"] + 1
    weight = card.locator(".fp-card-name").evaluate("n => getComputedStyle(n).fontWeight")
    assert int(weight) >= 600
    screen.shot("cards")

    # the upload form: the file field, the image the regions belong to, the button,
    # each on its own line inside the form
    form = page.locator("#upload").bounding_box()
    parts = [page.locator(selector).bounding_box() for selector in
             ("#upload .fp-upload-files", "#upload .fp-upload-image", "#upload .fp-upload-send")]  # fmt: skip
    for upper, lower in zip(parts, parts[1:], strict=False):
        assert upper["y"] + upper["height"] <= lower["y"] + 0.5, (upper, lower)
    for part in parts:
        assert (
            form["x"] <= part["x"] and part["x"] + part["width"] <= form["x"] + form["width"] + 0.5
        )
    # the regions' image is chosen by file name too
    options = page.locator("#upload select[name=image] option").all_inner_texts()
    assert "m42_r.fits (M42)" in options


def test_a_card_added_live_shows_its_filter_and_date(screen, server, tmp_path):
    page = screen.page
    log_in(page, server, "dora", "dora-password")
    page.goto(f"{server.url}/c/dora-edges/")
    header = fits.Header()
    header["OBJECT"] = "Orion live"  # not M42: the search tests count those
    header["FILTER"] = "z"
    header["DATE-OBS"] = "2024-02-01T04:05:06"
    header["EXPTIME"] = 30.5  # said as 30.5, not 30.500
    path = tmp_path / f"m42_z_{screen.name}.fits"
    level = 7.0 if screen.name == "desktop" else 8.0  # two files, not one registered twice
    fits.PrimaryHDU(np.full((40, 50), level, np.float32), header).writeto(path)
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button[type=submit]")
    card = page.locator(".fp-images .fp-card", has_text=path.name)
    card.wait_for(timeout=30_000)
    obs = card.locator(".fp-card-obs")
    page.wait_for_function(
        "name => [...document.querySelectorAll('.fp-card')].some(c =>"
        " c.textContent.includes(name) && c.querySelector('.fp-card-obs').textContent)",
        arg=path.name,
        timeout=30_000,
    )
    assert obs.inner_text() == "z · 2024-02-01 04:05 · 30.5 s"
    assert card.locator(".fp-card-size").inner_text() == "50×40, 1 channel"
    card.scroll_into_view_if_needed()
    screen.shot("live-card")
    # the next page load shows the same line, from the server
    page.reload()
    assert page.locator(".fp-card", has_text=path.name).locator(".fp-card-obs").inner_text() == (
        "z · 2024-02-01 04:05 · 30.5 s"
    )
