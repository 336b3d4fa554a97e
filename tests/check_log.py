#!/usr/bin/env python3
"""Checks a sockshim log (JSON lines) the way a user would read it.

    check_log.py LOG [--event NAME] [--where FIELD=VALUE ...]
                     [--backtrace-has FUNC] [--first-backtrace-has FUNC]
                     [--module-has TEXT] [--count N | --at-least N]

Every line must be one JSON object with the fields every record has.  Then
the records of --event that match every --where are selected, and each
condition must hold for at least one of them (or, with --count/--at-least,
for how many there are).  Exits 1 with the reason on failure.
"""
import argparse
import json
import re
import sys

COMMON = ("ts", "pid", "tid", "prog", "event")
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def frames_have(frames, func):
    return any((f.get("symbol") or "").split("+")[0] == func for f in frames or [])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--event")
    ap.add_argument("--where", action="append", default=[])
    ap.add_argument("--backtrace-has")
    ap.add_argument("--first-backtrace-has")
    ap.add_argument("--module-has")
    ap.add_argument("--count", type=int)
    ap.add_argument("--at-least", type=int)
    a = ap.parse_args()

    records = []
    with open(a.log, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                r = json.loads(line)
            except ValueError as e:
                sys.exit(f"{a.log}:{n}: not JSON ({e}): {line!r}")
            if not isinstance(r, dict) or any(k not in r for k in COMMON):
                sys.exit(f"{a.log}:{n}: not a record: {line!r}")
            if not TS.match(r["ts"]):
                sys.exit(f"{a.log}:{n}: bad ts {r['ts']!r}")
            for key in ("backtrace", "first_backtrace"):
                for fr in r.get(key, []):
                    if not re.match(r"^0x[0-9a-f]+$", fr.get("ip", "")):
                        sys.exit(f"{a.log}:{n}: frame without ip: {fr}")
            records.append(r)

    sel = [r for r in records if a.event is None or r["event"] == a.event]
    for cond in a.where:
        k, v = cond.split("=", 1)
        sel = [r for r in sel if str(r.get(k)) == v]
    if a.backtrace_has:
        sel = [r for r in sel if frames_have(r.get("backtrace"), a.backtrace_has)]
    if a.first_backtrace_has:
        sel = [r for r in sel if frames_have(r.get("first_backtrace"), a.first_backtrace_has)]
    if a.module_has:
        sel = [r for r in sel if any(a.module_has in (f.get("module") or "")
                                     for f in r.get("backtrace", []))]
    what = " ".join(sys.argv[2:])
    if a.count is not None and len(sel) != a.count:
        sys.exit(f"{len(sel)} records match ({what}), expected {a.count}")
    if a.at_least is not None and len(sel) < a.at_least:
        sys.exit(f"{len(sel)} records match ({what}), expected at least {a.at_least}")
    if a.count is None and a.at_least is None and not sel:
        sys.exit(f"no record matches ({what}) among {len(records)}")


if __name__ == "__main__":
    main()
