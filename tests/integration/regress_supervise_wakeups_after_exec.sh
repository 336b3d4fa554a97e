# The supervisor asks for wake-ups on the waker's CPU only while one
# thread of one process makes the trapped calls (41ae08e).  A process
# that had threads and then exec'd a single-threaded image stayed marked
# threaded for the new image's life: 13-15% slower trapped calls there
# (found by a review of 41ae08e).  An exec now clears the mark; a thread
# made with clone3 sets it at once.
#
# tests/progs/threads_then_exec under the supervisor under strace: the
# listener's SECCOMP_IOCTL_NOTIF_SET_FLAGS (ioctl 0x21/4) after the
# program's exec and before its exit asks for the wake-ups (1).
# Before: "no wake-ups asked for between the exec and the exit".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor is not built with the sanitizers' runtime here"
command -v strace >/dev/null || skip "strace is not installed"
SV="$B/sockshim-supervise"
[ -x "$SV" ] || fail "build/sockshim-supervise is missing"
SOCKSHIM_LOG="$WORK/log" strace -f -qq -s 512 -e trace=ioctl,execve,exit_group -o "$WORK/trace" \
	"$SV" -- "$PROGS/threads_then_exec" || fail "exit $?: $(tail -5 "$WORK/trace")"
prog=$(grep -m1 'execve(".*threads_then_exec", \["[^"]*", "single"' "$WORK/trace" | awk '{ print $1 }')
[ -n "$prog" ] || fail "no exec of the single image in the trace: $(grep -E 'execve|exit_group' "$WORK/trace" | head -5)"
flags=$(awk -v p="$prog" '
	$1 == p && /execve\(.*"single"/ { after = 1 }
	after && match($0, /_IOC\(_IOC_WRITE, 0x21, 0x4, 0x8\), [0-9a-fx]+/) { v = substr($0, RSTART, RLENGTH); sub(/.*, /, "", v); print v }
	$1 == p && after && /exit_group/ { exit }' "$WORK/trace" | tr '\n' ' ')
note "wake-up flags asked after the exec: ${flags:-none}"
case " $flags" in *" 0x1 "*) ;; *) fail "no wake-ups asked for between the exec and the exit: ${flags:-none}" ;; esac
