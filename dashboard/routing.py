"""WebSocket routes: `/ws/<page path>` streams the live regions of the page at `<page path>`."""
from django.urls import re_path

from dashboard.consumers import PageConsumer

websocket_urlpatterns = [
    re_path(r"^ws/(?P<path>c/[-\w]+/.*)$", PageConsumer.as_asgi()),
]
