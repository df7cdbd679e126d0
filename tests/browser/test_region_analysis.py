"""The analysis tab's measurements in a real browser, on a laptop and a phone screen: the
statistics of a circle drawn and of a stored region clicked, equal to numpy on astropy
regions' exact mask of the same circle; a star measured (centroid, FWHM, aperture flux)
on a Gaussian star of known width, with its CSV row."""

import io
import math
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs.utils import proj_plane_pixel_area
from regions import CirclePixelRegion, PixCoord, PolygonPixelRegion, RectanglePixelRegion

from portal.demo import star_field_wcs

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
WIDTH, HEIGHT = 240, 180
STAR = (170.3, 95.6)  # FITS pixels of the Gaussian star
SIGMA, AMPLITUDE = 1.9, 3000.0
STORED = (60.0, 130.0, 12.5)  # a pixel circle of the region file linked to the image: x, y, r
# and a composite of that file: a ring (a circle less a smaller one) and a point.
COMPOSITE = (130.0, 40.0, 10.0, 4.0)


def generated_image():
    """Known values: a gradient with noise, and one circular Gaussian star."""
    yy, xx = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float64)
    data = (
        100.0 + 0.37 * xx + 0.21 * yy + np.random.default_rng(3).normal(0.0, 2.0, (HEIGHT, WIDTH))
    )
    x0, y0 = STAR[0] - 1.0, STAR[1] - 1.0
    data += AMPLITUDE * np.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * SIGMA**2))
    return data.astype(np.float32)


def circle_weights(x_fits, y_fits, radius, shape=(HEIGHT, WIDTH)):
    """regions' exact mask of a circle, as an image (of the generated one's shape)."""
    region = CirclePixelRegion(PixCoord(x_fits - 1.0, y_fits - 1.0), radius)
    return region.to_mask(mode="exact").to_image(shape)


def expected_statistics(data, w):
    """Statistics by numpy of pixels weighted by ``w`` (the reference of issue 14)."""
    touched = (w > 0) & np.isfinite(data)
    v, ww = data[touched].astype(np.float64), w[touched]
    rows, cols = np.nonzero(touched)
    total = float((ww * v).sum())
    mean = total / ww.sum()
    return {
        "pixels": int(touched.sum()), "area_pixels": float(ww.sum()), "sum": total, "mean": mean,
        "sigma": math.sqrt(float((ww * (v - mean) ** 2).sum() / ww.sum())),
        "median": float(np.median(v)), "min": float(v.min()), "max": float(v.max()),
        "centroid": [float((ww * v * cols).sum() / total) + 1.0, float((ww * v * rows).sum() / total) + 1.0],
    }  # fmt: skip


def csrf(page):
    return next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")


@pytest.fixture(scope="module")
def measured_image(browser, server):
    """alice's generated image (its id and data) in a collection of its own, with a ds9
    file of one pixel circle linked to it (the catalog's id)."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(server.url + "/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    headers = {"X-CSRFToken": csrf(page), "Referer": server.url + "/"}
    made = page.request.post(f"{server.url}/api/collections/", headers=headers,
                             data={"slug": "alice-analysis", "name": "Alice analysis"})  # fmt: skip
    assert made.status == 201, made.text()
    slug = made.json()["slug"]
    data = generated_image()
    header = star_field_wcs(WIDTH, HEIGHT).to_header()
    header["BUNIT"] = "ADU"
    buffer = io.BytesIO()
    fits.PrimaryHDU(data, header).writeto(buffer)
    uploaded = page.request.post(
        f"{server.url}/api/collections/{slug}/images/", headers=headers,
        multipart={"file": {"name": "measure.fits", "mimeType": "application/fits", "buffer": buffer.getvalue()}},
    )  # fmt: skip
    assert uploaded.status == 201, uploaded.text()
    image = uploaded.json()["id"]
    x, y, r = STORED
    cx, cy, outer, inner = COMPOSITE
    region = (
        f"# Region file format: DS9 version 4.1\nimage\ncircle({x},{y},{r}) # text={{<i>stored</i>}}\n"
        f"# composite({cx},{cy},0) || composite=1\ncircle({cx},{cy},{outer}) || # text={{ring}}\n"
        f"-circle({cx},{cy},{inner}) ||\npoint({cx},{cy}) # point=x\n"
    )
    added = page.request.post(
        f"{server.url}/api/catalogs/?collection={slug}", headers=headers,
        multipart={"collection": slug, "name": "Stored circle", "images": str(image),
                   "file": {"name": "circle.reg", "mimeType": "text/plain", "buffer": region.encode()}},
    )  # fmt: skip
    assert added.status == 202, added.text()
    catalog = added.json()["id"]
    for _ in range(600):
        states = [page.request.get(f"{server.url}/api/{kind}/{pk}/").json()["state"]
                  for kind, pk in (("images", image), ("catalogs", catalog))]  # fmt: skip
        if states == ["ready", "ready"]:
            break
        page.wait_for_timeout(100)
    assert states == ["ready", "ready"]
    context.close()
    return type("Measured", (), {"id": image, "data": data, "catalog": catalog})


def open_viewer(page, server, login, measured):
    login(page, server, "alice", "alice-password")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/images/{measured.id}/#layers={measured.catalog}")
    page.wait_for_function(
        "(id) => { const v = document.getElementById('viewer').fitsportal;"
        " const c = v && v.catalogs && v.catalogs.find((c) => c.catalog.id === id); return c && c.loaded > 0; }",
        arg=measured.catalog,
    )
    page.wait_for_load_state("networkidle")
    return errors


def centre_on(page, x, y):
    page.evaluate(
        """([x, y]) => {
            const v = document.getElementById("viewer").fitsportal;
            v.map.setView([v.image.height - y + 0.5, x - 0.5], v.image.levels, { animate: false });
        }""",
        [float(x), float(y)],
    )
    page.wait_for_load_state("networkidle")


def screen_point(page, x, y):
    """The page position of FITS pixel (x, y) in the map."""
    point = page.evaluate(
        """([x, y]) => {
            const v = document.getElementById("viewer").fitsportal;
            return v.map.latLngToContainerPoint([v.image.height - y + 0.5, x - 0.5]);
        }""",
        [float(x), float(y)],
    )
    box = page.locator("#viewer").bounding_box()
    return box["x"] + point["x"], box["y"] + point["y"]


def map_centre(page):
    box = page.locator("#viewer").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def use_tool(screen, name):
    """Press an analysis tool's button (the panel shown, then folded on a phone)."""
    page = screen.page
    show_analysis(page)
    page.click(f"button[name={name}]")
    if screen.name == "phone":
        page.evaluate("() => document.getElementById('panel-toggle').click()")
        page.wait_for_timeout(300)


def fold_on_phone(screen):
    """A phone's sheet folded, for the map to take the screen."""
    if screen.name == "phone":
        screen.page.evaluate("() => document.getElementById('panel-toggle').click()")
        screen.page.wait_for_timeout(300)


def show_analysis(page):
    page.evaluate(
        """() => {
            const panel = document.getElementById("panel");
            if (panel.dataset.open !== "true" || panel.dataset.tab !== "analysis") {
                document.querySelector("#panel [role=tab][data-tab=analysis]").click();
            }
        }"""
    )
    page.wait_for_function("() => document.getElementById('panel').dataset.tab === 'analysis'")


def table_cells(page, name):
    return page.evaluate(
        """(name) => Object.fromEntries([...document.querySelectorAll(`table[data-name=${name}] tbody tr`)]
            .map((row) => [row.dataset.key, [...row.querySelectorAll("td")].map((td) => td.textContent)]))""",
        name,
    )


def assert_statistics(answer, cells, expected):
    (measured,) = answer["channels"]
    for key, value in expected.items():
        assert measured[key] == pytest.approx(value, rel=1e-9, abs=1e-9), key
    assert cells["pixels"] == [str(expected["pixels"])]
    for key in ("sum", "mean", "median", "sigma", "min", "max", "area_pixels"):
        assert float(cells[key][0]) == pytest.approx(expected[key], rel=1e-5), key
    area = expected["area_pixels"] * proj_plane_pixel_area(star_field_wcs(WIDTH, HEIGHT)) * 3600**2
    assert measured["area_arcsec2"] == pytest.approx(area, rel=1e-9)
    assert float(cells["surface_brightness"][0]) == pytest.approx(expected["sum"] / area, rel=1e-5)
    assert answer["unit"] == "ADU"


def test_statistics_of_a_circle_drawn_and_a_region_clicked(screen, server, login, measured_image):
    page = screen.page
    errors = open_viewer(page, server, login, measured_image)
    # A circle drawn: its centre, then its edge 40 screen pixels away.
    centre_on(page, 60.0, 45.0)
    use_tool(screen, "region-stats")
    cx, cy = map_centre(page)
    page.mouse.click(cx, cy)
    with page.expect_response("**/api/catalogs/statistics/") as response:
        page.mouse.click(cx + 40, cy - 12)
    sent = response.value.request.post_data_json["features"][0]
    x, y = sent["geometry"]["coordinates"]
    radius = sent["properties"]["radius"]
    assert sent["properties"]["frame"] == "image" and 8 < radius < 30
    show_analysis(page)
    page.wait_for_selector("table[data-name=region-statistics]")
    expected = expected_statistics(measured_image.data, circle_weights(x, y, radius))
    assert_statistics(response.value.json(), table_cells(page, "region-statistics"), expected)
    page.locator(".fp-measure-results").scroll_into_view_if_needed()
    screen.shot("drawn-circle")
    # A box (two corners) and a polygon (four vertices, closed on the first), drawn.
    show_analysis(page)
    page.select_option("select[name=region-shape]", "box")
    fold_on_phone(screen)
    with page.expect_response("**/api/catalogs/statistics/") as response:
        page.mouse.click(*screen_point(page, 40.2, 30.6))
        page.mouse.click(*screen_point(page, 57.9, 41.3))
    box = response.value.request.post_data_json["features"][0]
    (bx, by), props = box["geometry"]["coordinates"], box["properties"]
    # Where the clicks fell (screen pixels are half an image pixel at this zoom).
    assert props["shape"] == "box" and props["angle"] == 0
    assert [bx, by, props["width"], props["height"]] == pytest.approx(
        [49.05, 35.95, 17.7, 10.7], abs=0.5
    )
    region = RectanglePixelRegion(PixCoord(bx - 1.0, by - 1.0), props["width"], props["height"])
    show_analysis(page)
    page.wait_for_function(
        "() => document.querySelector('.fp-measure-title').textContent.startsWith('Box')"
    )
    assert_statistics(response.value.json(), table_cells(page, "region-statistics"),
                      expected_statistics(measured_image.data, region.to_mask(mode="exact").to_image((HEIGHT, WIDTH))))  # fmt: skip
    page.select_option("select[name=region-shape]", "polygon")
    fold_on_phone(screen)
    corners = [(45.0, 30.0), (70.0, 33.0), (66.0, 52.0), (48.0, 47.0)]
    with page.expect_response("**/api/catalogs/statistics/") as response:
        for corner in [*corners, corners[0]]:
            page.mouse.click(*screen_point(page, *corner))
    ring = response.value.request.post_data_json["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 5 and ring[0] == ring[-1]
    assert np.allclose(ring[:-1], corners, atol=0.5)
    vertices = np.array(ring[:-1]) - 1.0
    region = PolygonPixelRegion(PixCoord(vertices[:, 0], vertices[:, 1]))
    show_analysis(page)
    page.wait_for_function(
        "() => document.querySelector('.fp-measure-title').textContent.startsWith('Polygon')"
    )
    assert_statistics(response.value.json(), table_cells(page, "region-statistics"),
                      expected_statistics(measured_image.data, region.to_mask(mode="exact").to_image((HEIGHT, WIDTH))))  # fmt: skip
    page.select_option("select[name=region-shape]", "circle")
    # The stored circle, clicked inside: its own statistics, by catalog and feature id.
    sx, sy, sr = STORED
    centre_on(page, sx, sy)
    if screen.name == "phone":
        page.evaluate("() => document.getElementById('panel-toggle').click()")
        page.wait_for_timeout(300)
    cx, cy = map_centre(page)
    with page.expect_response("**/api/catalogs/statistics/") as response:
        page.mouse.click(cx + 5, cy + 5)
    assert response.value.request.post_data_json["catalog"] == measured_image.catalog
    show_analysis(page)
    page.wait_for_function(
        "() => document.querySelector('.fp-measure-title').textContent.includes('<i>stored</i>')"
    )
    assert not page.locator(".fp-measure-results i").count()  # the region's text, as text
    expected = expected_statistics(measured_image.data, circle_weights(sx, sy, sr))
    assert_statistics(response.value.json(), table_cells(page, "region-statistics"), expected)
    # Measured, not shown in a popup (a closed popup fades out first).
    page.wait_for_function("() => !document.querySelector('.leaflet-popup')", timeout=2000)
    page.locator(".fp-measure-results").scroll_into_view_if_needed()
    screen.shot("stored-region")
    # A member of the composite, clicked in the ring: the composite's statistics, the
    # excluded circle taken away (its point has no area: not sent).
    cx, cy, outer, inner = COMPOSITE
    centre_on(page, cx, cy)
    if screen.name == "phone":
        page.evaluate("() => document.getElementById('panel-toggle').click()")
        page.wait_for_timeout(300)
    with page.expect_response("**/api/catalogs/statistics/") as response:
        page.mouse.click(*screen_point(page, cx + 7.0, cy))
    assert len(response.value.request.post_data_json["ids"]) == 2
    show_analysis(page)
    page.wait_for_function(
        "() => document.querySelector('.fp-measure-title').textContent.includes('composite')"
    )
    ring = circle_weights(cx, cy, outer) * (1.0 - circle_weights(cx, cy, inner))
    assert_statistics(response.value.json(), table_cells(page, "region-statistics"),
                      expected_statistics(measured_image.data, ring))  # fmt: skip
    assert not errors, errors


def test_measure_a_star_gives_its_fwhm_and_flux_as_a_table_and_a_csv_row(
    screen, server, login, measured_image
):
    page = screen.page
    errors = open_viewer(page, server, login, measured_image)
    centre_on(page, STAR[0] + 1.0, STAR[1] - 1.0)  # a click a little off the star
    use_tool(screen, "plot-star")
    cx, cy = map_centre(page)
    with page.expect_response(lambda r: "/api/catalogs/measure/" in r.url) as response:
        page.mouse.click(cx, cy)
    star = response.value.json()
    fwhm = 2 * math.sqrt(2 * math.log(2)) * SIGMA
    assert star["fwhm_gaussian"] == pytest.approx(fwhm, rel=0.05)
    assert [star["x"], star["y"]] == pytest.approx(list(STAR), abs=0.05)
    assert star["flux"] == pytest.approx(2 * math.pi * AMPLITUDE * SIGMA**2, rel=0.02)
    show_analysis(page)
    page.wait_for_selector("table[data-name=star-measurement]")
    cells = table_cells(page, "star-measurement")
    assert float(cells["fwhm_gaussian"][0].split(" px")[0]) == pytest.approx(fwhm, rel=0.05)
    assert "″" in cells["fwhm_gaussian"][0] and float(cells["moffat_beta"][0]) > 1
    # The CSV row: the same measurement, to download.
    href = page.get_attribute(".fp-measure-csv", "href")
    assert page.get_attribute(".fp-measure-csv", "download").endswith(".csv")
    header, row = page.request.get(href).text().splitlines()
    values = dict(zip(header.split(","), row.split(","), strict=True))
    assert float(values["fwhm_gaussian"]) == pytest.approx(star["fwhm_gaussian"], rel=1e-9)
    assert float(values["flux"]) == pytest.approx(star["flux"], rel=1e-9)
    page.locator(".fp-measure-results").scroll_into_view_if_needed()
    screen.shot("star")
    # Radii of one's own: a 6 px aperture, a 10-15 px annulus.
    for name, value in (("aperture", "6"), ("inner", "10"), ("outer", "15")):
        page.fill(f"input[name={name}]", value)
    if screen.name == "phone":
        page.evaluate("() => document.getElementById('panel-toggle').click()")
        page.wait_for_timeout(300)
    with page.expect_response(lambda r: "/api/catalogs/measure/" in r.url) as response:
        page.mouse.click(*screen_point(page, *STAR))
    assert "aperture=6&inner=10&outer=15" in response.value.url
    star = response.value.json()
    assert [star["aperture"], star["annulus_inner"], star["annulus_outer"]] == [6.0, 10.0, 15.0]
    assert star["aperture_area"] == pytest.approx(math.pi * 36, rel=1e-3)
    enclosed = 1 - math.exp(-36 / (2 * SIGMA**2))
    assert star["flux"] == pytest.approx(2 * math.pi * AMPLITUDE * SIGMA**2 * enclosed, rel=0.02)
    show_analysis(page)
    assert "aperture=6" in page.get_attribute(".fp-measure-csv", "href")
    assert not errors, errors


def test_statistics_of_a_cube_are_given_per_channel(page, server, login):
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['cube']}/")
    page.wait_for_function("() => document.getElementById('viewer').fitsportal?.sky")
    page.wait_for_load_state("networkidle")
    centre_on(page, 200.0, 150.0)
    use_tool(type("Screen", (), {"page": page, "name": "desktop"}), "region-stats")
    cx, cy = map_centre(page)
    page.mouse.click(cx, cy)
    with page.expect_response("**/api/catalogs/statistics/") as response:
        page.mouse.click(cx + 30, cy + 20)
    sent = response.value.request.post_data_json
    assert sent["channel"] == [1, 2, 3]
    (x, y), radius = (
        sent["features"][0]["geometry"]["coordinates"],
        sent["features"][0]["properties"]["radius"],
    )
    page.wait_for_selector("table[data-name=region-statistics]")
    header = page.eval_on_selector_all(
        "table[data-name=region-statistics] thead th", "(cells) => cells.map((c) => c.textContent)"
    )
    assert header[0] == "quantity" and len(header) == 4
    cells = table_cells(page, "region-statistics")
    planes = fits.getdata(Path(server.var) / "data" / "seed" / "cube.fits")
    for c, (plane, measured) in enumerate(
        zip(planes, response.value.json()["channels"], strict=True)
    ):
        expected = expected_statistics(plane, circle_weights(x, y, radius, plane.shape))
        assert measured["channel"] == c + 1
        assert measured["mean"] == pytest.approx(expected["mean"], rel=1e-9)
        assert measured["median"] == pytest.approx(expected["median"], rel=1e-9)
        assert float(cells["mean"][c]) == pytest.approx(expected["mean"], rel=1e-5)
    assert (
        90 < float(cells["mean"][0]) < 110 < float(cells["mean"][1]) < 210 < float(cells["mean"][2])
    )
    page.locator(".fp-measure-results").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "region-statistics-of-a-cube.png"))
