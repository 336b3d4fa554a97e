# seed_exit's fork-close child must close after its parent, whatever the
# scheduler does: exit_and_fork failed once in make check, two tests at a
# time, "fork-close shim: no close_rst with a frame child_closes*".  The
# parent had been slow: its close was the last, and the shim rightly named
# parent_closes.  Here the parent is made 300 ms slow
# (SEED_EXIT_PARENT_DELAY_MS); the child must still close last, so the
# record names child_closes, and graceful still cures the reset.
. "$(dirname "$0")/../lib.sh"
private_net
export SEED_EXIT_PARENT_DELAY_MS=300
seed_runtime fork-close child_closes 60000 "$PROGS/seed_exit" fork-close
