# Regression: the launcher started some 40 processes of its own before the
# program (od, tr and head for each field of each ELF header it read, two
# a field; dirname, awk, tr for LD_PRELOAD): 0.47 s before a static
# program's first instruction on a VM where each costs milliseconds, a
# fixed sleep before a first client not enough (found by a helper's sweep).
# Now one od reads each ELF header whole (elf_read), the program headers
# one more; names are split by the shell.
# Before: 42, 24 and 43 execve for the three below (the shell's own and
# the program's included); after: 8, 7 and 9.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "the launcher's processes are counted once (a static program under it runs no sanitizer runtime)"
command -v strace >/dev/null 2>&1 || skip "strace is not installed"
L="$TOP/tools/sockshim"
# count COMMAND...: the execve calls the command makes, its children's too
count() {
	strace -f -qq -e trace=execve -o "$WORK/trace" "$@" >/dev/null 2>&1 || fail "$*: exit $?"
	grep -c 'execve(' "$WORK/trace"
}
dyn=$(count "$L" -- /bin/true)
static=$(count env SOCKSHIM_LOG=/dev/null "$L" -- "$PROGS/static/events" double_close)
preloads=$(count env LD_PRELOAD="/no/a.so: /no/b.so" "$L" -- /bin/true)
note "execve: $dyn for a dynamic program, $static for a static one, $preloads with LD_PRELOAD set"
for n in "$dyn" "$static" "$preloads"; do
	[ "$n" -le 14 ] || fail "$n processes started (at most 14 expected: the shell, a few od and grep, the program)"
done
