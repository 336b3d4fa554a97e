# Fork, vfork, posix_spawn, system() and exec with every feature on, from a
# threaded parent whose threads keep making and closing sockets and with a
# graceful close lingering across the forks: the children work; a program
# exec'd without the shim inherits none of the shim's descriptors; the
# background thread keeps serving the parent; with %p each process writes
# its own file.
. "$(dirname "$0")/../lib.sh"

"$PROGS/spawn_all" "$PROGS/fdlist" >"$WORK/bare.out" 2>&1 || { cat "$WORK/bare.out"; fail "bare: exit $?"; }
mkdir "$WORK/logs"
SOCKSHIM_REUSEADDR=1 SOCKSHIM_REUSEPORT=1 SOCKSHIM_GRACEFUL=1 SOCKSHIM_EVENTS=all \
	SOCKSHIM_LOG="$WORK/logs/log.%p" timeout 60 env LD_PRELOAD="$PRELOAD" "$PROGS/spawn_all" "$PROGS/fdlist" \
	>"$WORK/shim.out" 2>&1 || { cat "$WORK/shim.out"; fail "under the shim: exit $?"; }
# the descriptor lists of the three exec'd children are those of the bare run
diff -u "$WORK/bare.out" "$WORK/shim.out" || fail "a child saw other descriptors under the shim"
assert_grep "$WORK/shim.out" '^ok$'

parent=$(grep -l '"event":"graceful_close".*"peer"' "$WORK"/logs/* | head -1)
[ -n "$parent" ] || fail "no graceful_close logged"
# the parent's last graceful close, after all the forks, was served
check_log "$parent" --event graceful_close --where mode=async --at-least 2
child=$(grep -l '"event":"double_close"' "$WORK"/logs/*)
[ "$(echo "$child" | wc -l)" = 1 ] && [ "$child" != "$parent" ] || fail "the forked child's log: $child"
check_log "$child" --event double_close --backtrace-has child_double_closer --count 1
check_log "$child" --event graceful_close --at-least 1
# every log is valid (a child forked by a logging parent gets its file at
# the fork: those exec'd without the shim leave theirs empty)
for f in "$WORK"/logs/*; do
	[ -s "$f" ] && check_log "$f"
done
note "$(ls "$WORK/logs" | wc -l) log files, children fine, exec'd images see: $(head -3 "$WORK/shim.out" | tail -1)"
