# sockshim-report naming the frames of binaries from other hosts: records
# whose module path does not exist here (/opt/app/events) and whose frames
# carry the binary's "build_id".  The report finds the binary under
# --binaries (by path, by name, or by build ID among its files), or its
# separate debug file in a --debug-dir (.build-id/xx/yyyy.debug), or asks
# debuginfod for it (libdw does, with DEBUGINFOD_URLS: here a directory
# served over HTTP as debuginfod serves /buildid/ID/debuginfo).  A file at
# the path with another build ID is not trusted.
# group: servers
. "$(dirname "$0")/../lib.sh"

REPORT="$B/sockshim-report"
[ -x "$REPORT" ] || fail "no $REPORT (make build/sockshim-report)"
command -v objcopy >/dev/null || skip "no objcopy (binutils)"
unset DEBUGINFOD_URLS

for mode in double_close double_close unread_data; do
	env LD_PRELOAD="$PRELOAD" SOCKSHIM_LOG="$WORK/real.log" "$PROGS/events" "$mode" >"$WORK/run.out" 2>&1 ||
		{ cat "$WORK/run.out"; fail "events $mode: exit $?"; }
done
id=$(python3 - "$PROGS/events" <<'PY'
import struct, sys
# the GNU build ID note of an ELF file, read without binutils
data = open(sys.argv[1], "rb").read()
shoff, = struct.unpack_from("<Q", data, 0x28)
shentsize, shnum = struct.unpack_from("<HH", data, 0x3a)
for i in range(shnum):
    off = shoff + i * shentsize
    typ, = struct.unpack_from("<I", data, off + 4)
    if typ != 7:  # SHT_NOTE
        continue
    o, size = struct.unpack_from("<QQ", data, off + 0x18)
    namesz, descsz, ntype = struct.unpack_from("<III", data, o)
    if ntype == 3 and data[o + 12:o + 15] == b"GNU":
        d = o + 12 + ((namesz + 3) & ~3)
        print(data[d:d + descsz].hex())
        break
PY
)
[ -n "$id" ] || skip "$PROGS/events has no build ID"

# The records as another host wrote them: the program was /opt/app/events.
moved() { # BUILD_ID FILE
	python3 - "$WORK/real.log" "$1" >"$2" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    r = json.loads(line)
    for key in ("backtrace", "first_backtrace"):
        for f in r.get(key, []):
            if f["module"].endswith("/progs/events"):
                f["module"] = "/opt/app/events"
                if sys.argv[2]:
                    f["build_id"] = sys.argv[2]
    print(json.dumps(r))
PY
}
moved "$id" "$WORK/moved.log"
SRC_LINE='tests/progs/events\.c:[0-9]+'

top_frame() { # the first frame of call site #1
	awk '$1 == "#1" { getline; print; exit }' "$1"
}
expect_named() { # WHAT [report options]: second_closer named with its source line
	what=$1
	shift
	"$REPORT" "$@" "$WORK/moved.log" >"$WORK/out.txt" 2>"$WORK/err.txt" || { cat "$WORK/err.txt"; fail "$what: exit $?"; }
	top_frame "$WORK/out.txt" | grep -Eq "^ +0  second_closer\+0x[0-9a-f]+ +([^ ]*/)?$SRC_LINE +events\+0x[0-9a-f]+" ||
		{ cat "$WORK/out.txt"; fail "$what: second_closer not named with its source line"; }
}

# Nothing to find it with: the log's own names, no source line.
"$REPORT" "$WORK/moved.log" >"$WORK/out.txt" || fail "no binaries: exit $?"
top_frame "$WORK/out.txt" | grep -Eq '^ +0  second_closer\+0x[0-9a-f]+ +events\+0x[0-9a-f]+$' ||
	{ cat "$WORK/out.txt"; fail "without the binary: not named from the log"; }

# --binaries: the tree of the host, the binary by its name, or any file
# of that build ID
mkdir -p "$WORK/tree/opt/app" "$WORK/flat" "$WORK/any/sub"
cp "$PROGS/events" "$WORK/tree/opt/app/events"
cp "$PROGS/events" "$WORK/flat/events"
cp "$PROGS/events" "$WORK/any/sub/a-copy"
cp "$PROGS/hello" "$WORK/any/events" 2>/dev/null || cp /bin/true "$WORK/any/events"
expect_named "--binaries tree" --binaries "$WORK/tree"
expect_named "--binaries flat" --binaries "$WORK/flat"
expect_named "--binaries by build ID" --binaries "$WORK/any"
grep -q "(from $WORK/any/sub/a-copy)" "$WORK/out.txt" || { cat "$WORK/out.txt"; fail "by build ID: not from a-copy"; }
note "--binaries: by path, by name, by build ID"

# A file at the path that is not of the record's build ID is not used:
# named from the log, and told.
moved 0123456789abcdef0123456789abcdef01234567 "$WORK/other-id.log"
mkdir -p "$WORK/stale/opt/app"
cp "$PROGS/events" "$WORK/stale/opt/app/events"
"$REPORT" --binaries "$WORK/stale" "$WORK/other-id.log" >"$WORK/out.txt" || fail "other build ID: exit $?"
top_frame "$WORK/out.txt" | grep -Eq '^ +0  second_closer\+0x[0-9a-f]+ +events\+0x[0-9a-f]+  \(object differs: named from the log\)$' ||
	{ cat "$WORK/out.txt"; fail "a binary of another build ID was used"; }
assert_grep "$WORK/out.txt" '^warning: /opt/app/events is not the object that wrote some records'

# a debug directory: the separate debug file, as a -dbg package installs it
mkdir -p "$WORK/debug/.build-id/${id%"${id#??}"}"
objcopy --only-keep-debug "$PROGS/events" "$WORK/debug/.build-id/${id%"${id#??}"}/${id#??}.debug" ||
	fail "objcopy --only-keep-debug"
expect_named "--debug-dir" --debug-dir "$WORK/debug"
note "--debug-dir: the .build-id debug file"

# debuginfod, through libdw
mkdir -p "$WORK/srv/buildid/$id"
cp "$WORK/debug/.build-id/${id%"${id#??}"}/${id#??}.debug" "$WORK/srv/buildid/$id/debuginfo"
port=$(free_port)
bg_start python3 -m http.server "$port" --bind 127.0.0.1 --directory "$WORK/srv" >"$WORK/http.log" 2>&1
wait_listen "$port"
DEBUGINFOD_URLS="http://127.0.0.1:$port" DEBUGINFOD_CACHE_PATH="$WORK/cache" expect_named "debuginfod"
grep -q "GET /buildid/$id/debuginfo HTTP/1.[01]\" 200" "$WORK/http.log" || { cat "$WORK/http.log"; fail "debuginfod was not asked"; }
note "debuginfod: asked for /buildid/$id/debuginfo"
