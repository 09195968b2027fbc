"""WebSocket consumers.

NotificationConsumer closes before accept() for an anonymous user, which
Daphne answers with HTTP 403. Accepted sockets join the group
`notifications_<user id>`; the REST views send to that group:
`notify` → a JSON text message, `kick` → close with the given code."""
import json

from channels.generic.websocket import AsyncWebsocketConsumer


def group_name(user_id):
    return f"notifications_{user_id}"


class NotificationConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close()
            return
        self.group = group_name(user.id)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def notify(self, event):
        await self.send(text_data=json.dumps({"type": "notification", "id": event["id"], "message": event["message"]}))

    async def kick(self, event):
        await self.close(code=event["code"], reason=event["reason"])


class CrashConsumer(AsyncWebsocketConsumer):
    """A consumer whose connect() raises: Daphne answers HTTP 500."""

    async def connect(self):
        raise RuntimeError("connect() crashed on purpose (wsmon test)")


# The one group every user's broadcast socket joins: the bug the isolation
# probe exists to catch (a notification for one user reaches everyone).
BROADCAST_GROUP = "broadcast_everyone"


class BroadcastConsumer(NotificationConsumer):
    """A WRONG notification socket, on purpose: an authenticated user's
    socket joins a group shared by all users, so what POST /api/broadcast/
    sends for one user arrives on every user's socket."""

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close()
            return
        self.group = BROADCAST_GROUP
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
