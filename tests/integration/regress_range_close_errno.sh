# A successful close_range() leaves errno as it was, as bare.  At the
# default level it first keeps one backtrace for every number it closes
# (close_path.c, note_range_closed), outside any errno the shim saves;
# where the shim's unwinder cannot follow a frame (a stack the program
# switched to, as coroutine libraries do, whose caller's frame lies past a
# guard page) it asks the kernel whether the page can be read
# (process_vm_readv), and its EFAULT was left to the program: close_range
# of a pipe returned 0 with errno 14 ("errno 14 (Bad address), before
# ENOTTY").  Found with regress_brief_close_errno; older than close_brief.
. "$(dirname "$0")/../lib.sh"

out=$("$PROGS/close_on_switched_stack" close_range) || fail "bare: exit $?"
case $out in skip:*) skip "close_on_switched_stack: ${out#skip: }" ;; esac
[ "$out" = ok ] || fail "bare: $out"
for level in errors all none; do
	log="$WORK/$level.log"
	out=$(SOCKSHIM_LOG="$log" SOCKSHIM_EVENTS=$level shim "$PROGS/close_on_switched_stack" close_range) ||
		fail "events=$level: exit $?"
	[ "$out" = ok ] || fail "events=$level: $out"
	note "events=$level: errno kept"
done
