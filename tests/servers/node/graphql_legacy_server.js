// The legacy GraphQL subscriptions server (npm subscriptions-transport-ws,
// subprotocol "graphql-ws") for wsmon's protocol tests.
// Usage: node graphql_legacy_server.js PORT
// - path /graphql; keepAlive `ka` every 500 ms;
// - onConnect refuses a payload without {token: "good-token"}
//   (connection_error, then the server closes);
// - subscription `notifications` yields {n, text} every 200 ms.
const { createServer } = require('http');
const { SubscriptionServer } = require('subscriptions-transport-ws');
const { buildSchema, execute, subscribe } = require('graphql');
const port = Number(process.argv[2] || 4001);
const schema = buildSchema(`
  type Note { n: Int, text: String }
  type Query { hello: String }
  type Subscription { notifications: Note }
`);
const rootValue = {
  hello: () => 'world',
  notifications: async function* () {
    for (let n = 0; ; n++) {
      await new Promise((r) => setTimeout(r, 200));
      yield { notifications: { n, text: 'hello' } };
    }
  },
};
const http = createServer((req, res) => { res.writeHead(404); res.end(); });
SubscriptionServer.create({
  schema, rootValue, execute, subscribe,
  keepAlive: 500,
  onConnect: (params) => {
    const ok = !!params && params.token === 'good-token';
    console.log('connection_init, token ok:', ok);
    if (!ok) throw new Error('invalid token');
    return {};
  },
}, { server: http, path: '/graphql' });
http.listen(port, '127.0.0.1', () => console.log('subscriptions-transport-ws listening', port));
