"""WebSocket ``/ws/images/<id>/``: the state of an image, then its live events."""

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from portal import permissions
from portal.models import Image
from tiles import progress

# Close codes (4000-4999 are the application's): the client shows the reason.
CLOSE_NOT_FOUND = 4404
STATE_POLL_SECONDS = 2.0


class ImageProgressConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        progress.bind_loop(asyncio.get_running_loop())
        self.group = None
        image_id = self.scope["url_route"]["kwargs"]["image_id"]
        image = await database_sync_to_async(permissions.viewable_image)(
            self.scope.get("user"), image_id
        )
        await self.accept()
        if image is None:
            await self.send_json({"type": "error", "detail": "Not found."})
            await self.close(code=CLOSE_NOT_FOUND)
            return
        self.group = progress.group_name(image.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        self.last = progress.state_event(image)
        await self.send_json(self.last)
        self.watch = asyncio.create_task(self.watch_state(image.pk))

    async def watch_state(self, image_id):
        """Events can be missed (work done by a process without the channel layer, a
        restart): until the image is ready or failed, the stored state is checked too."""
        while self.last["state"] not in (Image.READY, Image.FAILED):
            await asyncio.sleep(STATE_POLL_SECONDS)
            image = await Image.objects.filter(pk=image_id).afirst()
            if image is None:
                return
            state = progress.state_event(image)
            if (state["state"], state["progress"]) != (self.last["state"], self.last["progress"]):
                self.last = state
                await self.send_json(state)

    async def disconnect(self, code):
        if getattr(self, "watch", None):
            self.watch.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive_json(self, content, **kwargs):
        """Clients only listen; a ``{"type": "state"}`` message asks for the state again."""
        if isinstance(content, dict) and content.get("type") == "state" and self.group:
            image_id = self.scope["url_route"]["kwargs"]["image_id"]
            image = await database_sync_to_async(permissions.viewable_image)(
                self.scope.get("user"), image_id
            )
            if image is not None:
                await self.send_json(progress.state_event(image))

    async def image_event(self, message):
        event = message["event"]
        if event.get("type") == "state":
            self.last = event
        await self.send_json(event)
