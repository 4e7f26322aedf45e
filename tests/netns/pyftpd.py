#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A pyftpdlib server for the netns tests: one user with a password, the
default strictness about data addresses (PORT/EPRT to anyone but the
control connection's peer is refused), a fixed passive port range and,
optionally, a masquerade address announced in 227 replies, and a 227
reply in an odd but real shape (--pasv-reply):

  noparen    227 Entering Passive Mode h1,h2,h3,h4,p1,p2  (no parentheses)
  multiline  227-Entering Passive Mode
             227-(h1,h2,h3,h4,p1,p2)
             227 OK

Run it with the Debian interpreter (/usr/bin/python3), which has
python3-pyftpdlib.
"""
import argparse
import logging
import re
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import ActiveDTP, FTPHandler, PassiveDTP
from pyftpdlib.servers import FTPServer


def reshape_227(style, resp):
    """A "227 ... (h1,...,p2)." reply in the shape STYLE (a list of lines)."""
    m = re.search(r"\((\d+(?:,\d+){5})\)", resp)
    if not m or style == "plain":
        return [resp]
    if style == "noparen":
        return ["227 Entering Passive Mode %s" % m.group(1)]
    return ["227-Entering Passive Mode", "227-(%s)" % m.group(1), "227 OK"]


def handler_class(style):
    if style == "plain":
        return FTPHandler

    class Handler(FTPHandler):
        def respond(self, resp, logfun=logging.debug):
            if not resp.startswith("227 "):
                return FTPHandler.respond(self, resp, logfun)
            lines = reshape_227(style, resp)
            for line in lines[:-1]:
                self.push(line + "\r\n")
            return FTPHandler.respond(self, lines[-1], logfun)
    return Handler


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bind", required=True, help="address to listen on")
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--root", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--pasv-ports", default="41000-41099")
    ap.add_argument("--masquerade", help="address to announce in 227")
    ap.add_argument("--pasv-reply", default="plain",
                    choices=["plain", "noparen", "multiline"],
                    help="the shape of 227 replies")
    ap.add_argument("--log", help="log file (default stderr)")
    a = ap.parse_args()

    logging.basicConfig(filename=a.log, level=logging.INFO,
                        format="%(asctime)s %(message)s")

    auth = DummyAuthorizer()
    auth.add_user(a.user, a.password, a.root, perm="elradfmwMT")

    lo, hi = (int(x) for x in a.pasv_ports.split("-"))
    handler = handler_class(a.pasv_reply)
    handler.authorizer = auth
    handler.passive_ports = range(lo, hi + 1)
    handler.permit_foreign_addresses = False
    handler.permit_privileged_ports = False
    if a.masquerade:
        handler.masquerade_address = a.masquerade
    # A data connection that never comes must fail the case quickly.
    ActiveDTP.timeout = 10
    PassiveDTP.timeout = 10
    handler.timeout = 60

    server = FTPServer((a.bind, a.port), handler)
    server.max_cons = 64
    try:
        server.serve_forever(handle_exit=True)
    finally:
        server.close_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
