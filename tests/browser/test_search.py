"""The search page in a real browser: a cone search shows the images the user may see
(never another user's private one at the same place) in the table and as footprints on
the all-sky map; a click on a footprint opens the viewer; a bad position is explained."""

import pytest

from .conftest import log_in

pytestmark = pytest.mark.browser


def test_cone_search_fills_the_table_and_the_sky_map(screen, server):
    page = screen.page
    log_in(page, server, "alice", "alice-password")
    page.goto(server.url + "/search/")
    page.fill("input[name=position]", "10:00:24 +02:12:00")  # the seeded fields, 150.1 +2.2
    page.fill("input[name=radius]", "1")
    page.click("form#fp-search button[type=submit]")
    page.wait_for_selector(".fp-results tbody tr")
    page.wait_for_load_state("networkidle")
    names = page.locator(".fp-results .fp-name a").all_inner_texts()
    assert "field.fits" in names and "odd.fits" in names and "mosaic.fits" in names
    assert "hidden.fits" not in names  # bob's, at the same place
    assert "cube.fits" not in names  # no WCS: not on the sky
    assert "position=10%3A00%3A24" in page.url  # the query is the page's address
    footprints = page.locator(".fp-sky-footprint")
    assert footprints.count() == len(names)
    # the mosaic is drawn as its four extensions
    mosaic_row = names.index("mosaic.fits")
    assert footprints.nth(mosaic_row).locator("path").count() == 4
    assert page.locator(".fp-sky-query path").count() == 2  # the cone and its centre
    screen.shot("results")
    # the seeded images share a field: open the one asked for, not the one on top
    footprints.nth(names.index("field.fits")).dispatch_event("click")
    page.wait_for_url(f"**/images/{server.seed['image']}/")


def test_filters_narrow_and_errors_read(screen, server):
    page = screen.page
    page.goto(server.url + "/search/?object=Odd+field")
    page.wait_for_selector(".fp-results tbody tr")
    assert page.locator(".fp-results .fp-name a").all_inner_texts() == ["odd.fits"]  # public
    page.fill("input[name=position]", "not a place")
    page.click("form#fp-search button[type=submit]")
    assert "RA and Dec" in page.locator(".fp-search-status").inner_text()
    page.fill("input[name=position]", "")
    page.fill("input[name=date_min]", "someday")
    page.click("form#fp-search button[type=submit]")
    page.wait_for_function(
        "document.querySelector('.fp-search-status').textContent.includes('date_min')"
    )
    screen.shot("error")
