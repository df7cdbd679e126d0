"""The engine's failures, one type per family; messages are meant for users."""


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""


class InvalidFitsError(EngineError):
    """The file is not a FITS file the engine can show (with the reason)."""


class ParameterError(EngineError, ValueError):
    """A rendering or science parameter is malformed or out of range."""


class RegionTooLargeError(ParameterError):
    """A region would need more pixels than allowed: zoom in or raise the binning."""
