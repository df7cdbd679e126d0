from django.apps import AppConfig
from django.conf import settings

from portal import housekeeping


class CatalogsConfig(AppConfig):
    name = "catalogs"
    verbose_name = "catalogs"

    def ready(self):
        """Stored catalog files whose import will never run are removed with the rest of
        the abandoned uploads (``portal/housekeeping.py``)."""
        from catalogs import uploads  # models are importable from here on

        housekeeping.register(
            "catalogs",
            lambda: len(
                housekeeping.remove_files(
                    uploads.abandoned_files(older_than=settings.INCOMING_MAX_AGE)
                )
            ),
        )
