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
command -v git >/dev/null && [ -d "$TOP/.git" ] || skip "not a git checkout"
mkdir -p "$WORK/tree"
(cd "$TOP" && git ls-files -z | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$WORK/tree" ||
	fail "copy of the tree"
out=$(make -C "$WORK/tree" -n check 2>&1) || fail "make -n check: $out"
for tool in libsockshim.so sockshim-supervise sockshim-report; do
	echo "$out" | grep -q -- "-o build/$tool\( \|$\)" || fail "make check builds no $tool"
done
note "make check builds the library, the supervisor and the report before its tests"
