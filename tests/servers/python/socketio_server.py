"""A python-socketio (ASGI, under uvicorn with wsproto) notification hub for
wsmon's protocol tests. Usage: socketio_server.py PORT

pingInterval 1 s / pingTimeout 1 s; namespace "/" refuses a CONNECT
without auth {"token": "good-token"} (connect_error "not authorized"); a
"notification" event every 300 ms to each connected client."""
import asyncio
import sys

import socketio
import uvicorn

sio = socketio.AsyncServer(async_mode="asgi", ping_interval=1, ping_timeout=1)
app = socketio.ASGIApp(sio)
tasks = {}


@sio.event
async def connect(sid, environ, auth):
    ok = isinstance(auth, dict) and auth.get("token") == "good-token"
    print("connect", sid, auth, ok, flush=True)
    if not ok:
        raise socketio.exceptions.ConnectionRefusedError("not authorized")

    async def tick():
        n = 0
        while True:
            await asyncio.sleep(0.3)
            await sio.emit("notification", {"n": n, "text": "hello"}, to=sid)
            n += 1

    tasks[sid] = asyncio.create_task(tick())


@sio.event
async def disconnect(sid, *args):
    print("disconnect", sid, args, flush=True)
    task = tasks.pop(sid, None)
    if task:
        task.cancel()


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), ws="wsproto", log_level="info")
