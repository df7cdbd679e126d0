"""Per-channel statistics and cut presets, from a subsample of rows.

Computed once per channel when the image is read for its statistics (and when its
pyramid is built), from ``SAMPLE_ROWS`` rows spread over the image:

- background and noise as VisiOmatic estimates them: one 3-MAD clipping pass around the
  median, then the mode ``3.5 median - 2.5 mean`` as background and the median absolute
  deviation as noise;
- cut presets (``CUT_PRESETS``), each a (lo, hi) within the data's range:
  ``zscale`` (IRAF's, as ds9 and astropy's ``ZScaleInterval`` compute it: a line fitted
  to the sorted sample with iterative rejection, its slope divided by the contrast 0.25),
  ``minmax``, the central 99.5 / 99 / 98 / 95 % of the values (astropy's
  ``PercentileInterval``); and ``visiomatic``, VisiOmatic's own default
  ``bg - 2 mad .. bg + 400 mad`` (which may pass the data's range: IIP clients expect it).

``lo``/``hi`` are VisiOmatic's cuts (IIP's defaults, as they always were); the portal's
own default is ``DEFAULT_PRESET`` (zscale), chosen among ``cuts`` by ``tiles/params.py``.
"""

from dataclasses import asdict, dataclass, field

import numpy as np
from astropy.visualization import PercentileInterval, ZScaleInterval

SAMPLE_ROWS = 256
SAMPLE_PIXELS = 1 << 20
PERCENTILES = ("99.5", "99", "98", "95")
CUT_PRESETS = ("zscale", "minmax", *PERCENTILES, "visiomatic")
DEFAULT_PRESET = "zscale"


@dataclass
class ChannelStats:
    background: float
    mad: float
    lo: float  # VisiOmatic's lower cut (IIP's default)
    hi: float  # VisiOmatic's upper cut
    min: float
    max: float
    cuts: dict = field(default_factory=dict)  # preset -> [lo, hi]; empty in old statistics

    def as_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        scalars = {k: float(values[k]) for k in ("background", "mad", "lo", "hi", "min", "max")}
        cuts = {name: [float(lo), float(hi)] for name, (lo, hi) in values.get("cuts", {}).items()}
        return cls(**scalars, cuts=cuts)


def sample_rows(height, rows=SAMPLE_ROWS):
    """Row indices spread evenly over the image (all rows of a small image)."""
    if height <= rows:
        return np.arange(height)
    return np.unique(np.linspace(0, height - 1, rows).round().astype(int))


def channel_stats(sample, data_range=None):
    """``ChannelStats`` of a 1-D or 2-D sample (NaN and Inf ignored).

    ``data_range``: (min, max) of the whole channel when the caller saw every pixel (the
    pyramid builder does); else the sample's. The ``minmax`` preset is that range, and no
    preset but ``visiomatic`` leaves it.
    """
    values = np.asarray(sample, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size > SAMPLE_PIXELS:
        values = values[:: values.size // SAMPLE_PIXELS + 1]
    if values.size == 0:
        cuts = {name: [0.0, 1.0] for name in CUT_PRESETS}
        return ChannelStats(0.0, 0.0, 0.0, 1.0, 0.0, 1.0, cuts)
    vmin, vmax = float(values.min()), float(values.max())
    if data_range is not None and all(np.isfinite(data_range)):
        vmin, vmax = min(vmin, float(data_range[0])), max(vmax, float(data_range[1]))
    background, mad = background_and_noise(values)
    cuts = {
        "zscale": zscale_cuts(values),
        "minmax": [vmin, vmax],
        **{name: percentile_cuts(values, float(name)) for name in PERCENTILES},
        "visiomatic": [background - 2.0 * mad, background + 400.0 * mad],
    }
    cuts = {name: _widened(pair, vmin, vmax) for name, pair in cuts.items()}
    lo, hi = cuts["visiomatic"]
    return ChannelStats(background, mad, lo, hi, vmin, vmax, cuts)


def background_and_noise(values):
    """VisiOmatic's (mode, MAD) of finite float64 values, after one 3-MAD clipping pass."""
    median = np.median(values)
    mad = np.median(np.abs(values - median))
    if mad > 0:
        clipped = values[np.abs(values - median) <= 3.0 * mad]
        if clipped.size:
            values = clipped
            median = np.median(values)
            mad = np.median(np.abs(values - median))
    background = float(3.5 * median - 2.5 * np.mean(values))
    if not np.isfinite(background):
        background = float(median)
    return background, float(mad)


def zscale_cuts(sample):
    """IRAF's zscale limits of a sample (astropy's ``ZScaleInterval``, IRAF's defaults:
    1000 samples, contrast 0.25), never beyond the sample's range."""
    values = _finite(sample)
    if values.size == 0:
        return [0.0, 1.0]
    lo, hi = ZScaleInterval().get_limits(values)
    return [float(lo), float(hi)]


def percentile_cuts(sample, percent=99.5):
    """The limits of the central ``percent`` % of a sample's values."""
    values = _finite(sample)
    if values.size == 0:
        return [0.0, 1.0]
    lo, hi = PercentileInterval(percent).get_limits(values)
    return [float(lo), float(hi)]


def _finite(sample):
    values = np.asarray(sample, dtype=np.float64).ravel()
    return values[np.isfinite(values)]


def _widened(pair, vmin, vmax):
    """``pair`` if it is a range (hi > lo), else the data's range, else 1 around a
    constant: a cut of zero width renders as a step."""
    lo, hi = (float(v) for v in pair)
    if hi > lo:
        return [lo, hi]
    if vmax > vmin:
        return [vmin, vmax]
    return [vmin - 0.5, vmin + 0.5]
