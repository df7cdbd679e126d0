"""The rendering engine: FITS files to pyramids to tiles. Framework-free.

It imports numpy, astropy, pyvips and simplejpeg, never Django; it takes paths, arrays
and parameters and returns arrays or bytes.
"""

from tiles.engine.colormaps import COLORMAPS
from tiles.engine.encode import CONTENT_TYPES, FORMATS, encode
from tiles.engine.errors import EngineError, InvalidFitsError, ParameterError, RegionTooLargeError
from tiles.engine.geometry import TileGrid
from tiles.engine.image import ImageCache, ImageData, open_image, render_region, render_tile
from tiles.engine.inventory import FitsInventory, file_checksum, inspect_fits
from tiles.engine.pyramid import PyramidInfo, build_pyramid, pyramid_complete, pyramid_matches
from tiles.engine.render import STRETCHES, RenderParams, apply_saturation, mix_from_iip, render
from tiles.engine.stats import ChannelStats, channel_stats, percentile_cuts, zscale_cuts

__all__ = [
    "COLORMAPS", "CONTENT_TYPES", "FORMATS", "STRETCHES", "ChannelStats", "EngineError",
    "FitsInventory", "ImageCache", "ImageData", "InvalidFitsError", "ParameterError",
    "PyramidInfo", "RegionTooLargeError", "RenderParams", "TileGrid", "apply_saturation",
    "build_pyramid", "channel_stats", "encode", "file_checksum", "inspect_fits",
    "mix_from_iip", "open_image", "percentile_cuts", "pyramid_complete", "pyramid_matches", "render",
    "render_region", "render_tile", "zscale_cuts",
]  # fmt: skip
