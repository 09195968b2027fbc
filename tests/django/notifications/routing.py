"""WebSocket routes.

- ws/notifications/          the notification socket (token in ?token=)
- ws/strict/notifications/   the same consumer behind AllowedHostsOriginValidator:
                             no Origin header (or a foreign one) → 403, even
                             with a valid token
- ws/crash/                  connect() raises → 500
- ws/broadcast/              WRONG on purpose: every user's socket is in one
                             group, so a user's notification reaches all users
Any other path: URLRouter raises "No route found" → 500."""
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from .consumers import BroadcastConsumer, CrashConsumer, NotificationConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/strict/notifications/", AllowedHostsOriginValidator(NotificationConsumer.as_asgi())),
    path("ws/crash/", CrashConsumer.as_asgi()),
    path("ws/broadcast/", BroadcastConsumer.as_asgi()),
]
