"""The client's star measure (frontend/src/star.js) against astropy's modelling.

A star is drawn into a FITS cutout as the server writes them (big-endian float32, astropy's
header); Node parses the bytes and fits the radial profile; astropy fits the same pixels
with a circular Gaussian2D on a constant (Levenberg-Marquardt), as photutils' centroid and
FWHM helpers do.
"""

import base64
import io
import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.modeling import fitting, models

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "frontend" / "src" / "star.js"

PROGRAM = (
    f"import {{ measureStar, parseFitsImage }} from {json.dumps(MODULE.as_uri())};\n"
    "let input = '';\n"
    "process.stdin.on('data', (d) => { input += d; });\n"
    "process.stdin.on('end', () => {\n"
    "  const job = JSON.parse(input);\n"
    "  const bytes = Buffer.from(job.fits, 'base64');\n"
    "  const image = parseFitsImage(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));\n"
    "  const star = measureStar({ width: image.width, height: image.height, plane: image.planes[0],\n"
    "    x0: job.x0, y0: job.y0 }, job.x, job.y);\n"
    "  process.stdout.write(JSON.stringify({ width: image.width, height: image.height,\n"
    "    first: image.planes[0][0], second: image.planes[0][1], above: image.planes[0][image.width],\n"
    "    star: star && { x: star.x, y: star.y, fwhm: star.fwhm, peak: star.peak,\n"
    "      background: star.background, converged: star.converged, points: star.profile.length,\n"
    "      atZero: star.model(0), atFwhm: star.model(star.fwhm / 2) } }));\n"
    "});\n"
)


def run(data, x0, y0, x, y):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the client's tests (install nodejs).")
    header = fits.Header()
    header["CTYPE1"], header["CTYPE2"] = "RA---TAN", "DEC--TAN"
    buffer = io.BytesIO()
    fits.PrimaryHDU(data.astype(">f4"), header).writeto(buffer)
    job = {"fits": base64.b64encode(buffer.getvalue()).decode(), "x0": x0, "y0": y0, "x": x, "y": y}
    done = subprocess.run([node, "--input-type=module", "-e", PROGRAM], input=json.dumps(job),
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


def star_cutout(size, centre, sigma, amplitude, background, noise, seed):
    """A star on a noisy sky; rows are y (FITS order), centre in the cutout's 0-based
    pixels."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(float)
    star = amplitude * np.exp(-((x - centre[0]) ** 2 + (y - centre[1]) ** 2) / (2 * sigma**2))
    return background + star + rng.normal(0, noise, (size, size))


def astropy_fit(data):
    y, x = np.mgrid[0 : data.shape[0], 0 : data.shape[1]].astype(float)
    iy, ix = np.unravel_index(np.argmax(data), data.shape)
    sky = np.median(np.concatenate([data[0], data[-1], data[:, 0], data[:, -1]]))
    gaussian = models.Gaussian2D(data.max() - sky, ix, iy, 2.0, 2.0, theta=0.0)
    gaussian.y_stddev.tied = lambda model: model.x_stddev_0
    gaussian.theta.fixed = True
    model = gaussian + models.Const2D(sky)
    fitted = fitting.LevMarLSQFitter()(model, x, y, data, maxiter=1000)
    return (
        fitted[0].x_mean.value,
        fitted[0].y_mean.value,
        fitted[0].x_fwhm,
        fitted[1].amplitude.value,
    )


@pytest.mark.parametrize(
    "size, centre, sigma, amplitude, noise",
    [(25, (12.3, 11.6), 1.7, 500.0, 4.0), (25, (10.8, 13.2), 3.1, 80.0, 3.0), (41, (20.2, 19.7), 5.5, 50.0, 1.0)],
)  # fmt: skip
def test_fwhm_agrees_with_astropy_fit(size, centre, sigma, amplitude, noise):
    data = star_cutout(size, centre, sigma, amplitude, 100.0, noise, seed=size)
    data = data.astype(np.float32).astype(float)  # what the cutout holds
    x0, y0 = 301, 452  # the image pixel of the cutout's first value
    answer = run(data, x0, y0, x0 + round(centre[0]), y0 + round(centre[1]))
    assert (answer["width"], answer["height"]) == (size, size)
    assert answer["first"] == pytest.approx(data[0, 0], rel=1e-7)
    assert answer["second"] == pytest.approx(data[0, 1], rel=1e-7)
    assert answer["above"] == pytest.approx(data[1, 0], rel=1e-7)  # rows bottom up
    star = answer["star"]
    assert star is not None and star["converged"]
    ax, ay, afwhm, asky = astropy_fit(data)
    assert star["fwhm"] == pytest.approx(afwhm, rel=2e-3)
    assert star["x"] == pytest.approx(x0 + ax, abs=0.01)
    assert star["y"] == pytest.approx(y0 + ay, abs=0.01)
    assert star["background"] == pytest.approx(asky, abs=0.05 * noise)
    # And the truth it was drawn from, within the noise.
    assert star["fwhm"] == pytest.approx(2.3548 * sigma, rel=0.05)
    assert star["points"] == size * size
    # The model is at half its peak at half the FWHM.
    assert star["atFwhm"] - star["background"] == pytest.approx(star["peak"] / 2, rel=1e-9)


def test_no_star_in_flat_sky():
    data = star_cutout(21, (10, 10), 2.0, 0.0, 100.0, 0.0, seed=1)
    assert run(data, 1, 1, 11, 11)["star"] is None


def test_not_fits_is_refused():
    program = (
        f"import {{ parseFitsImage }} from {json.dumps(MODULE.as_uri())};\n"
        "try { parseFitsImage(new TextEncoder().encode('<html>' + ' '.repeat(3000)).buffer);\n"
        "  process.stdout.write('parsed'); } catch (error) { process.stdout.write(error.message); }\n"
    )
    done = subprocess.run([shutil.which("node"), "--input-type=module", "-e", program],
                          capture_output=True, text=True)  # fmt: skip
    assert done.stdout == "not a FITS file"
