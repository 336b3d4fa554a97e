# A record first asks the loader whether anything was unloaded behind the
# dlclose wrapper's back (symcache_sync: dl_iterate_phdr with every signal
# blocked, two rt_sigprocmask calls), because cached names and unwinding
# rules of an unloaded module's addresses are stale.  Only a record with a
# frame in a module that can be unloaded asks: the main program, libc, the
# loader and the shim never are (symcache_permanent).  200 close_error
# records whose frames are all the program's and libc's: far fewer than
# 2 rt_sigprocmask calls each (before: 2 each, 400 and more).  That the
# question is still asked where it matters: regress_names_after_unseen_dlclose.
. "$(dirname "$0")/../lib.sh"
command -v strace >/dev/null || skip "strace is not installed"
[ -n "$SAN_VARS" ] && skip "(no backtraces under $FLAVOR)"

rm -f "$WORK/many.log"
SOCKSHIM_RATE=0 SOCKSHIM_LOG="$WORK/many.log" strace -f -qq -e trace=rt_sigprocmask \
	-o "$WORK/strace.out" env LD_PRELOAD="$PRELOAD" "$PROGS/events" close_errors 200 \
	>"$WORK/out" 2>&1 || fail "events close_errors: exit $?: $(cat "$WORK/out")"
assert_grep "$WORK/out" '^ok$'
check_log "$WORK/many.log" --event close_error --backtrace-has bad_closer --count 200
masks=$(grep -c 'rt_sigprocmask' "$WORK/strace.out")
[ "$masks" -lt 100 ] || fail "$masks rt_sigprocmask calls for 200 records of the program's and libc's frames"
note "$masks rt_sigprocmask calls for 200 records"
