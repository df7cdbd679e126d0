"""Progress events of an image, sent to the channel-layer group ``image-<id>``.

Events are JSON-ready dicts with a ``type``: ``state`` (state, reason, progress),
``progress`` (stage, level, done, total, percent), ``level`` (a pyramid level is complete:
clients refresh its tiles). Senders are synchronous (tasks); ``ProgressReporter`` throttles
the per-tile callbacks of the engine to a few events a second.
"""

import asyncio
import logging
import time

from asgiref.sync import async_to_sync
from channels.layers import InMemoryChannelLayer, get_channel_layer

log = logging.getLogger("fitsportal.progress")

# The in-memory layer lives in the server's event loop and is not thread-safe: events
# from the embedded worker thread are handed to that loop (bound by the first socket).
_server_loop = None


def group_name(image_id):
    return f"image-{image_id}"


def bind_loop(loop):
    global _server_loop
    _server_loop = loop


def publish(image_id, event):
    """Send ``event`` to everyone watching image ``image_id``; never raises."""
    send(group_name(image_id), {"type": "image.event", "event": event})


def send(group, message):
    """``group_send`` from synchronous code, whatever the layer; never raises: what the
    sockets hear is advisory, the work that announces it must go on. Also the live pages'
    sender (``tiles/live.py``)."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        if isinstance(layer, InMemoryChannelLayer):
            loop = _server_loop
            if loop is None or loop.is_closed():
                return  # nobody has ever listened in this process
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                loop.create_task(layer.group_send(group, message))
            else:
                asyncio.run_coroutine_threadsafe(layer.group_send(group, message), loop).result(
                    timeout=5
                )
        else:
            async_to_sync(layer.group_send)(group, message)
    except Exception:
        log.warning("could not send to the sockets of %s", group, exc_info=True)


def state_event(image):
    return {
        "type": "state",
        "image": image.pk,
        "state": image.state,
        "reason": image.state_reason,
        "progress": round(image.progress, 4),
        "version": image.version,
    }


def publish_state(image):
    publish(image.pk, state_event(image))


def state_changed(sender, image, **kwargs):
    """``image_state_changed`` (``portal/events.py``): tell whoever watches the image."""
    publish_state(image)


class ProgressReporter:
    """The engine's ``progress(level, done, total)`` callback, throttled.

    Sends at most one ``progress`` event per ``interval`` seconds, every ``level`` event
    (a finished level), and saves the fraction done on the image now and then.
    """

    def __init__(self, image, interval=0.25, save_interval=1.0, clock=time.monotonic):
        self.image = image
        self.interval = interval
        self.save_interval = save_interval
        self.clock = clock
        self.last_sent = self.last_saved = float("-inf")

    def __call__(self, level, done, total):
        now = self.clock()
        fraction = done / total if total else 1.0
        finished = done >= total
        if finished or now - self.last_sent >= self.interval:
            self.last_sent = now
            publish(self.image.pk, {
                "type": "progress", "image": self.image.pk, "stage": "pyramid",
                "level": level, "done": done, "total": total,
                "percent": round(100.0 * fraction, 1),
            })  # fmt: skip
        if finished:
            publish(self.image.pk, {"type": "level", "image": self.image.pk, "level": level})
        if finished or now - self.last_saved >= self.save_interval:
            self.last_saved = now
            self.image.progress = fraction
            self.image.save_fields(progress=fraction)
