"""A tiny notification server on python `websockets` (the library under uvicorn/FastAPI),
used by tests/patterns_nginx.rs behind a real nginx (copied from the case
proxy-03-nginx-idle-read-timeout).

Run:  python patterns_quiet_ws.py PORT
WS    /ws/notifications/?token=TOKEN  accepted and then quiet (no messages) unless
                                       NOTIFY_EVERY (env, seconds) > 0; bad token -> 403;
                                       a frame that is not JSON -> close 1008.
HTTP  GET /api/notifications/          200 with "Authorization: Token TOKEN", 401 otherwise.
Keepalive: websockets' default (the server pings every 20 s); env SERVER_PING=none turns
the server's pings off (a server that never pings), SERVER_PING=N sets N seconds.
"""
import asyncio
import http
import json
import os
import sys
from urllib.parse import urlsplit, parse_qs

from websockets.asyncio.server import serve

TOKEN = "3f1c9a7e5b2d4c6a8e0f1b3d5c7a9e1f2b4d6c8a"
NOTIFY_EVERY = float(os.environ.get("NOTIFY_EVERY", "0"))
_ping = os.environ.get("SERVER_PING", "20")
PING_INTERVAL = None if _ping.lower() == "none" else float(_ping)


def process_request(connection, request):
    url = urlsplit(request.path)
    if url.path.startswith("/api/"):
        if request.headers.get("Authorization") == "Token " + TOKEN:
            r = connection.respond(http.HTTPStatus.OK, json.dumps({"results": []}) + "\n")
        else:
            r = connection.respond(http.HTTPStatus.UNAUTHORIZED, json.dumps({"detail": "Invalid token."}) + "\n")
        r.headers["Content-Type"] = "application/json"
        return r
    if url.path != "/ws/notifications/":
        return connection.respond(http.HTTPStatus.NOT_FOUND, "Not Found\n")
    if parse_qs(url.query).get("token", [""])[0] != TOKEN:
        return connection.respond(http.HTTPStatus.FORBIDDEN, "Forbidden\n")
    return None


async def handler(ws):
    n = 0
    if NOTIFY_EVERY > 0:
        while True:
            await asyncio.sleep(NOTIFY_EVERY)
            n += 1
            await ws.send(json.dumps({"type": "notification", "id": n}))
    # What clients send must be JSON: anything else is refused with 1008
    # (the frame wsmon sent is what a close-after-sent diagnosis quotes).
    async for message in ws:
        try:
            json.loads(message)
        except ValueError:
            await ws.close(1008, "expected JSON")
            return


async def main(port):
    async with serve(handler, "127.0.0.1", port, process_request=process_request,
                     ping_interval=PING_INTERVAL) as server:
        print(f"websockets server on 127.0.0.1:{port}, server ping every {PING_INTERVAL} s", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
