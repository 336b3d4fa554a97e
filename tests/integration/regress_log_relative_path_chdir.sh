# Regression: a relative SOCKSHIM_LOG under plain LD_PRELOAD (the launcher
# makes its --log absolute, regress_launcher_relative_paths; the library
# did not) followed the program's later working directory: a program that
# changed directory after its first record had its file "rotated away" at
# the next check (the relative path missing from the new directory) and
# went on in a second file there, and one that changed directory before
# its first record (a daemon's chdir("/")) wrote into that directory.  Now
# the path is taken from the directory the program started in, as the
# launcher takes it.  bash closes a number never opened at each
# `exec N>&-` (a close_error with "fd":N).
# Before: "records in two files: start/rel.jsonl 99 98, elsewhere/rel.jsonl 97".
. "$(dirname "$0")/../lib.sh"
BASH_BIN=$(command -v bash) || skip "no bash"
mkdir -p "$WORK/start" "$WORK/elsewhere" "$WORK/later"
cd "$WORK/start" || fail "cd"
# 1. a record, a change of directory, a record after the next rotation check
env SOCKSHIM_LOG=rel.jsonl $SAN_VARS LD_PRELOAD="$PRELOAD" "$BASH_BIN" -c \
	'exec 99>&-; cd "$1"; sleep 1.2; exec 98>&-; sleep 1.2; exec 97>&-' sh "$WORK/elsewhere" \
	>"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "bash: exit $?"; }
# 2. the first record after a change of directory
env SOCKSHIM_LOG=rel2.jsonl $SAN_VARS LD_PRELOAD="$PRELOAD" "$BASH_BIN" -c \
	'cd "$1"; exec 96>&-' sh "$WORK/later" >>"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "bash: exit $?"; }
[ ! -s "$WORK/out" ] || { cat "$WORK/out"; fail "records or errors on stderr"; }
fds() { [ -e "$1" ] && grep -o '"fd":[0-9]*' "$1" | sed 's/"fd"://' | tr '\n' ' '; }
where=""
for f in "$WORK"/*/rel*.jsonl; do where="$where ${f#"$WORK"/}: $(fds "$f");"; done
[ "$(fds "$WORK/start/rel.jsonl")" = "99 98 97 " ] && [ ! -e "$WORK/elsewhere/rel.jsonl" ] ||
	fail "records in two files, or not where the program started:$where"
[ "$(fds "$WORK/start/rel2.jsonl")" = "96 " ] && [ ! -e "$WORK/later/rel2.jsonl" ] ||
	fail "the first record after a chdir not where the program started:$where"
note "every record in the file the relative path named where the program started:$where"
