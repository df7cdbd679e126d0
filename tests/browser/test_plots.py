"""Plots and sky context in a real browser, on a laptop and a phone screen: the histogram
(axes, ticks, cut lines that move the cuts, exact numbers), the line profile, the star's
radial profile with its FWHM, a cube's spectrum, the coordinate grid at the right sky
positions (checked with astropy), the compass and the colour bar; and all of it under
the portal's Content-Security-Policy.
"""

import warnings
from pathlib import Path

import numpy as np
import pytest
from astropy.coordinates import SkyCoord
from astropy.io import fits
from astropy.modeling import fitting, models
from astropy.wcs import WCS, FITSFixedWarning

ROOT = Path(__file__).resolve().parents[2]


def open_image(page, server, login, key):
    login(page, server, "alice", "alice-password")
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{server.url}/images/{server.seed[key]}/")
    page.wait_for_function(
        "() => document.getElementById('viewer').fitsportal?.sky"
        " || (document.getElementById('viewer').textContent && !document.querySelector('#viewer .leaflet-map-pane'))"
    )
    assert not errors, errors
    assert page.locator("#viewer .leaflet-map-pane").count(), page.text_content(
        "#viewer"
    )  # the error shown
    page.wait_for_selector(".leaflet-tile-loaded")
    page.wait_for_load_state("networkidle")


def show_tab(page, name):
    page.evaluate(
        """(name) => {
            const panel = document.getElementById("panel");
            if (panel.dataset.open !== "true" || panel.dataset.tab !== name) {
                document.querySelector(`#panel [role=tab][data-tab=${name}]`).click();
            }
        }""",
        name,
    )
    page.wait_for_function(
        "(name) => document.getElementById('panel').dataset.tab === name", arg=name
    )


def close_panel_on_phone(screen):
    if screen.name == "phone":
        screen.page.evaluate("() => document.getElementById('panel-toggle').click()")


def field_path(server, name="field.fits"):
    return Path(server.var) / "data" / "seed" / name


def field_wcs(server):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        return WCS(fits.getheader(field_path(server)))


def centre_on(page, x, y, zoom_offset=0):
    page.evaluate(
        """([x, y, offset]) => {
            const v = document.getElementById("viewer").fitsportal;
            v.map.setView([v.image.height - y + 0.5, x - 0.5], v.image.levels - 1 + offset, { animate: false });
        }""",
        [float(x), float(y), zoom_offset],
    )
    page.wait_for_load_state("networkidle")


def grid_drawn(page):
    """The grid's lines (container points, the FITS pixels under them, the canvas's
    opacity there) and labels, once the map has settled, all read in one go for the view
    drawn (a phone's sheet folding moves the map afterwards)."""
    page.wait_for_function(
        """() => new Promise((done) => {
            const v = document.getElementById("viewer");
            const view = () => JSON.stringify([v.fitsportal.map.getSize(), v.fitsportal.map.getCenter(),
                                               v.fitsportal.map.getZoom(), v.clientWidth, v.clientHeight]);
            const before = view();
            setTimeout(() => done(view() === before && v.fitsportal.map.getSize().y === v.clientHeight), 400);
        })"""
    )
    return page.evaluate(
        """() => {
            const v = document.getElementById("viewer").fitsportal;
            const grid = v.sky.grid;
            grid.redraw(); // as the next frame would
            const fits = ([x, y]) => {
                const ll = v.map.containerPointToLatLng([x, y]);
                return [ll.lng + 0.5, v.image.height - ll.lat + 0.5];
            };
            const canvas = grid.canvas;
            const r = window.devicePixelRatio || 1;
            const context = canvas.getContext("2d");
            const alpha = ([x, y]) => Math.max(...context.getImageData(Math.round(x * r) - 1, Math.round(y * r) - 1,
                3, 3).data.filter((_, i) => i % 4 === 3));
            return { lines: grid.lines.map((l) => ({ kind: l.kind, value: l.value, points: l.points,
                                                     pixels: l.points.map(fits), alpha: l.points.map(alpha) })),
                     labels: grid.labels, size: [canvas.clientWidth, canvas.clientHeight] };
        }"""
    )


def map_centre(page):
    box = page.locator("#viewer").bounding_box()
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_histogram_axes_cut_lines_and_exact_cuts(screen, server, login):
    page = screen.page
    open_image(page, server, login, "image")
    show_tab(page, "image")
    figure = page.locator(".fp-plot[data-plot=histogram]")
    page.wait_for_selector(".fp-plot[data-plot=histogram][data-loaded='1']")
    x_ticks = figure.get_attribute("data-x-ticks").split("|")
    y_ticks = figure.get_attribute("data-y-ticks").split("|")
    assert len(x_ticks) >= 3 and all(t.replace(".", "").replace("-", "").isdigit() for t in x_ticks)
    assert y_ticks[:3] == ["1", "10", "100"]  # log counts
    # Zoomed to the cuts: the axis spans the cuts and a fifth of their span either side.
    lo, hi = float(figure.get_attribute("data-lo")), float(figure.get_attribute("data-hi"))
    x0, x1 = map(float, figure.get_attribute("data-range").split(","))
    assert x0 <= lo < hi <= x1 and x1 - x0 <= 1.41 * (hi - lo)
    assert x0 <= float(x_ticks[0]) and float(x_ticks[-1]) <= x1
    screen.shot("histogram")
    # Drag the max line half way towards the min one: the cuts follow and new tiles come.
    page.locator(".fp-histogram").scroll_into_view_if_needed()
    over = page.locator(".fp-histogram").bounding_box()
    to_x = lambda value: over["x"] + (value - x0) / (x1 - x0) * over["width"]  # noqa: E731
    y = over["y"] + over["height"] / 2
    with page.expect_response(lambda r: "/tiles/" in r.url and "minmax=1" in r.url):
        page.mouse.move(min(to_x(hi), over["x"] + over["width"] - 2), y)
        page.mouse.down()
        page.mouse.move(to_x((lo + hi) / 2), y, steps=6)
        page.mouse.up()
    dragged = float(page.input_value("input[name=hi]"))
    assert dragged == pytest.approx((lo + hi) / 2, abs=(x1 - x0) / over["width"] * 3)
    assert float(figure.get_attribute("data-hi")) == pytest.approx(dragged, rel=1e-5)
    # The whole sampled range on demand.
    zoomed = list(map(float, figure.get_attribute("data-range").split(",")))
    assert zoomed[1] < x1  # zoomed to the new cuts
    page.check("input[name=histogram-full]")
    full = list(map(float, figure.get_attribute("data-range").split(",")))
    assert full[1] - full[0] > zoomed[1] - zoomed[0]
    page.uncheck("input[name=histogram-full]")
    # Exact numbers typed in are the cuts, to the last digit.
    with page.expect_response(lambda r: "/tiles/" in r.url and "1001.123457" in r.url):
        page.fill("input[name=lo]", "1001.123457")
        page.dispatch_event("input[name=lo]", "change")
    assert figure.get_attribute("data-lo") == "1001.123457"
    # The light theme redraws the plot in its colours (t, away from the fields).
    page.evaluate("() => document.activeElement.blur()")
    page.keyboard.press("t")
    page.wait_for_function("() => document.documentElement.classList.contains('fp-light')")
    screen.shot("light")
    assert page.locator(".fp-colorbar").get_attribute("data-lo") == "1001.123457"


def brightest_isolated_star(server):
    """A star of the seed field: a local maximum well above the sky, alone within 10
    pixels, away from the edges; and astropy's FWHM for it (circular Gaussian2D on a
    constant, fitted to the 25 x 25 pixels the client asks for)."""
    data = fits.getdata(field_path(server)).astype(float)
    sky = np.median(data)
    best = None
    for row in range(20, data.shape[0] - 20):
        line = data[row]
        for col in np.flatnonzero(line > sky + 400):
            if not 20 <= col < data.shape[1] - 20:
                continue
            box = data[row - 10 : row + 11, col - 10 : col + 11]
            if data[row, col] < box.max() or (box > sky + 0.1 * (data[row, col] - sky)).sum() > 40:
                continue
            if data[row, col] < sky + 3000 and (best is None or data[row, col] > best[2]):
                best = (col + 1, row + 1, data[row, col])
    x, y, _ = best
    cut = data[y - 13 : y + 12, x - 13 : x + 12]  # FITS x - 12 .. x + 12
    yy, xx = np.mgrid[0:25, 0:25].astype(float)
    gaussian = models.Gaussian2D(cut.max() - sky, 12, 12, 1.5, 1.5, theta=0.0)
    gaussian.y_stddev.tied = lambda model: model.x_stddev_0
    gaussian.theta.fixed = True
    fitted = fitting.LevMarLSQFitter()(gaussian + models.Const2D(sky), xx, yy, cut, maxiter=1000)
    return x, y, fitted[0].x_fwhm


def test_line_profile_and_the_fwhm_of_a_star(screen, server, login):
    page = screen.page
    open_image(page, server, login, "image")
    x, y, fwhm = brightest_isolated_star(server)
    centre_on(page, x, y, zoom_offset=1)
    show_tab(page, "analysis")
    page.click("button[name=plot-star]")
    close_panel_on_phone(screen)
    cx, cy = map_centre(page)
    with page.expect_response(lambda r: "/cutout.fits" in r.url):
        page.mouse.click(cx, cy)
    show_tab(page, "analysis")
    radial = page.locator(".fp-plot[data-plot=radial]")
    radial.wait_for(state="visible")
    measured = float(radial.get_attribute("data-fwhm"))
    assert measured == pytest.approx(fwhm, rel=0.01)
    assert 2.5 < measured < 4.5  # the seed field's stars: Moffat profiles of FWHM 3.2
    caption = page.inner_text(".fp-plot[data-plot=radial] figcaption")
    assert "FWHM" in caption and "″" in caption
    assert len(radial.get_attribute("data-x-ticks").split("|")) >= 3
    assert len(radial.get_attribute("data-y-ticks").split("|")) >= 3
    radial.scroll_into_view_if_needed()
    screen.shot("radial")
    # A line profile between two clicks: distance in arcseconds along x.
    page.click("button[name=plot-profile]")
    close_panel_on_phone(screen)
    page.mouse.click(cx - 60, cy - 20)
    with page.expect_response(lambda r: "/profile/" in r.url):
        page.mouse.click(cx + 60, cy + 20)
    show_tab(page, "analysis")
    profile = page.locator(".fp-plot[data-plot=profile]")
    profile.wait_for(state="visible")
    assert int(profile.get_attribute("data-points")) >= 60
    assert profile.get_attribute("data-x-label") == "distance (arcsec)"
    assert profile.get_attribute("data-y-label") == "value (ADU)"
    assert len(profile.get_attribute("data-x-ticks").split("|")) >= 3
    profile.scroll_into_view_if_needed()
    screen.shot("profile")


def test_spectrum_of_a_cube_at_the_cursor(screen, server, login):
    page = screen.page
    open_image(page, server, login, "cube")
    show_tab(page, "analysis")
    page.check("input[name=plot-spectrum]")
    # The image's centre on the screen (on a phone, above the sheet).
    point = page.evaluate(
        """() => {
            const v = document.getElementById("viewer").fitsportal;
            const p = v.map.latLngToContainerPoint([v.image.height / 2, v.image.width / 2]);
            const box = document.getElementById("viewer").getBoundingClientRect();
            return [box.left + p.x, box.top + p.y];
        }"""
    )
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "/values/" in r.url else None)
    with page.expect_response(lambda r: "/values/" in r.url):
        for k in range(8):  # one pause, one request (the readout asks its own)
            page.mouse.move(point[0] + k, point[1])
    spectrum = page.locator(".fp-plot[data-plot=spectrum]")
    spectrum.wait_for(state="visible")
    assert spectrum.get_attribute("data-points") == "3"
    assert spectrum.get_attribute("data-x-label") == "channel"  # no axis 3 WCS in the seed cube
    assert spectrum.get_attribute("data-x-ticks").split("|") == ["1", "2", "3"]
    ticks = [float(t) for t in spectrum.get_attribute("data-y-ticks").split("|")]
    assert min(ticks) <= 150 and max(ticks) >= 250  # planes at 100, 200, 300
    assert len(requests) <= 3
    spectrum.scroll_into_view_if_needed()
    screen.shot("spectrum")


def test_coordinate_grid_compass_and_colour_bar(screen, server, login):
    page = screen.page
    open_image(page, server, login, "image")
    show_tab(page, "overlays")
    page.select_option("select[name=grid]", "equatorial")
    close_panel_on_phone(screen)
    page.wait_for_function(
        "() => Number(document.querySelector('.fp-grid-canvas')?.dataset.lines) >= 4"
    )
    wcs = field_wcs(server)
    drawn = grid_drawn(page)
    meridians = [line for line in drawn["lines"] if line["kind"] == "meridian"]
    parallels = [line for line in drawn["lines"] if line["kind"] == "parallel"]
    assert len(meridians) >= 2 and len(parallels) >= 2
    # Every drawn point lies on its line's RA (or Dec), by astropy, within 0.05 pixel.
    scale = np.sqrt(abs(np.linalg.det(wcs.pixel_scale_matrix)))
    for line in meridians + parallels:
        sky = wcs.all_pix2world(np.array(line["pixels"]), 1)
        if line["kind"] == "meridian":
            off = (((sky[:, 0] - line["value"]) + 180) % 360 - 180) * np.cos(np.deg2rad(sky[:, 1]))
        else:
            off = sky[:, 1] - line["value"]
        assert np.abs(off).max() / scale < 0.05, line["value"]
    # Labelled: each meridian label says its RA (h m), each parallel its Dec.
    labels = {(label["kind"], label["value"]): label["text"] for label in drawn["labels"]}
    assert sum(kind == "meridian" for kind, _ in labels) >= 2
    assert sum(kind == "parallel" for kind, _ in labels) >= 2
    for (kind, value), text in labels.items():
        if kind == "meridian":
            hours, minutes = divmod(round(value / 15 * 60 * 60), 3600)
            assert text.startswith(f"{hours}h{minutes // 60:02d}m"), (value, text)
        else:
            assert text.startswith(("+", "−")) and f"{int(abs(value))}°" in text, (value, text)
    # The lines are on the canvas: their points inside the view are not transparent.
    width, height = drawn["size"]
    inside = [a for line in drawn["lines"] for (x, y), a in zip(line["points"], line["alpha"], strict=True)
              if 2 < x < width - 2 and 2 < y < height - 2]  # fmt: skip
    assert len(inside) > 50 and min(inside) > 100
    # Compass: north and east at the view's centre, as astropy has them.
    compass = page.locator(".fp-compass")
    north, east = (
        float(compass.get_attribute("data-north")),
        float(compass.get_attribute("data-east")),
    )
    cx, cy = page.evaluate(
        """() => {
            const v = document.getElementById("viewer").fitsportal;
            const c = v.map.getCenter();
            return [c.lng + 0.5, v.image.height - c.lat + 0.5];
        }"""
    )
    here = SkyCoord(*wcs.all_pix2world([[cx, cy]], 1)[0], unit="deg")
    for offset, measured in ((here.directional_offset_by(0, 10 / 3600), north),
                             (here.directional_offset_by(np.pi / 2, 10 / 3600), east)):  # fmt: skip
        px, py = wcs.all_world2pix([[offset.ra.deg, offset.dec.deg]], 1)[0]
        expected = np.degrees(np.arctan2(px - cx, py - cy)) % 360  # screen: clockwise from up
        assert abs((measured - expected + 180) % 360 - 180) < 1.0
    # Colour bar: the cuts of the render state, and it follows the colormap.
    bar = page.locator(".fp-colorbar")
    state_cuts = page.evaluate("() => document.getElementById('viewer').fitsportal.state.cuts[0]")
    assert float(bar.get_attribute("data-lo")) == state_cuts[0]
    assert float(bar.get_attribute("data-hi")) == state_cuts[1]
    assert bar.locator(".fp-colorbar-scale span").count() >= 2
    screen.shot("grid")
    # A cut preset (a button, no form change) moves the bar's cuts too.
    show_tab(page, "image")
    page.click("button[name=preset-minmax]")  # the default is zscale: min/max is wider
    page.wait_for_function(
        """() => {
            const v = document.getElementById("viewer").fitsportal;
            const bar = document.querySelector(".fp-colorbar").dataset;
            return Number(bar.lo) === v.state.cuts[0][0] && Number(bar.hi) === v.state.cuts[0][1];
        }"""
    )
    assert float(bar.get_attribute("data-hi")) > state_cuts[1]
    show_tab(page, "colour")
    page.select_option("select[name=colormap]", "viridis")
    page.wait_for_function(
        "() => document.querySelector('.fp-colorbar').dataset.colormap === 'viridis'"
    )
    # Galactic: the lines of constant l and b, by astropy again.
    show_tab(page, "overlays")
    page.select_option("select[name=grid]", "galactic")
    close_panel_on_phone(screen)
    page.wait_for_function(
        "() => document.querySelector('.fp-grid-canvas').dataset.frame === 'galactic'"
    )
    lines = grid_drawn(page)["lines"]
    assert lines
    for line in lines[:6]:
        pixels = np.array(line["pixels"])
        # The client's galactic frame is the IAU definition from FK5 J2000 (coords.js),
        # 0.03 arcsec (ICRS's frame bias) from astropy's ICRS to galactic.
        sky = SkyCoord(*wcs.all_pix2world(pixels, 1).T, unit="deg", frame="fk5").galactic
        got = sky.l.deg if line["kind"] == "meridian" else sky.b.deg
        off = ((got - line["value"]) + 180) % 360 - 180
        assert np.abs(off).max() / scale < 0.05
    screen.shot("galactic")


def test_plots_under_the_content_security_policy(browser, server, login):
    """uPlot, the grid, compass and colour bar draw under the portal's policy (no inline
    style or script): nothing is refused, and the plots have their size."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    refused = []
    page.on(
        "console",
        lambda m: (
            refused.append(
                f"{m.text[:60]} ({m.location['url']}:{m.location['lineNumber']}:{m.location['columnNumber']})"
            )
            if "Content Security Policy" in m.text
            else None
        ),
    )
    login(page, server, "alice", "alice-password")
    response = page.goto(f"{server.url}/images/{server.seed['image']}/")
    assert "style-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".fp-plot[data-plot=histogram][data-loaded='1']")
    over = page.locator(".fp-histogram").bounding_box()
    assert over["width"] > 150 and over["height"] > 60  # uPlot's layout, from its style sheet
    page.click("#panel [role=tab][data-tab=overlays]")
    page.select_option("select[name=grid]", "equatorial")
    page.wait_for_selector(".fp-grid-canvas[data-lines]:not([data-lines='0'])", state="attached")
    page.wait_for_load_state("networkidle")
    assert page.locator(".fp-colorbar").bounding_box()["width"] >= 150
    assert page.locator(".fp-compass canvas").bounding_box()["width"] == 64
    assert not refused, refused
    page.screenshot(path=str(ROOT / "test-artifacts" / "browser" / "test_plots_under_the_csp.png"))
    context.close()


def test_the_g_key_switches_the_grid(screen, server, login):
    page = screen.page
    open_image(page, server, login, "image")
    lines = "() => Number(document.querySelector('.fp-grid-canvas')?.dataset.lines || 0)"
    assert page.evaluate("document.querySelector('select[name=grid]').value") == ""
    page.keyboard.press("g")
    page.wait_for_function(f"({lines})() >= 4")
    assert page.evaluate("document.querySelector('select[name=grid]').value") != ""
    page.keyboard.press("g")
    page.wait_for_function("() => !document.querySelector('.fp-grid-canvas')?.isConnected")
    assert page.evaluate("document.querySelector('select[name=grid]').value") == ""
