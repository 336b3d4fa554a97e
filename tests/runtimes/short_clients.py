# Many short HTTP connections at once: THREADS threads, each making
# REQUESTS requests, one connection each (Connection: close), reading the
# answer to the server's end of stream.  Prints "ok N" or "failed N: why".
#   python3 short_clients.py PORT THREADS REQUESTS
import socket
import sys
import threading

port, threads, requests = (int(a) for a in sys.argv[1:4])
failures, done = [], []
lock = threading.Lock()


def client():
    for _ in range(requests):
        try:
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            got = b""
            while True:
                d = s.recv(65536)
                if not d:
                    break
                got += d
            s.close()
            ok = got.startswith(b"HTTP/1.1 200") and got.endswith(b"n" * 1000)
            with lock:
                (done if ok else failures).append(len(got))
        except Exception as e:  # a reset, a timeout
            with lock:
                failures.append(repr(e))


ts = [threading.Thread(target=client) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if failures:
    print(f"failed {len(failures)}: {failures[:3]}")
    sys.exit(1)
print(f"ok {len(done)}")
