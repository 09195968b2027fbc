"""Sockets authenticated by what the login views hand out. Each joins the
user's `notifications_<id>` group, so POST /api/notifications/ reaches it.

- JwtNotificationConsumer (`?token=<simplejwt access token>`): an invalid or
  expired token is accepted and closed at once with 4001; an open socket is
  closed with 4001 when its token expires.
- OAuthNotificationConsumer (`?token=<oauth2 access token>`): the token's
  user, else its application's user; unknown or expired: closed with 4001.
- The session socket reuses notifications' NotificationConsumer behind
  AuthMiddlewareStack (the sessionid cookie), see routing.py."""
import asyncio
import hashlib
import time
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from notifications.consumers import NotificationConsumer


def query_token(scope):
    return (parse_qs(scope.get("query_string", b"").decode()).get("token") or [""])[0]


@database_sync_to_async
def active_user(user_id):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(pk=user_id).first()
    return user if user is not None and user.is_active else None


@database_sync_to_async
def oauth_user(raw):
    from oauth2_provider.models import AccessToken

    checksum = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    token = AccessToken.objects.select_related("user", "application__user").filter(token_checksum=checksum).first()
    if token is None or token.is_expired():
        return None
    user = token.user or (token.application.user if token.application else None)
    return user if user is not None and user.is_active else None


class UserSocket(NotificationConsumer):
    """NotificationConsumer with the user found by `authenticate()`."""

    async def authenticate(self):
        raise NotImplementedError

    async def connect(self):
        user = await self.authenticate()
        if user is None:
            # Accepted, then closed: a close code reaches the client
            # (a close before accept is Daphne's 403 without one).
            await self.accept()
            await self.close(code=4001)
            return
        self.scope["user"] = user
        await super().connect()


class JwtNotificationConsumer(UserSocket):
    async def authenticate(self):
        from rest_framework_simplejwt.exceptions import TokenError
        from rest_framework_simplejwt.tokens import AccessToken

        try:
            token = AccessToken(query_token(self.scope))
        except TokenError:
            return None
        self.expires = float(token["exp"])
        return await active_user(token["user_id"])

    async def connect(self):
        await super().connect()
        if getattr(self, "group", None):
            self.expiry = asyncio.ensure_future(self.close_at_expiry())

    async def close_at_expiry(self):
        await asyncio.sleep(max(self.expires - time.time(), 0))
        await self.close(code=4001)

    async def disconnect(self, code):
        expiry = getattr(self, "expiry", None)
        if expiry is not None:
            expiry.cancel()
        await super().disconnect(code)


class OAuthNotificationConsumer(UserSocket):
    async def authenticate(self):
        return await oauth_user(query_token(self.scope))
