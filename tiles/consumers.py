"""WebSocket ``/ws/images/<id>/``: the state of an image, then its live events."""

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from portal import permissions
from tiles import progress

# Close codes (4000-4999 are the application's): the client shows the reason.
CLOSE_NOT_FOUND = 4404


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
        await self.send_json(progress.state_event(image))

    async def disconnect(self, code):
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
        await self.send_json(message["event"])
