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

    def footprint(name):
        row = page.locator(
            ".fp-results tbody tr", has=page.get_by_role("link", name=name, exact=True)
        )
        return page.locator(f".fp-sky-footprint[data-image='{row.get_attribute('data-image')}']")

    # the mosaic is drawn as its four extensions
    assert footprint("mosaic.fits").locator("path").count() == 4
    assert page.locator(".fp-sky-query path").count() == 2  # the cone and its centre
    screen.shot("results")
    # the seeded images share a field: open the one asked for, not the one on top
    footprint("field.fits").dispatch_event("click")
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


# Registered by another process without its warm: pending until someone opens it.
REGISTER_PENDING = """
import django, sys
django.setup()
from django.conf import settings
from portal.demo import write_star_field
from portal.models import Collection
from portal.registration import register_path
folder = settings.UPLOAD_ROOT / "live"
folder.mkdir(parents=True, exist_ok=True)
path = write_star_field(folder / sys.argv[1], 400, 300, nstars=40, seed=11, obj=sys.argv[2])
image = register_path(Collection.objects.get(slug="alice-survey"), path)
print(image.pk, image.state)
"""


def test_a_result_turns_ready_live_and_a_new_match_is_announced(screen, server, tmp_path):
    """A row shown pending turns ready where it is once the image is warmed (opened by
    someone), and an upload that matches is counted in the bar until shown."""
    import os
    import subprocess
    import sys

    from portal.demo import write_star_field

    page = screen.page
    obj = f"Live field {screen.name}"
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(FITSPORTAL_VAR_DIR=str(server.var), FITSPORTAL_INSECURE_DEV_KEY="1",
               DJANGO_SETTINGS_MODULE="portal.settings", FITSPORTAL_WARM_ON_REGISTER="0")  # fmt: skip
    done = subprocess.run(
        [sys.executable, "-c", REGISTER_PENDING, f"live-{screen.name}.fits", obj],
        env=env, check=True, capture_output=True, text=True, cwd=os.getcwd(),
    )  # fmt: skip
    image_id, state = done.stdout.split()
    assert state == "pending"

    log_in(page, server, "alice", "alice-password")
    page.goto(server.url + "/search/?object=" + obj.replace(" ", "+"))
    row = page.locator(f".fp-results tr[data-image='{image_id}']")
    row.wait_for()
    page.locator(".fp-live-mark").wait_for(state="visible")
    assert "pending" in row.locator(".fp-state").first.inner_text()
    assert row.get_attribute("class") == "fp-row-pending"
    row.scroll_into_view_if_needed()
    screen.shot("pending")

    # Someone opens it: the server warms it, the row turns ready in place.
    assert page.request.get(f"{server.url}/api/images/{image_id}/").status == 200
    page.wait_for_selector(f".fp-results tr[data-image='{image_id}'].fp-row-ready", timeout=60000)
    assert page.locator(".fp-results tbody tr").count() == 1
    assert page.locator(".fp-live-bar").is_hidden()
    row.scroll_into_view_if_needed()
    screen.shot("ready")

    # An upload that matches: announced, not slipped into the table.
    content = write_star_field(tmp_path / "more.fits", 300, 200, nstars=20, seed=12, obj=obj)
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{server.url}/api/collections/alice-survey/images/",
        multipart={"file": {"name": f"more-{screen.name}.fits", "mimeType": "application/fits",
                            "buffer": content.read_bytes()}},
        headers={"X-CSRFToken": csrf, "Referer": server.url + "/search/"},
    )  # fmt: skip
    assert response.status == 201, response.text()
    bar = page.locator(".fp-live-bar")
    bar.wait_for(state="visible", timeout=30000)
    assert bar.locator("span").inner_text() == "1 new result since the search"
    assert page.locator(".fp-results tbody tr").count() == 1
    assert page.locator(".fp-live-mark").inner_text().lower() == "live · 1 new"
    row.scroll_into_view_if_needed()
    screen.shot("new-result")
    bar.locator("button").click()
    page.wait_for_function("document.querySelectorAll('.fp-results tbody tr').length === 2")
    assert bar.is_hidden()
