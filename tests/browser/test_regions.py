"""ds9 regions drawn in the viewer where astropy regions' ``to_pixel`` puts them: every
shape in sky frames (fk5, galactic) through the image's rotated WCS, and in the image's
own pixels; vertices within half a pixel."""

import json
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from regions import RectanglePixelRegion, Regions

from portal.demo import star_field_wcs

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
WIDTH, HEIGHT = 1500, 1100  # the seeded field (tests/browser/seed.py)
SKY_SHAPES = [
    'circle({},{},12")', 'ellipse({},{},30",12",35)', '-box({},{},40",16",20) # background',
    "annulus({},{},6\",12\")", 'ellipse({},{},10",5",20",10",60)', 'box({},{},10",6",24",14",15)',
    "point({},{}) # point=diamond", "point({},{}) # point=cross color=red",
    "# text({},{}) text={{NGC label}}",
]  # fmt: skip


def region_file():
    """A ds9 file of every shape, in fk5, galactic and image coordinates, over the field."""
    wcs = star_field_wcs(WIDTH, HEIGHT)
    lines = ["# Region file format: DS9 version 4.1", "global color=green width=1"]
    for frame, row in (("fk5", 300), ("galactic", 600)):
        lines.append(frame)
        for k, shape in enumerate(SKY_SHAPES):
            sky = wcs.pixel_to_world(150 + 140 * k, row)
            coord = sky.galactic if frame == "galactic" else sky.fk5
            lon, lat = coord.spherical.lon.deg, coord.spherical.lat.deg
            lines.append(shape.format(f"{lon:.7f}", f"{lat:.7f}") + (" # " if "#" not in shape else " ")
                         + f"tag={{{frame}-{k}}}")  # fmt: skip
        polygon = [wcs.pixel_to_world(x, row + 120) for x in (1350, 1420, 1400, 1330)]
        coords = ",".join(f"{getattr(p, frame).spherical.lon.deg:.7f},{getattr(p, frame).spherical.lat.deg:.7f}"
                          for p in polygon)  # fmt: skip
        lines.append(f"polygon({coords}) # tag={{{frame}-poly}}")
    lines += ["image", "circle(200,900,25) # tag={image-0}", "ellipse(400,900,40,15,30) # tag={image-1}",
              "-box(600,900,60,25,45) # tag={image-2}", "annulus(800,900,10,20) # tag={image-3}",
              "line(950,880,1100,940) # tag={image-4}", "point(1200,900) # point=x tag={image-5}"]  # fmt: skip
    return "\n".join(lines) + "\n"


def in_icrs(region):
    """The region with its centre in ICRS and its angle measured from ICRS axes.

    ds9 measures a sky region's angle from the axes of its own frame (it turns angles
    when it lists regions in another frame); regions' ``to_pixel`` measures it from the
    axes of the WCS's frame. For a galactic box on an ICRS image the two differ by the
    angle between galactic and equatorial north (about 156 degrees here): the viewer
    draws as ds9 does, so the reference is ``to_pixel`` of the same region turned into
    ICRS, the angle between the norths computed here with astropy."""
    if not hasattr(region, "angle") or region.center.frame.name in ("icrs", "fk5"):
        return region
    ahead = region.center.directional_offset_by(0 * u.deg, 1 * u.arcsec)
    north = region.center.icrs.position_angle(ahead.icrs)
    return region.copy(center=region.center.icrs, angle=region.angle + north)


def expected_outlines(text):
    """Per tag: the pixel region regions' to_pixel makes (FITS 1-based: +1)."""
    wcs = star_field_wcs(WIDTH, HEIGHT)
    found = {}
    for region in Regions.parse(text, format="ds9"):
        pixel = in_icrs(region).to_pixel(wcs) if "Sky" in type(region).__name__ else region
        found.setdefault(region.meta["tag"][0], []).append(pixel)
    return found


def on_ellipse(points, centre, width, height, angle_deg):
    """Largest distance (pixels) of points from the ellipse's outline."""
    theta = np.radians(angle_deg)
    d = np.asarray(points) - centre
    x = d[:, 0] * np.cos(theta) + d[:, 1] * np.sin(theta)
    y = -d[:, 0] * np.sin(theta) + d[:, 1] * np.cos(theta)
    r = np.hypot(x / (width / 2), y / (height / 2))
    return float(np.max(np.abs(r - 1) * np.hypot(x, y) / r))


def nearest(points, targets):
    return max(min(float(np.hypot(*(np.asarray(p) - t))) for t in targets) for p in points)


def check(pixel, drawn):
    """Largest error (pixels) of the drawn rings against the region placed by to_pixel."""
    kind = type(pixel).__name__
    rings = [np.array(r) - 1.0 for r in drawn["rings"]]  # FITS -> regions' 0-based
    centre = np.array(drawn["centre"]) - 1.0
    if kind in ("PointPixelRegion", "TextPixelRegion"):
        return float(np.hypot(*(centre - [pixel.center.x, pixel.center.y])))
    if kind == "PolygonPixelRegion":
        return nearest(rings[0], np.column_stack([pixel.vertices.x, pixel.vertices.y]))
    if kind == "LinePixelRegion":
        return nearest(rings[0], [[pixel.start.x, pixel.start.y], [pixel.end.x, pixel.end.y]])
    c = np.array([pixel.center.x, pixel.center.y])
    angle = (
        float(getattr(pixel, "angle", 0 * pixel.center.x).value) if hasattr(pixel, "angle") else 0.0
    )
    if kind == "CirclePixelRegion":
        return on_ellipse(rings[0], c, 2 * pixel.radius, 2 * pixel.radius, 0)
    if kind == "EllipsePixelRegion":
        return on_ellipse(rings[0], c, pixel.width, pixel.height, angle)
    if kind == "CircleAnnulusPixelRegion":
        return max(on_ellipse(rings[0], c, 2 * pixel.inner_radius, 2 * pixel.inner_radius, 0),
                   on_ellipse(rings[1], c, 2 * pixel.outer_radius, 2 * pixel.outer_radius, 0))  # fmt: skip
    if kind == "EllipseAnnulusPixelRegion":
        return max(on_ellipse(rings[0], c, pixel.inner_width, pixel.inner_height, angle),
                   on_ellipse(rings[1], c, pixel.outer_width, pixel.outer_height, angle))  # fmt: skip
    if kind == "RectanglePixelRegion":
        return nearest(rings[0], pixel.corners)
    if kind == "RectangleAnnulusPixelRegion":
        boxes = [RectanglePixelRegion(pixel.center, w, h, pixel.angle)
                 for w, h in ((pixel.inner_width, pixel.inner_height), (pixel.outer_width, pixel.outer_height))]  # fmt: skip
        return max(nearest(rings[0], boxes[0].corners), nearest(rings[1], boxes[1].corners))
    raise AssertionError(kind)


DRAWN = """(catalogId) => {
  const v = document.getElementById('viewer').fitsportal;
  const layer = v.catalogs.find((c) => c.catalog.id === catalogId);
  const out = {};
  const each = (m, visit) => (m.eachLayer ? m.eachLayer((child) => each(child, visit)) : visit(m));
  each(layer.group, (m) => {
    const tag = m.feature.properties.tag[0];
    const entry = out[tag] || (out[tag] = { shape: m.feature.properties.shape, rings: [], markers: [], dashed: [], colours: [] });
    if (m.getLatLngs) {
      const flat = m.getLatLngs().flat(2);
      entry.rings.push(flat.map((c) => [c.lng + 0.5, v.image.height - c.lat + 0.5]));
      entry.dashed.push(Boolean(m.options.dashArray));
      entry.colours.push(m.options.color);
    } else {
      const c = m.getLatLng();
      entry.markers.push([c.lng + 0.5, v.image.height - c.lat + 0.5]);
      entry.html = m.getElement() ? m.getElement().textContent : '';
    }
  });
  return out;
}"""


@pytest.fixture
def region_catalog(browser, server):
    """The region file uploaded by alice into her collection, linked to the field."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.goto(server.url + "/accounts/login/")
    page.fill("input[name=username]", "alice")
    page.fill("input[name=password]", "alice-password")
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    token = next(c["value"] for c in context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(
        f"{server.url}/api/catalogs/?collection=alice-survey",
        headers={"X-CSRFToken": token, "Referer": server.url + "/"},
        multipart={"collection": "alice-survey", "name": "All ds9 shapes", "images": server.seed["image"],
                   "file": {"name": "shapes.reg", "mimeType": "text/plain", "buffer": region_file().encode()}},
    )  # fmt: skip
    assert response.status == 202, response.text()
    catalog = response.json()["id"]
    for _ in range(600):
        state = page.request.get(f"{server.url}/api/catalogs/{catalog}/").json()
        if state["state"] in ("ready", "failed"):
            break
        page.wait_for_timeout(100)
    assert state["state"] == "ready", state
    yield catalog
    # The other browser tests count the seeded collection's catalogs: leave it as it was.
    assert page.request.delete(f"{server.url}/api/catalogs/{catalog}/", headers={"X-CSRFToken": token,
                               "Referer": server.url + "/"}).status == 204  # fmt: skip
    context.close()


def test_every_shape_is_drawn_where_to_pixel_puts_it(screen, server, login, region_catalog):
    page = screen.page
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/#layers={region_catalog}")
    page.wait_for_function(
        "(id) => { const v = document.getElementById('viewer').fitsportal;"
        " const c = v && v.catalogs && v.catalogs.find((c) => c.catalog.id === id); return c && c.loaded > 0; }",
        arg=region_catalog,
    )
    drawn = page.evaluate(DRAWN, region_catalog)
    expected = expected_outlines(region_file())
    assert set(drawn) == set(expected)
    errors = {}
    for tag, (pixel,) in ((t, p) for t, p in expected.items() if len(p) == 1):
        entry = drawn[tag]
        centre = (
            entry["markers"][0]
            if entry["markers"]
            else np.mean(np.concatenate(entry["rings"][:1]), axis=0)
        )
        rings = (
            entry["rings"][:2]
            if entry["shape"] in ("annulus", "ellipse_annulus", "box_annulus")
            else entry["rings"][:1]
        )
        errors[tag] = check(pixel, {"rings": rings, "centre": centre})
    assert max(errors.values()) < 0.5, json.dumps(errors, indent=1)
    # Exclusions are dashed and struck through; background regions dashed; colours as given.
    excluded = drawn["fk5-2"]
    assert len(excluded["rings"]) == 2 and all(excluded["dashed"])
    assert drawn["image-2"]["dashed"] == [True, True]
    assert drawn["fk5-0"]["dashed"] == [False] and drawn["fk5-0"]["colours"] == [
        "#00ff00"
    ]  # X11 green
    assert drawn["fk5-8"]["html"] == "NGC label"
    page.evaluate("() => document.getElementById('viewer').fitsportal.map.setZoom(3)")
    page.wait_for_timeout(800)
    screen.shot("regions")


def test_a_pixel_region_file_added_from_the_viewer_is_drawn_on_this_image(page, server, login):
    import regions as regions_package

    path = Path(regions_package.__file__).parent / "io" / "ds9" / "tests" / "data" / "ds9.image.reg"
    login(page, server, "alice", "alice-password")
    page.goto(f"{server.url}/images/{server.seed['image']}/")
    page.wait_for_selector(".fp-layer-file", state="attached")
    page.set_input_files(".fp-layer-file", str(path))
    page.wait_for_function(
        "() => { const v = document.getElementById('viewer').fitsportal;"
        " return v.catalogs.some((c) => c.catalog.name === 'ds9.image.reg' && c.loaded === 17); }"
    )
    assert "ds9.image.reg: 17 regions" in page.inner_text(".fp-layer-note")
    centre, catalog = page.evaluate(
        "() => { const v = document.getElementById('viewer').fitsportal;"
        " const layer = v.catalogs.find((c) => c.catalog.name === 'ds9.image.reg'); let out = null;"
        " layer.group.eachLayer((m) => { if (m.feature.properties.text === 'Circle Point') {"
        " const c = (m.getLayers ? m.getLayers()[0] : m).getLatLng();"
        " out = [c.lng + 0.5, v.image.height - c.lat + 0.5]; } });"
        " return [out, layer.catalog.id]; }"
    )
    # ds9's line=1 1: the line and an arrowhead at each end, in the line's colour.
    strokes = page.evaluate(
        "() => { const v = document.getElementById('viewer').fitsportal; const out = [];"
        " const layer = v.catalogs.find((c) => c.catalog.name === 'ds9.image.reg');"
        " layer.group.eachLayer((m) => { if (m.feature.properties.text === 'Line') {"
        " (m.getLayers ? m.getLayers() : [m]).forEach((p) => { if (p.getLatLngs) out.push({"
        " points: p.getLatLngs().map((c) => [c.lng + 0.5, v.image.height - c.lat + 0.5]),"
        " colour: p.options.color }); }); } });"
        " v.map.setView([v.image.height - 420, 450], v.image.levels, { animate: false }); return out; }"
    )
    line = strokes[0]  # then the arrowheads, then the strike of an exclusion (a '-line')
    heads = [s for s in strokes if len(s["points"]) == 3]
    assert line["points"] == [[509.0, 513.0], [569.0, 564.0]] and len(heads) == 2
    assert sorted(tuple(h["points"][1]) for h in heads) == [(509.0, 513.0), (569.0, 564.0)]
    assert {s["colour"] for s in strokes} == {"cyan"}
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(ARTIFACTS / "regions-added-from-the-viewer-arrows.png"))
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    deleted = page.request.delete(f"{server.url}/api/catalogs/{catalog}/",
                                  headers={"X-CSRFToken": token, "Referer": server.url + "/"})  # fmt: skip
    assert deleted.status == 204
    assert centre == pytest.approx([159.0, 341.0], abs=1e-6)  # point(159,341) of the file
    page.screenshot(path=str(ARTIFACTS / "regions-added-from-the-viewer.png"))
