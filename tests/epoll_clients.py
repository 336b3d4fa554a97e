# Clients of tests/progs/epoll_server.c (regress_epoll_after_async_close,
# regress_supervise_epoll_after_close):
#   epoll_clients.py PORT TOTAL AT_ONCE
# Each sends a request line and more bytes, reads the whole answer, keeps
# sending for ~200 ms (a closed socket that lingers keeps receiving) and
# closes; prints "whole N" and the first failures.
import socket, sys, threading, time
port, total, conc = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
ANSWER_LEN = 8000  # epoll_server.c
whole = 0
bad = []
lock = threading.Lock()

def expected(i):
    head = f"{i} ".encode()
    return head + bytes(ord("a") + k % 26 for k in range(len(head), ANSWER_LEN - 1)) + b"\n"

def one(i):
    global whole
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.sendall(f"hello {i}\n".encode() + b"x" * 100)
    got = b""
    while len(got) < ANSWER_LEN:
        d = s.recv(65536)
        if not d:
            break
        got += d
    # the server has closed: keep sending for ~200 ms, so that its socket,
    # if it lingers, keeps receiving (bare, a reset ends this early)
    end = time.monotonic() + 0.2
    while time.monotonic() < end:
        try:
            s.send(b"y" * 64)
        except OSError:
            break
        time.sleep(0.01)
    s.close()
    with lock:
        if got == expected(i):
            whole += 1
        else:
            bad.append(f"client {i}: {len(got)} bytes, not the answer")

def worker(w):
    for i in range(w, total, conc):
        try:
            one(i)
        except OSError as e:
            with lock:
                bad.append(f"client {i}: {e}")

ts = [threading.Thread(target=worker, args=(w,)) for w in range(conc)]
for t in ts:
    t.start()
for t in ts:
    t.join()
print(f"whole {whole}")
for b in bad[:5]:
    print(b)
