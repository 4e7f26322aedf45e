#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A scripted FTP client for the awkward cases an ALG must survive.

Plain sockets, so every byte on the control connection is ours to place:

  onebyte-port  PORT sent one byte per TCP segment, then RETR
  noop-port     "NOOP\\r\\nPORT ...\\r\\n" in a single send(), then RETR
  session       many transfers on one control connection: RETR of small
                files and LIST, alternating PORT/PASV/EPRT/EPSV, one STOR
                (read back and compared)
  get           one RETR in a given mode (--mode)
  hold          PASV (or EPSV), then wait while --hold-file exists, then
                RETR through it: keeps a session and a pinhole open for
                ftp-algctl to show
  steps         one control connection driven from outside, step by
                step: waits for the file --step-dir/N (N = 1, 2, ...)
                holding "get MODE FILE", "hold MODE FILE" or "quit", does
                it, and writes N.done ("ok" or "FAIL"). hold announces
                MODE, writes N.held ("held" and the line or reply that
                announced it) and waits for N.go before the RETR.
                --step-dir/ready says "ready <address> <port>" at login

--pause-at N,M --sync-dir DIR (any case): after announcing the data
connection of the N-th transfer (from 0), create DIR/paused-N and wait
for DIR/resume-N before using it: a test changes the router meanwhile,
with that transfer's pinhole open.

--check-data-source: an active-mode data connection must come from the
address the control connection goes to (a server behind a port forward
whose data connection leaves from another router address fails).

Every transfer is checked against SHA256SUMS (sha256sum output, paths
relative to the served root). Passive replies are taken at their word:
the address in a 227 is where the data connection goes, so a 227 an ALG
failed to rewrite fails the case. Prints one line per step; exit 0 when
everything matched, 1 otherwise.
"""
import argparse
import hashlib
import ipaddress
import os
import re
import socket
import sys
import time


class FtpError(Exception):
    pass


class FtpFatal(FtpError):
    """The control connection is gone or silent: nothing more to try."""


class Control:
    """The control connection: lines out, replies in."""

    def __init__(self, host, port, timeout, log):
        self.log = log
        self.sock = socket.create_connection((host, port), timeout=timeout)
        # One send() must be one segment for the byte-wise case.
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""
        self.peer = self.sock.getpeername()[0]
        self.local = self.sock.getsockname()[0]
        self.family = self.sock.family

    def _line(self):
        while b"\n" not in self.buf:
            try:
                chunk = self.sock.recv(4096)
            except socket.timeout:
                raise FtpFatal("no reply on the control connection within "
                               "%ss" % self.sock.gettimeout())
            except OSError as e:
                raise FtpFatal("control connection: %s" % e)
            if not chunk:
                raise FtpFatal("control connection closed by server")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """One reply: (code, text), multi-line replies joined."""
        first = self._line()
        if not re.match(r"^\d{3}[ -]", first + " "):
            raise FtpError("malformed reply %r" % first)
        lines = [first]
        if first[3:4] == "-":
            while True:
                nxt = self._line()
                lines.append(nxt)
                if nxt[:3] == first[:3] and nxt[3:4] == " ":
                    break
        text = "\n".join(lines)
        self.log("  <- " + text.replace("\n", "\n  <- "))
        return int(first[:3]), text

    def send(self, data):
        self.sock.sendall(data)

    def send_bytewise(self, data, delay):
        for i in range(len(data)):
            self.sock.send(data[i:i + 1])
            time.sleep(delay)

    def cmd(self, line, expect=None, show=None):
        self.log("  -> " + (show or line))
        self.send(line.encode() + b"\r\n")
        code, text = self.reply()
        if expect and str(code)[0] not in expect:
            raise FtpError("%s: unexpected reply %s" % (show or line, text))
        return code, text


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def load_sums(path):
    sums = {}
    with open(path) as f:
        for line in f:
            digest, name = line.split(None, 1)
            sums[name.strip().lstrip("*")] = digest
    return sums


class Client:
    def __init__(self, args):
        self.a = args
        self.ok = True
        self.failures = 0
        self.ctl = None
        self.pending = None	# data-channel state between steps
        self.announced = 0	# data connections announced so far
        self.pauses = set(int(x) for x in args.pause_at.split(",")
                          if x) if args.pause_at else set()

    def log(self, msg):
        print(msg, flush=True)

    def check(self, what, cond, detail=""):
        self.log("%s %s%s" % ("ok  " if cond else "FAIL", what,
                              (": " + detail) if detail else ""))
        if not cond:
            self.ok = False
            self.failures += 1
            # Each failure may have cost a timeout: a handful says
            # enough, and the case must end well within its limit.
            if self.failures >= self.a.max_failures:
                raise FtpFatal("giving up after %d failures"
                               % self.failures)
        return cond

    def login(self):
        a = self.a
        self.ctl = Control(a.host, a.port, a.timeout,
                           self.log if a.verbose else lambda m: None)
        code, text = self.ctl.reply()
        if code != 220:
            raise FtpError("greeting: " + text)
        code, text = self.ctl.cmd("USER " + a.user, "23")
        if code == 331:
            self.ctl.cmd("PASS " + a.password, "2", show="PASS ****")
        self.ctl.cmd("TYPE I", "2")

    # -- data connections -------------------------------------------------

    def _listen(self):
        fam = self.ctl.family
        ls = socket.socket(fam, socket.SOCK_STREAM)
        ls.bind((self.ctl.local, 0))
        ls.listen(1)
        ls.settimeout(self.a.timeout)
        return ls

    def sync_point(self, k, mode):
        """Tell the test we paused after announcement k; wait for it."""
        d = self.a.sync_dir
        self.log("  paused after announcement %d (%s)" % (k, mode))
        open(os.path.join(d, "paused-%d" % k), "w").close()
        deadline = time.time() + self.a.hold_max
        resume = os.path.join(d, "resume-%d" % k)
        while not os.path.exists(resume) and time.time() < deadline:
            time.sleep(0.05)
        self.log("  resumed after announcement %d" % k)

    def announce(self, mode, how="whole"):
        """Announce a data connection in mode; returns its state."""
        st = self._announce(mode, how)
        k = self.announced
        self.announced += 1
        if k in self.pauses and self.a.sync_dir:
            self.sync_point(k, mode)
        return st

    def _announce(self, mode, how):
        c = self.ctl
        if mode in ("PORT", "EPRT"):
            ls = self._listen()
            port = ls.getsockname()[1]
            if mode == "PORT":
                line = "PORT %s,%d,%d" % (c.local.replace(".", ","),
                                          port >> 8, port & 0xff)
            else:
                af = 2 if c.family == socket.AF_INET6 else 1
                line = "EPRT |%d|%s|%d|" % (af, c.local, port)
            if how == "bytewise":
                c.log("  -> " + line + " (one byte per segment)")
                c.send_bytewise(line.encode() + b"\r\n", self.a.byte_delay)
                code, text = c.reply()
            elif how == "after-noop":
                c.log("  -> NOOP + " + line + " (one segment)")
                c.send(b"NOOP\r\n" + line.encode() + b"\r\n")
                code, text = c.reply()
                if code // 100 != 2:
                    raise FtpError("NOOP: " + text)
                code, text = c.reply()
            else:
                code, text = c.cmd(line)
            if code // 100 != 2:
                ls.close()
                raise FtpError("%s refused: %s" % (mode, text))
            return ("active", ls, line)
        if mode == "PASV":
            code, text = c.cmd("PASV", "2")
            m = re.search(r"(\d+),(\d+),(\d+),(\d+),(\d+),(\d+)", text)
            if code != 227 or not m:
                raise FtpError("bad PASV reply: " + text)
            n = [int(x) for x in m.groups()]
            addr = "%d.%d.%d.%d" % tuple(n[:4])
            return ("passive", (addr, n[4] * 256 + n[5]), text)
        if mode == "EPSV":
            code, text = c.cmd("EPSV", "2")
            m = re.search(r"\((.)\1\1(\d+)\1\)", text)
            if code != 229 or not m:
                raise FtpError("bad EPSV reply: " + text)
            return ("passive", (c.peer, int(m.group(2))), text)
        raise FtpError("unknown mode " + mode)

    def _open(self, st):
        """The data socket for state st (passive: connect now)."""
        if st[0] == "passive":
            addr = st[1]
            try:
                ipaddress.ip_address(addr[0])
            except ValueError:
                raise FtpError("bad address %r" % (addr,))
            return socket.create_connection(addr, timeout=self.a.timeout)
        return None

    def _accept(self, st, ds):
        if ds is not None:
            return ds
        try:
            conn, src = st[1].accept()
        except socket.timeout:
            raise FtpError("no data connection from the server within %ss"
                           % self.a.timeout)
        finally:
            st[1].close()
        conn.settimeout(self.a.timeout)
        if self.a.check_data_source and src[0] != self.ctl.peer:
            conn.close()
            raise FtpError("data connection from %s, the control connection "
                           "goes to %s" % (src[0], self.ctl.peer))
        return conn

    def _start(self, st, line):
        """Send line on the control connection, return the data socket."""
        ds = self._open(st)
        code, text = self.ctl.cmd(line)
        if code // 100 != 1:
            if ds:
                ds.close()
            elif st[0] == "active":
                st[1].close()
            raise FtpError("%s: %s" % (line, text))
        return self._accept(st, ds)

    def transfer_in(self, st, line):
        """Send line (RETR/LIST), return the data received."""
        ds = self._start(st, line)
        chunks = []
        try:
            while True:
                chunk = ds.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        except socket.timeout:
            raise FtpError("%s: data connection stalled" % line)
        finally:
            ds.close()
        code, text = self.ctl.reply()
        if code // 100 != 2:
            raise FtpError("%s: %s" % (line, text))
        return b"".join(chunks)

    def transfer_out(self, st, line, data):
        ds = self._start(st, line)
        try:
            ds.sendall(data)
        finally:
            ds.close()
        code, text = self.ctl.reply()
        if code // 100 != 2:
            raise FtpError("%s: %s" % (line, text))

    # -- steps --------------------------------------------------------------

    def retr(self, name, mode, how="whole"):
        want = self.sums.get(name)
        try:
            st = self.announce(mode, how)
            data = self.transfer_in(st, "RETR " + name)
        except FtpFatal:
            raise
        except (FtpError, OSError) as e:
            return self.check("RETR %s via %s" % (name, mode), False, str(e))
        got = sha256(data)
        return self.check("RETR %s via %s%s" % (name, mode,
                          {"whole": "", "bytewise": " (sent byte-wise)",
                           "after-noop": " (after NOOP, same segment)"}[how]),
                          got == want,
                          "%d bytes, sha256 %s" % (
                              len(data), "ok" if got == want else
                              "%s != %s" % (got[:16], (want or "?")[:16])))

    def list_dir(self, path, mode):
        try:
            st = self.announce(mode)
            data = self.transfer_in(st, "LIST " + path)
        except FtpFatal:
            raise
        except (FtpError, OSError) as e:
            return self.check("LIST %s via %s" % (path, mode), False, str(e))
        text = data.decode("utf-8", "replace")
        want = sorted(os.path.basename(n) for n in self.sums
                      if os.path.dirname(n) == path.strip("/"))
        missing = [n for n in want if n not in text]
        return self.check("LIST %s via %s" % (path, mode), not missing,
                          "%d entries%s" % (len(want), ", missing " +
                                            " ".join(missing) if missing
                                            else ""))

    def stor(self, name, mode, size):
        data = os.urandom(size)
        digest = sha256(data)
        try:
            st = self.announce(mode)
            self.transfer_out(st, "STOR " + name, data)
        except FtpFatal:
            raise
        except (FtpError, OSError) as e:
            return self.check("STOR %s via %s" % (name, mode), False, str(e))
        detail = "%d bytes" % size
        ok = True
        if self.a.server_root:
            path = os.path.join(self.a.server_root, name)
            try:
                with open(path, "rb") as f:
                    on_disk = sha256(f.read())
            except OSError as e:
                on_disk = "unreadable (%s)" % e
            ok = on_disk == digest
            detail += ", server copy sha256 %s" % ("ok" if ok else "differs")
        self.sums[name] = digest
        return self.check("STOR %s via %s" % (name, mode), ok, detail)

    # -- cases ---------------------------------------------------------------

    def modes(self):
        if self.a.modes:
            return self.a.modes.split(",")
        if self.ctl.family == socket.AF_INET6:
            return ["EPRT", "EPSV"]
        return ["PORT", "PASV", "EPRT", "EPSV"]

    def pause(self):
        if self.a.pause:
            time.sleep(self.a.pause)

    def case_get(self):
        self.retr(self.a.file, self.a.mode or "PORT")

    def case_onebyte_port(self):
        mode = self.a.mode or "PORT"
        self.retr(self.a.file, mode, "bytewise")
        # The session must still work after the slow line.
        self.retr(self.a.file, "PASV" if mode == "PORT" else "EPSV")

    def case_noop_port(self):
        mode = self.a.mode or "PORT"
        self.retr(self.a.file, mode, "after-noop")
        self.retr(self.a.file, mode)

    def case_session(self):
        modes = self.modes()
        small = sorted(n for n in self.sums if n.startswith("small/"))
        upload = "incoming/up-%d-%d.bin" % (os.getpid(), int(time.time()))
        n = 0
        for i, name in enumerate(small[:self.a.transfers]):
            self.pause()
            self.retr(name, modes[n % len(modes)])
            n += 1
            if i % 6 == 5:
                self.list_dir("small", modes[n % len(modes)])
                n += 1
            if i == len(small[:self.a.transfers]) // 2:
                if self.stor(upload, modes[n % len(modes)], 300000):
                    n += 1
                    self.retr(upload, modes[n % len(modes)])
                n += 1
        self.log("%d transfers on one control connection" % n)

    def case_hold(self):
        mode = self.a.mode or "PASV"
        try:
            st = self.announce(mode)
        except FtpFatal:
            raise
        except (FtpError, OSError) as e:
            return self.check("%s" % mode, False, str(e))
        local = self.ctl.sock.getsockname()
        self.log("holding: %s announced, session %s port %d open"
                 % (mode, local[0], local[1]))
        with open(self.a.hold_file, "w") as f:
            f.write("ready %s %d\n" % (local[0], local[1]))
        deadline = time.time() + self.a.hold_max
        while os.path.exists(self.a.hold_file) and time.time() < deadline:
            time.sleep(0.1)
        try:
            data = self.transfer_in(st, "RETR " + self.a.file)
        except FtpFatal:
            raise
        except (FtpError, OSError) as e:
            return self.check("RETR %s via %s" % (self.a.file, mode), False,
                              str(e))
        want = self.sums.get(self.a.file)
        self.check("RETR %s via %s (after holding)" % (self.a.file, mode),
                   sha256(data) == want, "%d bytes, sha256 %s" % (
                       len(data), "ok" if sha256(data) == want else "differs"))

    def _wait_file(self, path, what):
        deadline = time.time() + self.a.hold_max
        while not os.path.exists(path):
            if time.time() > deadline:
                raise FtpFatal("no %s within %ss" % (what, self.a.hold_max))
            time.sleep(0.05)

    def _write(self, name, text):
        # written whole, then renamed: the reader never sees half a line
        path = os.path.join(self.a.step_dir, name)
        with open(path + ".tmp", "w") as f:
            f.write(text + "\n")
        os.rename(path + ".tmp", path)

    def _step_hold(self, n, mode, name):
        try:
            st = self.announce(mode)
        except FtpFatal:
            raise
        except (FtpError, OSError) as e:
            return self.check("step %d: %s" % (n, mode), False, str(e))
        self._write("%d.held" % n, "held %s" % st[2])
        self._wait_file(os.path.join(self.a.step_dir, "%d.go" % n),
                        "go for step %d" % n)
        try:
            data = self.transfer_in(st, "RETR " + name)
        except FtpFatal:
            raise
        except (FtpError, OSError) as e:
            return self.check("step %d: RETR %s via %s" % (n, name, mode),
                              False, str(e))
        want = self.sums.get(name)
        return self.check("step %d: RETR %s via %s (after holding)"
                          % (n, name, mode), sha256(data) == want,
                          "%d bytes" % len(data))

    def case_steps(self):
        local = self.ctl.sock.getsockname()
        self._write("ready", "ready %s %d" % (local[0], local[1]))
        n = 0
        while True:
            n += 1
            path = os.path.join(self.a.step_dir, str(n))
            self._wait_file(path, "step %d" % n)
            with open(path) as f:
                words = f.read().split()
            if words == ["quit"]:
                return
            before = self.failures
            if len(words) == 3 and words[0] == "get":
                self.retr(words[2], words[1])
            elif len(words) == 3 and words[0] == "hold":
                self._step_hold(n, words[1], words[2])
            else:
                self.check("step %d: %r" % (n, " ".join(words)), False,
                           "unknown step")
            self._write("%d.done" % n, "ok" if self.failures == before
                        else "FAIL")

    def run(self):
        self.sums = load_sums(self.a.sums)
        try:
            self.login()
            getattr(self, "case_" + self.a.case.replace("-", "_"))()
            self.ctl.cmd("QUIT", "2")
        except (FtpError, OSError) as e:
            self.log("FAIL control connection: %s" % e)
            self.ok = False
        finally:
            if self.ctl:
                self.ctl.sock.close()
        return self.ok


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", required=True)
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--user", default="anonymous")
    ap.add_argument("--password", default="ftpalg@example.org")
    ap.add_argument("--sums", required=True, help="SHA256SUMS of the tree")
    ap.add_argument("--case", required=True,
                    choices=["get", "onebyte-port", "noop-port", "session",
                             "hold", "steps"])
    ap.add_argument("--mode", choices=["PORT", "EPRT", "PASV", "EPSV"])
    ap.add_argument("--file", default="mid.bin")
    ap.add_argument("--transfers", type=int, default=24,
                    help="small files to fetch in the session case")
    ap.add_argument("--server-root", help="check uploads on disk here")
    ap.add_argument("--modes",
                    help="session case: comma list of modes to cycle through")
    ap.add_argument("--pause", type=float, default=0,
                    help="session case: seconds to wait before each RETR")
    ap.add_argument("--hold-file")
    ap.add_argument("--step-dir", help="the steps case's directory")
    ap.add_argument("--hold-max", type=float, default=30)
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--max-failures", type=int, default=3,
                    help="stop after this many failed steps")
    ap.add_argument("--byte-delay", type=float, default=0.02)
    ap.add_argument("--check-data-source", action="store_true",
                    help="an active-mode data connection must come from "
                    "the address the control connection goes to")
    ap.add_argument("--pause-at", help="announcements to pause after")
    ap.add_argument("--sync-dir", help="where pauses are signalled")
    ap.add_argument("-v", "--verbose", action="store_true",
                    help="print the control dialogue")
    a = ap.parse_args()
    if a.case == "hold" and not a.hold_file:
        ap.error("--case hold needs --hold-file")
    if a.case == "steps" and not a.step_dir:
        ap.error("--case steps needs --step-dir")
    ok = Client(a).run()
    print("RESULT %s" % ("OK" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
