"""The viewer in a real browser: log in, browse, see tiles, change the rendering."""

from pathlib import Path

import numpy as np
import pytest
import simplejpeg

from portal.demo import star_field_wcs


def tile_responses(page, action):
    seen = []
    page.on("response", lambda r: seen.append(r) if "/tiles/" in r.url else None)
    action()
    page.wait_for_load_state("networkidle")
    return seen


def decode_tile(response):
    """The RGB pixels of a tile: JPEG for the reduced levels, PNG for the native one."""
    import pyvips

    if response.headers["content-type"] == "image/jpeg":
        return simplejpeg.decode_jpeg(response.body())
    assert response.headers["content-type"] == "image/png"
    picture = pyvips.Image.new_from_buffer(response.body(), "")
    pixels = np.ndarray(buffer=picture.write_to_memory(), dtype=np.uint8,
                        shape=[picture.height, picture.width, picture.bands])  # fmt: skip
    return pixels[..., :3]


def test_log_in_browse_and_see_tiles(page, server, login):
    login(page, server, "alice", "alice-password")
    assert "alice" in page.inner_text("header")
    page.click("text=Alice survey")
    page.click("a:has-text('Seed field')")
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
    page.click("#panel [role=tab][data-tab=colour]")
    with page.expect_response(lambda r: "/tiles/" in r.url and "colormap=hot" in r.url) as first:
        page.select_option("select[name=colormap]", "hot")
    response = first.value
    assert response.status == 200 and response.headers["content-type"] == "image/jpeg"
    # The old tiles stay until the new layer has loaded, then all of them go.
    # (A "networkidle" wait would resolve at once: the page reached it before.)
    page.wait_for_function(
        """() => {
            const tiles = [...document.querySelectorAll("#viewer .leaflet-tile-loaded")];
            return tiles.length > 0 && tiles.every((t) => t.src.includes("colormap=hot"));
        }""",
        timeout=15000,
    )
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
    # RA/Dec computed in the browser agree with astropy for that pixel (< 0.01 pixel).
    ra, dec = float(readout.get_attribute("data-ra")), float(readout.get_attribute("data-dec"))
    expected = star_field_wcs(1500, 1100).all_pix2world([[x, y]], 1)[0]
    assert (
        abs(ra - expected[0]) * np.cos(np.radians(dec)) < 0.004 / 3600
        and abs(dec - expected[1]) < 0.004 / 3600
    )
    assert "α" in readout.inner_text() and "value" in readout.inner_text()


def test_go_to_coordinates_and_scale_bar(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    ra, dec = star_field_wcs(1500, 1100).all_pix2world([[300.0, 200.0]], 1)[0]
    page.fill("#goto", f"{ra:.7f} {dec:.7f}")
    page.press("#goto", "Enter")
    page.wait_for_timeout(500)
    centre = page.evaluate(
        "() => { const v = document.getElementById('viewer').fitsportal; const c = v.map.getCenter();"
        " return [c.lng + 0.5, v.image.height - c.lat + 0.5]; }"
    )
    assert abs(centre[0] - 300) < 1 and abs(centre[1] - 200) < 1
    assert page.locator(".fp-scalebar").inner_text().endswith(("″", "′", "°"))


def test_another_users_private_image_is_not_reachable(page, server, login):
    login(page, server, "alice", "alice-password")
    response = page.goto(f"{server.url}/images/{server.seed['hidden']}/")
    assert response.status == 404
    api = page.request.get(f"{server.url}/api/images/{server.seed['hidden']}/tiles/0/0/0.jpg")
    assert api.status == 404
    page.goto(server.url + "/")
    assert "Bob secret" not in page.inner_text("main")


def test_catalog_layer_markers_at_the_right_pixels(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-control-layers")
    page.check(".leaflet-control-layers input[type=checkbox]")
    page.wait_for_function(
        "() => { const v = document.getElementById('viewer').fitsportal;"
        " return v.catalogs && v.catalogs[0].loaded > 0; }"
    )
    positions = page.evaluate(
        "() => { const v = document.getElementById('viewer').fitsportal; const out = [];"
        " v.catalogs[0].group.eachLayer((m) => { const c = m.getLatLng ? m.getLatLng() : m.getBounds().getCenter();"
        " out.push([c.lng + 0.5, v.image.height - c.lat + 0.5, m.feature.properties.x, m.feature.properties.y]); });"
        " return out; }"
    )
    assert len(positions) == 5
    for x, y, expected_x, expected_y in positions:
        assert abs(x - expected_x) < 0.01 and abs(y - expected_y) < 0.01
    assert "layers=" in page.url


def test_the_url_keeps_the_view(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.click("#panel [role=tab][data-tab=colour]")
    page.select_option("select[name=colormap]", "viridis")
    page.click("#panel [role=tab][data-tab=image]")
    page.fill("input[name=gamma]", "1.5")
    page.dispatch_event("input[name=gamma]", "change")
    page.wait_for_load_state("networkidle")
    link = page.url
    assert "colormap=viridis" in link and "gamma=1.5" in link
    assert "channel=1&" in link  # a one-channel image stays in mono mode
    teammate = page.context.new_page()
    teammate.goto(link)
    teammate.wait_for_selector(".leaflet-tile-loaded")
    teammate.wait_for_load_state("networkidle")
    assert teammate.input_value("select[name=colormap]") == "viridis"
    # (Leaflet gives the tiles it drops a blank data: image before removing them.)
    sources = teammate.eval_on_selector_all(
        ".leaflet-tile-loaded",
        "tiles => tiles.map(t => t.src).filter((s) => !s.startsWith('data:'))",
    )
    assert sources and all("colormap=viridis" in src and "gamma=1.5" in src for src in sources)
    teammate.close()


def test_upload_a_fits_file_and_watch_it_become_ready(page, server, login, tmp_path):
    from portal.demo import write_star_field

    path = write_star_field(tmp_path / "uploaded.fits", 900, 700, nstars=200, seed=9)
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/c/alice-survey/")
    page.set_input_files("#upload input[type=file]", str(path))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload li.state-ready a", timeout=30000)
    page.click("#upload li.state-ready a")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.wait_for_function(
        "document.querySelector('#progress').dataset.state === 'ready'", timeout=60000
    )
    assert page.locator("#progress").is_hidden()


def test_a_bad_upload_shows_the_reason(page, server, login, tmp_path):
    bad = tmp_path / "notes.fits"
    bad.write_text("this is not FITS\n" * 50)
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/c/alice-survey/")
    page.set_input_files("#upload input[type=file]", str(bad))
    page.click("#upload button[type=submit]")
    page.wait_for_selector("#upload li.state-failed")
    assert "not a FITS file" in page.inner_text("#upload li.state-failed")


def test_phone_sized_screen(browser, server, login):
    from pathlib import Path

    artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    box = page.locator("#viewer").bounding_box()
    assert box["width"] <= 390 and box["height"] > 300
    page.tap(".leaflet-control-zoom-in")
    page.wait_for_load_state("networkidle")
    assert page.locator(".leaflet-tile-loaded").count() >= 1
    artifacts.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(artifacts / "phone.png"))
    context.close()


def test_snapshot_cutout_and_profile(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.click("#panel [role=tab][data-tab=share]")
    with page.expect_download() as snapshot:
        page.click("button[name=snapshot]")
    jpeg = Path(snapshot.value.path()).read_bytes()
    decoded = simplejpeg.decode_jpeg(jpeg, colorspace="GRAY")
    assert decoded.shape[0] > 100 and decoded.shape[1] > 100
    with page.expect_download() as cutout:
        page.click("button[name=cutout]")
    blob = Path(cutout.value.path()).read_bytes()
    assert blob.startswith(b"SIMPLE  =") and b"CRPIX1" in blob
    page.click("#panel [role=tab][data-tab=analysis]")
    page.click("button[name=plot-profile]")
    box = page.locator("#viewer").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.5)
    page.mouse.click(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6)
    page.wait_for_selector("[data-plot=profile][data-points]")
    assert int(page.get_attribute("[data-plot=profile]", "data-points")) > 50


def test_dragging_a_cut_on_the_histogram_renders_new_tiles(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".fp-histogram[data-loaded='1']")
    page.wait_for_load_state("networkidle")
    before = page.input_value("input[name=hi]")
    box = page.locator(".fp-histogram").bounding_box()
    with page.expect_response(lambda r: "/tiles/" in r.url and "minmax=1" in r.url):
        page.mouse.move(box["x"] + box["width"] - 2, box["y"] + box["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] / 2, steps=5)
        page.mouse.up()
    assert float(page.input_value("input[name=hi]")) < float(before)
    assert "minmax=1" in page.url


def test_playing_through_the_planes_of_a_cube(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['cube']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.click("#panel [role=tab][data-tab=colour]")
    page.fill("input[name=fps]", "5")
    seen = set()
    page.on(
        "response",
        lambda r: seen.add(r.url.split("channel=")[1][:1]) if "channel=" in r.url else None,
    )
    page.click("button[name=play]")
    page.wait_for_timeout(1500)
    page.click("button[name=play]")
    assert {"1", "2", "3"} <= seen


def test_drawing_a_team_mark(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.on("dialog", lambda dialog: dialog.accept("odd blob"))
    page.select_option("select[name=mark]", "point")
    box = page.locator("#viewer").bounding_box()
    x, y = box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45
    page.mouse.move(x, y)
    page.wait_for_function("document.querySelector('#readout').textContent.includes('value')")
    ra = float(page.get_attribute("#readout", "data-ra"))
    dec = float(page.get_attribute("#readout", "data-dec"))
    with page.expect_response(
        lambda r: r.url.endswith("/features/") and r.request.method == "POST"
    ) as saved:
        page.mouse.click(x, y)
    feature = saved.value.json()
    assert saved.value.status == 201
    assert (
        feature["properties"]["note"] == "odd blob" and feature["properties"]["author"] == "alice"
    )
    assert abs(feature["geometry"]["coordinates"][0] - ra) < 1e-6
    assert abs(feature["geometry"]["coordinates"][1] - dec) < 1e-6
    catalogs = page.request.get(f"{server.url}/api/catalogs/?collection=alice-survey").json()[
        "results"
    ]
    marks = [c for c in catalogs if c["kind"] == "annotations"]
    assert len(marks) == 1 and marks[0]["feature_count"] == 1 and marks[0]["owner"] == "alice"


def test_overview_follows_the_view_and_moves_it(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".fp-overview .leaflet-tile-loaded")
    page.evaluate(
        "() => { const v = document.getElementById('viewer').fitsportal; v.map.setZoom(3); }"
    )
    page.wait_for_timeout(400)
    centre = page.evaluate(
        "() => { const o = document.getElementById('viewer').fitsportal.overview;"
        " const c = o.frame.getBounds().getCenter(); return [c.lat, c.lng]; }"
    )
    main = page.evaluate(
        "() => { const c = document.getElementById('viewer').fitsportal.map.getCenter(); return [c.lat, c.lng]; }"
    )
    assert abs(centre[0] - main[0]) < 2 and abs(centre[1] - main[1]) < 2
    box = page.locator(".fp-overview").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.25, box["y"] + box["height"] * 0.5)
    page.wait_for_timeout(600)
    after = page.evaluate(
        "() => { const c = document.getElementById('viewer').fitsportal.map.getCenter(); return c.lng; }"
    )
    assert after < main[1] - 100  # moved towards the left of the image


def test_colour_mix_per_channel(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['cube']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.wait_for_load_state("networkidle")
    page.click("#panel [role=tab][data-tab=colour]")
    with page.expect_response(lambda r: "/tiles/" in r.url and "mix=" in r.url) as first:
        page.uncheck("input[name=on3]")
    url = first.value.url
    assert "mix=3%3A0.000%2C0.000%2C0.000" in url and "mix=1%3A0.000%2C0.000%2C1.000" in url
    rgb = decode_tile(first.value)
    assert rgb[..., 0].mean() < 10 < rgb[..., 2].mean()  # red channel off, blue on


def test_a_mosaic_takes_each_extensions_own_wcs(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['mosaic']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    # The viewer's sky coordinates come once the mosaic's extensions are read (null before).
    page.wait_for_function("Boolean(document.getElementById('viewer').fitsportal.wcs)")
    parts, sky = page.evaluate(
        "() => { const w = document.getElementById('viewer').fitsportal.wcs;"
        " return [w.parts ? w.parts.length : 0, [[150, 200], [450, 600]].map(([x, y]) =>"
        " w.pixelToWorld(x, y))]; }"
    )
    assert parts == 4
    expected = star_field_wcs(600, 800).all_pix2world([[150, 200], [450, 600]], 1)
    np.testing.assert_allclose(sky, expected, atol=0.01 * 0.4 / 3600)


def test_cut_presets_in_one_click(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".leaflet-tile-loaded")
    page.wait_for_load_state("networkidle")
    presets = page.request.get(f"{server.url}/api/images/{server.seed['image']}/").json()[
        "cut_presets"
    ]
    names = page.eval_on_selector_all(".fp-presets button", "bs => bs.map((b) => b.name)")
    assert names[:2] == ["preset-zscale", "preset-minmax"] and len(names) == len(presets)
    lo, hi = presets["99.5"][0]
    with page.expect_response(lambda r: "/tiles/" in r.url and "minmax=1" in r.url) as tile:
        page.click("button[name='preset-99.5']")
    assert f"minmax=1%3A{lo}%2C{hi}" in tile.value.url
    assert page.get_attribute("button[name='preset-99.5']", "aria-pressed") == "true"
    assert page.get_attribute("button[name=preset-zscale]", "aria-pressed") == "false"
    # Shown to six significant digits, sent exact.
    assert float(page.input_value("input[name=lo]")) == pytest.approx(lo, rel=1e-5)
    assert len(page.input_value("input[name=lo]").replace("-", "").replace(".", "")) <= 6
