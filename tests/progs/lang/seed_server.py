# The seed's bug in Python: for each client, read the first line of the
# request, answer with a large body and close, leaving the rest unread
# (the kernel then resets the connection).
#   python3 seed_server.py PORT ANSWER_BYTES CLIENTS
import socket
import sys


def answer_and_close(conn, answer_bytes):
    conn.recv(128)  # "the first line" (and no more)
    conn.sendall(b"a" * answer_bytes)
    conn.close()  # LANG-LINE: the close the record must name


def main():
    port, answer, clients = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    lst = socket.socket()
    lst.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lst.bind(("127.0.0.1", port))
    lst.listen(16)
    for _ in range(clients):
        conn, _addr = lst.accept()
        answer_and_close(conn, answer)
    lst.close()


main()
