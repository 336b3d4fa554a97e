# Regression: `make check` built everything the tests run but the
# supervisor: its list of what to build named $(SUPERVISOR) before the
# Makefile defined it, so the name expanded to nothing.  Run one after the
# other in name order, the supervisor's tests found it built all the same,
# by install.sh's `make install` (its `all`), which came before them; run
# two at a time (tests/run-integration), one ran first: "FAIL:
# build/sockshim-supervise is missing" (CI, from a fresh clone).  Asked of
# make itself, without building: what `make check` would make, in a copy
# of the tree whose build/ is empty.
# Before: "make check builds no sockshim-supervise".
. "$(dirname "$0")/../lib.sh"
assert_target_builds_tools check
note "make check builds the library, the supervisor and the report before its tests"
