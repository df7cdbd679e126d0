from django.apps import AppConfig


class ArchiveConfig(AppConfig):
    name = "archive"
    verbose_name = "archive search"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from django.db.models.signals import post_save

        from archive import indexing
        from portal.models import Image

        post_save.connect(indexing.image_saved, sender=Image, dispatch_uid="archive-index-image")
