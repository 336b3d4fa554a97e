# Regression: a program with file capabilities (setcap
# cap_net_bind_service+ep) run by a user other than root.  The dynamic
# loader runs it in secure-execution mode, which ignores LD_PRELOAD: the
# launcher ran it unshimmed and said nothing (exit 0, no records); and
# under the supervisor (--supervise, or a static program), whose filter
# such a user gets only with no_new_privs, it lost its capabilities
# (bind: Permission denied where bare it works).  Found by a helper's
# sweep.  Now the launcher and sockshim-supervise refuse it (exit 2, the
# reason), as they refuse a setuid program; root's runs as before (no
# secure mode, no no_new_privs).
# Before: "dynamic, as nobody: exit 0: ok" (the launcher) and "static,
# the supervisor, as nobody: exit 0: ok" (sockshim-supervise).
. "$(dirname "$0")/../lib.sh"
no_sanitizer "a copy of a test program is run by another user"
[ "$(id -u)" = 0 ] || skip "needs root (setcap, and a run as nobody)"
command -v setcap >/dev/null 2>&1 || skip "setcap is not installed (apt-get install libcap2-bin)"
command -v setpriv >/dev/null 2>&1 || skip "setpriv is not installed (util-linux)"
id nobody >/dev/null 2>&1 || skip "no user nobody"
L="$TOP/tools/sockshim"
SV="$B/sockshim-supervise"
chmod 755 "$WORK"
cp "$PROGS/events" "$WORK/dyn_cap"
cp "$PROGS/static/events" "$WORK/static_cap"
cp "$PROGS/events" "$WORK/dyn_plain"
setcap cap_net_bind_service+ep "$WORK/dyn_cap" 2>/dev/null &&
	setcap cap_net_bind_service+ep "$WORK/static_cap" 2>/dev/null ||
	skip "cannot set file capabilities here (no xattr support in $WORK?)"
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
# (a tree under a directory only root enters, /root/build: nobody cannot
# run the launcher or the supervisor at all, whatever they would say)
as_nobody test -r "$L" -a -x "$SV" -a -x "$WORK/dyn_cap" ||
	skip "nobody cannot reach $TOP or $WORK (a directory only root enters)"

# refused(WHAT, COMMAND...): as nobody, exit 2 with the reason, and the
# program did not run (it would print "ok")
refused() {
	what=$1
	shift
	rc=0
	out=$(as_nobody "$@" 2>"$WORK/err") || rc=$?
	[ "$rc" = 2 ] && [ -z "$out" ] || fail "$what, as nobody: exit $rc: $out $(cat "$WORK/err")"
	grep -q "file capabilities" "$WORK/err" || fail "$what: no reason: $(cat "$WORK/err")"
}
refused "dynamic" "$L" -- "$WORK/dyn_cap" double_close
note "preload, as nobody: $(cat "$WORK/err")"
refused "dynamic, --supervise" "$L" --supervise -- "$WORK/dyn_cap" double_close
refused "static" "$L" -- "$WORK/static_cap" double_close
note "supervisor, as nobody: $(cat "$WORK/err")"
refused "static, the supervisor" "$SV" -- "$WORK/static_cap" double_close

# a program without capabilities, as nobody: run, and shimmed
out=$(as_nobody "$L" -- "$WORK/dyn_plain" double_close 2>"$WORK/err") ||
	fail "no capabilities, as nobody: exit $?: $(cat "$WORK/err")"
[ "$out" = ok ] && grep -q '"double_close"' "$WORK/err" || fail "no capabilities, as nobody: $out $(cat "$WORK/err")"
note "without capabilities, as nobody: run and shimmed"

# root: the loader preloads (no secure mode), the supervisor sets no
# no_new_privs: run, and shimmed
out=$("$L" --log "$WORK/root.log" -- "$WORK/dyn_cap" double_close 2>&1) || fail "dynamic, as root: exit $?: $out"
[ "$out" = ok ] || fail "dynamic, as root: $out"
out=$("$L" --log "$WORK/root_sv.log" -- "$WORK/static_cap" double_close 2>&1) || fail "static, as root: exit $?: $out"
[ "$out" = ok ] || fail "static, as root: $out"
check_log "$WORK/root.log" --event double_close --count 1
check_log "$WORK/root_sv.log" --event double_close --count 1
note "as root: both run, shimmed"
