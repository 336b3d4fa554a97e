# The seed's bug in Python: read the first few hundred bytes of each
# request, answer ANSWER_BYTES, close with the rest unread.
#   python3 seed_server.py PORT ANSWER_BYTES CLIENTS
import socket
import sys

port, answer, clients = (int(a) for a in sys.argv[1:4])
body = b"a" * answer
with socket.create_server(("127.0.0.1", port)) as srv:
    for _ in range(clients):
        conn, _ = srv.accept()
        conn.recv(300)
        conn.sendall(body)
        conn.close()
