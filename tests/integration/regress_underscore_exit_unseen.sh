# A process that ends with _exit() (or _Exit()) runs no destructor: before
# the shim interposed _exit, the sockets it left open were closed by the
# kernel unseen, and a request left unread reset the client with no record
# and no cure (OpenSSH's sshd ends its connection processes so: 3 resets,
# 0 records in server_sshd).  Now they get exit()'s checks: against the
# kernel's count (nstat, private network namespace) one close_rst per
# reset, naming the function that called _exit, and under
# SOCKSHIM_GRACEFUL=1 the whole answer and EOF: a plain _exit as any last
# close, a forked child's because the fork tree's references are counted.
# A crash handler's _exit on a small alternate stack still exits with its
# status (nothing is done there: no room).
. "$(dirname "$0")/../lib.sh"
private_net
seed_runtime _exit main 60000 "$PROGS/seed_exit" _exit
seed_runtime fork-_exit main 60000 "$PROGS/seed_exit" fork-_exit

# (a sanitizer's frames need more than these stacks, shim or not)
if [ "$FLAVOR" = plain ]; then
	for size in 4096 8192; do
		SOCKSHIM_LOG="$WORK/alt.$size.log" timeout 20 env LD_PRELOAD="$PRELOAD" \
			"$PROGS/altstack_close" "$size" exit >/dev/null
		rc=$?
		[ "$rc" = 7 ] || fail "_exit(7) from a handler on a $size-byte alternate stack: exit $rc"
	done
	note "_exit(7) from handlers on 4096- and 8192-byte alternate stacks: exit 7"
fi
