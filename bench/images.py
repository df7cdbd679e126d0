"""The three benchmark images, generated once and kept under var/bench/.

- ``field8k.fits``: an 8192 x 8192 float32 star field with a TAN WCS;
- ``cube3x4k.fits``: a 3 x 4096 x 4096 float32 cube (three bands of one field);
- ``mef4.fits``: a 4-extension mosaic of 2048 x 4096 float32 amplifiers (8192 x 4096).
"""

import sys
from pathlib import Path

import numpy as np
from astropy.io import fits

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.demo import star_field, star_field_wcs  # noqa: E402

BENCH_DIR = ROOT / "var" / "bench"


def field8k(folder=BENCH_DIR):
    path = folder / "field8k.fits"
    if not path.exists():
        data = star_field(8192, 8192, nstars=20000, seed=11)
        header = star_field_wcs(8192, 8192).to_header()
        header["OBJECT"] = "bench field 8k"
        fits.PrimaryHDU(data, header).writeto(path)
    return path


def cube3x4k(folder=BENCH_DIR):
    path = folder / "cube3x4k.fits"
    if not path.exists():
        base = star_field(4096, 4096, nstars=6000, seed=12)
        rng = np.random.default_rng(12)
        cube = np.stack([base * f + rng.normal(0, 5, base.shape).astype(np.float32)
                         for f in (0.6, 1.0, 1.4)])  # fmt: skip
        header = star_field_wcs(4096, 4096).to_header()
        header["OBJECT"] = "bench cube"
        fits.PrimaryHDU(cube.astype(np.float32), header).writeto(path)
    return path


def mef4(folder=BENCH_DIR):
    path = folder / "mef4.fits"
    if not path.exists():
        wcs = star_field_wcs(8192, 4096)
        hdus = [fits.PrimaryHDU()]
        for k in range(4):
            data = star_field(2048, 4096, nstars=4000, seed=20 + k) + 30 * k
            header = wcs.to_header()
            header["CRPIX1"] = wcs.wcs.crpix[0] - 2048 * k
            header["DETSEC"] = f"[{2048 * k + 1}:{2048 * (k + 1)},1:4096]"
            header["DATASEC"] = "[1:2048,1:4096]"
            header["EXTNAME"] = f"CCD{k + 1}"
            hdus.append(fits.ImageHDU(data.astype(np.float32), header))
        fits.HDUList(hdus).writeto(path)
    return path


def all_images(folder=BENCH_DIR):
    folder.mkdir(parents=True, exist_ok=True)
    return {"field8k": field8k(folder), "cube3x4k": cube3x4k(folder), "mef4": mef4(folder)}
