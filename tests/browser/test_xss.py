"""Stored XSS, tried as an attacker would: mallory stores payloads through the API in
every field the client shows (collection name and description, image titles, FITS
OBJECT, BUNIT and FILTER, file names, catalog names, CSV columns and values, ds9
``text={...}`` and tags, GeoJSON properties and style, annotation notes); others open
every page and every popup.

Nothing runs (no ``window.__pwned``, no alert), nothing is inserted as HTML (no element
with a handler attribute, no ``javascript:`` link, no request to a payload's URL), every
payload reads literally, and no page reports a Content-Security-Policy violation: the
policy blocks nothing the portal itself needs (styles, tiles, controls, websocket).
"""

import csv
import io
import json
import time

import pytest
import requests
from astropy.io import fits

from portal.demo import star_field, star_field_wcs

from .conftest import ARTIFACTS, log_in

PROBE = "xss-probe"
DESKTOP = {"width": 1400, "height": 900}
PHONE = {"width": 390, "height": 844}


def img(field):
    """A tag whose failing image runs script (and asks the server for a probe URL)."""
    return f"<img src={PROBE}-{field} onerror=window.__pwned='{field}'>"


def svg(field):
    """Breaks out of an attribute value, then runs script on load."""
    return f"\"><svg onload=window.__pwned='{field}'>"


def script(field):
    return f"</script><script>window.__pwned='{field}'</script>"


def js_url(field):
    return f"javascript:window.__pwned='{field}'"


WATCH = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__violations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
});
// Every element below root that HTML from data would have made.
window.__scan = (root) => {
  const bad = [];
  for (const el of (root || document).querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.trim().toLowerCase();
      if (name.startsWith("on")) bad.push(`${el.tagName} ${name}=${attr.value}`);
      if (["src", "href", "action", "formaction", "xlink:href", "data", "srcdoc"].includes(name)
          && (value.includes("%PROBE%") || value.startsWith("javascript:"))) bad.push(`${el.tagName} ${name}=${attr.value}`);
    }
    if (el.tagName === "SCRIPT" && !el.src && el.type !== "application/json") bad.push("inline script");
    if (["IFRAME", "OBJECT", "EMBED", "BASE"].includes(el.tagName)) bad.push(el.tagName);
  }
  return bad;
};
""".replace("%PROBE%", PROBE)
SCAN = "() => window.__scan()"


class Watched:
    """A page of its own context, with everything an injection would leave recorded."""

    def __init__(self, browser, viewport, name):
        self.name = name
        self.context = browser.new_context(
            viewport=viewport, is_mobile=viewport["width"] < 500, has_touch=viewport["width"] < 500
        )
        self.context.add_init_script(WATCH)
        self.page = self.context.new_page()
        self.probes, self.dialogs, self.console, self.errors = [], [], [], []
        self.prompt_answer = ""
        self.page.on("request", lambda r: self.probes.append(r.url) if PROBE in r.url else None)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)

    def _console(self, message):
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            self.console.append(message.text)

    def _dialog(self, dialog):
        if dialog.type == "prompt":
            dialog.accept(self.prompt_answer)
        else:
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

    def goto(self, url, status=200):
        response = self.page.goto(url)
        assert response.status == status, url
        policy = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in policy and "object-src 'none'" in policy, url
        self.page.wait_for_load_state("networkidle")
        return response

    def check(self, *literals, where="document.body.textContent"):
        """Nothing ran or was made from data; each literal is in the page's text."""
        page = self.page
        assert page.evaluate("window.__pwned") is None
        assert self.dialogs == []
        assert self.probes == []
        assert page.evaluate(SCAN) == []
        assert page.evaluate("window.__violations") == [] and self.console == []
        assert self.errors == []
        text = page.evaluate(where)
        for literal in literals:
            assert literal in text, literal

    def shot(self, label):
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.wait_for_timeout(300)  # popups fade in
        self.page.screenshot(path=str(ARTIFACTS / f"xss-{label}-{self.name}.png"))

    def close(self):
        self.context.close()


@pytest.fixture
def watched(browser):
    opened = []

    def open_page(viewport=DESKTOP, name="desktop"):
        opened.append(Watched(browser, viewport, name))
        return opened[-1]

    yield open_page
    for w in opened:
        w.close()


def wait_until(page, predicate, timeout=15):
    """Until the function ``predicate`` is true in the page (Playwright's wait_for_function
    uses eval(), which the policy forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(predicate):
        assert time.monotonic() < deadline, predicate
        page.wait_for_timeout(100)


def field_hdu():
    """A 300 x 200 star field whose header carries payloads in OBJECT, BUNIT, FILTER."""
    header = star_field_wcs(300, 200).to_header()
    header["OBJECT"] = img("object")
    header["BUNIT"] = img("bunit")
    header["FILTER"] = svg("filter")
    header["OBSERVER"] = script("observer")
    return fits.PrimaryHDU(star_field(300, 200, nstars=40, seed=3), header)


def channels_hdus():
    """Three same-shape extensions: their FILTERs become the channel names."""
    header = star_field_wcs(200, 150).to_header()
    hdus = [fits.PrimaryHDU()]
    for k, field in enumerate(["filter-1", "filter-2", "filter-3"]):
        extension = fits.ImageHDU(star_field(200, 150, nstars=20, seed=10 + k), header.copy())
        extension.header["FILTER"] = img(field) if k != 1 else svg(field)
        extension.header["EXTNAME"] = f"BAND{k + 1}"
        hdus.append(extension)
    return fits.HDUList(hdus)


def fits_bytes(hdus):
    buffer = io.BytesIO()
    hdus.writeto(buffer)
    return buffer.getvalue()


def wait_for_features(api, base, slug, names, timeout=60):
    """Until every named catalog of the lab has its features (imports may run later)."""
    deadline = time.monotonic() + timeout
    while True:
        results = api.get(f"{base}/api/catalogs/?collection={slug}&page_size=200").json()["results"]
        counts = {c["name"]: c["feature_count"] for c in results}
        if all(counts.get(name, 0) > 0 for name in names):
            return {c["name"]: c for c in results}
        assert time.monotonic() < deadline, counts
        time.sleep(0.5)


@pytest.fixture(scope="module")
def lab(server):
    """Mallory's team collection, every field she can write holding a payload."""
    base = server.url
    api = requests.Session()
    token = api.post(
        f"{base}/api/token/", data={"username": "mallory", "password": "mallory-password"}
    ).json()["token"]
    api.headers["Authorization"] = f"Token {token}"

    made = api.post(f"{base}/api/collections/", json={
        "slug": "xss-lab", "name": img("collection-name"), "description": svg("collection-description"),
        "visibility": "team"})  # fmt: skip
    assert made.status_code == 201, made.text
    slug = made.json()["slug"]
    uploads = f"{base}/api/collections/{slug}/images/"
    field = api.post(
        uploads,
        files={"file": (img("file-name") + ".fits", fits_bytes(fits.HDUList([field_hdu()])))},
    )
    assert field.status_code == 201, field.text
    bands = api.post(uploads, files={"file": ("bands.fits", fits_bytes(channels_hdus()))},
                     data={"title": svg("title")})  # fmt: skip
    assert bands.status_code == 201, bands.text
    field = field.json()

    wcs = star_field_wcs(300, 200)
    (ra1, dec1), (ra2, dec2), (ra3, dec3), (ra4, dec4) = wcs.all_pix2world(
        [[80.0, 60.0], [150.0, 100.0], [220.0, 140.0], [120.0, 150.0]], 1
    )
    table = io.StringIO()
    writer = csv.writer(table)
    writer.writerow(["ra", "dec", img("csv-column"), "link"])
    writer.writerow([f"{ra1:.7f}", f"{dec1:.7f}", img("csv-value"), js_url("csv-link")])
    ds9 = (
        "# Region file format: DS9\nfk5\n"
        f'circle({ra2:.7f},{dec2:.7f},2") # color=red text={{{img("ds9-text")}}} '
        f"tag={{{svg('ds9-tag')}}}\n"
    )
    geojson = {"type": "FeatureCollection", "features": [{
        "type": "Feature", "geometry": {"type": "Point", "coordinates": [float(ra3), float(dec3)]},
        "properties": {"name": script("geojson-name"), "url": js_url("geojson-url"),
                       img("geojson-key"): {"nested": img("geojson-nested")}}}]}  # fmt: skip
    catalogs = [
        (img("csv-catalog"), "sources.csv", table.getvalue(), {}),
        (svg("ds9-catalog"), "regions.reg", ds9, {}),
        (script("geojson-catalog"), "marks.geojson", json.dumps(geojson),
         {"style": json.dumps({"color": svg("style-color")})}),
    ]  # fmt: skip
    for name, file_name, text, extra in catalogs:
        sent = api.post(f"{base}/api/catalogs/", files={"file": (file_name, text.encode())},
                        data={"collection": slug, "name": name, "images": [field["id"]], **extra})  # fmt: skip
        assert sent.status_code in (201, 202), sent.text
    marks = api.post(f"{base}/api/catalogs/", json={
        "collection": slug, "name": img("annotations-catalog"), "kind": "annotations",
        "features": [], "images": [field["id"]]})  # fmt: skip
    assert marks.status_code == 201, marks.text
    note = api.post(f"{base}/api/catalogs/{marks.json()['id']}/features/", json={
        "geometry": {"type": "Point", "coordinates": [float(ra4), float(dec4)]},
        "properties": {"shape": "point"}, "note": img("note")})  # fmt: skip
    assert note.status_code == 201, note.text
    wait_for_features(api, base, slug, [name for name, *_ in catalogs])
    return {"slug": slug, "field": field["id"], "bands": bands.json()["id"], "catalog_names": [
        name for name, *_ in catalogs] + [img("annotations-catalog")]}  # fmt: skip


def test_portal_pages_show_names_and_descriptions_as_text(watched, server, lab):
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        w = watched(viewport, name)
        log_in(w.page, server, "bob", "bob-password")
        w.goto(server.url + "/")
        w.check(img("collection-name"))
        w.shot("home")
        w.goto(f"{server.url}/c/{lab['slug']}/")
        w.check(img("collection-name"), svg("collection-description"), img("object"),
                svg("title"), *lab["catalog_names"])  # fmt: skip
        assert w.page.title().startswith(img("collection-name"))
        w.shot("collection")


def open_every_popup(page):
    """Each catalog layer shown, each feature's popup opened: its text and anything
    made from HTML inside it."""
    page.wait_for_selector(".leaflet-control-layers input[type=checkbox]", state="attached")
    if page.locator(".leaflet-control-layers-toggle").is_visible():  # folded on a phone
        page.locator(".leaflet-control-layers-toggle").click()
    for box in page.locator(".leaflet-control-layers input[type=checkbox]").all():
        box.check()
    wait_until(
        page,
        "() => { const v = document.getElementById('viewer').fitsportal;"
        " return v.catalogs && v.catalogs.length > 0 && v.catalogs.every((c) => c.loaded > 0); }",
    )
    return page.evaluate(
        """() => {
          const v = document.getElementById("viewer").fitsportal;
          const seen = [];
          for (const catalog of v.catalogs) {
            catalog.group.eachLayer((layer) => {
              layer.openPopup();
              const content = layer.getPopup().getElement().querySelector(".leaflet-popup-content");
              seen.push({ text: content.textContent, bad: window.__scan(content) });
            });
          }
          return seen;
        }"""
    )


def test_catalog_names_properties_notes_and_headers_stay_text_in_the_viewer(watched, server, lab):
    for viewport, name in ((DESKTOP, "desktop"), (PHONE, "phone")):
        w = watched(viewport, name)
        log_in(w.page, server, "bob", "bob-password")
        response = w.goto(f"{server.url}/images/{lab['field']}/")
        assert "frame-ancestors" in response.headers["content-security-policy"]
        w.page.wait_for_selector("#viewer .leaflet-tile-loaded")
        labels = w.page.text_content(".leaflet-control-layers")
        for catalog in lab["catalog_names"]:
            assert catalog in labels
        w.shot("viewer")
        popups = open_every_popup(w.page)
        assert len(popups) == 4 and all(p["bad"] == [] for p in popups)
        shown = " ".join(p["text"] for p in popups)
        for literal in (img("csv-column"), img("csv-value"), js_url("csv-link"), img("ds9-text"),
                        svg("ds9-tag"), script("geojson-name"), js_url("geojson-url"),
                        img("geojson-key"), img("geojson-nested"), img("note")):  # fmt: skip
            assert literal in shown, literal
        w.check(img("object"), img("collection-name"))
        assert w.page.title().startswith(img("object"))
        w.shot("viewer-popup")
        box = w.page.locator("#viewer").bounding_box()
        w.page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        wait_until(w.page, "() => document.querySelector('#readout').textContent.includes('value')")
        w.check(img("bunit"), where="document.querySelector('#readout').textContent")

        w.goto(f"{server.url}/images/{lab['bands']}/")
        w.page.wait_for_selector("#viewer .leaflet-tile-loaded")
        w.check(img("filter-1"), svg("filter-2"), img("filter-3"), svg("title"),
                where="document.getElementById('controls').textContent + document.title")  # fmt: skip
        w.shot("viewer-channels")


def test_file_names_and_new_marks_stay_text_for_their_author(watched, server, lab, tmp_path):
    w = watched()
    log_in(w.page, server, "mallory", "mallory-password")
    w.goto(f"{server.url}/c/{lab['slug']}/")
    named = tmp_path / (img("upload-name") + ".csv")
    named.write_text("ra,dec,note\n10.0,20.0," + img("upload-cell") + "\n")
    w.page.set_input_files("#upload input[type=file]", str(named))
    w.page.click("#upload button[type=submit]")
    w.page.wait_for_selector("#upload li", timeout=30000)
    w.check(img("upload-name") + ".csv", where="document.querySelector('#upload ul').textContent")
    w.shot("upload")

    w.goto(f"{server.url}/images/{lab['field']}/")
    w.page.wait_for_selector("#viewer .leaflet-tile-loaded")
    w.prompt_answer = img("new-mark")
    w.page.select_option("select[name=mark]", "point")
    box = w.page.locator("#viewer").bounding_box()
    with w.page.expect_response(
        lambda r: r.url.endswith("/features/") and r.request.method == "POST"
    ) as saved:
        w.page.mouse.click(box["x"] + box["width"] * 0.4, box["y"] + box["height"] * 0.45)
    assert saved.value.status == 201
    annotator = "document.getElementById('viewer').fitsportal.annotator"
    wait_until(w.page, f"() => {annotator}.layer.getLayers().length === 1")
    w.page.evaluate(f"() => {annotator}.layer.eachLayer((l) => l.openPopup())")
    w.check(img("new-mark"), where="document.querySelector('.leaflet-popup-content').textContent")
    w.shot("new-mark")


def test_admin_login_docs_and_error_pages_keep_to_the_policy(watched, server, lab):
    w = watched()
    w.goto(server.url + "/accounts/login/")
    w.check("Log in")
    w.shot("login")
    w.goto(server.url + "/no-such-page/", status=404)
    w.check()
    w.goto(server.url + "/api/docs/")
    w.page.wait_for_selector(".swagger-ui .info .title", timeout=30000)
    w.page.wait_for_load_state("networkidle")
    w.check("fitsportal API")
    w.shot("docs")

    log_in(w.page, server, "root", "root-password")
    w.goto(server.url + "/admin/")
    w.check("Collections", "Catalogs")
    w.shot("admin")
    w.goto(server.url + "/admin/portal/collection/")
    w.check(img("collection-name"))
    w.page.get_by_text(img("collection-name"), exact=True).click()
    w.page.wait_for_load_state("networkidle")
    w.check()
    assert w.page.input_value("input[name=name]") == img("collection-name")
    w.shot("admin-collection")
    w.goto(server.url + "/admin/catalogs/catalog/")
    w.check(*lab["catalog_names"])
    w.goto(server.url + "/admin/portal/image/")
    w.check(img("object"), svg("title"))
    w.shot("admin-images")
