"""Per-channel statistics and default cuts, from a subsample of rows.

Background and noise follow VisiOmatic: from a subsample of rows, one 3-MAD clipping
pass around the median, then the mode estimate ``3.5 median - 2.5 mean`` as background
and the median absolute deviation as noise; default cuts ``bg - 2 mad`` .. ``bg + 400 mad``.
"""

from dataclasses import asdict, dataclass

import numpy as np

SAMPLE_ROWS = 256
SAMPLE_PIXELS = 1 << 20


@dataclass
class ChannelStats:
    background: float
    mad: float
    lo: float  # default lower cut
    hi: float  # default upper cut
    min: float
    max: float

    def as_dict(self):
        return asdict(self)

    @classmethod
    def from_dict(cls, values):
        return cls(**{k: float(values[k]) for k in cls.__dataclass_fields__})


def sample_rows(height, rows=SAMPLE_ROWS):
    """Row indices spread evenly over the image (all rows of a small image)."""
    if height <= rows:
        return np.arange(height)
    return np.unique(np.linspace(0, height - 1, rows).round().astype(int))


def channel_stats(sample):
    """``ChannelStats`` of a 1-D or 2-D sample (NaN and Inf ignored)."""
    values = np.asarray(sample, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size > SAMPLE_PIXELS:
        values = values[:: values.size // SAMPLE_PIXELS + 1]
    if values.size == 0:
        return ChannelStats(0.0, 0.0, 0.0, 1.0, 0.0, 1.0)
    vmin, vmax = float(values.min()), float(values.max())
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
    lo, hi = background - 2.0 * mad, background + 400.0 * mad
    if not hi > lo:  # constant data or a spike: fall back to the full range
        lo, hi = (vmin, vmax) if vmax > vmin else (vmin - 0.5, vmin + 0.5)
    return ChannelStats(background, float(mad), float(lo), float(hi), vmin, vmax)


def percentile_cuts(sample, low=0.5, high=99.5):
    values = np.asarray(sample, dtype=np.float64).ravel()
    values = values[np.isfinite(values)]
    if values.size == 0:
        return 0.0, 1.0
    lo, hi = np.percentile(values, [low, high])
    return (float(lo), float(hi)) if hi > lo else (float(lo) - 0.5, float(lo) + 0.5)


def zscale_cuts(sample, contrast=0.25, max_reject=0.5, iterations=5, krej=2.5):
    """IRAF-style zscale: a line fit to the sorted sample, with iterative rejection."""
    values = np.sort(np.asarray(sample, dtype=np.float64).ravel())
    values = values[np.isfinite(values)]
    n = values.size
    if n == 0:
        return 0.0, 1.0
    if n < 5:
        return float(values[0]), float(values[-1]) if values[-1] > values[0] else float(
            values[0]
        ) + 1
    x = np.arange(n, dtype=np.float64)
    good = np.ones(n, bool)
    center = (n - 1) / 2.0
    slope, intercept = 0.0, float(np.median(values))
    for _ in range(iterations):
        if good.sum() < max(5, int(n * (1 - max_reject))):
            break
        slope, intercept = np.polyfit(x[good] - center, values[good], 1)
        residual = values - (intercept + slope * (x - center))
        sigma = residual[good].std()
        new_good = np.abs(residual) < krej * sigma if sigma > 0 else good
        if np.array_equal(new_good, good):
            break
        good = new_good
    median = np.median(values)
    slope /= contrast
    lo = max(values[0], median - (center * slope))
    hi = min(values[-1], median + ((n - 1 - center) * slope))
    return (float(lo), float(hi)) if hi > lo else (float(values[0]), float(values[-1]))
