# A client of the seed servers that sends its request (a first line and a
# body), reads the answer to its end, and keeps its end open one second
# more: the server's close then always meets an open connection, however
# the server closes (java.net.Socket sends its FIN first).
#   python3 slow_closer.py PORT REQUEST_BYTES
import socket
import sys
import time

port, request = int(sys.argv[1]), int(sys.argv[2])
c = socket.create_connection(("127.0.0.1", port))
c.sendall(b"GET /answer HTTP/1.0\r\n" + b"b" * (request - 22))
total = 0
try:
    while True:
        data = c.recv(65536)
        if not data:
            break
        total += len(data)
    how = "EOF"
except ConnectionResetError:
    how = "Connection reset by peer"
time.sleep(1)
c.close()
print(f"received {total} bytes, then {how}")
