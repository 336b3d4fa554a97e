# Issue 14 (a forking server at the default level): at its start the
# shim asked dlsym whether the program is Python or Ruby, and a dlsym that
# fails keeps its message in malloc'd memory (and dlerror, which the shim
# then called to leave the program no message of its own, more), so a
# program that never allocates got a heap at the default level: one 2 MiB
# region more written, whose page table every fork copies and every
# child's exit frees (tools/bench fork-server's server: 7-8 such regions
# at the default level against 6-7 at events=none, 6-7 now).  The
# runtimes' symbols are now looked for in each object's own table first,
# and dlsym asked only where one may be.
#
# tests/progs/heap_at_start says whether it has a heap when main starts.
# Before: "heap" at the default level, "none" bare and at events=none.
. "$(dirname "$0")/../lib.sh"

case "$PRELOAD" in *san.so*) skip "a sanitizer's runtime preloaded: its allocator's memory" ;; esac
bare=$("$PROGS/heap_at_start") || fail "heap_at_start exited $? bare"
[ "$bare" = none ] || skip "a heap bare already ($bare): the C library or the environment allocates"
for v in SOCKSHIM_EVENTS=errors SOCKSHIM_EVENTS=all SOCKSHIM_EVENTS=none; do
	out=$(env "$v" SOCKSHIM_LOG="$WORK/log" LD_PRELOAD="$PRELOAD" "$PROGS/heap_at_start") ||
		fail "$v: heap_at_start exited $?"
	[ "$out" = none ] || fail "$v: the shim made a heap in a program that never allocates ($out)"
done
note "no heap bare nor under the shim"
