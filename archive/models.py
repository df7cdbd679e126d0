"""What the archive searches: one row of normalised metadata per image, the HEALPix
cells its footprint covers, and the words of its names.

Every image has an ``ImageMetadata`` row (filled at registration, see
``archive/indexing.py``), even without a WCS (then no footprint and no cells). The
columns sorted and filtered on have an index with the image id after them, so that a
sorted first page and a keyset cursor read an index in order on SQLite and PostgreSQL;
the observation date's also holds the collection and every filtered column (a search
reads the ids of a page from it alone, then those rows).
"""

from django.db import models

from portal.models import Collection, Image

COVERED = ["band", "instrument", "telescope", "object_key", "exptime", "pixel_scale", "bunit"]


class ImageMetadata(models.Model):
    image = models.OneToOneField(
        Image, primary_key=True, on_delete=models.CASCADE, related_name="meta"
    )
    # The image's collection, copied here (indexing.store, on every save of the image)
    # so that the indexes a search reads also tell whose the image is; the image's own
    # column stays the rule, asked again of each row a search returns.
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.CASCADE, db_index=False,
        related_name="+",
    )  # fmt: skip
    # Footprint: ICRS degrees; None without a celestial WCS.
    ra = models.FloatField(null=True, blank=True, help_text="Footprint centre, degrees")
    dec = models.FloatField(null=True, blank=True, help_text="Footprint centre, degrees")
    radius = models.FloatField(
        null=True, blank=True, help_text="Centre to the farthest corner, degrees"
    )
    polygons = models.JSONField(
        default=list, help_text="Corners [[ra, dec], ...] of each convex part, degrees"
    )
    # Normalised header values (archive/keywords.py).
    object = models.CharField(max_length=100, blank=True, default="")
    object_key = models.CharField(max_length=100, blank=True, default="")
    band = models.CharField(max_length=100, blank=True, default="")
    instrument = models.CharField(max_length=100, blank=True, default="")
    telescope = models.CharField(max_length=100, blank=True, default="")
    date_obs = models.DateTimeField(null=True, blank=True, help_text="Start, UTC")
    exptime = models.FloatField(null=True, blank=True, help_text="Seconds")
    pixel_scale = models.FloatField(null=True, blank=True, help_text="Arcsec per pixel")
    bunit = models.CharField(max_length=100, blank=True, default="")

    class Meta:
        verbose_name = "image metadata"
        verbose_name_plural = "image metadata"
        indexes = [
            models.Index(fields=[name, "image"], name=f"archive_meta_{name}")
            for name in (
                "object_key", "band", "instrument", "telescope",
                "exptime", "pixel_scale", "bunit", "object",
            )
        ] + [
            # The default order (newest first) holds the filtered columns too: a
            # filtered first page is read from this index alone, without the rows.
            models.Index(
                fields=["date_obs", "image", "collection", *COVERED],
                name="archive_meta_date_cover",
            ),
            models.Index(fields=["collection", "image"], name="archive_meta_collection"),
        ]  # fmt: skip

    def __str__(self):
        return f"metadata of image {self.image_id}"


class SkyCell(models.Model):
    """A HEALPix cell (NESTED, NUNIQ ``4 * 4**order + pixel``) the footprint meets."""

    id = models.BigAutoField(primary_key=True)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="sky_cells")
    cell = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["cell", "image"], name="archive_cell_image")]

    def __str__(self):
        return f"cell {self.cell} of image {self.image_id}"


class SearchWord(models.Model):
    """A lower-case ASCII word of an image's title, object or file name."""

    id = models.BigAutoField(primary_key=True)
    image = models.ForeignKey(Image, on_delete=models.CASCADE, related_name="search_words")
    word = models.CharField(max_length=100)

    class Meta:
        indexes = [
            models.Index(fields=["word", "image"], name="archive_word_image"),
            # An image's own words, in order: whether it has a word of a prefix, asked
            # of each candidate of the other words, is read from this index alone.
            models.Index(fields=["image", "word"], name="archive_image_word"),
        ]

    def __str__(self):
        return f"{self.word!r} of image {self.image_id}"
