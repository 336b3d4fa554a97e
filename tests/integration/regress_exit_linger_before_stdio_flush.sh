# Under SOCKSHIM_GRACEFUL=1, a child that got its connection through exec
# (the server closed its own copy) answers through stdio on its standard
# output and returns from main: exit() flushes the stream only after the
# destructors, and the shim's destructor lingered on the socket (no other
# holder, as /proc said) before that flush: the shutdown came first, the
# flush met EPIPE, and the peer read nothing, then EOF.  stdio is now
# flushed before the lingering, as before a last close's: the answer,
# then EOF, no reset.  (graceful_after_exec's "stdio" case.)
GRACEFUL_AFTER_EXEC_MODES=stdio
export GRACEFUL_AFTER_EXEC_MODES
. "$(dirname "$0")/graceful_after_exec.sh"
