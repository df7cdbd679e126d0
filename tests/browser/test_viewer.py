"""The viewer in a real browser: log in, browse, see tiles, change the rendering."""

import numpy as np
import simplejpeg


def tile_responses(page, action):
    seen = []
    page.on("response", lambda r: seen.append(r) if "/tiles/" in r.url else None)
    action()
    page.wait_for_load_state("networkidle")
    return seen


def test_log_in_browse_and_see_tiles(page, server, login):
    login(page, server, "alice", "alice-password")
    assert "alice" in page.inner_text("header")
    page.click("text=Alice survey")
    page.click("text=Seed field")
    responses = tile_responses(page, lambda: page.wait_for_selector(".leaflet-tile-loaded"))
    page.wait_for_load_state("networkidle")
    ok = [r for r in responses if r.status == 200]
    assert ok, "no tile was loaded"
    assert all(r.headers["content-type"] == "image/jpeg" for r in ok)
    # The tiles are not blank: the decoded pixels vary.
    pixels = simplejpeg.decode_jpeg(ok[0].body(), colorspace="GRAY")
    assert np.std(pixels) > 1.0
    assert page.locator(".leaflet-tile-loaded").count() >= 1


def test_changing_the_colormap_requests_new_tiles(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.wait_for_load_state("networkidle")
    with page.expect_response(lambda r: "/tiles/" in r.url and "colormap=hot" in r.url) as first:
        page.select_option("select[name=colormap]", "hot")
    response = first.value
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    page.wait_for_load_state("networkidle")
    sources = page.eval_on_selector_all(".leaflet-tile-loaded", "tiles => tiles.map(t => t.src)")
    assert sources and all("colormap=hot" in src for src in sources)
    decoded = simplejpeg.decode_jpeg(response.body())
    assert decoded.shape[2] == 3 and (decoded[..., 0].astype(int) - decoded[..., 2]).max() > 20


def test_pixel_readout_under_the_cursor(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    box = page.locator("#viewer").bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.wait_for_function("document.querySelector('#readout').textContent.includes('value')")
    readout = page.locator("#readout")
    x, y = float(readout.get_attribute("data-x")), float(readout.get_attribute("data-y"))
    assert 1 <= x <= 1500 and 1 <= y <= 1100


def test_another_users_private_image_is_not_reachable(page, server, login):
    login(page, server, "alice", "alice-password")
    response = page.goto(f"{server.url}/images/{server.seed['hidden']}/")
    assert response.status == 404
    api = page.request.get(f"{server.url}/api/images/{server.seed['hidden']}/tiles/0/0/0.jpg")
    assert api.status == 404
    page.goto(server.url + "/")
    assert "Bob secret" not in page.inner_text("main")
