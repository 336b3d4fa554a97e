# A socket with unread data, shut down for writing (as Java's Socket.close()
# does first), closed either after its peer finished too (both FINs: the
# kernel's state is TCP_CLOSE and the close sends nothing) or while its peer
# is still open (the close sends RST).
#   python3 close_after_fin.py finished|open
import socket
import struct
import sys
import time

TCP_CLOSE = 7
lst = socket.socket()
lst.bind(("127.0.0.1", 0))
lst.listen(1)
c = socket.create_connection(lst.getsockname())
s, _ = lst.accept()
c.sendall(b"x" * 1000)  # s never reads it
s.shutdown(socket.SHUT_WR)
if sys.argv[1] == "finished":
    while c.recv(4096):
        pass
    c.close()
    for _ in range(200):
        if s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 1)[0] == TCP_CLOSE:
            break
        time.sleep(0.01)
    else:
        sys.exit("the socket never reached TCP_CLOSE")
s.close()
if sys.argv[1] == "open":
    c.close()
print("closed")
