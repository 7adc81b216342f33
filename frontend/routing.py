from django.urls import path

from frontend.consumers import BoardConsumer

websocket_urlpatterns = [
    path("ws/teams/<slug:slug>/board/", BoardConsumer.as_asgi()),
]
