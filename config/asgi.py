"""ASGI entry point: HTTP (pages, admin, the Kubernetes API, static files) and WebSockets.

In the one-command server (`RECONCILER_MODE=embedded`, the default) the controllers run inside
this process, on daphne's event loop: they start with the first ASGI event (daphne has no
lifespan hook), and `manage.py serve` also starts them as soon as the reactor runs.
"""
import gc
import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.auth import AuthMiddlewareStack  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from controllers.worker import CHANNEL, ControllerWorker, start_embedded  # noqa: E402
from dashboard.routing import websocket_urlpatterns  # noqa: E402

router = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(django_asgi_app),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
        "channel": ChannelNameRouter({CHANNEL: ControllerWorker.as_asgi()}),
    }
)


_up = False


async def application(scope, receive, send):
    global _up
    if not _up:
        # The server is up: what exists now is its own long-lived state (modules, Django, the
        # app). Freezing it out of the garbage collector's scans keeps a full collection at
        # 5-25 ms instead of 100-230 ms (measured in the dashboard bench), a pause that would
        # stall every live frame and every controller pass of the process.
        _up = True
        gc.freeze()
    if settings.RECONCILER_MODE == "embedded" and scope["type"] != "channel":
        start_embedded()
    return await router(scope, receive, send)
