# Resets that no close() of the answering process makes: a server that
# answers and exit()s with the connection open, and forking servers whose
# last reference is a child's exit, a child's close after the parent's, or
# the parent's close after the child is gone.  Against the kernel's count
# (nstat, private network namespace): one close_rst per reset, none where
# the socket lived on in the other process; the frame names the function
# whose close was the last (for an exit, the function that called exit:
# libc's exit itself is not in its dynamic symbol table).  Each is cured
# under SOCKSHIM_GRACEFUL=1: the plain exit as any last close, the shared
# ones because the fork tree's references are counted (sharecount.h) and
# the last one is known as such before it goes.
. "$(dirname "$0")/../lib.sh"
private_net
seed_runtime exit main 60000 "$PROGS/seed_exit" exit
seed_runtime fork-exit main 60000 "$PROGS/seed_exit" fork-exit
seed_runtime fork-close child_closes 60000 "$PROGS/seed_exit" fork-close
seed_runtime parent-last parent_closes 60000 "$PROGS/seed_exit" parent-last
