# From /work/shared/cases/protocols-10-websockets-process-request-429 (LIMIT added).
# python `websockets` (asyncio implementation) notification server that screens the upgrade in
# process_request, as its docs show:
#   - no/invalid ?token=            -> 401 + WWW-Authenticate + JSON body
#   - more than LIMIT upgrades per 60 s -> 429 Too Many Requests + Retry-After: 20 (per token)
#     (LIMIT: argv[2], default 2; 0 refuses every upgrade)
# After accepting, it closes each connection after 2 s with 1012 (service restart) to simulate
# a rolling deploy, so a client reconnects — and soon hits the rate limit.
import asyncio, sys, time, json
from http import HTTPStatus
from urllib.parse import urlparse, parse_qs
from websockets.asyncio.server import serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed

GOOD = "good-token-9d1e"
LIMIT = int(sys.argv[2]) if len(sys.argv) > 2 else 2
recent = {}

def process_request(connection, request):
    token = parse_qs(urlparse(request.path).query).get("token", [None])[0]
    if token != GOOD:
        r = connection.respond(HTTPStatus.UNAUTHORIZED, json.dumps({"error": "invalid_token"}) + "\n")
        r.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
        return r
    now = time.monotonic()
    hits = [t for t in recent.get(token, []) if now - t < 60]
    hits.append(now); recent[token] = hits
    if len(hits) > LIMIT:
        print("429 for", token[:6], "hits in 60 s:", len(hits), flush=True)
        r = connection.respond(HTTPStatus.TOO_MANY_REQUESTS, "Too many connections, retry later\n")
        r.headers["Retry-After"] = "20"
        return r
    return None

async def handler(ws):
    try:
        await ws.send('{"type":"notification"}')
        await asyncio.sleep(2)
        await ws.close(1012, "deploy")
    except ConnectionClosed:
        pass

async def main(port):
    async with serve(handler, "127.0.0.1", port, process_request=process_request):
        print("websockets listening", port, flush=True)
        await asyncio.Future()

asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8765))
