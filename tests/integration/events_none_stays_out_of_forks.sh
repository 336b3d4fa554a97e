# Issue 14 (a forking server at events=none): with nothing to log, no
# graceful close and no SO_REUSE* forced, nothing reads what the shim
# would keep, so it keeps nothing: new sockets are not recorded, and a fork
# and an exit are the program's alone (no fork handlers, nothing done at
# exit).  A forked child then makes exactly the system calls it makes bare
# (before: a getpid after the fork and another at exit), and a forking
# server's connection costs 4 page faults less (36 -> 32, bare 29:
# `perf stat -e page-faults … bench fork-server`).
#
# The control: at the default level the children's calls differ (the
# shim's checks of the closed socket), so the comparison can see them.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"
no_sanitizer "a sanitizer's runtime makes system calls of its own"

# The system calls of each forked child of written_spans (its children
# read, answer, close and exit), by name, one line per child; the same
# lines once.  (Its own trace starts with the execve.)
children_calls() { # NAME VAR=VALUE...
	local name=$1
	shift
	mkdir -p "$WORK/$name"
	# (exit 3 bare: no shim's memory to measure)
	env WRITTEN_SPANS_NO_THP=1 "$@" strace -ff -qq -o "$WORK/$name/trace" \
		env ${SHIM_PRELOAD:+LD_PRELOAD=$SHIM_PRELOAD} "$PROGS/written_spans" 5 >/dev/null
	rc=$?
	[ "$rc" = 0 ] || [ "$rc" = 3 ] || fail "$name: written_spans exited $rc"
	for f in "$WORK/$name"/trace.*; do
		head -n 1 "$f" | grep -q '^execve' && continue
		sed -E 's/\(.*//' "$f" | tr '\n' ' '
		echo
	done | sort -u
}

bare=$(children_calls bare)
none=$(SHIM_PRELOAD=$PRELOAD children_calls none SOCKSHIM_EVENTS=none)
errors=$(SHIM_PRELOAD=$PRELOAD children_calls errors SOCKSHIM_LOG="$WORK/errors.log")
[ "$(echo "$bare" | wc -l)" = 1 ] && [ -n "$bare" ] || fail "bare children differ: $bare"
[ "$none" = "$bare" ] || fail "events=none: a child's calls '$none' (bare: '$bare')"
[ "$errors" != "$bare" ] || fail "the control: the default level's children make the calls of bare ones"
note "bare and events=none children: $bare"
note "default level: $errors"
