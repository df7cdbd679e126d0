"""The Content-Security-Policy: on every page the URL resolver knows (new pages are
covered without a list to keep), on error pages, and strict (scripts and styles of this
site only, no inline code, no eval, no plugins); no page holds an inline script or an
event-handler attribute, and the portal's own pages hold no inline style either."""

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import path

from portal.urls import urlpatterns as portal_urlpatterns

from .test_permission_audit import concrete, patterns

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def boom(request):
    raise RuntimeError("a bug")


# This module is also the URL conf of the error-page test: the portal's, plus a failing view.
urlpatterns = [path("boom/", boom), *portal_urlpatterns]
handler404 = "portal.errorpages.not_found"
handler500 = "portal.errorpages.server_error"


def policy_of(response):
    """The response's policy as {directive: [sources]}."""
    header = response.get("Content-Security-Policy")
    assert header, f"{response.status_code} without a Content-Security-Policy"
    directives = {}
    for part in header.split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


class InlineCode(HTMLParser):
    """What in a page would run or style from the page itself rather than from a file."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts, self.handlers, self.urls, self.styles = [], [], [], []
        self._in_script = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            url = (value or "").strip().lower()
            if name in ("href", "src", "action", "formaction") and url.startswith("javascript:"):
                self.urls.append(f"<{tag} {name}={value}>")
            if name == "style":
                self.styles.append(f"<{tag} style>")
        if tag == "style":
            self.styles.append("<style>")
        if tag == "script" and "src" not in attributes:
            self._in_script = attributes.get("type", "")

    def handle_data(self, data):
        if self._in_script is not None and data.strip() and self._in_script != "application/json":
            self.scripts.append(data.strip()[:80])

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None


def inline_code(html):
    parser = InlineCode()
    parser.feed(html)
    return parser


def own_page(response):
    """Whether the page comes from the portal's own templates (not admin's or DRF's)."""
    templates = getattr(response, "templates", None) or []
    return bool(templates) and str(templates[0].origin.name).startswith(str(ROOT / "frontend"))


@pytest.fixture
def site(users, settings, fits_factory):
    """A private image, its collection and a catalog, and a superuser who sees them all."""
    from catalogs import storage
    from portal.models import Collection
    from portal.registration import register_path

    collection = Collection.objects.create(name="CSP", slug="csp-survey", owner=users["owner"])
    path = fits_factory("csp.fits", folder=settings.UPLOAD_ROOT)
    image = register_path(collection, path)
    catalog = storage.create_catalog(
        collection,
        [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [10.0, 20.0]},
          "properties": {"name": "a source"}}],
        name="CSP catalog",
    )  # fmt: skip
    root = type(users["owner"]).objects.create_superuser("root", "root@example.org", "pw-root")
    return {"image": image.pk, "collection": "csp-survey", "catalog": catalog.pk, "root": root}


@pytest.mark.parametrize("who", ["anonymous", "root"])
def test_every_page_carries_the_policy(site, who):
    client = Client()
    if who == "root":
        client.force_login(site["root"])
    expected = policy_of_settings()
    pages = checked = 0
    for route in patterns():
        url = concrete(route, site)
        if url is None:
            continue
        for accept in ("text/html", "application/json"):
            response = client.get(url, HTTP_ACCEPT=accept)
            checked += 1
            assert policy_of(response) == expected, url
            if response.get("Content-Type", "").startswith("text/html"):
                pages += 1
                found = inline_code(response.content.decode())
                assert found.scripts == [] and found.handlers == [] and found.urls == [], url
                if own_page(response):
                    assert found.styles == [], url
    assert checked > 100 and pages > 30  # the walk reached the pages, not only 404s


def policy_of_settings():
    from csp.utils import build_policy

    directives = {}
    for part in build_policy().split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_the_policy_is_strict():
    policy = policy_of_settings()
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert set(policy["img-src"]) == {"'self'", "data:"}
    every = [source for sources in policy.values() for source in sources]
    assert not any(s in every for s in ("'unsafe-inline'", "'unsafe-eval'", "*", "http:", "https:"))
    assert settings.X_FRAME_OPTIONS == "DENY"


@pytest.mark.urls(__name__)
def test_error_pages_carry_the_policy(site):
    client = Client(raise_request_exception=False)
    for url, status in (("/no-such-page/", 404), ("/boom/", 500), ("/api/no-such-thing/", 404)):
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == status, url
        assert policy_of(response) == policy_of_settings(), url
        assert inline_code(response.content.decode()).scripts == []


def settings_in_a_process(**env):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("FITSPORTAL_FRAME")}
    environment.update(FITSPORTAL_INSECURE_DEV_KEY="1", **env)
    code = (
        "import portal.settings as s;print(s.X_FRAME_OPTIONS); print(' '.join(s.FRAME_ANCESTORS))"
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_frame_ancestors_is_a_setting_and_x_frame_options_follows():
    done = settings_in_a_process(FITSPORTAL_FRAME_ANCESTORS="self, https://viewer.example.org")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["SAMEORIGIN", "'self' https://viewer.example.org"]
    done = settings_in_a_process(FITSPORTAL_FRAME_ANCESTORS="'none'")
    assert done.stdout.split("\n")[:2] == ["DENY", "'none'"]


@pytest.mark.parametrize(
    "value",
    ["https://a.org; script-src *", "*", "javascript:", "'none' https://a.org", "'unsafe-inline'"],
)
def test_a_frame_ancestors_value_that_is_not_a_source_list_is_refused(value):
    done = settings_in_a_process(FITSPORTAL_FRAME_ANCESTORS=value)
    assert done.returncode != 0 and "FITSPORTAL_FRAME_ANCESTORS" in done.stderr


TEMPLATES = sorted((ROOT / "frontend" / "templates").rglob("*.html"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_template_holds_inline_code_or_unescaped_output(template):
    text = template.read_text()
    found = inline_code(text)
    assert found.scripts == [] and found.handlers == [] and found.urls == [] and found.styles == []
    for unsafe in ("|safe", "autoescape off", "safeseq", "{% verbatim"):
        assert unsafe not in text, unsafe


def test_no_python_marks_text_safe():
    """HTML is escaped by the templates; no module of ours declares a string safe HTML."""
    for package in ("portal", "catalogs", "tiles", "frontend"):
        for module in (ROOT / package).rglob("*.py"):
            text = module.read_text()
            for unsafe in ("mark_safe", "SafeString", "format_html(f", "SafeText"):
                assert unsafe not in text, f"{module}: {unsafe}"
