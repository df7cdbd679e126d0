"""The Celery application: `celery -A portal worker` when a broker (REDIS_URL) is set.

Without a broker, tasks are queued to a worker thread inside the server process
(portal/jobs.py), so the demo needs no server to install.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

app = Celery("portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
