"""The seed's TokenAuthMiddleware: reads the DRF token from `?token=` (a
browser cannot send an Authorization header on a WebSocket) and puts the
user in scope["user"]; AnonymousUser for a missing or unknown token or an
inactive user."""
from urllib.parse import parse_qs

from channels.db import database_sync_to_async
from django.contrib.auth.models import AnonymousUser


@database_sync_to_async
def user_for(key):
    from rest_framework.authtoken.models import Token

    try:
        user = Token.objects.select_related("user").get(key=key).user
    except Token.DoesNotExist:
        return AnonymousUser()
    return user if user.is_active else AnonymousUser()


class TokenAuthMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        query = parse_qs(scope.get("query_string", b"").decode())
        key = (query.get("token") or [""])[0]
        scope["user"] = await user_for(key) if key else AnonymousUser()
        return await self.app(scope, receive, send)
