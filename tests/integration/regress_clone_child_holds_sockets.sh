# Regression: a child made without fork() -- syscall(SYS_clone),
# syscall(SYS_fork), or libc's clone() without CLONE_VM -- was not taken
# for a holder of the sockets it inherits.  vsftpd makes its session
# processes so (isolate=YES, Debian's default): under SOCKSHIM_GRACEFUL=1
# the parent's close of its copy, taken for the last, shut the child's
# connection down (every lftp download hung), and at the default level it
# wrote false close_rst records (10 and 20 where the kernel counted 0).
# Found by a helper's sweep.  tests/progs/clone_server: the child reads
# the whole request and answers 100 ms after the parent's close.
# Before: "sysfork, graceful: 0 of 5 answers whole", "sysfork: 5 close_rst
# records for 0 resets".
. "$(dirname "$0")/../lib.sh"
private_net
N=5

for mode in fork sysfork sysclone clonefn; do
	for graceful in 0 1; do
		clone_server_holds "$mode" "$graceful" "$N"
	done
	note "$mode: every answer whole, close_rst records = the kernel's resets ($cs_resets)"
done
