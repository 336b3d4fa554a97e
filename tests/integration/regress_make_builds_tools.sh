# Regression: `make` built the library and the supervisor but not
# sockshim-report, which the contract's `make` builds with "the tools"
# (../shared/DESIGN.md, Makefile): a new user's `make` left the report
# unbuilt until `make check` or `make demo` (found by a helper's sweep).
# Asked of make itself, without building (assert_target_builds_tools): what
# `make all` would make, in a copy of the tree whose build/ is empty.
# Before: "make all builds no sockshim-report".
. "$(dirname "$0")/../lib.sh"
assert_target_builds_tools all
note "make all builds the library, the supervisor and the report"
