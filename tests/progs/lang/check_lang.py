#!/usr/bin/env python3
"""Checks the lang_backtrace of a sockshim log's records.

    check_lang.py LOG --event NAME [--frame FILE:FUNCTION:LINE] [--count N]
                      [--lang python|ruby|java | --no-lang]

Selects the records of --event (and, with --frame, those whose
lang_backtrace has a frame whose file ends with FILE, with that function
and line); --count: exactly N are selected; --lang: each selected record
has a lang_backtrace, every frame of it of that language and of the
contract's shape; --no-lang: none has one.  Exits 1 with the reason.
"""
import argparse
import json
import sys


def has_frame(rec, spec):
    file_, func, line = spec.rsplit(":", 2)
    return any(f.get("file", "").endswith(file_) and f.get("function") == func and
               f.get("line") == int(line) for f in rec.get("lang_backtrace") or [])


def shape_ok(f, lang):
    return (set(f) <= {"lang", "function", "file", "line"} and f.get("lang") == lang and
            isinstance(f.get("function"), str) and f["function"] and
            isinstance(f.get("file", ""), str) and isinstance(f.get("line", 0), int))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("--event", required=True)
    ap.add_argument("--frame")
    ap.add_argument("--count", type=int)
    ap.add_argument("--lang")
    ap.add_argument("--no-lang", action="store_true")
    a = ap.parse_args()
    recs = [json.loads(l) for l in open(a.log, encoding="utf-8") if l.strip()]
    sel = [r for r in recs if r.get("event") == a.event]
    if a.frame:
        sel = [r for r in sel if has_frame(r, a.frame)]
    what = f"{a.event} records" + (f" with a frame {a.frame}" if a.frame else "")
    if a.count is not None and len(sel) != a.count:
        sys.exit(f"{len(sel)} {what}, expected {a.count}")
    for r in sel:
        lb = r.get("lang_backtrace")
        if a.no_lang and lb is not None:
            sys.exit(f"a {a.event} record has a lang_backtrace: {json.dumps(r)[:600]}")
        if a.lang and (not lb or not all(shape_ok(f, a.lang) for f in lb)):
            sys.exit(f"a {a.event} record without a {a.lang} lang_backtrace of the contract's shape: "
                     f"{json.dumps(r)[:800]}")
    print(f"  {len(sel)} {what}")


main()
