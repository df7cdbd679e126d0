from django.apps import AppConfig
from django.db.models.signals import post_delete

from portal import events, housekeeping


class TilesConfig(AppConfig):
    name = "tiles"
    verbose_name = "tiles"

    def ready(self):
        """Subscribe to what the domain announces (``portal/events.py``): the domain
        never imports this app."""
        from portal.models import Image  # models are importable from here on
        from tiles import live, progress, tasks

        events.image_registered.connect(tasks.warm_registered, dispatch_uid="tiles-registered")
        events.warm_requested.connect(tasks.warm_requested, dispatch_uid="tiles-warm")
        events.image_changed.connect(tasks.image_changed, dispatch_uid="tiles-changed")
        events.image_state_changed.connect(progress.state_changed, dispatch_uid="tiles-state")
        post_delete.connect(tasks.image_deleted, sender=Image, dispatch_uid="tiles-deleted")
        # Image changes reach the live pages' sockets, from whichever process makes them.
        live.connect()
        # Half-built pyramids whose builder died go with the rest of the abandoned work.
        housekeeping.register("pyramids", tasks.clean_abandoned_work)
