# Rust (a compiled language beside C; std closes a TcpStream when it is
# dropped): the seed's bug reset bare, one close_rst naming the function
# that dropped the stream, as many close_rst as the kernel's resets
# (nstat, private network namespace), a close record at events=all, cured
# under SOCKSHIM_GRACEFUL=1.
. "$(dirname "$0")/../lib.sh"
command -v rustc >/dev/null 2>&1 || skip "rustc is not installed (Debian: rustc)"
private_net
# -rdynamic: the program's functions in the dynamic symbol table, where
# the shim's backtraces name them
rustc -O -C link-args=-rdynamic -o "$WORK/seed_server" "$TOP/tests/runtimes/seed_server.rs" 2>"$WORK/rustc.err" ||
	{ cat "$WORK/rustc.err"; fail "rustc failed"; }
seed_runtime rust seed_answer_and_drop 60000 "$WORK/seed_server"
