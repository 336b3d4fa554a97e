# A successful close() leaves errno as it was, as bare.  The close of a
# number the table has as no socket first unwinds its innermost frames
# outside any call of the shim's (close_path.c, close_brief); where the
# shim's unwinder cannot follow them (a stack the program switched to, as
# coroutine libraries do, whose caller's frame lies past a guard page), it
# asks the kernel whether the page can be read (process_vm_readv: EFAULT)
# and hands the close to the full path.  That path kept errno from there:
# a pipe's close returned 0 with errno EFAULT ("errno 14 (Bad address),
# before ENOTTY"), at the default level and at events=all.
. "$(dirname "$0")/../lib.sh"

out=$("$PROGS/close_on_switched_stack") || fail "bare: exit $?"
case $out in skip:*) skip "close_on_switched_stack: ${out#skip: }" ;; esac
[ "$out" = ok ] || fail "bare: $out"
for level in default errors all none; do
	log="$WORK/$level.log"
	if [ $level = default ]; then
		out=$(SOCKSHIM_LOG="$log" shim "$PROGS/close_on_switched_stack") ||
			fail "events=$level: exit $?"
	else
		out=$(SOCKSHIM_LOG="$log" SOCKSHIM_EVENTS=$level shim "$PROGS/close_on_switched_stack") ||
			fail "events=$level: exit $?"
	fi
	[ "$out" = ok ] || fail "events=$level: $out"
	# (no record: the file is made only for one)
	! grep -s close_error "$log" || fail "events=$level: a close_error record"
	note "events=$level: errno kept"
done
