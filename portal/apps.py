from django.apps import AppConfig
from django.conf import settings


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "fitsportal"

    def ready(self):
        from portal import signals  # it imports the models: loaded by now, not before

        signals.connect()

        for directory in (settings.UPLOAD_ROOT, settings.CACHE_ROOT, settings.STATIC_ROOT):
            directory.mkdir(parents=True, exist_ok=True)
        (settings.UPLOAD_ROOT / ".incoming").mkdir(exist_ok=True)
