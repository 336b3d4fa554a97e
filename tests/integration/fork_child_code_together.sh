# What a forked child runs of the shim lies together (include/coldmem.h's
# SHIM_FORK_TEXT): a fork copies no page-table entry of the library's
# code, and each 64 KiB of it the child runs is one more page fault
# (fault-around) in every child of a forking server.  callgrind counts
# from the child's fork handler on (--zero-before=shim_fork_child), in the
# children of tests/progs/fork_server serving clients that leave nothing
# unread (a close at the default level, no record, then _exit); every
# function of the shim they ran must lie within 24 KiB of the others.
# Before (the code spread over all of .text): "a forked child ran 33
# functions of the shim outside the 24 KiB that hold the most of them"
# (perf: two to four faults in the shim's code a child, one or two
# after).  A function added to the child's path without SHIM_FORK_TEXT
# fails here, by name.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "callgrind runs no sanitizer's runtime"
command -v valgrind >/dev/null || skip "valgrind is not installed"
command -v callgrind_annotate >/dev/null || skip "callgrind_annotate is not installed"
command -v nm >/dev/null || skip "nm (binutils) is not installed"

port=$(free_port)
N=3
mkdir "$WORK/cg"
env LD_PRELOAD="$PRELOAD" valgrind -q --tool=callgrind --trace-children=yes \
	--zero-before=shim_fork_child --callgrind-out-file="$WORK/cg/out.%p" \
	"$PROGS/fork_server" "$port" 1000 "$N" >"$WORK/server.out" 2>&1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
for i in $(seq "$N"); do
	# (the request's first line alone: the child reads it all, and its
	# close leaves nothing unread)
	"$PROGS/seed_client" "$port" 22 >>"$WORK/clients.out" 2>&1 ||
		fail "client $i: $(cat "$WORK/clients.out")"
done
wait "$pid" || { cat "$WORK/server.out"; fail "fork_server under callgrind: exit $?"; }

children=0
: >"$WORK/ran"
# (the first child walks its call site cold and keeps the capture for the
# fork tree, tests/integration/regress_fork_child_sites_one_depth.sh: the
# others only replay it, as every later child of a server does)
for f in $(ls "$WORK"/cg/out.* | sort -t. -k2 -n); do
	# a child's profile starts at its fork handler; the parent's never does
	grep -q 'shim_fork_child' "$f" || continue
	grep -q '^totals: [1-9]' "$f" || grep -q '^summary: [1-9]' "$f" || continue
	children=$((children + 1))
	[ "$children" -gt 1 ] || continue
	callgrind_annotate --inclusive=no --threshold=100 "$f" 2>/dev/null |
		sed -n 's/^ *[0-9,]* ([ 0-9.]*%)  *[^ ]*:\([A-Za-z_][A-Za-z0-9_]*\) \[.*libsockshim\.so\]$/\1/p' \
			>>"$WORK/ran"
done
[ "$children" -ge 2 ] || fail "$children child profiles in $(ls "$WORK/cg")"
sort -u "$WORK/ran" -o "$WORK/ran"
[ -s "$WORK/ran" ] || fail "the children ran nothing of the shim (callgrind_annotate's output changed?)"
outside=$(nm -S "$SHIM" | python3 -c '
import sys
ran = set(open(sys.argv[1]).read().split())
where = {}
for line in sys.stdin:
    p = line.split()
    if len(p) == 4 and p[3] in ran and p[2] in "tT":
        where[p[3]] = (int(p[0], 16), int(p[1], 16))
# the 24 KiB that hold the most of them; a name that is no symbol of the
# library cannot be placed and is reported too
best = set()
for lo, _ in where.values():
    inside = {f for f, (a, n) in where.items() if lo <= a and a + n <= lo + 24 * 1024}
    best = inside if len(inside) > len(best) else best
print(" ".join(sorted(ran - best)))
' "$WORK/ran")
note "children 2 to $children ran $(wc -l <"$WORK/ran") functions of the shim"
[ -z "$outside" ] ||
	fail "a forked child ran $(echo "$outside" | wc -w) functions of the shim outside the 24 KiB that hold the most of them: $outside"
