# Run by tests/progs/embed_python (libpython dlopen'ed after the start):
# closes a socket with unread data in a function of its own.  With
# EMBEDDED_DEEP set (and libpython loaded with embed_python's "global", so
# that ctypes loads), through the host program's deep_close instead, nine
# native frames below the function, reached by ctypes.
import os
import socket


def unread_pair():
    """A listener, a client, and the accepted end with the client's bytes unread."""
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    c = socket.create_connection(lst.getsockname())
    s, _ = lst.accept()
    c.sendall(b"x" * 1000)
    return lst, c, s


def close_in_embedded():
    lst, c, s = unread_pair()
    s.close()  # LANG-LINE-EMBEDDED
    c.close()
    lst.close()


def close_deep():
    import ctypes

    host = ctypes.CDLL(None)
    lst, c, s = unread_pair()
    host.deep_close(s.detach(), 9)  # LANG-LINE-DEEP
    c.close()
    lst.close()


if os.environ.get("EMBEDDED_DEEP"):
    close_deep()
else:
    close_in_embedded()
