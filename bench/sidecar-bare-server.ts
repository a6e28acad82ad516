// The baseline for the footprint benchmark: a bare Node HTTP server that answers /healthz,
// with nothing else loaded.

import { createServer } from 'node:http';

const port = Number(process.env.PORT);
createServer((request, response) => {
  const ok = request.url === '/healthz';
  response.writeHead(ok ? 200 : 404, { 'content-type': 'application/json' });
  response.end(ok ? '{"status":"ok"}' : '{"error":"not found"}');
}).listen(port, '127.0.0.1');
