# A DNS-over-TCP client that sends a query and, right after it, a message
# too short to be one followed by more bytes the server never reads (the
# server answers the query, gives up on the rest, and closes).  Keeps its
# end open a moment after the server's EOF, so that the server's close
# happens while the connection is still there (the kernel then counts its
# reset).  Prints "answered" or "no answer", and how the stream ended.
#   python3 dns_tcp_client.py PORT NAME
import socket
import struct
import sys
import time

port, name = int(sys.argv[1]), sys.argv[2]
hdr = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\0"
msg = hdr + qname + struct.pack("!HH", 1, 1)
s = socket.create_connection(("127.0.0.1", port))
s.sendall(struct.pack("!H", len(msg)) + msg + b"\x00\x02ab" + b"x" * 60000)
s.settimeout(10)
got, end = b"", "EOF"
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except ConnectionResetError:
    end = "reset"
time.sleep(0.3)
s.close()
print(("answered" if len(got) > 12 else "no answer") + " then " + end)
