# Run by tests/progs/embed_python (libpython dlopen'ed after the start):
# closes a socket with unread data in a function of its own.
import socket


def close_in_embedded():
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    c = socket.create_connection(lst.getsockname())
    s, _ = lst.accept()
    c.sendall(b"x" * 1000)
    s.close()  # LANG-LINE-EMBEDDED
    c.close()
    lst.close()


close_in_embedded()
