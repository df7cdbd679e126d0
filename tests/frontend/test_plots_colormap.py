"""The colour bar's colours (frontend/src/colormap.js, with the tables the server sends
at /api/colormaps/) are the server's: the engine's lookup table (tiles/engine/render.py)
gives the same RGB for every cut fraction, stretch, colormap, gamma, inversion, contrast
and brightness."""

import itertools
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from tiles.engine.colormaps import COLORMAPS, TABLES
from tiles.engine.render import STEPS, STRETCHES, _lut

MODULE = Path(__file__).resolve().parents[2] / "frontend" / "src" / "colormap.js"
FRACTIONS = np.linspace(0, 1, 101)

STATES = [
    {"colormap": colormap, "stretch": stretch, "gamma": gamma, "invert": invert,
     "contrast": contrast, "brightness": brightness}
    for colormap, stretch, (gamma, invert, contrast, brightness) in itertools.product(
        COLORMAPS, STRETCHES, [(2.2, False, 1.0, 0.0), (1.0, True, 1.6, -12.0), (0.7, False, 0.8, 20.0)])
]  # fmt: skip


def engine_colours(state):
    table = _lut(state["stretch"], state["contrast"], state["brightness"], state["gamma"],
                 state["invert"], state["colormap"])  # fmt: skip
    # The engine's index for a cut fraction u: linear folds contrast and brightness into
    # the index (clipped), the other stretches index u itself.
    if state["stretch"] == "linear":
        v = np.clip(
            FRACTIONS * state["contrast"] + 0.01 * state["contrast"] * state["brightness"], 0, 1
        )
    else:
        v = FRACTIONS
    out = table[np.round(v * STEPS).astype(int)]
    if state["colormap"] == "grey":
        return np.stack([out, out, out], axis=1).astype(int)
    return out.view(np.uint8).reshape(-1, 4)[:, :3].astype(int)


@pytest.mark.django_db
def test_colour_bar_matches_the_engine(client):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the client's tests (install nodejs).")
    program = (
        f"import * as colormap from {json.dumps(MODULE.as_uri())};\n"
        "let input = '';\n"
        "process.stdin.on('data', (d) => { input += d; });\n"
        "process.stdin.on('end', () => {\n"
        "  const job = JSON.parse(input);\n"
        "  colormap.useColormaps(job.tables);\n"
        "  process.stdout.write(JSON.stringify({ names: colormap.COLORMAPS, colours:\n"
        "    job.states.map((s) => job.fractions.map((u) => colormap.displayColour(u, s))) }));\n"
        "});\n"
    )
    tables = client.get("/api/colormaps/").json()
    job = {"states": STATES, "fractions": FRACTIONS.tolist(), "tables": tables}
    done = subprocess.run([node, "--input-type=module", "-e", program], input=json.dumps(job),
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    answer = json.loads(done.stdout)
    assert sorted(answer["names"]) == sorted(COLORMAPS)
    exact = 0
    for state, colours in zip(STATES, answer["colours"], strict=True):
        difference = np.abs(np.array(colours) - engine_colours(state)).max(axis=1)
        # At most one grey level apart (the engine rounds its 16-bit index): one step of
        # the colormap's table.
        table = TABLES[state["colormap"]].astype(int)
        assert difference.max() <= np.abs(np.diff(table, axis=0)).max(), (state, difference.max())
        exact += int((difference == 0).sum())
    assert exact >= 0.97 * len(STATES) * len(FRACTIONS)
    assert len(STATES) == len(COLORMAPS) * len(STRETCHES) * 3
