from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = "fitsportal"

    def ready(self):
        from django.conf import settings

        from portal import signals

        signals.connect()

        for directory in (settings.UPLOAD_ROOT, settings.CACHE_ROOT, settings.STATIC_ROOT):
            directory.mkdir(parents=True, exist_ok=True)
        (settings.UPLOAD_ROOT / ".incoming").mkdir(exist_ok=True)
