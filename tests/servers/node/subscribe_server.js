// A home-made "subscribe first" notification socket on node `ws` (the
// version socket.io's engine.io installs) for wsmon's on_open tests.
// Usage: node subscribe_server.js PORT
// Nothing is pushed until the client sends {"action":"subscribe","topic":T};
// the answer is {"status":"subscribed","topic":T}, then {"topic":T,"n":…}
// every 200 ms.
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2] || 4100);
const wss = new WebSocketServer({ host: '127.0.0.1', port });
wss.on('connection', (socket) => {
  let timer = null;
  socket.on('message', (data) => {
    let msg = {};
    try { msg = JSON.parse(String(data)); } catch (e) { socket.send('{"error":"bad json"}'); return; }
    if (msg.action === 'subscribe' && !timer) {
      socket.send(JSON.stringify({ status: 'subscribed', topic: msg.topic }));
      let n = 0;
      timer = setInterval(() => socket.send(JSON.stringify({ topic: msg.topic, n: n++ })), 200);
    }
  });
  socket.on('close', () => timer && clearInterval(timer));
});
wss.on('listening', () => console.log('subscribe server listening', port));
