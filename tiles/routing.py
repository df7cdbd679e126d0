from django.urls import path

websocket_urlpatterns = [
    # /ws/images/<id>/ : progress of an image (tiles/consumers.py), see the warming issue.
]
