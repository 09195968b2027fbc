"""WebSocket routes of the login kinds (added to notifications' routes in
project/asgi.py):

- ws/jwt/notifications/?token=<jwt>      simplejwt access token; 4001 when
                                         invalid, expired, or on expiry
- ws/oauth/notifications/?token=<token>  django-oauth-toolkit access token
- ws/session/notifications/              the sessionid cookie, under
                                         AllowedHostsOriginValidator (403
                                         without the site's Origin) and
                                         AuthMiddlewareStack"""
from channels.auth import AuthMiddlewareStack
from channels.security.websocket import AllowedHostsOriginValidator
from django.urls import path

from notifications.consumers import NotificationConsumer

from .consumers import JwtNotificationConsumer, OAuthNotificationConsumer


class ForgetTokenUser:
    """The project's TokenAuthMiddleware put an AnonymousUser in the scope;
    AuthMiddlewareStack only fills a scope without one."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        scope = dict(scope)
        scope.pop("user", None)
        return await self.app(scope, receive, send)


websocket_urlpatterns = [
    path("ws/jwt/notifications/", JwtNotificationConsumer.as_asgi()),
    path("ws/oauth/notifications/", OAuthNotificationConsumer.as_asgi()),
    path(
        "ws/session/notifications/",
        AllowedHostsOriginValidator(ForgetTokenUser(AuthMiddlewareStack(NotificationConsumer.as_asgi()))),
    ),
]
