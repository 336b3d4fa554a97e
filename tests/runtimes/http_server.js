// A small Node.js HTTP server: answers every request with 1000 bytes.
//   node http_server.js PORT
'use strict';
const http = require('http');
const body = Buffer.alloc(1000, 'n');
http.createServer((req, res) => {
  res.writeHead(200, {'Content-Length': body.length});
  res.end(body);
}).listen(Number(process.argv[2]), '127.0.0.1');
