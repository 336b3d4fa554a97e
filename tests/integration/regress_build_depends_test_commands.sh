# Regression: debian/rules runs `make check-core` in the package build, and
# tests/integration/install.sh (a core test) runs pkg-config with no
# `command -v` guard, but debian/control's Build-Depends did not name
# pkg-config: built from the source package in a clean bookworm root with
# only its Build-Depends installed (apt-get build-dep ./sockshim_*.dsc;
# dpkg-buildpackage, as sbuild or pbuilder build), the build failed with
# "FAIL: pkg-config: tests/integration/install.sh: line 27: pkg-config:
# command not found" (found by a helper's fresh-root packaging sweep).
# Now every command below that a core test (or lib.sh, which every test
# sources) runs outside a `command -v` guard has its package in
# Build-Depends.
# Before: "Build-Depends lacks pkg-config, which runs unguarded in: install".
. "$(dirname "$0")/../lib.sh"
ctl=$TOP/debian/control
[ -f "$ctl" ] || fail "no $ctl"
# Build-Depends, one package name a line (versions, architectures, build
# profiles and alternatives dropped)
sed -n '/^Build-Depends:/,/^[^[:space:]]/{s/^Build-Depends://;/^[^[:space:]]/!p}' "$ctl" |
	tr ',' '\n' | sed -e 's/|.*//' -e 's/[[(<].*//' -e 's/[[:space:]]//g' | grep . >"$WORK/bd"
grep -qx debhelper-compat "$WORK/bd" || fail "cannot read Build-Depends: $(cat "$WORK/bd")"
# what `make check-core` runs: lib.sh and every test outside the servers'
# and the package's groups (this one aside: it names them all), without
# their comments
grep -L -E '^# group: (servers|package)$' "$TOP"/tests/integration/*.sh |
	grep -v '/regress_build_depends_test_commands\.sh$' >"$WORK/core"
echo "$TOP/tests/lib.sh" >>"$WORK/core"
mkdir "$WORK/code"
while read -r t; do
	name=${t##*/}
	sed '/^[[:space:]]*#/d' "$t" >"$WORK/code/${name%.sh}"
done <"$WORK/core"
missing=""
checked=0
# command:package, for commands that build-essential does not bring
for pair in pkg-config:pkg-config socat:socat curl:curl python3:python3 ss:iproute2 \
	pgrep:procps pkill:procps; do
	cmd=${pair%%:*}
	pkg=${pair#*:}
	users=$(grep -lwE -- "$cmd" "$WORK"/code/* | while read -r t; do
		grep -q -- "command -v $cmd\b" "$t" || printf ' %s' "${t##*/}" # (else it skips without)
	done)
	[ -n "$users" ] || continue
	checked=$((checked + 1))
	grep -qxF -- "$pkg" "$WORK/bd" || missing="$missing; Build-Depends lacks $pkg, which runs unguarded in:$users"
done
[ -z "$missing" ] || fail "${missing#; }"
[ "$checked" -gt 0 ] || fail "no command of the list found in the core tests: is the test reading the right files?"
note "Build-Depends names the packages of the $checked commands the core tests run unguarded"
