# The supervisor was linked without $(LDFLAGS), the flags from the
# environment that the README says the Makefile adds (dpkg-buildflags'
# under debian/rules, hardening=+all): the packaged sockshim-supervise had
# no BIND_NOW, and lintian said hardening-no-bindnow.  Every program the
# Makefile links (the library, the report, the supervisor) now takes them.
# A dry run (make -n) of each link with a marker flag: the marker on the
# line that links it.
#
# Before: "sockshim-supervise is linked without LDFLAGS".
. "$(dirname "$0")/../lib.sh"
no_sanitizer "reads the plain build's link lines"
marker=-Wl,--sockshim-ldflags-marker
for target in libsockshim.so sockshim-report sockshim-supervise; do
	line=$(make -s -n -B -C "$TOP" LDFLAGS="$marker" "build/$target" 2>/dev/null | grep -- "-o build/$target" | tail -1)
	[ -n "$line" ] || fail "make -n shows no link of build/$target"
	case "$line" in *"$marker"*) ;; *) fail "$target is linked without LDFLAGS: $line" ;; esac
done
note "the library, the report and the supervisor are linked with LDFLAGS"
