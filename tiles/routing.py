from django.urls import path

from tiles.consumers import CollectionConsumer, ImageProgressConsumer, SearchConsumer

websocket_urlpatterns = [
    path("ws/images/<int:image_id>/", ImageProgressConsumer.as_asgi()),
    path("ws/collections/<int:collection_id>/", CollectionConsumer.as_asgi()),
    path("ws/search/", SearchConsumer.as_asgi()),
]
