"""REST API (DRF TokenAuthentication, header `Authorization: Token <key>`).

- GET  /api/notifications/  the user's notifications (the token check)
- POST /api/notifications/  {"message": "..."}: stores one for the token's
                            user and sends it to that user's open sockets
- POST /api/kick/           {"code": 4000, "reason": "..."}: the user's open
                            sockets close with that code (4000-4999).
                            Daphne 4.2 sends the code but drops the reason.
- POST /api/push/           {"enabled": false}: notifications are still
                            stored (201) but no longer sent to the sockets
                            (a broken delivery path, for the probe tests);
                            {"enabled": true} turns pushing back on.
- POST /api/broadcast/      {"message": "..."}: stores one for the token's
                            user and sends it to the ws/broadcast/ group,
                            which WRONGLY holds every user's socket (the
                            leak the isolation probe catches).

The channel layer is in memory, so these must run in the Daphne process
that holds the sockets: tests call them over HTTP on the same port."""
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from rest_framework.response import Response
from rest_framework.views import APIView

from .consumers import BROADCAST_GROUP, group_name
from .models import Notification

# Whether POST /api/notifications/ pushes to the sockets (per process).
PUSH = {"enabled": True}


class NotificationList(APIView):
    def get(self, request):
        rows = Notification.objects.filter(user=request.user).order_by("-id")[:50]
        return Response([{"id": n.id, "message": n.message} for n in rows])

    def post(self, request):
        message = str(request.data.get("message", ""))
        n = Notification.objects.create(user=request.user, message=message)
        if not PUSH["enabled"]:
            return Response({"id": n.id, "message": message, "pushed": False}, status=201)
        async_to_sync(get_channel_layer().group_send)(
            group_name(request.user.id), {"type": "notify", "id": n.id, "message": message}
        )
        return Response({"id": n.id, "message": message}, status=201)


class Kick(APIView):
    def post(self, request):
        try:
            code = int(request.data.get("code", 4000))
        except (TypeError, ValueError):
            code = 0
        if not 4000 <= code <= 4999:
            return Response({"detail": "code must be 4000-4999"}, status=400)
        reason = str(request.data.get("reason", "kicked"))
        async_to_sync(get_channel_layer().group_send)(
            group_name(request.user.id), {"type": "kick", "code": code, "reason": reason}
        )
        return Response({"code": code, "reason": reason})


class Push(APIView):
    def post(self, request):
        PUSH["enabled"] = bool(request.data.get("enabled", True))
        return Response({"enabled": PUSH["enabled"]})


class Broadcast(APIView):
    def post(self, request):
        message = str(request.data.get("message", ""))
        n = Notification.objects.create(user=request.user, message=message)
        async_to_sync(get_channel_layer().group_send)(
            BROADCAST_GROUP, {"type": "notify", "id": n.id, "message": message}
        )
        return Response({"id": n.id, "message": message}, status=201)
