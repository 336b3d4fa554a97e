# Regression: the launcher refused a program whose name is also a shell
# builtin: "sockshim -- true" said "true: no such program" (command -v
# answers a builtin's bare name, and no file "true" was in the current
# directory), and so for echo, printf, test, kill, pwd (found by a
# helper's sweep).  Now a name without a slash is looked up along PATH as
# exec looks it up.
# Before: "true: exit 2: sockshim: true: no such program".
. "$(dirname "$0")/../lib.sh"
L="$TOP/tools/sockshim"
out=$("$L" --log "$WORK/t.log" -- true 2>&1) || fail "true: exit $?: $out"
out=$("$L" --events all --log "$WORK/e.log" -- echo hello 2>&1) || fail "echo: exit $?: $out"
[ "$out" = hello ] || fail "echo: $out"
out=$("$L" --log "$WORK/p.log" -- printf '%s-%s\n' a b 2>&1) || fail "printf: exit $?: $out"
[ "$out" = a-b ] || fail "printf: $out"
# what exec would run, and under the shim: the record of the program
"$L" --log "$WORK/f.log" -- false && fail "false: exit 0"
check_log "$WORK/e.log" --event start --where prog=echo --count 1
# a name that PATH does not have is still refused, and a directory of
# that name in PATH is no program
rc=0
"$L" -- no-such-program-here >"$WORK/out" 2>&1 || rc=$?
[ "$rc" = 2 ] && grep -q "no such program" "$WORK/out" || fail "a missing program: exit $rc: $(cat "$WORK/out")"
mkdir -p "$WORK/bin/dirprog" "$WORK/bin2"
cp /bin/true "$WORK/bin2/dirprog"
out=$(PATH="$WORK/bin:$WORK/bin2:$PATH" "$L" --log "$WORK/d.log" -- dirprog 2>&1) || fail "dirprog: exit $?: $out"
# an empty entry in PATH (here a trailing ':') is the current directory,
# as exec has it (regress_launcher_path_empty_entry)
cp /bin/true "$WORK/bin2/mytrue"
out=$(cd "$WORK/bin2" && PATH="/usr/bin:/bin:" "$L" --log "$WORK/m.log" -- mytrue 2>&1) ||
	fail "PATH with a trailing ':': exit $?: $out"
note "true, echo, printf and false run by name; a missing one and a directory are not programs; an empty PATH entry is the current directory"
