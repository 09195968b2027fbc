// A GraphQL-over-WebSocket server (npm graphql-ws, protocol
// graphql-transport-ws, on the `ws` server bundled with it... see below)
// for wsmon's protocol tests. Usage: node graphql_server.js PORT
// - path /graphql; offer subprotocol graphql-transport-ws or get 4406;
// - connection_init within 1 s (connectionInitWaitTimeout) or 4408;
// - onConnect accepts payload {token: "good-token"}, else 4403 Forbidden;
// - the server pings every 500 ms (keepAlive) and expects pongs;
// - subscription `notifications` yields {n, text} every 200 ms.
const { WebSocketServer } = require('ws');
const { useServer } = require('graphql-ws/use/ws');
const { buildSchema } = require('graphql');
const port = Number(process.argv[2] || 4000);
const schema = buildSchema(`
  type Note { n: Int, text: String }
  type Query { hello: String }
  type Subscription { notifications: Note }
`);
const roots = {
  query: { hello: () => 'world' },
  subscription: {
    notifications: async function* () {
      for (let n = 0; ; n++) {
        await new Promise((r) => setTimeout(r, 200));
        yield { notifications: { n, text: 'hello' } };
      }
    },
  },
};
const wss = new WebSocketServer({ host: '127.0.0.1', port, path: '/graphql' });
useServer({
  schema, roots,
  connectionInitWaitTimeout: 1000,
  keepAlive: 500,
  onConnect: (ctx) => {
    const ok = !!ctx.connectionParams && ctx.connectionParams.token === 'good-token';
    console.log('connection_init, token ok:', ok);
    return ok;
  },
  onClose: (ctx, code, reason) => console.log('close', code, String(reason)),
}, wss);
wss.on('listening', () => console.log('graphql-ws listening', port));
