"""FastAPI notification socket, served by a *minimal* uvicorn install
(`pip install uvicorn fastapi`: no websockets, no wsproto).

  python -m uvicorn --host 127.0.0.1 --port PORT --app-dir tests/servers/python evidence_fastapi_app:app

(From /work/shared/cases/apps-04-uvicorn-no-websocket-library; tests/evidence_real.rs runs it.)
"""
from fastapi import FastAPI, Header, HTTPException, WebSocket

app = FastAPI()
TOKENS = {"aec8e0e9a0b3d8637b8926a5adffb44e487330ec": "sandra"}


@app.get("/api/me/")
def me(authorization: str = Header(default="")):
    scheme, _, key = authorization.partition(" ")
    if scheme != "Bearer" or key not in TOKENS:
        raise HTTPException(status_code=401, detail="Invalid token.")
    return {"username": TOKENS[key]}


@app.websocket("/ws/notifications/")
async def notifications(websocket: WebSocket, token: str = ""):
    user = TOKENS.get(token)
    if user is None:
        await websocket.close(code=1008)
        return
    await websocket.accept()
    await websocket.send_json({"type": "hello", "user": user})
    while True:
        await websocket.receive_text()
