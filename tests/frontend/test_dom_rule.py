"""The client's one rule for data on the page: DOM from elements and text
(``frontend/src/dom.js``), never HTML strings; no code from strings either (the
Content-Security-Policy forbids eval). A static check of every module, so a new
``innerHTML`` or a string given to a Leaflet popup fails here before any browser runs."""

import re
from pathlib import Path

import pytest

SOURCES = sorted((Path(__file__).resolve().parents[2] / "frontend" / "src").glob("*.js"))

FORBIDDEN = {
    "HTML from a string": re.compile(
        r"\.(innerHTML|outerHTML)\s*[+]?=|insertAdjacentHTML|document\.write"
    ),
    "code from a string": re.compile(
        r"\beval\s*\(|new\s+Function\s*\(|set(Timeout|Interval)\s*\(\s*[`'\"]"
    ),
    # Leaflet parses a string given to a popup, a tooltip or its layers control as HTML.
    "a string for Leaflet to parse": re.compile(
        r"\.(bindPopup|bindTooltip|setContent|setPopupContent|setTooltipContent)\s*\(\s*[`'\"]"
    ),
    "Leaflet's layers control (names as HTML)": re.compile(
        r"L\.control\.layers|L\.Control\.Layers"
    ),
    "an event handler attribute": re.compile(
        r"setAttribute\s*\(\s*[`'\"]on|\.on[a-z]+\s*=\s*[`'\"]"
    ),
    "a style attribute (the policy refuses it)": re.compile(r"setAttribute\s*\(\s*[`'\"]style"),
}


def test_the_sources_are_found():
    assert {p.name for p in SOURCES} >= {"dom.js", "overlays.js", "annotate.js", "upload.js"}


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_no_module_builds_dom_from_html_strings(source):
    text = source.read_text()
    for what, pattern in FORBIDDEN.items():
        match = pattern.search(text)
        assert match is None, f"{source.name}: {what}: {match and match.group(0)}"


@pytest.mark.parametrize("source", SOURCES, ids=lambda p: p.name)
def test_popups_are_given_elements(source):
    """Each bindPopup gets dom.js's elements (or a function returning them)."""
    text = source.read_text()
    for call in re.finditer(r"\.bindPopup\s*\(", text):
        argument = text[call.end() : call.end() + 80]
        assert re.match(r"\s*(\(\)\s*=>\s*)?(element|propertiesTable)\(", argument), argument
