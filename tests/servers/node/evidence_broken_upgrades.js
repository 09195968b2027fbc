// Upgrades that go wrong after the status line, for tests/evidence_real.rs.
// Node's own http server, writing the answers by hand (as broken servers and
// proxies do):
//   /after-101      101 Switching Protocols, then an HTTP error page on the
//                   upgraded socket (not a WebSocket frame)
//   /no-subprotocol 101 without Sec-WebSocket-Protocol although the client
//                   offered one
// Usage: node evidence_broken_upgrades.js PORT
const http = require('http');
const crypto = require('crypto');
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
server.on('upgrade', (req, socket) => {
  const accept = crypto.createHash('sha1').update(req.headers['sec-websocket-key'] + GUID).digest('base64');
  const head = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\n\r\n`;
  console.log('upgrade', req.url, req.headers['sec-websocket-protocol'] || '-');
  if (req.url.startsWith('/after-101')) {
    socket.end(head + 'HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\n\r\nboom');
  } else if (req.url.startsWith('/no-subprotocol')) {
    socket.write(head);
    setTimeout(() => socket.destroy(), 2000);
  } else {
    socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
  }
});
server.listen(Number(process.argv[2] || 8080), '127.0.0.1', () => console.log('listening'));
