#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Data-connection setups on one control connection, for a while.

Logs in, then for --seconds: PASV, connect to the announced address,
NLST, read the listing to its end, wait for 226. Counts the setups that
completed in each second and the longest gap between two completions.
Prints one line "setups N seconds S per_second a,b,c... max_gap_ms G
worst_ms W" and exits 0, or 1 when any setup failed (its reply is
printed).
"""
import argparse
import re
import socket
import sys
import time


def reply(f):
    """One complete reply (multi-line ones too): (code, last line)."""
    line = f.readline().decode("latin-1")
    if len(line) < 4:
        raise EOFError("control connection closed")
    code = line[:3]
    if line[3] == "-":
        while True:
            more = f.readline().decode("latin-1")
            if not more:
                raise EOFError("control connection closed")
            if more.startswith(code + " "):
                line = more
                break
    return int(code), line.strip()


def cmd(sock, f, text):
    sock.sendall(text.encode() + b"\r\n")
    return reply(f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--timeout", type=float, default=10.0)
    a = ap.parse_args()

    s = socket.create_connection((a.host, 21), timeout=a.timeout)
    f = s.makefile("rb")
    reply(f)
    cmd(s, f, "USER " + a.user)
    code, line = cmd(s, f, "PASS " + a.password)
    if code != 230:
        print("login failed: " + line)
        return 1
    start = time.monotonic()
    last = start
    done = []
    max_gap = 0.0
    worst = 0.0
    while time.monotonic() - start < a.seconds:
        t0 = time.monotonic()
        code, line = cmd(s, f, "PASV")
        m = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", line)
        if code != 227 or not m:
            print("PASV failed: " + line)
            return 1
        n = [int(x) for x in m.groups()]
        addr = "%d.%d.%d.%d" % tuple(n[:4])
        d = socket.create_connection((addr, n[4] * 256 + n[5]),
                                     timeout=a.timeout)
        code, line = cmd(s, f, "NLST")
        if code not in (125, 150):
            print("NLST failed: " + line)
            return 1
        while d.recv(65536):
            pass
        d.close()
        code, line = reply(f)
        if code != 226:
            print("NLST did not complete: " + line)
            return 1
        now = time.monotonic()
        done.append(now - start)
        max_gap = max(max_gap, now - last)
        worst = max(worst, now - t0)
        last = now
    cmd(s, f, "QUIT")
    secs = int(a.seconds)
    per = [0] * secs
    for t in done:
        if int(t) < secs:
            per[int(t)] += 1
    print("setups %d seconds %d per_second %s max_gap_ms %.1f worst_ms %.1f"
          % (len(done), secs, ",".join(str(x) for x in per),
             max_gap * 1000, worst * 1000))
    return 0


if __name__ == "__main__":
    sys.exit(main())
