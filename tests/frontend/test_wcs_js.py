"""The browser's WCS (frontend/src/wcs.js) against astropy, for every projection.

Node runs the module on a grid of pixels and sky positions; both directions must agree
with astropy to better than 0.01 pixel over a 1000 x 800 image.
"""

import json
import shutil
import subprocess
import warnings
from pathlib import Path

import astropy
import numpy as np
import pytest
from astropy.io import fits
from astropy.wcs import WCS, FITSFixedWarning

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


# The canonical one-per-projection headers of paper II (Calabretta's 1904-66 maps), read
# from the installed astropy: every projection, the celestial pole on the image.
MAPS = sorted((Path(astropy.__file__).parent / "wcs" / "tests" / "data" / "maps").glob("*.hdr"))


def map_header(path):
    return fits.Header.fromstring(path.read_bytes().decode("ascii"))


def test_every_projection_of_paper_ii_has_a_map():
    codes = {map_header(path)["CTYPE1"][5:8] for path in MAPS}
    assert len(MAPS) >= 27
    assert {"AZP", "SZP", "ZPN", "AIR", "CYP", "CEA", "MER", "SFL", "PAR", "MOL", "COP", "COD",
            "COE", "COO", "BON", "PCO", "TSC", "CSC", "QSC", "HPX"} <= codes  # fmt: skip


@pytest.mark.parametrize("zoom", [1, 6], ids=["map", "wide"])
@pytest.mark.parametrize("path", MAPS, ids=[path.stem.split("_")[-1] for path in MAPS])
def test_canonical_map_agrees_with_astropy(path, zoom):
    """The map as astropy ships it, and 6 times wider (77 degrees across, over more of
    each projection: several faces, facets, the far side of cones)."""
    h = map_header(path)
    if zoom != 1:
        h["CDELT1"], h["CDELT2"] = h["CDELT1"] * zoom, h["CDELT2"] * zoom
        h["CRPIX1"], h["CRPIX2"] = (
            (h["CRPIX1"] - 96.5) / zoom + 96.5,
            (h["CRPIX2"] - 96.5) / zoom + 96.5,
        )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FITSFixedWarning)
        wcs = WCS(h)
    # Every pixel centre of a 12 x 12 grid over the 192 x 192 map, and its corners.
    xs, ys = np.meshgrid(np.linspace(0.5, 192.5, 12), np.linspace(0.5, 192.5, 12))
    pixels = np.column_stack([xs.ravel(), ys.ravel()])
    world = wcs.all_pix2world(pixels, 1)
    valid = np.isfinite(world).all(axis=1)
    pixels, world = pixels[valid], world[valid]
    assert len(pixels) >= 60
    header_dict = {k: v for k, v in h.items() if k not in ("COMMENT", "HISTORY", "")}
    answer = run_node(header_dict, pixels, world)
    assert answer["celestial"] is True, answer
    js_world = np.array(answer["world"], dtype=float)
    assert np.isfinite(js_world).all(), pixels[~np.isfinite(js_world).all(axis=1)]
    # pixel -> world against astropy's, in pixels (its inverse of CSC is not exact, so
    # the sky positions themselves are compared).
    lon, lat = np.deg2rad(js_world.T)
    lon0, lat0 = np.deg2rad(world.T)
    cos_distance = np.sin(lat) * np.sin(lat0) + np.cos(lat) * np.cos(lat0) * np.cos(lon - lon0)
    distance = np.rad2deg(np.arccos(np.clip(cos_distance, -1, 1)))
    assert (distance / abs(h["CDELT2"])).max() < 0.01
    # world -> pixel against astropy's, for the same sky positions.
    js_pixels = np.array(answer["pixels"], dtype=float)
    assert np.abs(js_pixels - wcs.all_world2pix(world, 1)).max() < 0.01


UNUSABLE = {
    "no WCS": ({"NAXIS": 2}, "no WCS"),
    "linear axes": ({"CTYPE1": "X", "CTYPE2": "Y"}, "not a sky longitude and latitude"),
    "latitude first": ({"CTYPE1": "DEC--TAN", "CTYPE2": "RA---TAN"}, "latitude first"),
    "mixed": ({"CTYPE1": "RA---TAN", "CTYPE2": "DEC--SIN"}, "do not name one projection"),
    "unknown code": ({"CTYPE1": "RA---XYZ", "CTYPE2": "DEC--XYZ"}, "XYZ projection"),
    "IRAF TNX": ({"CTYPE1": "RA---TNX", "CTYPE2": "DEC--TNX"}, "TNX distortion"),
    "singular": (
        {
            "CTYPE1": "RA---TAN",
            "CTYPE2": "DEC--TAN",
            "CD1_1": 1e-4,
            "CD1_2": 1e-4,
            "CD2_1": 1e-4,
            "CD2_2": 1e-4,
        },
        "singular",
    ),  # fmt: skip
    "conic without theta_a": ({"CTYPE1": "RA---COE", "CTYPE2": "DEC--COE"}, "theta_a"),
    "pixel units": ({"CTYPE1": "RA---TAN", "CTYPE2": "DEC--TAN", "CUNIT1": "pixel"}, "CUNIT1"),
}


def test_says_why_a_header_cannot_be_used():
    program = (
        f"import {{ WCS, wcsProblem }} from {json.dumps(MODULE.as_uri())};\n"
        "let input = '';\n"
        "process.stdin.on('data', (d) => { input += d; });\n"
        "process.stdin.on('end', () => {\n"
        "  const job = JSON.parse(input);\n"
        "  process.stdout.write(JSON.stringify(job.headers.map((h) => {\n"
        "    const wcs = new WCS(h);\n"
        "    return { problem: wcsProblem(h), celestial: wcs.isCelestial,\n"
        "             world: wcs.pixelToWorld(10, 10) };\n"
        "  })));\n"
        "});\n"
    )
    usable = {k: v for k, v in HEADERS["TAN-CD"].items() if k not in ("COMMENT", "HISTORY")}
    headers = [h for h, _ in UNUSABLE.values()] + [usable]
    answers = run_program(program, {"headers": headers})
    for (name, (_, reason)), answer in zip(UNUSABLE.items(), answers[:-1], strict=True):
        assert answer["celestial"] is False, name
        assert answer["problem"].startswith("The sky coordinates cannot be shown: "), name
        assert reason in answer["problem"], (name, answer["problem"])
        assert answer["world"] == [None, None], name  # NaN, as JSON writes it
    assert answers[-1]["problem"] is None
    assert answers[-1]["celestial"] is True
