#!/bin/sh
# A dynamic 32-bit program under the supervisor: its backtraces ended in
# the vDSO.  Its first trapped calls are the loader's (before libc is
# mapped), the unwinder read the module list then, and every later call
# traps in the vDSO's __kernel_vsyscall, a module known all along: the
# return address into libc was in no module the unwinder knew, and the
# walk stopped there.  Now a return address in no known module reads the
# module list again, once.
# Before the fix: backtrace ["__kernel_vsyscall+0x9"], no answer_and_close.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
S="$PROGS/seed_server32"
[ -x "$S" ] || skip "no 32-bit programs (gcc-multilib)"
i386_runs || skip "this kernel does not run 32-bit x86 programs (Exec format error)"
port=$(free_port)
"$TOP/tools/sockshim" --supervise --log "$WORK/c.log" -- "$S" "$port" 400000 1 &
pid=$!
BG_PIDS="$BG_PIDS $pid"
wait_listen "$port"
out=$("$PROGS/seed_client" "$port" 60000)
wait "$pid" || fail "server exit $?"
case $out in *"Connection reset by peer"*) ;; *) fail "supervised: changed the outcome: $out" ;; esac
check_log "$WORK/c.log" --event close_rst --where reason=unread_data --backtrace-has answer_and_close --count 1
check_log "$WORK/c.log" --module-has seed_server32
note "dynamic i386, supervised: one close_rst, its backtrace through libc to answer_and_close"
