#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The python3 ftplib client of the compatibility matrix (matrix.sh).

One operation on one control connection, through the standard library's
ftplib as an application would use it, with one change: the address in a
227 reply is honoured (trust_server_pasv_ipv4_address), so a 227 the
router failed to rewrite fails the cell instead of being silently
replaced by the control connection's peer.

  --op get|put|list|nlst|mlsd|rest|x100   what to do (files go to --dir:
      out (get, rest), listing (list, nlst, mlsd), x/NNN (x100));
      put uploads --upload as incoming/--upload-name
  --mode PORT|EPRT|PASV|EPSV   ftplib's own choice of the command follows
      the address family (PORT/PASV over IPv4, EPRT/EPSV over IPv6): a mode
      it does not use for this family is not forced.

The dialogue is printed as "> COMMAND" / "< reply" lines (PASS hidden);
matrix.sh checks the files and the dialogue. Exit 0 when ftplib reported
no error.
"""
import argparse
import ftplib
import os
import sys


class Client(ftplib.FTP):
    trust_server_pasv_ipv4_address = True

    def putcmd(self, line):
        shown = "PASS ****" if line.startswith("PASS ") else line
        print("> " + shown, flush=True)
        super().putcmd(line)

    def getresp(self):
        resp = super().getresp()
        for line in resp.split("\n"):
            print("< " + line, flush=True)
        return resp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--user", default="anonymous")
    ap.add_argument("--password", default="ftpalg@example.org")
    ap.add_argument("--mode", required=True,
                    choices=["PORT", "EPRT", "PASV", "EPSV"])
    ap.add_argument("--op", required=True,
                    choices=["get", "put", "list", "nlst", "mlsd", "rest",
                             "x100"])
    ap.add_argument("--dir", required=True)
    ap.add_argument("--upload")
    ap.add_argument("--upload-name")
    ap.add_argument("--rest-offset", type=int, default=0)
    ap.add_argument("--timeout", type=float, default=8)
    a = ap.parse_args()

    try:
        f = Client(timeout=a.timeout)
        # ftplib answers errors with exceptions; the reply text is in them
        f.connect(a.host, a.port)
        f.login(a.user, a.password)
        f.set_pasv(a.mode in ("PASV", "EPSV"))
        if a.op in ("get", "rest"):
            out = os.path.join(a.dir, "out")
            rest = a.rest_offset if a.op == "rest" else None
            with open(out, "ab" if rest else "wb") as fh:
                f.retrbinary("RETR mid.bin", fh.write, rest=rest)
        elif a.op == "put":
            with open(a.upload, "rb") as fh:
                f.storbinary("STOR incoming/" + a.upload_name, fh)
        elif a.op in ("list", "nlst", "mlsd"):
            cmd = {"list": "LIST", "nlst": "NLST", "mlsd": "MLSD"}[a.op]
            lines = []
            f.retrlines(cmd, lines.append)
            with open(os.path.join(a.dir, "listing"), "w") as fh:
                fh.write("\n".join(lines) + "\n")
        else:
            xdir = os.path.join(a.dir, "x")
            os.makedirs(xdir, exist_ok=True)
            for i in range(100):
                name = "small/f%02d.bin" % (i % 24 + 1)
                with open(os.path.join(xdir, "%03d" % i), "wb") as fh:
                    f.retrbinary("RETR " + name, fh.write)
        f.quit()
    except (ftplib.Error, OSError, EOFError) as e:
        print("error: %s: %s" % (type(e).__name__, e), flush=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
