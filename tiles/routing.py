from django.urls import path

from tiles.consumers import ImageProgressConsumer

websocket_urlpatterns = [
    path("ws/images/<int:image_id>/", ImageProgressConsumer.as_asgi()),
]
