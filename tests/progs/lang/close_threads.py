# Closes sockets with unread data from 8 threads at once, and from a signal
# handler: every close is a close_rst (the peer's bytes are never read).
#   python3 close_threads.py THREADS ROUNDS SIGNAL_CLOSES
# Prints "done T R S" with the number of closes of each kind.
import signal
import socket
import sys
import threading

THREADS, ROUNDS, SIGNAL_CLOSES = (int(a) for a in sys.argv[1:4])


def connected_pair(lst):
    c = socket.create_connection(lst.getsockname())
    s, _ = lst.accept()
    c.sendall(b"x" * 100)  # never read by s
    # in s's receive queue before its close (a loaded machine can leave
    # loopback's delivery to ksoftirqd): peeked, not guessed
    s.recv(100, socket.MSG_PEEK | socket.MSG_WAITALL)
    return c, s


def close_in_thread(s):
    s.close()  # LANG-LINE-THREAD


def worker(lst, lock):
    for _ in range(ROUNDS):
        with lock:
            c, s = connected_pair(lst)
        close_in_thread(s)
        c.close()


def close_in_handler(signum, frame):
    global handled
    if pending:
        pending.pop().close()  # LANG-LINE-HANDLER
        handled += 1


def main():
    global pending, handled
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(64)
    lock = threading.Lock()
    threads = [threading.Thread(target=worker, args=(lst, lock)) for _ in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # the handler's closes: one per SIGALRM, while the main thread is busy
    # making and closing its own sockets (not counted: their peers read)
    pending, handled, peers = [], 0, []
    for _ in range(SIGNAL_CLOSES):
        c, s = connected_pair(lst)
        pending.append(s)
        peers.append(c)
    signal.signal(signal.SIGALRM, close_in_handler)
    signal.setitimer(signal.ITIMER_REAL, 0.001, 0.001)
    while handled < SIGNAL_CLOSES:
        a, b = socket.socketpair()
        a.close()
        b.close()
    signal.setitimer(signal.ITIMER_REAL, 0, 0)
    for c in peers:
        c.close()
    lst.close()
    print("done", THREADS * ROUNDS, handled)


pending, handled = [], 0
main()
