# Review of issue 14 (finding 2): frame names were cached as pointers into
# the loader's memory, and only the shim's dlclose wrapper made them stale.
# A dlclose the wrapper does not see (a plugin manager loaded with
# RTLD_DEEPBIND binds to libc's dlclose) freed the module's name, and the
# next record copied the freed bytes, unescaped: invalid JSON, which
# sockshim-report counted as malformed.  Now names are the shim's own
# copies, and each record first asks the loader whether anything was
# unloaded since (dlpi_subs).  The second record must be JSON and name the
# second plugin and its function.
#
# Before (30c5a21): line 2 "module":"<garbage bytes>"; python's json
# cannot read it.
. "$(dirname "$0")/../lib.sh"
no_sanitizer "RTLD_DEEPBIND is refused by the sanitizer runtimes"

a=$PROGS/unseen_dlclose_a.so
b=$PROGS/unseen_dlclose_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.so
out=$("$PROGS/unseen_dlclose" "$PROGS/unseen_dlclose_mgr.so" "$a" "$b") || fail "bare: exit $?: $out"
log=$WORK/log
out=$(SOCKSHIM_LOG="$log" timeout 20 env $SAN_VARS LD_PRELOAD="$PRELOAD" \
	"$PROGS/unseen_dlclose" "$PROGS/unseen_dlclose_mgr.so" "$a" "$b" 2>&1) || fail "exit $?: $out"
[ "$out" = done ] || fail "$out"
[ -n "$SAN_VARS" ] && { note "(no backtraces under $FLAVOR: the run alone)"; exit 0; }
python3 - "$log" "$a" "$b" <<'PY' || fail "records: $(cat -v "$log")"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1], "rb")]
assert len(recs) == 2, recs
for r, lib, fn in zip(recs, sys.argv[2:], ("closer_in_a", "closer_in_b")):
    f = r["backtrace"][0]
    assert f["module"].endswith(lib.split("/")[-1]), (f, lib)
    assert f.get("symbol", "").startswith(fn + "+"), (f, fn)
PY
note "both records JSON, each naming its own plugin and function"
