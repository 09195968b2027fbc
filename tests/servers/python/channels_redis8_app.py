"""(tests/patterns_channels.rs; copied from the case apps-09-channels-redis-py8-1011-churn)
Tiny Django Channels notification hub on the channels_redis layer, with
Redis healthy. With redis-py 8 (socket_timeout defaults to 5 s) and
channels_redis 4.3.0 (blocking BZPOPMIN of 5 s), every idle consumer dies
with redis.exceptions.TimeoutError and Daphne closes the socket with 1011.

  REDIS_PORT=PORT2 daphne -b 127.0.0.1 -p PORT app:application
  REDIS_SOCKET_TIMEOUT=none  -> the fix (no client-side read timeout)
"""
import json
import os
from urllib.parse import parse_qs

from django.conf import settings

REDIS_PORT = int(os.environ.get("REDIS_PORT", "6379"))
HOST = {"host": "127.0.0.1", "port": REDIS_PORT}
if os.environ.get("REDIS_SOCKET_TIMEOUT"):  # the fix: longer than brpop_timeout, or none
    t = os.environ["REDIS_SOCKET_TIMEOUT"]
    HOST["socket_timeout"] = None if t == "none" else float(t)

settings.configure(
    DEBUG=False,
    SECRET_KEY="case-09-not-secret",
    ALLOWED_HOSTS=["127.0.0.1", "localhost"],
    ROOT_URLCONF=__name__,
    INSTALLED_APPS=["daphne", "channels"],
    MIDDLEWARE=[],
    CHANNEL_LAYERS={
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [HOST]},
        }
    },
)

import django  # noqa: E402

django.setup()

from asgiref.sync import async_to_sync  # noqa: E402
from channels.generic.websocket import AsyncJsonWebsocketConsumer  # noqa: E402
from channels.layers import get_channel_layer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402
from django.http import JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402
from django.views.decorators.csrf import csrf_exempt  # noqa: E402

TOKENS = {"aec8e0e9a0b3d8637b8926a5adffb44e487330ec": "sandra"}


def _user(request):
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    return TOKENS.get(key) if scheme == "Token" else None


@csrf_exempt
def notifications(request):
    user = _user(request)
    if user is None:
        return JsonResponse({"detail": "Invalid token."}, status=401)
    if request.method == "POST":
        body = json.loads(request.body or b"{}")
        # Raises (-> 500) when Redis is unreachable.
        async_to_sync(get_channel_layer().group_send)(
            f"user-{user}", {"type": "notify", "message": body.get("message", "")}
        )
        return JsonResponse({"queued": True}, status=201)
    return JsonResponse({"results": []})


urlpatterns = [path("api/notifications/", notifications)]


class Notifications(AsyncJsonWebsocketConsumer):
    async def connect(self):
        qs = parse_qs(self.scope["query_string"].decode())
        self.user = TOKENS.get((qs.get("token") or [""])[0])
        if self.user is None:
            await self.close()
            return
        # The tutorial order: join the group first, then accept.
        await self.channel_layer.group_add(f"user-{self.user}", self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello", "user": self.user})

    async def disconnect(self, code):
        if getattr(self, "user", None):
            await self.channel_layer.group_discard(f"user-{self.user}", self.channel_name)

    async def notify(self, event):
        await self.send_json({"type": "notification", "message": event["message"]})


class Slow(AsyncJsonWebsocketConsumer):
    """Never accepts in time: Daphne drops the handshake after its
    --websocket_connect_timeout (5 s by default)."""

    async def connect(self):
        import asyncio

        await asyncio.sleep(60)


application = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": URLRouter(
            [
                path("ws/notifications/", Notifications.as_asgi()),
                path("ws/slow/", Slow.as_asgi()),
            ]
        ),
    }
)
