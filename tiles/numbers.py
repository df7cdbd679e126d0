"""Numbers and sizes from query strings: ASCII decimal text to values within their caps.

Shared by the REST parameters (``tiles/params.py``), the IIP protocol (``tiles/iip.py``)
and the catalog queries. Numbers are ASCII decimal only (no ``nan``, ``inf``, ``0x``,
``_`` or other scripts' digits), at most ``MAX_NUMBER_LENGTH`` characters; every size-like
value is capped by a setting, read when the value is given: the profile length
(``MAX_PROFILE_POINTS``) and values (``MAX_PROFILE_VALUES``), the channels one request
may name or mix (``MAX_REQUEST_CHANNELS``). Failures are ``ParameterError`` naming the
parameter.
"""

import math

from django.conf import settings

from tiles.engine import ParameterError

MAX_NUMBER_LENGTH = 64
# Pixel coordinates beyond any image, still small enough for every computation on them.
COORDINATE_LIMIT = 2**40


def number(name, text, low=None, high=None, integer=False):
    """``text`` as a finite float (or int), within ``[low, high]`` if given.

    Only ASCII decimal notation is accepted (``12``, ``-1.5``, ``2e-3``), at most
    ``MAX_NUMBER_LENGTH`` characters: whatever Python's ``int``/``float`` would also take
    (``nan``, ``inf``, ``1_000``, other scripts' digits, a 400-digit integer that no float
    holds) is a ``ParameterError`` naming the parameter.
    """
    text = text.strip()
    if len(text) > MAX_NUMBER_LENGTH:
        kind = "an integer" if integer else "a number"
        raise ParameterError(
            f"{name}: '{text[:40]}...' is not {kind} (at most {MAX_NUMBER_LENGTH} characters)."
        )
    # Of ASCII text without "_", int() and float() take exactly the decimal notation,
    # plus nan and inf for float(), refused below (cheaper than a regular expression).
    try:
        if not text.isascii() or "_" in text:
            raise ValueError
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise ParameterError(f"{name}: '{text[:40]}' is not {kind}.") from None
    if not integer and not math.isfinite(value):
        raise ParameterError(f"{name}: '{text}' is not a finite number.")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ParameterError(f"{name}: {text} is out of range [{low}, {high}].")
    return value


def coordinate(name, text, integer=False):
    """A pixel coordinate: a number within +-``COORDINATE_LIMIT`` (beyond any image)."""
    return number(name, text, -COORDINATE_LIMIT, COORDINATE_LIMIT, integer=integer)


def numbers(name, text, count, integer=False, sep=",", parse=None):
    parts = text.split(sep)
    if len(parts) != count:
        raise ParameterError(
            f"{name}: expected {count} values separated by '{sep}', got '{text[:60]}'."
        )
    if parse is None:
        return tuple(number(name, part, integer=integer) for part in parts)
    return tuple(parse(name, part, integer=integer) for part in parts)


def channel_prefixed(name, text):
    """(channel (1-based), rest) of ``c:values``."""
    channel_text, colon, rest = text.partition(":")
    if not colon:
        raise ParameterError(f"{name}: expected 'channel:values', got '{text[:60]}'.")
    return number(name, channel_text, low=1, integer=True), rest


def profile_points(name, x1, y1, x2, y2):
    """Points of the digital line between two pixels (ends included), within the
    ``MAX_PROFILE_POINTS`` setting (the one cap of IIP ``PFL`` and the REST profile)."""
    points = max(abs(x2 - x1), abs(y2 - y1)) + 1
    if points > settings.MAX_PROFILE_POINTS:
        raise ParameterError(
            f"{name}: the profile is {points:,} pixels long, more than the limit of "
            f"{settings.MAX_PROFILE_POINTS:,}."
        )
    return points


def check_profile_values(name, points, nchannels):
    """A profile's values (points x channels) within the ``MAX_PROFILE_VALUES`` setting."""
    values = points * nchannels
    if values > settings.MAX_PROFILE_VALUES:
        raise ParameterError(
            f"{name}: the profile would give {values:,} values ({points:,} pixels x "
            f"{nchannels} channels), more than the limit of {settings.MAX_PROFILE_VALUES:,}: "
            "shorten it or name fewer channels."
        )


def check_mixed_channels(nchannels, mono_parameter):
    """Colour mode reads every channel: at most ``MAX_REQUEST_CHANNELS`` of them."""
    if nchannels > settings.MAX_REQUEST_CHANNELS:
        raise ParameterError(
            f"Colour mode mixes at most {settings.MAX_REQUEST_CHANNELS} channels and this "
            f"image has {nchannels}: choose one with {mono_parameter}."
        )


def check_channel_count(name, count):
    """At most ``MAX_REQUEST_CHANNELS`` channels named (or mixed) by one request."""
    if count > settings.MAX_REQUEST_CHANNELS:
        raise ParameterError(
            f"{name}: at most {settings.MAX_REQUEST_CHANNELS} channels per request ({count} given)."
        )
