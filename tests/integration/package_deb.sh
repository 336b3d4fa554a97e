# group: package
# `make deb` builds the source and binary packages and lintian passes them
# (--fail-on error,warning); installed with apt into a fresh Debian root
# made by debootstrap (minbase: nothing but what the packages depend on
# comes in), `sockshim --graceful -- seed_server` cures the seed's reset
# with backtraces (libunwind8 came as a declared dependency) using only
# installed files; a 32-bit program is refused with the package to
# install; a symlinked launcher works; `dpkg -r` removes every file.
# The root debootstrap made is kept as build/debian-SUITE-minbase.tar.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "builds its own packages"
for c in dpkg-buildpackage dh lintian; do
	command -v $c >/dev/null || skip "no $c here (apt-get install dpkg-dev debhelper lintian)"
done
version=$(sed -n '1s/^[^(]*(\([^)]*\)).*/\1/p' "$TOP/debian/changelog")
D=$B/deb
arch=$(dpkg --print-architecture)
if [ -z "${TEST_PRIVATE_MOUNTS:-}" ]; then
	start=$(date +%s)
	make -s -C "$TOP" deb DEB_BUILD_OPTIONS=nocheck >"$WORK/deb.log" 2>&1 || { tail -40 "$WORK/deb.log"; fail "make deb failed"; }
	note "make deb (lintian --fail-on error,warning passed): $(($(date +%s) - start)) s"
	for f in "$D/sockshim_$version.dsc" "$D/sockshim_$version.tar.xz" "$D/sockshim_${version}_$arch.deb" \
		"$D/libsockshim_${version}_$arch.deb"; do
		[ -f "$f" ] || fail "make deb made no $f: $(ls "$D")"
	done
	deps=$(dpkg-deb -f "$D/libsockshim_${version}_$arch.deb" Depends)
	case ", $deps," in *", libunwind8,"* | *", libunwind8 ("*) ;; *) fail "libsockshim does not depend on libunwind8: $deps" ;; esac
	case "$deps" in *libc6*) ;; *) fail "libsockshim: no shlibs dependency: $deps" ;; esac
	[ "$(dpkg-deb -f "$D/libsockshim_${version}_$arch.deb" Multi-Arch)" = same ] || fail "libsockshim is not Multi-Arch: same"
	deps=$(dpkg-deb -f "$D/sockshim_${version}_$arch.deb" Depends)
	case "$deps" in *"libsockshim (= $version)"*libjansson*) ;; *) fail "sockshim's Depends: $deps" ;; esac
	dpkg-deb -c "$D/libsockshim_${version}_$arch.deb" | grep -q " ./usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/sockshim/libsockshim.so$" ||
		fail "the library is not in the multiarch directory"
	note "libsockshim Depends: $(dpkg-deb -f "$D/libsockshim_${version}_$arch.deb" Depends)"
	note "sockshim Depends: $deps"
fi

# ---- a fresh Debian root
private_mounts
command -v debootstrap >/dev/null || skip "no debootstrap here (apt-get install debootstrap)"
suite=$(sed -n 's/^VERSION_CODENAME=//p' /etc/os-release)
[ -n "$suite" ] || skip "not a Debian release here"
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
# The finished root is kept (build/debian-SUITE-minbase.tar): debootstrap's
# download and its configuring of every package take a minute; unpacking
# the kept root, seconds.
cache=$B/debian-$suite-minbase.tar
R=$WORK/root
start=$(date +%s)
if [ ! -f "$cache" ]; then
	debootstrap --variant=minbase "$suite" "$WORK/bs" "$mirror" >"$WORK/bs.log" 2>&1 ||
		{ tail -5 "$WORK/bs.log"; skip "debootstrap cannot make a $suite root from $mirror"; }
	tar -C "$WORK/bs" --numeric-owner -cf "$cache.tmp" . && mv "$cache.tmp" "$cache" || fail "cannot keep the root in $cache"
	rm -rf --one-file-system "$WORK/bs"
fi
mkdir "$R"
tar -C "$R" --numeric-owner -xpf "$cache" || fail "cannot unpack $cache"
# Never a bind mount of the host's /dev (or anything else) under $WORK: a
# removal of $WORK would remove through it.  debootstrap made the root's
# own device nodes; /proc goes away before $WORK does.
for n in null zero urandom; do
	[ -c "$R/dev/$n" ] || fail "debootstrap made no $R/dev/$n"
done
mount -t proc proc "$R/proc"
trap 'umount -l "$R/proc" 2>/dev/null; cleanup' EXIT
cp /etc/resolv.conf "$R/etc/resolv.conf" 2>/dev/null
in_root() { chroot "$R" /usr/bin/env -i PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin "$@"; }
in_root test -e /usr/bin/sockshim && fail "the fresh root has sockshim already"
in_root dpkg -s libunwind8 >/dev/null 2>&1 && fail "the fresh root has libunwind8 already: the test would not see a missing dependency"
note "fresh $suite root: $(($(date +%s) - start)) s"

mkdir -p "$R/tmp/debs" "$R/opt/t"
cp "$D/libsockshim_${version}_$arch.deb" "$D/sockshim_${version}_$arch.deb" "$R/tmp/debs/"
for p in seed_server show_env seed_server32; do
	[ -f "$PROGS/$p" ] && cp "$PROGS/$p" "$R/opt/t/"
done
start=$(date +%s)
in_root apt-get update -q >"$WORK/apt.log" 2>&1 || { tail -5 "$WORK/apt.log"; skip "apt-get update in the fresh root: no mirror?"; }
in_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
	/tmp/debs/libsockshim_"${version}_$arch".deb /tmp/debs/sockshim_"${version}_$arch".deb >>"$WORK/apt.log" 2>&1 ||
	{ tail -20 "$WORK/apt.log"; fail "apt-get install of the packages"; }
in_root dpkg -s libunwind8 >/dev/null 2>&1 || fail "libunwind8 did not come with the packages"
note "apt-get install ./libsockshim ./sockshim: $(($(date +%s) - start)) s, with $(grep -c '^Setting up' "$WORK/apt.log") packages"

# the seed's reset, bare and cured, with installed files only
serve() { # name launcher...
	name=$1
	shift
	port=$(free_port)
	bg_start in_root "$@" /opt/t/seed_server "$port" 4000000 1
	wait_listen "$port"
	"$PROGS/seed_client" "$port" 60000 >"$WORK/$name.out"
	rc=$?
	wait "$BG_PID" || fail "$name: server exit $?"
	return $rc
}
serve bare && fail "bare: no reset: $(cat "$WORK/bare.out")"
assert_grep "$WORK/bare.out" "then Connection reset by peer"
serve cured /usr/bin/sockshim --graceful --events all --log /tmp/seed.log -- ||
	fail "installed sockshim --graceful: $(cat "$WORK/cured.out")"
assert_grep "$WORK/cured.out" "^received 4000000 bytes, then EOF$"
check_log "$R/tmp/seed.log" --event graceful_close --backtrace-has answer_and_close --count 1
check_log "$R/tmp/seed.log" --event start --where "version=$version" --count 1
check_log "$R/tmp/seed.log" --event backtrace_disabled --count 0
check_log "$R/tmp/seed.log" --module-has "/sockshim/libsockshim.so" --count 0
in_root sockshim-report /tmp/seed.log >"$WORK/report" 2>&1 || { cat "$WORK/report"; fail "installed sockshim-report"; }
assert_grep "$WORK/report" "graceful_close"
note "bare: $(cat "$WORK/bare.out"); installed sockshim --graceful: $(cat "$WORK/cured.out")"

in_root sh -c 'ln -s /usr/bin/sockshim /usr/local/bin/ss-link && ss-link -- /opt/t/show_env' >"$WORK/env" 2>&1 ||
	{ cat "$WORK/env"; fail "a symlinked installed launcher"; }
# shellcheck disable=SC2016
grep -qxF 'LD_PRELOAD=/usr/$LIB/sockshim/libsockshim.so' "$WORK/env" || { cat "$WORK/env"; fail "not /usr/\$LIB"; }
for t in sockshim sockshim-report; do
	[ "$(in_root $t --version)" = "$t $version" ] || fail "$t --version: $(in_root $t --version)"
	[ -f "$R/usr/share/man/man1/$t.1.gz" ] || fail "no man page $t.1"
done
[ -f "$R/usr/share/doc/sockshim/examples/journald/queries.txt" ] || fail "examples not installed"
note "a symlinked launcher preloads /usr/\$LIB/sockshim/libsockshim.so; versions $version; man pages"

if [ -f "$R/opt/t/seed_server32" ]; then
	in_root sockshim -- /opt/t/seed_server32 1 1 1 >"$WORK/out32" 2>&1
	rc=$?
	[ $rc = 2 ] || fail "a 32-bit program without libsockshim:i386: exit $rc: $(cat "$WORK/out32")"
	grep -q "32-bit x86 (i386) program.*apt-get install libsockshim:i386" "$WORK/out32" || fail "no clear message: $(cat "$WORK/out32")"
	note "32-bit: $(cat "$WORK/out32")"
fi

in_root dpkg -L sockshim libsockshim >"$WORK/files" || fail "dpkg -L"
in_root dpkg -r sockshim libsockshim >"$WORK/remove.log" 2>&1 || { cat "$WORK/remove.log"; fail "dpkg -r"; }
left=""
while read -r f; do
	[ -e "$R$f" ] && ! [ -d "$R$f" ] && left="$left $f"
done <"$WORK/files"
for d in /usr/lib/*/sockshim /usr/include/sockshim /usr/share/doc/sockshim /usr/share/doc/libsockshim; do
	for x in "$R"$d; do [ -e "$x" ] && left="$left ${x#"$R"}"; done
done
[ -z "$left" ] || fail "dpkg -r left:$left"
note "dpkg -r removed all $(wc -l <"$WORK/files") paths"
