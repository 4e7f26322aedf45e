#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""tests/bench/report.py: the benchmark's results (one key=value line per
tool run, tagged mode= and round=) as a table of medians, the ratios
ftp-algd/kernel and ftp-algd/no-op, and issue #9's targets as PASS/FAIL.
Called by tests/bench/run.sh; prints the table and writes it as markdown.
Exits 1 with --strict 1 when a target fails."""
import argparse
import datetime
import os
import platform
import statistics
import sys

MODES = ["none", "kernel", "noop", "algd"]
HEAD = ["no ALG", "kernel helper", "no-op NFQUEUE reader", "ftp-algd"]
# Optional (--modes "noop pub0 pub"): ftp-algd with nothing to rewrite,
# every ACK queued (pure_ack_bypass = no) and with the bypass
PA_MODES = ["pub0", "pub"]
PA_HEAD = ["no-op NFQUEUE reader", "ftp-algd, every ACK queued",
           "ftp-algd, pure ACKs bypass"]


def parse(path):
    runs = []
    with open(path) as f:
        for line in f:
            kv = {}
            words = line.split()
            for w in words:
                if "=" in w:
                    k, v = w.split("=", 1)
                    kv[k] = v
                else:
                    kv["kind"] = w
            if kv:
                runs.append(kv)
    return runs


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


class Figures:
    def __init__(self, runs):
        self.runs = runs

    def values(self, mode, kind, field, **match):
        out = []
        for r in self.runs:
            if r.get("mode") != mode or r.get("kind") != kind:
                continue
            if any(r.get(k) != v for k, v in match.items()):
                continue
            if kind == "rate" and "sustained" not in match and \
                    r.get("sustained"):
                continue
            if kind == "rate" and "churn" not in match and r.get("churn"):
                continue
            x = num(r.get(field))
            if x is not None:
                out.append(x)
        return out

    def median(self, mode, kind, field, **match):
        v = self.values(mode, kind, field, **match)
        return statistics.median(v) if v else None


def fmt(x, unit=""):
    if x is None:
        return "-"
    if abs(x) >= 1000:
        s = f"{x:,.0f}"
    elif abs(x) >= 100:
        s = f"{x:.0f}"
    else:
        s = f"{x:.1f}"
    return s + unit


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--command", default="bash tests/bench/run.sh")
    ap.add_argument("--rounds", default="3")
    ap.add_argument("--queues", default="1")
    ap.add_argument("--lat-n", default="")
    ap.add_argument("--rate-s", default="")
    ap.add_argument("--sust-s", default="")
    ap.add_argument("--xfer-bytes", default="0")
    ap.add_argument("--strict", default="0")
    a = ap.parse_args()
    F = Figures(parse(a.results))
    gib = int(a.xfer_bytes) / (1 << 30)
    size = f"{gib:g} GiB" if gib >= 1 else f"{int(a.xfer_bytes) >> 20} MiB"

    # (label, kind, field, match, unit)
    rows = []
    for c, name in (("noop", "NOOP"), ("pasv", "PASV -> 227"),
                    ("port", "PORT -> 200")):
        rows.append((f"{name} round trip p50", "lat", "p50_us",
                     {"cmd": c}, " us"))
        rows.append((f"{name} round trip p99", "lat", "p99_us",
                     {"cmd": c}, " us"))
    for n in ("1", "64", "512"):
        rows.append((f"setups/s, {n} session{'s' if n != '1' else ''} "
                     "(PASV, connect, NLST, close)", "rate", "per_s",
                     {"sessions": n}, ""))
    rows.append(("queue reader's CPU per setup, 64 sessions (user + "
                 "system, every thread)", "cpu", "us_per_setup",
                 {"sessions": "64"}, " us"))
    rows.append(("control packets queued per setup, 64 sessions", "cpu",
                 "queued_per_setup", {"sessions": "64"}, ""))
    sm = {"sustained": "1"}
    rows.append((f"sustained {a.sust_s} s, 64 sessions: median second",
                 "rate", "sec_median", sm, ""))
    rows.append(("sustained: slowest second", "rate", "sec_min", sm, ""))
    rows.append(("sustained: worst single setup", "rate", "worst_ms", sm,
                 " ms"))
    cm = {"churn": "1"}
    rows.append(("whole sessions/s, 64 at a time (connect, log in, PASV, "
                 "NLST, close)", "rate", "per_s", cm, ""))
    rows.append(("whole sessions: worst single one", "rate", "worst_ms", cm,
                 " ms"))
    rows.append((f"{size} passive download", "xfer", "mbit_s",
                 {"how": "passive"}, " Mbit/s"))
    rows.append((f"{size} active download", "xfer", "mbit_s",
                 {"how": "active"}, " Mbit/s"))

    def med(mode, kind, field, match):
        return F.median(mode, kind, field, **match)

    table = []
    hdr = ["figure (medians)"] + HEAD + ["ftp-algd / kernel",
                                         "ftp-algd / no-op"]
    table.append(hdr)
    vals = {}
    for label, kind, field, match, unit in rows:
        cells = [label]
        for m in MODES:
            x = med(m, kind, field, match)
            vals[(label, m)] = x
            cells.append(fmt(x, unit))
        cells.append(ratio(vals[(label, "algd")], vals[(label, "kernel")]))
        cells.append(ratio(vals[(label, "algd")], vals[(label, "noop")]))
        table.append(cells)

    eng_plain = med_any(F, "engine", "engine_pps_plain_mix")
    eng_mix = med_any(F, "engine", "engine_pps_mix")
    idle = med_any(F, "engine", "idle_session_bytes")
    if idle is not None and idle < 0:
        idle = None     # not measurable in this build (sanitizers)
    pins1 = med_any(F, "pins", "single_ops_s")
    pinsb = med_any(F, "pins", "batched_ops_s")
    batch = first_any(F, "pins", "batch")

    def v(label, m):
        return vals.get((label, m))

    targets = []

    def target(what, ok, detail):
        if ok is None:
            targets.append((what, "n/a", detail))
        else:
            targets.append((what, "PASS" if ok else "FAIL", detail))

    for name in ("NOOP", "PASV -> 227"):
        for pct, lim in (("p50", 5), ("p99", 20)):
            lab = f"{name} round trip {pct}"
            x, y = v(lab, "algd"), v(lab, "noop")
            d = None if x is None or y is None else x - y
            target(f"{name} {pct} within +{lim} us of the no-op reader",
                   None if d is None else d <= lim,
                   "-" if d is None else f"{d:+.1f} us")
    lab1 = "setups/s, 1 session (PASV, connect, NLST, close)"
    lab512 = "setups/s, 512 sessions (PASV, connect, NLST, close)"
    x, y = v(lab1, "algd"), v(lab1, "noop")
    target("setups at 1 session >= 0.95x the no-op reader",
           None if not x or not y else x / y >= 0.95, ratio(x, y))
    x, y = v(lab512, "algd"), v(lab512, "kernel")
    target("setups at 512 sessions >= the kernel helper",
           None if not x or not y else x / y >= 1.0, ratio(x, y))
    smed = v(f"sustained {a.sust_s} s, 64 sessions: median second", "algd")
    smin = v("sustained: slowest second", "algd")
    target("sustained: no second below 0.8x the median (ftp-algd)",
           None if not smed else smin / smed >= 0.8,
           ratio(smin, smed))
    x = v("sustained: worst single setup", "algd")
    y = v("sustained: worst single setup", "kernel")
    target("sustained: worst setup within 2x the kernel helper's",
           None if not x or not y else x <= 2 * y, ratio(x, y))
    for how in ("passive", "active"):
        lab = f"{size} {how} download"
        x, y = v(lab, "algd"), v(lab, "kernel")
        target(f"data {how} >= 0.97x the kernel helper",
               None if not x or not y else x / y >= 0.97, ratio(x, y))
    target("engine >= 2 M packets/s per core, plain mix",
           None if eng_plain is None else eng_plain >= 2e6,
           fmt(eng_plain, " packets/s"))
    target("<= 1 KiB per idle session at 100,000 sessions",
           None if idle is None else 0 < idle <= 1024, fmt(idle, " bytes"))
    target(">= 20,000 pinhole installs+removals/s (one per batch)",
           None if pins1 is None else pins1 >= 20000, fmt(pins1, "/s"))

    # The pure-ACK comparison (modes pub0/pub), when it was run: no
    # rewrite needed, so the sessions are never shifted.
    pa = []
    if any(r.get("mode") in PA_MODES for r in F.runs):
        pa.append(["figure (medians)"] + PA_HEAD +
                  ["bypass / every ACK queued", "bypass / no-op"])
        for label, kind, field, match, unit in rows:
            xs = {m: med(m, kind, field, match) for m in ["noop"] + PA_MODES}
            pa.append([label] + [fmt(xs[m], unit) for m in
                                 ["noop"] + PA_MODES] +
                      [ratio(xs["pub"], xs["pub0"]),
                       ratio(xs["pub"], xs["noop"])])

    # stdout
    widths = [max(len(r[i]) for r in table) for i in range(len(hdr))]
    for r in table:
        print("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)))
    if pa:
        print("no rewrite needed (the server announces the public "
              "address):")
        w2 = [max(len(r[i]) for r in pa) for i in range(len(pa[0]))]
        for r in pa:
            print("  ".join(c.ljust(w2[i]) for i, c in enumerate(r)))
    print(f"engine alone: {fmt(eng_plain)} packets/s (plain mix), "
          f"{fmt(eng_mix)} packets/s (mix with addresses), "
          f"{fmt(idle)} bytes per idle session at 100,000")
    print(f"pinholes: {fmt(pins1)} installs+removals/s one per batch, "
          f"{fmt(pinsb)}/s {batch or '?'} per batch")
    fails = 0
    for what, st, detail in targets:
        print(f"target {what}: {st} ({detail})")
        fails += st == "FAIL"

    now = datetime.datetime.now(datetime.timezone.utc)
    with open(a.out, "w") as f:
        f.write(f"<!-- {a.command}, {now:%Y-%m-%d %H:%M} UTC, "
                f"Linux {platform.release()}, {os.cpu_count()} cores, "
                f"{a.rounds} round(s), ftp-algd queues {a.queues} -->\n\n")
        f.write("| " + " | ".join(hdr) + " |\n")
        f.write("|" + "---|" * len(hdr) + "\n")
        for r in table[1:]:
            f.write("| " + " | ".join(r) + " |\n")
        if pa:
            f.write("\nNo rewrite needed (the server announces the public "
                    "address; ftp-algd opens pinholes and mappings only):\n\n")
            f.write("| " + " | ".join(pa[0]) + " |\n")
            f.write("|" + "---|" * len(pa[0]) + "\n")
            for r in pa[1:]:
                f.write("| " + " | ".join(r) + " |\n")
        f.write("\n| engine alone | figure |\n|---|---|\n")
        f.write(f"| packets/s per core, recorded mix, plain | "
                f"{fmt(eng_plain)} |\n")
        f.write(f"| packets/s per core, recorded mix with addresses | "
                f"{fmt(eng_mix)} |\n")
        f.write(f"| heap bytes per idle session at 100,000 | "
                f"{fmt(idle)} |\n")
        f.write(f"| pinhole installs+removals/s, one per batch | "
                f"{fmt(pins1)} |\n")
        f.write(f"| pinhole installs+removals/s, {batch or '?'} per batch | "
                f"{fmt(pinsb)} |\n")
        f.write("\n| target (issue #9) | result | measured |\n|---|---|---|\n")
        for what, st, detail in targets:
            f.write(f"| {what} | {st} | {detail} |\n")
    if a.strict == "1" and fails:
        return 1
    return 0


def med_any(F, mode, field):
    v = [num(r.get(field)) for r in F.runs if r.get("mode") == mode]
    v = [x for x in v if x is not None]
    return statistics.median(v) if v else None


def first_any(F, mode, field):
    for r in F.runs:
        if r.get("mode") == mode and field in r:
            return r[field]
    return None


if __name__ == "__main__":
    sys.exit(main())
