# Regression: `make` built the library and the supervisor but not
# sockshim-report, which the contract's `make` builds with "the tools"
# (../shared/DESIGN.md, Makefile): a new user's `make` left the report
# unbuilt until `make check` or `make demo` (found by a helper's sweep).
# Asked of make itself, without building: what `make all` would make, in a
# copy of the tree whose build/ is empty.
# Before: "make all builds no sockshim-report".
. "$(dirname "$0")/../lib.sh"
command -v git >/dev/null && [ -d "$TOP/.git" ] || skip "not a git checkout"
mkdir -p "$WORK/tree"
(cd "$TOP" && git ls-files -z | xargs -0 tar -cf - 2>/dev/null) | tar -xf - -C "$WORK/tree" ||
	fail "copy of the tree"
out=$(make -C "$WORK/tree" -n all 2>&1) || fail "make -n all: $out"
for tool in libsockshim.so sockshim-supervise sockshim-report; do
	echo "$out" | grep -q -- "-o build/$tool" || fail "make all builds no $tool"
done
note "make all builds the library, the supervisor and the report"
