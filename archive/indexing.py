"""Filling the archive's rows of an image: at registration, when it changes, and for
images registered before (``manage.py index_images``, the data migration).

``describe`` reads headers only: the image's stored header and, when the file is
there, its primary header and (for a mosaic) each extension's WCS, so that a mosaic's
footprint is the union of its extensions'. Without the file the stored header alone
is used (the mosaic header, whose WCS spans the whole mosaic). Footprints are ICRS
whatever the frame of the WCS (``archive/footprint.py``).
"""

import contextlib
import logging
import os
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction

from archive import footprint, keywords, sky

log = logging.getLogger("fitsportal.archive")


@dataclass
class Description:
    values: dict  # ImageMetadata columns
    cells: list = field(default_factory=list)  # NUNIQ integers
    words: list = field(default_factory=list)


def describe(image, header_cards=None):
    """The ``Description`` of an Image (or any object with its fields).

    ``header_cards``: the image header as 80-character cards, when the caller has them
    (registration's inventory): its WCS is read from them rather than from the stored
    dict, and a file whose image is its primary HDU is not opened again.
    """
    if header_cards is not None and _image_in_primary(image):
        headers, parts = [], []
    else:
        headers, parts = _file_headers(image)
    stored = header_cards if header_cards is not None else sky.header_from_json(image.header or {})
    wcs = sky.celestial_wcs(stored)
    if not parts:
        parts = footprint.icrs_footprint(stored, image.width, image.height, wcs=wcs)
    values = keywords.normalised_values(
        [image.header or {}] + headers, keywords.keyword_mapping(settings.ARCHIVE_KEYWORDS)
    )
    values["pixel_scale"] = sky.pixel_scale_arcsec(stored, wcs=wcs)
    _, bunit = keywords.lookup([image.header or {}] + headers, ["BUNIT"])
    values["bunit"] = keywords.text(bunit) if bunit is not None else ""
    values.update(ra=None, dec=None, radius=None, polygons=[])
    values["collection_id"] = getattr(image, "collection_id", None)
    cells = []
    if parts:
        values["ra"], values["dec"], values["radius"] = footprint.summary(
            parts, wcs, image.width, image.height
        )
        values["polygons"] = [[[round(ra, 9), round(dec, 9)] for ra, dec in p] for p in parts]
        cells = sky.footprint_cells([sky.Polygon(c) for c in values["polygons"]])
    text = " ".join([image.title or "", image.name or "", values["object"]])
    words = set(keywords.words(text)) | ({values["object_key"]} - {""})
    words = sorted(words | set(keywords.identifier_words([image.header or {}] + headers)))
    return Description(values=values, cells=cells, words=[w[:100] for w in words])


def _image_in_primary(image):
    """Whether the image header is the file's primary header (a plain image or cube)."""
    hdus = image.hdus or []
    return image.kind != "mosaic" and bool(hdus) and len(hdus[0].get("shape") or []) >= 2


def _file_headers(image):
    """([primary header as a dict], [footprint polygons of each extension]) read from
    the file, or ([], []) when it cannot be read. The extensions are a mosaic's and, for
    an image of one channel per extension (HST's SCI chips), each channel's with a WCS
    of its own: the image is found wherever one of them lies."""
    from tiles.engine.errors import InvalidFitsError
    from tiles.engine.inventory import header_to_json, open_fits
    from tiles.engine.layout import plan_layout

    if not image.path:
        return [], []
    try:
        with open_fits(image.path) as hdulist, open(image.path, "rb") as handle:
            primary = header_to_json(hdulist[0].header)
            parts = []
            if image.kind in ("mosaic", "channels"):
                layout = plan_layout(hdulist)
                primary_cards = raw_cards(handle, hdulist, 0)
                for index in layout.hdus:
                    header = hdulist[index].header
                    cards = inherited(raw_cards(handle, hdulist, index), primary_cards)
                    width, height = header.get("NAXIS1"), header.get("NAXIS2")
                    wcs = footprint.extension_wcs(cards)
                    for polygon in footprint.icrs_footprint(cards, width, height, wcs=wcs):
                        if polygon not in parts:  # ERR and DQ repeat their SCI's WCS
                            parts.append(polygon)
            return [primary], parts
    except (InvalidFitsError, OSError, ValueError) as exc:
        log.info("archive: headers of %s not read from its file: %s", image.pk, exc)
        return [], []


def raw_cards(handle, hdulist, index):
    """The header of HDU ``index`` as the file holds it (80-character cards), read at
    its offset: a WCS made from these is made without astropy writing the header out
    again (most of the cost of a 62-CCD mosaic's footprints)."""
    info = hdulist[index].fileinfo()  # not HDUList.fileinfo: it writes every header out
    if info is None:
        return hdulist[index].header.tostring()
    size = info["datLoc"] - info["hdrLoc"]
    return os.pread(handle.fileno(), size, info["hdrLoc"]).decode("ascii", "replace")


# What an extension's celestial frame is when only the primary header says it.
FRAME_KEYWORDS = ("RADESYS", "RADECSYS", "EQUINOX", "EPOCH")


def _cards_of(cards, keywords):
    return [cards[i : i + 80] for i in range(0, len(cards) - 79, 80)
            if cards[i : i + 8].rstrip() in keywords]  # fmt: skip


def inherited(extension, primary):
    """The cards of an extension, with the frame keywords of ``primary`` when it has
    none (a mosaic's primary header often holds RADESYS and EQUINOX for all its CCDs)."""
    if _cards_of(extension, FRAME_KEYWORDS):
        return extension
    return extension + "".join(_cards_of(primary, FRAME_KEYWORDS))


def store(image, description=None):
    """Write the archive rows of ``image`` (replacing any)."""
    from archive.models import ImageMetadata, SearchWord, SkyCell

    description = description or describe(image)
    with transaction.atomic():
        ImageMetadata.objects.update_or_create(image_id=image.pk, defaults=description.values)
        SkyCell.objects.filter(image_id=image.pk).delete()
        SkyCell.objects.bulk_create(SkyCell(image_id=image.pk, cell=c) for c in description.cells)
        SearchWord.objects.filter(image_id=image.pk).delete()
        SearchWord.objects.bulk_create(
            SearchWord(image_id=image.pk, word=w) for w in description.words
        )


def image_saved(instance, raw=False, **kwargs):
    """post_save of portal.Image: (re)index it. A failure to read leaves the image
    searchable by what its stored header says; it never fails the save."""
    if raw:
        return
    try:
        store(instance)
    except Exception:
        log.exception("archive: image %s not indexed", instance.pk)
        with contextlib.suppress(Exception):
            from archive.models import ImageMetadata

            ImageMetadata.objects.update_or_create(
                image_id=instance.pk, defaults={"collection_id": instance.collection_id}
            )
