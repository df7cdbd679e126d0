"""fitsportal: the Django project and the core domain (collections, images, access)."""

from portal.celery import app as celery_app

__all__ = ["celery_app"]
