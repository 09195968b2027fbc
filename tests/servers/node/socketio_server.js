// A Socket.IO v4 notification hub (npm socket.io, pinned in package.json)
// for wsmon's protocol tests. Usage: node socketio_server.js PORT
// - pingInterval 1000 / pingTimeout 800: a client that does not answer the
//   Engine.IO ping `2` with `3` is dropped 1.8 s after open;
// - namespace "/" requires auth {token: "good-token"} (middleware
//   refusal → connect_error `44{"message":"not authorized"}`);
// - a "notification" event every 300 ms to each connected socket;
// - an "echo" event answered with "echoed" (for `wsmon send`).
const { createServer } = require('http');
const { Server } = require('socket.io');
const port = Number(process.argv[2] || 3000);
const http = createServer((req, res) => { res.writeHead(404); res.end('not found'); });
const io = new Server(http, { pingInterval: 1000, pingTimeout: 800 });
io.use((socket, next) => {
  const ok = socket.handshake.auth && socket.handshake.auth.token === 'good-token';
  console.log('auth', JSON.stringify(socket.handshake.auth), ok);
  next(ok ? undefined : new Error('not authorized'));
});
io.on('connection', (socket) => {
  console.log('connected', socket.id);
  let n = 0;
  const t = setInterval(() => socket.emit('notification', { n: n++, text: 'hello' }), 300);
  socket.on('echo', (data) => socket.emit('echoed', data));
  socket.on('disconnect', (reason) => { clearInterval(t); console.log('disconnect', socket.id, reason); });
});
http.listen(port, '127.0.0.1', () => console.log('socket.io listening on', port));
