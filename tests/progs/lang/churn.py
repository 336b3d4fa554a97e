# Connection churn for `make bench`: N connections, each connected,
# accepted, one byte sent and read, both ends closed; prints the mean ns per
# connection (after 200 to warm up).
#   python3 churn.py N
import socket
import sys
import time


def main():
    n = int(sys.argv[1])
    lst = socket.socket()
    lst.bind(("127.0.0.1", 0))
    lst.listen(128)
    addr = lst.getsockname()

    def one():
        c = socket.socket()
        c.connect(addr)
        s, _ = lst.accept()
        c.sendall(b"x")
        s.recv(1)
        s.close()
        c.close()

    for _ in range(200):
        one()
    t = time.perf_counter_ns()
    for _ in range(n):
        one()
    print((time.perf_counter_ns() - t) // n)


main()
