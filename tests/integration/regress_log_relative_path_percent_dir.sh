# Regression: a relative SOCKSHIM_LOG (the library, and the launcher's
# --log) is taken from the directory the program starts in
# (regress_log_relative_path_chdir), but that directory was pasted into
# the path's template as it is, where '%p' is the pid and '%%' a '%': from
# a directory named "100%pure" the path named a directory that does not
# exist, and the records went to stderr with a config_error (before the
# directory was taken, the file was made).  Now the directory's own '%'
# are doubled.  bash closes a number never opened at each `exec N>&-` (a
# close_error with "fd":N).
# Before: "library: no rel.jsonl in 100%pure; stderr: config_error ...";
# the launcher's first fix (2b27ffa) lost a directory name's last newline:
# "launcher: no rel3.jsonl in the directory whose name ends in a newline".
. "$(dirname "$0")/../lib.sh"
BASH_BIN=$(command -v bash) || skip "no bash"
dir="$WORK/100%pure/a%%b"
mkdir -p "$dir"
cd "$dir" || fail "cd"
env SOCKSHIM_LOG=rel.jsonl $SAN_VARS LD_PRELOAD="$PRELOAD" "$BASH_BIN" -c 'exec 99>&-' >"$WORK/out" 2>&1 ||
	{ cat "$WORK/out"; fail "bash: exit $?"; }
[ -s "$dir/rel.jsonl" ] || fail "library: no rel.jsonl in ${dir#"$WORK"/}; stderr: $(head -c 300 "$WORK/out")"
[ ! -s "$WORK/out" ] || fail "library: on stderr: $(head -c 300 "$WORK/out")"
assert_grep "$dir/rel.jsonl" '"fd":99'
if [ "$PRELOAD" = "$SHIM" ]; then # (the launcher preloads the plain build)
	"$TOP/tools/sockshim" --log rel2.jsonl -- "$BASH_BIN" -c 'exec 98>&-' >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "launcher: exit $?"; }
	[ -s "$dir/rel2.jsonl" ] || fail "launcher: no rel2.jsonl in ${dir#"$WORK"/}; stderr: $(head -c 300 "$WORK/out")"
	assert_grep "$dir/rel2.jsonl" '"fd":98'
	# a name that ends in a newline (a command substitution strips it)
	nl="$WORK/nl
"
	mkdir "$nl" && cd "$nl" || fail "cd"
	"$TOP/tools/sockshim" --log rel3.jsonl -- "$BASH_BIN" -c 'exec 97>&-' >"$WORK/out" 2>&1 ||
		{ cat "$WORK/out"; fail "launcher: exit $?"; }
	[ -s "$nl/rel3.jsonl" ] || fail "launcher: no rel3.jsonl in the directory whose name ends in a newline"
fi
note "the relative path from a directory with '%' in its name: the file made there"
