# Regression: sockshim --supervise inside a supervised process (a script
# the supervisor runs that itself runs sockshim on a static binary) was
# refused with a false reason, "this kernel refuses the supervisor's
# seccomp filter (seccomp_load: Operation canceled); it needs seccomp user
# notification (Linux 5.5)", on a kernel that has it: libseccomp's
# ECANCELED hid the kernel's EBUSY (one listener per process).  The
# refusal stays (exit 2, as README says) with the true reason (found by a
# helper's sweep).
# Before: no line matching /already under a seccomp user-notification listener/.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the supervisor's tests run outside the sanitizer flavours"
L="$TOP/tools/sockshim"
rc=0
"$L" --supervise --log "$WORK/outer.log" -- "$L" --supervise -- "$PROGS/static/seed_server" 1 1 0 \
	>"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 2 ] || { cat "$WORK/out"; fail "exit $rc, expected 2"; }
assert_grep "$WORK/out" "already under a seccomp user-notification listener"
if grep -q "Linux 5.5" "$WORK/out"; then
	cat "$WORK/out"
	fail "the kernel blamed"
fi
note "refused with its true reason"
