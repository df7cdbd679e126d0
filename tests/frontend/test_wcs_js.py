"""The browser's WCS (frontend/src/wcs.js) against astropy, for every projection.

Node runs the module on a grid of pixels and sky positions; both directions must agree
with astropy to better than 0.01 pixel over a 1000 x 800 image.
"""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS

ROOT = Path(__file__).resolve().parents[2]
MODULE = ROOT / "frontend" / "src" / "wcs.js"


def header(
    ctype="TAN", crval=(150.1, 2.2), cd=None, pc=None, cdelt=None, crota=None, sip=False, **extra
):
    h = fits.Header()
    h["NAXIS"], h["NAXIS1"], h["NAXIS2"] = 2, 1000, 800
    h["CTYPE1"] = f"RA---{ctype}" + ("-SIP" if sip else "")
    h["CTYPE2"] = f"DEC--{ctype}" + ("-SIP" if sip else "")
    h["CRPIX1"], h["CRPIX2"] = 480.5, 410.25
    h["CRVAL1"], h["CRVAL2"] = crval
    if cd is not None:
        for (i, j), value in np.ndenumerate(np.array(cd)):
            h[f"CD{i + 1}_{j + 1}"] = value
    if pc is not None:
        for (i, j), value in np.ndenumerate(np.array(pc)):
            h[f"PC{i + 1}_{j + 1}"] = value
    if cdelt is not None:
        h["CDELT1"], h["CDELT2"] = cdelt
    if crota is not None:
        h["CROTA2"] = crota
    if sip:
        h["A_ORDER"], h["B_ORDER"] = 2, 2
        h["A_2_0"], h["A_0_2"], h["A_1_1"] = 2e-6, -1e-6, 5e-7
        h["B_2_0"], h["B_0_2"], h["B_1_1"] = -1.5e-6, 1e-6, 3e-7
    for key, value in extra.items():
        h[key] = value
    return h


SCALE = 0.4 / 3600
ROT = np.deg2rad(12)
ROTATED = [[-SCALE * np.cos(ROT), SCALE * np.sin(ROT)], [SCALE * np.sin(ROT), SCALE * np.cos(ROT)]]
WIDE = 0.05  # degrees per pixel, for the all-sky projections
# As SCAMP writes them: CD plus PVi_k on intermediate coordinates in degrees (r terms
# included), a few pixels of distortion at the corners.
SCAMP_PV = dict(PV1_0=2e-5, PV1_1=1.0002, PV1_2=3e-4, PV1_3=1e-3, PV1_4=0.02, PV1_5=-0.01,
                PV1_6=4e-3, PV1_7=0.5, PV1_9=-0.3, PV1_11=0.2, PV2_0=-1e-5, PV2_1=0.9997,
                PV2_2=-2e-4, PV2_4=0.015, PV2_5=8e-3, PV2_6=-6e-3, PV2_8=0.4, PV2_10=-0.2,
                PV2_11=0.1)  # fmt: skip

HEADERS = {
    "TAN-CD": header(cd=ROTATED),
    "TAN-PC": header(pc=[[0.98, 0.2], [-0.2, 0.98]], cdelt=(-SCALE, SCALE)),
    "TAN-CROTA2": header(cdelt=(-SCALE, SCALE), crota=25.0),
    "SIN": header("SIN", cd=ROTATED),
    "ARC": header("ARC", cd=[[-WIDE, 0], [0, WIDE]]),
    "ZEA": header("ZEA", cd=[[-WIDE, 0], [0, WIDE]]),
    "STG": header("STG", cd=[[-WIDE, 0], [0, WIDE]]),
    "AIT": header("AIT", crval=(0.0, 0.0), cd=[[-0.3, 0], [0, 0.3]]),
    "CAR": header("CAR", crval=(30.0, 0.0), cd=[[-0.2, 0], [0, 0.2]]),
    "TAN-near-pole": header(crval=(45.0, 89.9), cd=[[-WIDE / 50, 0], [0, WIDE / 50]]),
    "TAN-across-RA-0": header(crval=(0.01, -30.0), cd=[[-SCALE * 50, 0], [0, SCALE * 50]]),
    "TAN-SIP": header(cd=ROTATED, sip=True),
    "TPV": header("TPV", cd=ROTATED, **SCAMP_PV),
}


def run_node(header_dict, pixels, world):
    program = (
        f"import {{ WCS }} from {json.dumps(MODULE.as_uri())};\n"
        "let input = '';\n"
        "process.stdin.on('data', (d) => { input += d; });\n"
        "process.stdin.on('end', () => {\n"
        "  const job = JSON.parse(input);\n"
        "  const wcs = new WCS(job.header);\n"
        "  const out = { celestial: wcs.isCelestial,\n"
        "    world: job.pixels.map(([x, y]) => wcs.pixelToWorld(x, y)),\n"
        "    pixels: job.world.map(([a, d]) => wcs.worldToPixel(a, d)) };\n"
        "  process.stdout.write(JSON.stringify(out));\n"
        "});\n"
    )
    return run_program(program, {"header": header_dict, "pixels": pixels.tolist(),
                                 "world": world.tolist()})  # fmt: skip


def run_program(program, job):
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js is needed for the client's tests (install nodejs).")
    done = subprocess.run([node, "--input-type=module", "-e", program], input=json.dumps(job),
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", list(HEADERS))
def test_agrees_with_astropy(name):
    h = HEADERS[name]
    wcs = WCS(h)
    xs, ys = np.meshgrid(np.linspace(1, 1000, 9), np.linspace(1, 800, 7))
    pixels = np.column_stack([xs.ravel(), ys.ravel()])
    world = wcs.all_pix2world(pixels, 1)
    valid = np.isfinite(world).all(axis=1)  # all-sky projections have pixels off the sky
    pixels, world = pixels[valid], world[valid]
    assert len(pixels) >= 20
    header_dict = {k: v for k, v in h.items() if k not in ("COMMENT", "HISTORY")}
    answer = run_node(header_dict, pixels, world)
    assert answer["celestial"] is True
    # pixel -> world, compared in pixels: astropy's inverse of the JS answer.
    js_world = np.array(answer["world"])
    back = wcs.all_world2pix(js_world, 1, tolerance=1e-12, maxiter=200)
    assert np.abs(back - pixels).max() < 0.01, name
    # world -> pixel
    js_pixels = np.array(answer["pixels"])
    assert np.abs(js_pixels - pixels).max() < 0.01, name


def mosaic_images():
    """A 2 x 2 mosaic of 300 x 200 CCDs, the top right one read out flipped in x; each CCD
    with an astrometric solution of its own (TPV, slightly rotated and scaled), such as
    no single mosaic WCS could reproduce. In the IIP INFO "images" form."""
    images = []
    for k, (x0, y0) in enumerate([(0, 0), (310, 0), (0, 210), (310, 210)]):  # 10-px gaps
        flip = k == 3
        turn = np.deg2rad(12 + 0.3 * k)
        scale = SCALE * (1 + 0.002 * k)
        cd = [
            [-scale * np.cos(turn), scale * np.sin(turn)],
            [scale * np.sin(turn), scale * np.cos(turn)],
        ]
        # The CCD's own pixels: its CRPIX puts the tangent point where the mosaic has it.
        crpix1 = 480.5 - x0
        if flip:  # data column p lands on mosaic column x0 + 301 - p
            crpix1 = x0 + 301 - 480.5
            cd = [[-cd[0][0], cd[0][1]], [-cd[1][0], cd[1][1]]]
        h = header("TPV", cd=cd, **{**SCAMP_PV, "PV1_4": 0.02 + 0.01 * k})
        h["CRPIX1"], h["CRPIX2"] = crpix1, 410.25 - y0
        h["NAXIS1"], h["NAXIS2"] = 300, 200
        first_x, last_x = x0 + 1, x0 + 300
        images.append({
            "header": {k2: v for k2, v in h.items() if k2 not in ("COMMENT", "HISTORY")},
            "dataslice": [[1, 300, 1], [1, 200, 1]],
            "detslice": [[last_x, first_x, -1] if flip else [first_x, last_x, 1], [y0 + 1, y0 + 200, 1]],
        })  # fmt: skip
    return images


def test_mosaic_extensions_use_their_own_wcs():
    images = mosaic_images()
    global_header = {k: v for k, v in header(cd=ROTATED).items() if k not in ("COMMENT", "HISTORY")}
    # Mosaic pixels inside each CCD, and the sky astropy gives them through that CCD's WCS.
    pixels, world = [], []
    for image in images:
        (dx1, dx2, _), (dy1, dy2, _) = image["detslice"]
        wcs = WCS(fits.Header(image["header"]))
        for fx, fy in ((0.1, 0.2), (0.5, 0.5), (0.9, 0.85)):
            x = dx1 + fx * (dx2 - dx1)
            y = dy1 + fy * (dy2 - dy1)
            p = 1 + (x - dx1) * (300 - 1) / (dx2 - dx1)  # its data pixel
            q = 1 + (y - dy1) * (200 - 1) / (dy2 - dy1)
            pixels.append((x, y))
            world.append(wcs.all_pix2world([[p, q]], 1)[0])
    pixels, world = np.array(pixels), np.array(world)
    program = (
        f"import {{ MosaicWCS }} from {json.dumps(MODULE.as_uri())};\n"
        "let input = '';\n"
        "process.stdin.on('data', (d) => { input += d; });\n"
        "process.stdin.on('end', () => {\n"
        "  const job = JSON.parse(input);\n"
        "  const wcs = new MosaicWCS(job.header, job.images);\n"
        "  process.stdout.write(JSON.stringify({ celestial: wcs.isCelestial,\n"
        "    world: job.pixels.map(([x, y]) => wcs.pixelToWorld(x, y)),\n"
        "    pixels: job.world.map(([a, d]) => wcs.worldToPixel(a, d)) }));\n"
        "});\n"
    )
    job = {
        "header": global_header,
        "images": images,
        "pixels": pixels.tolist(),
        "world": world.tolist(),
    }
    answer = run_program(program, job)
    assert answer["celestial"] is True
    arcsec_per_pixel = SCALE * 3600
    js_world = np.array(answer["world"])
    error = np.hypot((js_world[:, 0] - world[:, 0]) * np.cos(np.deg2rad(world[:, 1])),
                     js_world[:, 1] - world[:, 1]) * 3600 / arcsec_per_pixel  # fmt: skip
    assert error.max() < 0.01, error
    assert np.abs(np.array(answer["pixels"]) - pixels).max() < 0.01
    # The mosaic header alone (CCD 1's solution) would be off by pixels elsewhere.
    single = WCS(fits.Header(global_header)).all_world2pix(world, 1)
    assert np.abs(single - pixels).max() > 1.0
