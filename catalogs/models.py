"""Catalogs: sets of GeoJSON features (sources, regions, annotations) in a collection.

Each feature is a row with its sky position in indexed columns (``ra``, ``dec`` in
degrees, ICRS; ``ra`` in [0, 360)), so that a bounding-box or cone query over hundreds of
thousands of features is an index range scan, not a scan of one JSON document. Features
drawn in pixel coordinates of one image (ds9 ``image`` regions) keep ``frame = image`` and
FITS 1-based pixel positions in ``x``/``y``; their catalog names that image.

A catalog is visible to whoever may view its collection (portal/permissions.py).
A file import runs in the background (catalogs/tasks.py): the catalog is ``pending``,
then ``importing`` (``progress`` in [0, 1]), and ends ``ready`` or ``failed`` with the
reason in ``state_reason``. Only a ``ready`` catalog's features are ever served.
"""

from django.conf import settings
from django.db import models

from portal.models import Collection, Image


class CatalogQuerySet(models.QuerySet):
    def visible_to(self, user):
        return self.filter(collection__in=Collection.objects.visible_to(user))


class Catalog(models.Model):
    PENDING, IMPORTING, READY, FAILED = "pending", "importing", "ready", "failed"
    STATE_CHOICES = [(s, s.title()) for s in (PENDING, IMPORTING, READY, FAILED)]
    SOURCES, REGIONS, ANNOTATIONS = "sources", "regions", "annotations"
    KIND_CHOICES = [
        (SOURCES, "Source catalog"),
        (REGIONS, "Region file"),
        (ANNOTATIONS, "Team annotations"),
    ]

    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="catalogs")
    images = models.ManyToManyField(Image, blank=True, related_name="catalogs")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    kind = models.CharField(max_length=12, choices=KIND_CHOICES, default=SOURCES)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    source_name = models.CharField(max_length=255, blank=True, help_text="Imported file name")
    style = models.JSONField(
        default=dict,
        blank=True,
        help_text="Display style: color, marker (circle/square/cross/...), size, label property",
    )
    feature_count = models.PositiveIntegerField(default=0)
    state = models.CharField(max_length=10, choices=STATE_CHOICES, default=READY)
    state_reason = models.TextField(blank=True)
    progress = models.FloatField(default=1.0, help_text="Fraction of the import done")
    warnings = models.JSONField(default=list, blank=True, help_text="Lines left out")
    import_options = models.JSONField(
        default=dict, blank=True, help_text="format, ra_column, dec_column of the import"
    )
    # Bounding box of the sky features (degrees); ra_min > ra_max when it crosses RA 0.
    ra_min = models.FloatField(null=True, blank=True)
    ra_max = models.FloatField(null=True, blank=True)
    dec_min = models.FloatField(null=True, blank=True)
    dec_max = models.FloatField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = CatalogQuerySet.as_manager()

    class Meta:
        ordering = ["collection", "name", "id"]

    def __str__(self):
        return self.name

    @property
    def ready(self):
        return self.state == self.READY


class Feature(models.Model):
    SKY, IMAGE = "sky", "image"

    catalog = models.ForeignKey(Catalog, on_delete=models.CASCADE, related_name="features")
    frame = models.CharField(max_length=5, default=SKY)
    ra = models.FloatField(null=True, blank=True)
    dec = models.FloatField(null=True, blank=True)
    x = models.FloatField(null=True, blank=True, help_text="FITS pixel, 1-based (image frame)")
    y = models.FloatField(null=True, blank=True, help_text="FITS pixel, 1-based (image frame)")
    geometry = models.JSONField()
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["catalog", "dec", "ra"], name="feature_sky_idx"),
            models.Index(fields=["catalog", "y", "x"], name="feature_pixel_idx"),
        ]

    def __str__(self):
        return f"{self.catalog_id}:{self.pk}"

    def as_geojson(self):
        return {
            "type": "Feature",
            "id": self.pk,
            "geometry": self.geometry,
            "properties": self.properties,
        }
