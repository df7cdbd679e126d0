"""A cube's spectral axis in the client (frontend/src/plots.js, spectralAxis) against
astropy's WCS of the same header: linear axes and the logarithmic -LOG one."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

MODULE = Path(__file__).resolve().parents[2] / "frontend" / "src" / "plots.js"

AXES = {
    "WAVE": dict(CTYPE3="WAVE", CRVAL3=6.563e-7, CDELT3=2.5e-10, CRPIX3=7.0, CUNIT3="m"),
    "FREQ": dict(CTYPE3="FREQ", CRVAL3=1.420405e9, CDELT3=-9.7e4, CRPIX3=1.0, CUNIT3="Hz"),
    "VRAD": dict(CTYPE3="VRAD", CRVAL3=-1.2e4, PC3_3=2.0, CDELT3=1.3e3, CRPIX3=20.5, CUNIT3="m/s"),
    "WAVE-LOG": dict(CTYPE3="WAVE-LOG", CRVAL3=5.0e-7, CDELT3=3.0e-10, CRPIX3=3.0, CUNIT3="m"),
}


@pytest.mark.parametrize("name", list(AXES))
def test_spectral_axis_agrees_with_astropy(name):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the client's tests (install nodejs).")
    channels = 40
    header = fits.Header({"NAXIS": 3, "NAXIS1": 10, "NAXIS2": 10, "NAXIS3": channels,
                          "CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", **AXES[name]})  # fmt: skip
    expected = WCS(header).sub([3]).all_pix2world(np.arange(1, channels + 1), 1)[0]
    program = (
        f"import {{ spectralAxis }} from {json.dumps(MODULE.as_uri())};\n"
        "let input = '';\n"
        "process.stdin.on('data', (d) => { input += d; });\n"
        "process.stdin.on('end', () => {\n"
        "  process.stdout.write(JSON.stringify(spectralAxis(JSON.parse(input))));\n"
        "});\n"
    )
    image = {"channels": channels, "kind": "cube", "header": dict(header)}
    done = subprocess.run([node, "--input-type=module", "-e", program], input=json.dumps(image),
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    axis = json.loads(done.stdout)
    assert axis["label"] == name.split("-")[0].lower()
    assert axis["unit"] == AXES[name]["CUNIT3"]
    assert np.allclose(axis["values"], expected, rtol=1e-12, atol=0)


def test_a_mosaic_or_a_plain_stack_counts_channels():
    program = (
        f"import {{ spectralAxis }} from {json.dumps(MODULE.as_uri())};\n"
        "const a = spectralAxis({ channels: 3, kind: 'cube', header: {} });\n"
        "const b = spectralAxis({ channels: 2, kind: 'mosaic', header: { CTYPE3: 'WAVE', CDELT3: 1 } });\n"
        "process.stdout.write(JSON.stringify([a, b]));\n"
    )
    done = subprocess.run([shutil.which("node"), "--input-type=module", "-e", program],
                          capture_output=True, text=True)  # fmt: skip
    a, b = json.loads(done.stdout)
    assert a == {"label": "channel", "unit": "", "values": [1, 2, 3]}
    assert b["label"] == "channel" and b["values"] == [1, 2]
