# A socket shared by fork, its request bytes unread, closed by the parent
# and the child at the same moment: the kernel resets it once, and the
# shim must say so once.  Each holder asks the kernel after its own close
# whether the socket is gone (lastref.h); when both questions came after
# both closes, both holders wrote a close_rst for the one reset (dnsmasq
# under CI's load: 6 records for 5 resets).  Now the holders of a fork
# tree claim each socket's reset in shared memory: the first to claim it
# writes the record.
#
# Before: "20 resets, 39 close_rst records" (20 connections).
. "$(dirname "$0")/../lib.sh"
private_net
N=20
before=$(kernel_aborts)
SOCKSHIM_LOG="$WORK/race.log" env $SAN_VARS LD_PRELOAD="$PRELOAD" "$PROGS/shared_close_race" $N ||
	fail "the program exited $?"
sleep 0.2
aborts=$(($(kernel_aborts) - before))
rst=$(count_events "$WORK/race.log" close_rst)
note "$aborts resets, $rst close_rst records"
[ "$aborts" = $N ] || fail "the kernel counted $aborts resets for $N connections: the case does not show here"
[ "$rst" = "$aborts" ] || fail "$rst close_rst records for $aborts resets"
check_log "$WORK/race.log" --event close_rst --where reason=unread_data --count $N
# the addresses come from the kernel's identity of the socket (taken before
# the close, written only with the record), and the closing frame is named
python3 - "$WORK/race.log" <<'PY' || fail "a close_rst without its addresses or its closing frame"
import json, sys
for l in open(sys.argv[1], encoding="utf-8"):
    r = json.loads(l)
    if r["event"] != "close_rst":
        continue
    assert r["local"].startswith("127.0.0.1:") and r["peer"].startswith("127.0.0.1:"), r
    assert r["local"] != r["peer"], r
    assert any((f.get("symbol") or "").startswith(("close_in_child", "close_in_parent"))
               for f in r["backtrace"]), r
PY
