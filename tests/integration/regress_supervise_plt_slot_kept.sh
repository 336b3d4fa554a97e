# Regression (a review of e4a57cd): the supervisor read a PLT entry's GOT
# slot again, a system call, every time it looked at a return address
# after a call through that entry, and a stale one among a frame's
# unwritten locals is looked at by every guess of that frame's pointer: 42
# process_vm_readv per close instead of 10 (strace -f -c) in
# tests/progs/stale_plt_loop.c, whose closes are never replays, twice the
# supervisor's time.  Now a bound slot's value is kept.  A count of system
# calls, not a time.
# Before: "84053 process_vm_readv for 2000 closes".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
command -v strace >/dev/null || skip "strace is not installed"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
n=2000
strace -f -c -e trace=process_vm_readv -o "$WORK/strace" "$SV" -- "$PROGS/stale_plt_loop" "$n" \
	>"$WORK/out" 2>"$WORK/err" || { cat "$WORK/out" "$WORK/err"; fail "exit $?, expected 0"; }
assert_grep "$WORK/out" "^closed $n\$"
calls=$(awk '$NF == "process_vm_readv" { print $4 }' "$WORK/strace")
[ -n "$calls" ] || { cat "$WORK/strace"; fail "no process_vm_readv in strace's count"; }
note "$calls process_vm_readv for $n closes"
[ "$calls" -lt $((n * 20)) ] || fail "$calls process_vm_readv for $n closes: more than 20 a close"
