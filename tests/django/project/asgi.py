"""ASGI entry point, in the shape of the seed's enhancefund/asgi.py:
HTTP goes to Django, WebSocket through TokenAuthMiddleware to the
URLRouter of notifications/routing.py."""
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")

from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from notifications.middleware import TokenAuthMiddleware  # noqa: E402
from notifications.routing import websocket_urlpatterns  # noqa: E402
from accounts.routing import websocket_urlpatterns as login_patterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": TokenAuthMiddleware(URLRouter(websocket_urlpatterns + login_patterns)),
    }
)
