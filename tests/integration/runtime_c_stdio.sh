# A C server that talks through stdio on its sockets (a first read, then fdopen(sock, "w"),
# fwrite, fclose; or freopen of the stream): glibc closes the socket
# inside the stream's code, where no close() wrapper sees it.  The seed's
# bug there: reset bare, one close_rst naming the function that ended the
# stream under the shim, as many as the kernel's resets (nstat, private
# network namespace), cured under SOCKSHIM_GRACEFUL=1 (the stream's
# buffered answer flushed before the graceful close).  Before fclose and
# freopen were interposed the shim saw nothing of it.
. "$(dirname "$0")/../lib.sh"
private_net
seed_runtime c-fclose answer_and_fclose 60000 "$PROGS/seed_stdio" fclose
seed_runtime c-freopen answer_and_fclose 60000 "$PROGS/seed_stdio" freopen
