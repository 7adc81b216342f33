"""ASGI entry point: HTTP through Django, WebSockets through channels (origin checked, refused
with "try again later" while the live channel does not deliver, then authenticated). `serving`
lets views hand live events to the server's loop without waiting for them."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from frontend.consumers import OfflineGuard  # noqa: E402
from frontend.routing import websocket_urlpatterns  # noqa: E402
from kernteam.events import serving  # noqa: E402

application = serving(
    ProtocolTypeRouter(
        {
            "http": django_asgi_app,
            "websocket": AllowedHostsOriginValidator(
                OfflineGuard(AuthMiddlewareStack(URLRouter(websocket_urlpatterns)))
            ),
        }
    )
)
