"""The ASGI entry point: HTTP (Django) and WebSocket (Channels) in one process."""

import logging
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
django_http = get_asgi_application()

from asgiref.sync import sync_to_async  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402  (needs Django set up)
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from catalogs import tasks as catalog_tasks  # noqa: E402
from portal import housekeeping, jobs, runfile  # noqa: E402
from portal.body_limits import BodyLimit  # noqa: E402
from tiles import tasks as tile_tasks  # noqa: E402
from tiles.fastpath import TileFastPath  # noqa: E402
from tiles.routing import websocket_urlpatterns  # noqa: E402

log = logging.getLogger("fitsportal.server")


async def lifespan(scope, receive, send):
    """Server start and stop. What interrupted work left behind is removed at start and
    then periodically (``portal.housekeeping``). Embedded, the task queue lives in the
    server's memory: the warms and catalog imports it held when the server last stopped
    are queued again."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            runfile.write_when_listening(settings.VAR_DIR)
            await sync_to_async(housekeeping.clean_up_safely)()
            housekeeping.start_periodic()
            if jobs.embedded():
                await _resume(tile_tasks, "warming again %d image(s) left unfinished")
                await _resume(catalog_tasks, "importing again %d catalog(s) left unfinished")
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            housekeeping.stop_periodic()
            runfile.remove(settings.VAR_DIR)
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _resume(tasks, message):
    try:
        resumed = await sync_to_async(tasks.resume_interrupted)(include_pending=True)
        if resumed:
            log.warning(message, len(resumed))
    except Exception:  # serving must start anyway; `manage.py warm_images` remains
        log.exception("could not look for interrupted work")


application = ProtocolTypeRouter(
    {
        "http": TileFastPath(BodyLimit(django_http)),
        "lifespan": lifespan,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)
