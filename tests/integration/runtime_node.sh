# Node.js (libuv closes with syscall(SYS_close, fd), not close()): the
# seed's bug reset bare, one close_rst with libuv's close in its backtrace
# under the shim, as many as the kernel's resets (nstat, in a private
# network namespace), a close record at events=all, cured under
# SOCKSHIM_GRACEFUL=1.  Before syscall() was interposed the shim saw
# nothing of it.
. "$(dirname "$0")/../lib.sh"
command -v node >/dev/null 2>&1 || skip "node is not installed (Debian: nodejs)"
private_net
# Node reads the first 64 KiB at once: the request is larger than what it reads
seed_runtime node uv_close 400000 node "$TOP/tests/runtimes/seed_server.js"
