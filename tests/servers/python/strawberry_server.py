"""A strawberry-graphql server (ASGI, under uvicorn) for wsmon's protocol tests.

Usage: python strawberry_server.py PORT
- path /graphql, subprotocol graphql-transport-ws only;
- on_ws_connect accepts init_payload {"token": "good-token"}, else raises
  ConnectionRejectionError: strawberry closes with 4403 Forbidden;
- subscription `notifications` yields {n, text} every 300 ms.
"""

import asyncio
import sys
from typing import AsyncGenerator

import strawberry
import uvicorn
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL


@strawberry.type
class Note:
    n: int
    text: str


@strawberry.type
class Query:
    hello: str = "world"


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def notifications(self) -> AsyncGenerator[Note, None]:
        n = 0
        while True:
            await asyncio.sleep(0.3)
            yield Note(n=n, text="hello")
            n += 1


class App(GraphQL):
    async def on_ws_connect(self, context):
        params = context.get("connection_params") or {}
        ok = isinstance(params, dict) and params.get("token") == "good-token"
        print("connection_init, token ok:", ok, flush=True)
        if not ok:
            raise ConnectionRejectionError()
        return await super().on_ws_connect(context)


schema = strawberry.Schema(query=Query, subscription=Subscription)
graphql = App(schema, subscription_protocols=[GRAPHQL_TRANSPORT_WS_PROTOCOL])


async def app(scope, receive, send):
    """Only /graphql is served: anything else is a plain 404."""
    if scope["type"] in ("http", "websocket") and scope.get("path") == "/graphql":
        await graphql(scope, receive, send)
    elif scope["type"] == "http":
        await send({"type": "http.response.start", "status": 404, "headers": []})
        await send({"type": "http.response.body", "body": b""})
    elif scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1008})


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 4002
    uvicorn.run(app, host="127.0.0.1", port=port, ws="websockets-sansio", log_level="info")
