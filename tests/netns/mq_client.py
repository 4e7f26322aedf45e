#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""One FTP control connection from a given source address: N downloads
of small files, alternating the modes given (PASV, PORT), each checked
against SHA256SUMS; a pause before each. Exit 0 and "RESULT OK" when
every transfer matched."""
import argparse
import ftplib
import hashlib
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--src", required=True, help="source address")
    ap.add_argument("--sums", required=True)
    ap.add_argument("--transfers", type=int, default=4)
    ap.add_argument("--modes", default="PASV,PORT")
    ap.add_argument("--pause", type=float, default=0)
    ap.add_argument("--first", type=int, default=0,
                    help="index of the first file (spreads the files)")
    a = ap.parse_args()
    sums = {}
    with open(a.sums) as f:
        for line in f:
            h, name = line.split()
            if name.startswith("small/"):
                sums[name] = h
    names = sorted(sums)
    modes = a.modes.split(",")
    ftp = ftplib.FTP(timeout=20, source_address=(a.src, 0))
    ftp.connect(a.host, 21)
    ftp.login("anonymous", "ftpalg@example.org")
    bad = 0
    for i in range(a.transfers):
        if a.pause:
            time.sleep(a.pause)
        mode = modes[i % len(modes)]
        name = names[(a.first + i) % len(names)]
        ftp.set_pasv(mode == "PASV")
        h = hashlib.sha256()
        try:
            ftp.retrbinary("RETR " + name, h.update)
        except (ftplib.Error, OSError) as e:
            # Once, on the same control connection: a data connection
            # lost right at a takeover is reported (RETRY), the session
            # must still carry the next one.
            print(f"{a.src} {i} {mode} {name}: RETRY {e}", flush=True)
            h = hashlib.sha256()
            try:
                ftp.retrbinary("RETR " + name, h.update)
            except (ftplib.Error, OSError) as e2:
                print(f"{a.src} {i} {mode} {name}: FAIL {e2}", flush=True)
                bad += 1
                continue
        ok = h.hexdigest() == sums[name]
        print(f"{a.src} {i} {mode} {name}: {'OK' if ok else 'FAIL sum'}",
              flush=True)
        bad += not ok
    ftp.quit()
    print("RESULT OK" if not bad else f"RESULT FAIL {bad}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
