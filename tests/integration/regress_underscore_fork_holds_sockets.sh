# Regression: a child made by glibc's _Fork() (2.34: fork without the
# pthread_atfork handlers, async-signal-safe, what a runtime forks with
# from a signal handler or after it took its own locks) was not taken for
# a holder of the sockets it inherits: fork() is seen through its
# handlers, which _Fork runs none of.  Under SOCKSHIM_GRACEFUL=1 the
# parent's close of its copy, taken for the last, shut the child's
# connection down (the client got no answer).  Found by the contract
# audit.  tests/progs/clone_server _Fork: the child reads the whole
# request and answers 100 ms after the parent's close.
# Before: "_Fork, graceful=0: 2 close_rst records for 0 resets" (false
# records at the default level), and under graceful=1 every client got
# 0 bytes, then EOF (0 of 5 answers whole).
. "$(dirname "$0")/../lib.sh"
private_net
N=5

for graceful in 0 1; do
	clone_server_holds _Fork "$graceful" "$N"
done
note "_Fork: every answer whole, close_rst records = the kernel's resets ($cs_resets)"
