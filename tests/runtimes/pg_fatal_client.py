# A client that a PostgreSQL backend answers with FATAL while it keeps
# sending: a startup packet for a role that does not exist, followed at
# once by KBYTES of more bytes the backend never reads.  Prints how the
# answer ended: "FATAL then EOF" or "FATAL then reset" (exit 0 either way;
# exit 1 if no FATAL came).
#   python3 pg_fatal_client.py PORT KBYTES
import socket
import struct
import sys

port, kbytes = int(sys.argv[1]), int(sys.argv[2])
params = b"user\0nosuchrole\0database\0nosuchdb\0\0"
startup = struct.pack("!ii", 8 + len(params), 196608) + params
s = socket.create_connection(("127.0.0.1", port))
s.sendall(startup + b"x" * (kbytes * 1024))
got = b""
end = "EOF"
try:
    while True:
        d = s.recv(65536)
        if not d:
            break
        got += d
except ConnectionResetError:
    end = "reset"
fatal = b"FATAL" in got
print(("FATAL" if fatal else "no FATAL") + " then " + end)
sys.exit(0 if fatal else 1)
