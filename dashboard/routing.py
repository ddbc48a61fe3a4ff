"""WebSocket routes (the live pages)."""

websocket_urlpatterns: list = []
