"""The rendering engine: FITS files to pyramids to tiles. Framework-free.

It imports numpy, astropy, pyvips and simplejpeg, never Django; it takes paths, arrays
and parameters and returns arrays or bytes.
"""

from tiles.engine.errors import EngineError, InvalidFitsError, ParameterError, RegionTooLargeError
from tiles.engine.geometry import TileGrid
from tiles.engine.inventory import FitsInventory, file_checksum, inspect_fits

__all__ = [
    "EngineError",
    "FitsInventory",
    "InvalidFitsError",
    "ParameterError",
    "RegionTooLargeError",
    "TileGrid",
    "file_checksum",
    "inspect_fits",
]
