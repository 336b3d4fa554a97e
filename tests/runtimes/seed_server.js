// The seed's bug in Node.js: for each client, read the first chunk of the
// request (a few hundred bytes), answer ANSWER_BYTES, and close with the
// rest of the request unread.  libuv closes the socket with
// syscall(SYS_close, fd) (uv__close_nocancel).
//   node seed_server.js PORT ANSWER_BYTES CLIENTS
'use strict';
const net = require('net');
const [port, answerBytes, clients] = process.argv.slice(2).map(Number);
const answer = Buffer.alloc(answerBytes, 'a');
let served = 0;
// named, so that a perf map (node --perf-basic-prof) names its frame
function answerAndClose(sock) {
  sock.pause(); // the rest of the request stays unread
  sock.write(answer, () => {
    sock.destroy(); // written to the kernel: close
    if (++served === clients) server.close();
  });
}
const server = net.createServer((sock) => {
  sock.once('data', () => answerAndClose(sock));
});
server.listen(port, '127.0.0.1');
