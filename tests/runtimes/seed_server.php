<?php
// The seed's bug in PHP: read the first few hundred bytes of each request,
// answer ANSWER_BYTES, close with the rest unread.
//   php seed_server.php PORT ANSWER_BYTES CLIENTS
[$port, $answer, $clients] = array_map('intval', array_slice($argv, 1, 3));
$srv = stream_socket_server("tcp://127.0.0.1:$port", $errno, $errstr);
if (!$srv) { fwrite(STDERR, "listen: $errstr\n"); exit(2); }
$body = str_repeat('a', $answer);
for ($i = 0; $i < $clients; $i++) {
    $c = stream_socket_accept($srv, -1);
    fread($c, 300);
    for ($off = 0; $off < strlen($body); $off += $n) {
        $n = fwrite($c, substr($body, $off, 1 << 20));
        if ($n === false || $n === 0) { fwrite(STDERR, "write failed\n"); exit(2); }
    }
    fclose($c);
}
fclose($srv);
