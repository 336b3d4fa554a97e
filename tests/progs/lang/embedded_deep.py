# Run by tests/progs/embed_python ... global (libpython dlopen'ed after the
# start): closes a socket with unread data through the host program's
# deep_close, nine native frames below this function, reached by ctypes.
import ctypes
import socket

host = ctypes.CDLL(None)


def close_deep():
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(1)
    c = socket.create_connection(lst.getsockname())
    s, _ = lst.accept()
    c.sendall(b"x" * 1000)
    host.deep_close(s.detach(), 9)  # LANG-LINE-DEEP
    c.close()
    lst.close()


close_deep()
