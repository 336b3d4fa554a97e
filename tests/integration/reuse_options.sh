# getsockopt sees SO_REUSEADDR / SO_REUSEPORT forced on TCP v4/v6 sockets
# (also with SOCK_NONBLOCK|SOCK_CLOEXEC), still after the program clears them;
# UDP and unix sockets are untouched.
. "$(dirname "$0")/../lib.sh"

"$PROGS/reuse_check" >"$WORK/bare.txt" || fail "reuse_check failed"
assert_grep "$WORK/bare.txt" '^tcp4 new addr=0 port=0$'

SOCKSHIM_REUSEADDR=1 shim "$PROGS/reuse_check" >"$WORK/addr.txt" || fail "reuse_check failed"
SOCKSHIM_REUSEPORT=1 shim "$PROGS/reuse_check" >"$WORK/port.txt" || fail "reuse_check failed"
SOCKSHIM_REUSEADDR=1 SOCKSHIM_REUSEPORT=1 shim "$PROGS/reuse_check" >"$WORK/both.txt" || fail "reuse_check failed"

for kind in tcp4 tcp4-nonblock-cloexec tcp6; do
	for when in new cleared; do
		assert_grep "$WORK/addr.txt" "^$kind $when addr=1 port=0\$"
		assert_grep "$WORK/port.txt" "^$kind $when addr=0 port=1\$"
		assert_grep "$WORK/both.txt" "^$kind $when addr=1 port=1\$"
	done
done
for kind in udp4 udp6 unix-stream unix-dgram; do
	for f in addr port both; do
		assert_grep "$WORK/$f.txt" "^$kind new addr=0 port=0\$"
		assert_grep "$WORK/$f.txt" "^$kind cleared addr=0 port=0\$"
	done
done
note "forced on tcp4/tcp6, kept after clearing; udp and unix untouched"
