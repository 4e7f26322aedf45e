#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile FTP peers for tests/netns/test_hostile.sh.

  server  a scripted FTP server: USER/PASS/NOOP/QUIT answered, PASV with a
          227 naming itself (a new port each time), EPSV with a 229,
          PORT/EPRT with 200, anything else echoed in a 500 (what NAT
          Slipstreaming relies on). "SITE NEXT H1 H2 ..." makes the reply
          to the next command the hex chunks H1, H2, ... (each its own
          send(), 50 ms apart); "SITE SEND H1 ..." sends them at once as
          the reply to SITE. Every line received is appended to --log as
          "<peer> <line repr>".
  client  a scripted control connection; each STEP is one of
            s:TEXT   send TEXT (Python escapes: \\r \\n \\x00) in one
                     segment (TCP_NODELAY; a pause after it)
            r        read one reply (multi-line aware), print "< line"
            d        drain whatever arrives within 0.5 s, print it
            w:SEC    sleep
            hold:F   create F.held, wait while F exists (30 s at most)
            pasv:N   N PASVs, each reply read
          The last line printed is "result ok" or "result reset" (the
          connection was reset) or "result closed".
  listen  accept on ADDR:PORT; append "hit <peer>" to FILE per connection
  probe   try to connect to HOST:PORT (2 s); exit 0 if it connected
  raw     a TCP client written in raw packets (AF_PACKET), for what a
          socket cannot send: see RawTcp and the raw_* cases
  synflood  SYNs (AF_PACKET) from many source ports/addresses

Raw packets leave through AF_PACKET, so they skip the sender's own
netfilter and IP stack: the test drops the kernel's RSTs for the raw
port range, which would otherwise answer our peer's SYN-ACK.
"""
import argparse
import os
import random
import re
import select
import socket
import struct
import sys
import threading
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD


def unescape(text):
    return text.encode("latin-1").decode("unicode_escape").encode("latin-1")


# ---------------------------------------------------------------------------
# server

class Server:
    def __init__(self, addr, port, log, first_pasv=0):
        self.addr = addr
        self.first_pasv = first_pasv
        self.logf = log
        self.lock = threading.Lock()
        fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
        self.ls = socket.socket(fam, socket.SOCK_STREAM)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind((addr, port))
        self.ls.listen(512)
        self.next_port = 50000

    def log(self, peer, line):
        with self.lock:
            with open(self.logf, "a") as f:
                f.write("%s %r\n" % (peer, line))

    def serve(self):
        while True:
            c, peer = self.ls.accept()
            threading.Thread(target=self.session, args=(c, peer[0]),
                             daemon=True).start()

    def pasv(self):
        with self.lock:
            p = self.next_port
            self.next_port = 50000 + (self.next_port - 49999) % 10000
        return p

    def session(self, c, peer):
        c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        nxt = None
        self.firsts = getattr(self, "firsts", {})
        me = threading.get_ident()
        self.firsts[me] = self.first_pasv

        def send(chunks):
            for i, ch in enumerate(chunks):
                if i:
                    time.sleep(0.05)
                c.sendall(ch)
        try:
            c.sendall(b"220 hostile test server\r\n")
            buf = b""
            while True:
                d = c.recv(65536)
                if not d:
                    return
                buf += d
                while b"\n" in buf:
                    raw, buf = buf.split(b"\n", 1)
                    line = raw.rstrip(b"\r")
                    self.log(peer, line)
                    if nxt is not None:
                        send(nxt)
                        nxt = None
                        continue
                    self.answer(c, line, send, peer)
                    if line.upper().startswith(b"SITE NEXT"):
                        nxt = [bytes.fromhex(h.decode()) for h in line.split()[2:]]
                    if line.upper() == b"QUIT":
                        return
        except OSError as e:
            self.log(peer, "RESET %s" % e)
            return
        finally:
            c.close()

    def answer(self, c, line, send, peer):
        word = line.split(b" ", 1)[0].upper()
        a = self.addr
        if word == b"USER":
            c.sendall(b"331 password please\r\n")
        elif word == b"PASS":
            c.sendall(b"230 logged in\r\n")
        elif word in (b"NOOP", b"TYPE", b"PORT", b"EPRT"):
            c.sendall(b"200 ok\r\n")
        elif word == b"PASV":
            me = threading.get_ident()
            p = self.firsts.get(me) or self.pasv()
            self.firsts[me] = 0
            c.sendall(("227 Entering Passive Mode (%s,%d,%d)\r\n" % (
                a.replace(".", ","), p >> 8, p & 255)).encode())
        elif word == b"EPSV":
            c.sendall(("229 Entering Extended Passive Mode (|||%d|)\r\n"
                       % self.pasv()).encode())
        elif word == b"SITE" and line.upper().startswith(b"SITE NEXT"):
            c.sendall(b"200 next reply set\r\n")
        elif word == b"SITE" and line.upper().startswith(b"SITE SEND"):
            send([bytes.fromhex(h.decode()) for h in line.split()[2:]])
        elif word == b"QUIT":
            c.sendall(b"221 bye\r\n")
        else:
            c.sendall(b"500 '" + line + b"': command not understood\r\n")


# ---------------------------------------------------------------------------
# client

def read_reply(s, buf):
    """One reply (multi-line aware) from s; returns (lines, rest)."""
    lines = []
    first = None
    while True:
        while b"\n" not in buf:
            d = s.recv(65536)
            if not d:
                raise EOFError
            buf += d
        raw, buf = buf.split(b"\n", 1)
        line = raw.rstrip(b"\r")
        lines.append(line)
        if first is None:
            if len(line) >= 4 and line[:3].isdigit() and line[3:4] == b"-":
                first = line[:3]
                continue
            return lines, buf
        if line[:3] == first and line[3:4] == b" ":
            return lines, buf


def client(args):
    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    result = "ok"
    buf = b""
    try:
        s.connect((args.host, args.port))
        lines, buf = read_reply(s, buf)
        for ln in lines:
            print("< %r" % ln)
        for step in args.steps:
            op, _, arg = step.partition(":")
            if op == "s":
                s.sendall(unescape(arg))
                time.sleep(0.1)
            elif op == "r":
                lines, buf = read_reply(s, buf)
                for ln in lines:
                    print("< %r" % ln)
            elif op == "d":
                s.settimeout(0.5)
                try:
                    while True:
                        d = s.recv(65536)
                        if not d:
                            raise EOFError
                        buf += d
                except socket.timeout:
                    pass
                s.settimeout(args.timeout)
                for ln in buf.split(b"\n"):
                    if ln:
                        print("< %r" % ln.rstrip(b"\r"))
                buf = b""
            elif op == "w":
                time.sleep(float(arg))
            elif op == "hold":	# FILE.held made, wait while FILE exists
                open(arg + ".held", "w").close()
                end = time.time() + 30
                while os.path.exists(arg) and time.time() < end:
                    time.sleep(0.05)
            elif op == "pasv":		# N PASVs, each answered
                for _ in range(int(arg)):
                    s.sendall(b"PASV\r\n")
                    lines, buf = read_reply(s, buf)
                print("< %d PASV, last %r" % (int(arg), lines[-1]))
            else:
                raise SystemExit("hostile: unknown step %r" % step)
            sys.stdout.flush()
    except ConnectionResetError:
        result = "reset"
    except (EOFError, BrokenPipeError):
        result = "closed"
    except socket.timeout:
        result = "timeout"
    print("result " + result)
    return 0


# ---------------------------------------------------------------------------
# listen, probe

def listen(args):
    fam = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((args.addr, args.port))
    ls.listen(64)
    while True:
        c, peer = ls.accept()
        with open(args.file, "a") as f:
            f.write("hit %s\n" % (peer[0],))
        c.close()


def probe(args):
    fam = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(args.timeout)
    try:
        if args.bind:
            s.bind((args.bind, 0))
        s.connect((args.host, args.port))
    except OSError as e:
        print("probe %s:%d: %s" % (args.host, args.port, e))
        return 1
    print("probe %s:%d: connected" % (args.host, args.port))
    return 0


# ---------------------------------------------------------------------------
# raw TCP

def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def tcp_header(sport, dport, seq, ack, flags, win=65535, opts=b"",
               doff=None):
    if len(opts) % 4:
        opts += b"\0" * (4 - len(opts) % 4)
    if doff is None:
        doff = (20 + len(opts)) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff,
                       ack & 0xffffffff, doff << 4, flags, win, 0, 0) + opts


F_FIN, F_SYN, F_RST, F_PSH, F_ACK = 1, 2, 4, 8, 16


class RawTcp:
    """One TCP connection spoken in raw packets from an interface."""

    def __init__(self, ifname, gw_mac, src, dst, sport, dport):
        self.src, self.dst, self.sport, self.dport = src, dst, sport, dport
        self.v6 = ":" in src
        self.fam = socket.AF_INET6 if self.v6 else socket.AF_INET
        self.proto = ETH_P_IPV6 if self.v6 else ETH_P_IP
        self.ifname = ifname
        self.mac = bytes.fromhex(gw_mac.replace(":", ""))
        self.tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                                socket.htons(self.proto))
        self.rx.bind((ifname, self.proto))
        self.seq = random.randrange(1 << 32)
        self.ack = 0
        self.ext = b""		# IPv6 extension headers (whole chain)
        self.ext_first = 6	# next header of the IPv6 header
        self.data = b""		# what the peer sent, in order
        self.rst = False
        self.fin = False

    # -- building
    def ip(self, payload, proto=6, tot=None, ihl=5, pad=True):
        s = socket.inet_pton(self.fam, self.src)
        d = socket.inet_pton(self.fam, self.dst)
        if self.v6:
            body = self.ext + payload
            nh = self.ext_first if self.ext else proto
            return struct.pack("!IHBB", 6 << 28, len(body) if tot is None
                               else tot, nh, 64) + s + d + body
        hl = ihl * 4
        h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, hl + len(payload)
                        if tot is None else tot, random.randrange(65536),
                        0x4000, 64, proto, 0, s, d)
        if pad:
            h += b"\0" * (max(hl, 20) - 20)
        h = h[:10] + struct.pack("!H", csum(h[:20])) + h[12:]
        return h + payload

    def tcp(self, flags, payload=b"", seq=None, ack=None, opts=b"",
            doff=None, win=65535, good_csum=True):
        seq = self.seq if seq is None else seq
        ack = self.ack if ack is None else ack
        th = tcp_header(self.sport, self.dport, seq, ack, flags, win, opts,
                        doff)
        s = socket.inet_pton(self.fam, self.src)
        d = socket.inet_pton(self.fam, self.dst)
        seg = th + payload
        if self.v6:
            ph = s + d + struct.pack("!IxxxB", len(seg), 6)
        else:
            ph = s + d + struct.pack("!xBH", 6, len(seg))
        c = csum(ph + seg) if good_csum else 0x1234
        return seg[:16] + struct.pack("!H", c) + seg[18:]

    def send_raw(self, pkt):
        self.tx.sendto(pkt, (self.ifname, self.proto, 0, 0, self.mac))

    def send(self, flags, payload=b"", advance=True, **kw):
        self.send_raw(self.ip(self.tcp(flags, payload, **kw)))
        if advance and "seq" not in kw:
            self.seq = (self.seq + len(payload) +
                        (1 if flags & (F_SYN | F_FIN) else 0)) & 0xffffffff

    # -- receiving
    def parse(self, pkt):
        if self.v6:
            if len(pkt) < 40:
                return None
            nh, off = pkt[6], 40
            while nh in (0, 43, 60):
                nh, off = pkt[off], off + (pkt[off + 1] + 1) * 8
            if nh != 6:
                return None
            src = socket.inet_ntop(self.fam, pkt[8:24])
            dst = socket.inet_ntop(self.fam, pkt[24:40])
            end = 40 + struct.unpack("!H", pkt[4:6])[0]
        else:
            if len(pkt) < 20 or pkt[9] != 6:
                return None
            off = (pkt[0] & 15) * 4
            src = socket.inet_ntop(self.fam, pkt[12:16])
            dst = socket.inet_ntop(self.fam, pkt[16:20])
            end = struct.unpack("!H", pkt[2:4])[0]
        t = pkt[off:end]
        if len(t) < 20:
            return None
        sp, dp, seq, ack, doff, flags = struct.unpack("!HHIIBB", t[:14])
        if (src, sp, dst, dp) != (self.dst, self.dport, self.src, self.sport):
            return None
        return seq, ack, flags, t[(doff >> 4) * 4:]

    def pump(self, timeout=0.5, until=None):
        """Take what arrives for timeout s (or until until(self) holds);
        acknowledge data in order."""
        end = time.time() + timeout
        while time.time() < end:
            if until and until(self):
                return True
            r, _, _ = select.select([self.rx], [], [], end - time.time())
            if not r:
                break
            pkt, addr = self.rx.recvfrom(70000)
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            p = self.parse(pkt)
            if not p:
                continue
            seq, ack, flags, pay = p
            if flags & F_RST:
                # as a stack following RFC 5961 would: only an exact one
                self.rst = self.rst or seq == self.ack
                continue
            if flags & F_SYN and flags & F_ACK:
                self.ack = (seq + 1) & 0xffffffff
                self.synack = True
                continue
            if pay and seq == self.ack:
                self.data += pay
                self.ack = (self.ack + len(pay)) & 0xffffffff
                self.send(F_ACK)
            elif pay:
                self.send(F_ACK)	# a duplicate: say where we are
            if flags & F_FIN and (seq + len(pay)) & 0xffffffff == self.ack:
                self.ack = (self.ack + 1) & 0xffffffff
                self.fin = True
                self.send(F_ACK)
        return bool(until and until(self))

    def connect(self, opts=b"\x02\x04\x05\xb4"):
        self.synack = False
        self.send(F_SYN, opts=opts)
        if not self.pump(3, lambda s: s.synack):
            raise SystemExit("raw: no SYN-ACK")
        self.send(F_ACK)

    def expect(self, text, timeout=3):
        t = unescape(text)
        return self.pump(timeout, lambda s: t in s.data)

    def sendline(self, text, **kw):
        self.send(F_PSH | F_ACK, unescape(text), **kw)


def raw_main(args):
    r = RawTcp(args.ifname, args.gw_mac, args.src, args.dst, args.sport,
               args.dport)
    steps = list(args.steps)
    while steps:
        op, _, arg = steps.pop(0).partition(":")
        if op == "ext":		# IPv6 extension headers: names, comma sep.
            r.ext, r.ext_first = ext_chain(arg.split(","))
        elif op == "syn":	# handshake with these TCP options (hex)
            r.connect(bytes.fromhex(arg) if arg else b"\x02\x04\x05\xb4")
        elif op == "expect":
            if not r.expect(arg):
                print("raw: did not get %r: %r" % (arg, r.data[-200:]))
                r.send(F_RST | F_ACK, advance=False)
                return 1
        elif op == "s":		# a data segment
            r.sendline(arg)
        elif op == "pump":
            r.pump(float(arg or 0.5))
        elif op == "sopt":	# s with TCP options: sopt:HEX:TEXT
            o, _, t = arg.partition(":")
            r.sendline(t, opts=bytes.fromhex(o))
        elif op == "retrans":	# retrans:N:TEXT: TEXT at seq - N
            n, _, t = arg.partition(":")
            r.send(F_PSH | F_ACK, unescape(t), seq=r.seq - int(n))
        elif op == "rstfar":	# RST/FIN this far past our next seq
            r.send(F_RST | F_ACK, seq=r.seq + int(arg), advance=False)
        elif op == "finfar":
            r.send(F_FIN | F_ACK, seq=r.seq + int(arg), advance=False)
        elif op == "sack":	# N ACKs with random SACK blocks
            for _ in range(int(arg)):
                blocks = b"".join(struct.pack("!II", random.randrange(1 << 32),
                                              random.randrange(1 << 32))
                                  for _ in range(random.randrange(1, 4)))
                o = b"\x01\x01\x05" + bytes([2 + len(blocks)]) + blocks
                r.send(F_ACK, opts=o)
        elif op == "junk":	# malformed packets of every kind
            for p in junk_packets(r):
                r.send_raw(p)
        elif op == "sleep":
            time.sleep(float(arg))
        elif op == "fin":
            r.send(F_FIN | F_ACK)
            r.pump(1)
        else:
            raise SystemExit("raw: unknown step %r" % op)
    print("raw: done, rst=%s received=%r" % (r.rst, r.data[-300:]))
    if not args.keep:	# end the connection: no stale session is left
        r.send(F_RST | F_ACK, advance=False)
    return 0


def ext_chain(names):
    """IPv6 extension headers: hbh, dst, rt (type 4 style, no segments
    left), each 8 bytes of padding options; the last points at TCP."""
    code = {"hbh": 0, "dst": 60, "rt": 43}
    hdrs = b""
    for i, n in enumerate(names):
        nxt = code[names[i + 1]] if i + 1 < len(names) else 6
        if n == "rt":
            # type 253 (experimental), segments left 0: skipped
            hdrs += bytes([nxt, 0, 253, 0, 0, 0, 0, 0])
        else:
            hdrs += bytes([nxt, 0, 1, 4, 0, 0, 0, 0])	# PadN
    return hdrs, code[names[0]]


def junk_packets(r):
    """Truncated and inconsistent IP/TCP headers, bad options, aimed at
    the connection r (its addresses and ports)."""
    out = []
    good = r.tcp(F_PSH | F_ACK, b"PORT 10,0,1,2,8,180\r\n")
    if r.v6:
        out.append(r.ip(good)[:30])			# IPv6 header cut
        out.append(r.ip(good, tot=len(good) + 400))	# length lies
        out.append(r.ip(good, tot=10))
    else:
        full = r.ip(good)
        out.append(full[:12])				# IP header cut
        out.append(r.ip(good, tot=len(good) + 400))	# length lies
        out.append(r.ip(good, tot=10))			# shorter than IHL
        out.append(r.ip(good, ihl=15, pad=False))	# IHL into TCP
        out.append(r.ip(good, ihl=3))			# IHL too small
        out.append(full[:20 + 12])			# TCP header cut
    out.append(r.ip(r.tcp(F_PSH | F_ACK, b"PORT 10,0,1,2,8,180\r\n",
                          doff=15)))			# doff past payload
    out.append(r.ip(r.tcp(F_PSH | F_ACK, b"PORT 10,0,1,2,8,180\r\n",
                          doff=2)))			# doff < 5
    for o in (b"\x08\x01", b"\x02\x09\x05\xb4", b"\x05\x03\x00\x00",
              b"\x05\x0a" + b"\0" * 8 + b"\x05\x0a" + b"\0" * 8,
              b"\x03\x00\x07\x00"):
        out.append(r.ip(r.tcp(F_PSH | F_ACK, b"PORT 10,0,1,2,8,180\r\n",
                              opts=o)))			# bad options
    # (no bad TCP checksum: veth marks such frames CHECKSUM_UNNECESSARY,
    # so in these namespaces no one would check it)
    return out


def synflood(args):
    """args.count SYNs, source ports 1024.., from args.src (a.b.c.X-Y
    range in the last octet allowed)."""
    m = re.match(r"^(\d+\.\d+\.\d+\.)(\d+)(?:-(\d+))?$", args.src)
    base, lo, hi = m.group(1), int(m.group(2)), int(m.group(3) or m.group(2))
    srcs = [base + str(i) for i in range(lo, hi + 1)]
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
    mac = bytes.fromhex(args.gw_mac.replace(":", ""))
    n = 0
    for i in range(args.count):
        src = srcs[i % len(srcs)]
        r = RawTcp.__new__(RawTcp)
        r.src, r.dst, r.v6, r.fam = src, args.dst, False, socket.AF_INET
        r.sport, r.dport = 20000 + (i // len(srcs)) % 40000, args.dport
        r.ext = b""
        pkt = r.ip(r.tcp(F_SYN, seq=random.randrange(1 << 32), ack=0,
                         opts=b"\x02\x04\x05\xb4"))
        tx.sendto(pkt, (args.ifname, ETH_P_IP, 0, 0, mac))
        n += 1
        if args.rate and n % args.rate == 0:
            time.sleep(0.01)
    print("synflood: %d SYNs from %d addresses" % (n, len(srcs)))
    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("server")
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, default=21)
    p.add_argument("--log", required=True)
    p.add_argument("--first-pasv", type=int, default=0,
                   help="the port of each session's first 227")
    p = sub.add_parser("client")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, default=21)
    p.add_argument("--timeout", type=float, default=5)
    p.add_argument("steps", nargs="*")
    p = sub.add_parser("listen")
    p.add_argument("--addr", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--file", required=True)
    p = sub.add_parser("probe")
    p.add_argument("--host", required=True)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--timeout", type=float, default=2)
    p.add_argument("--bind", help="the source address")
    p = sub.add_parser("raw")
    p.add_argument("--ifname", default="eth0")
    p.add_argument("--gw-mac", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--sport", type=int, required=True)
    p.add_argument("--dport", type=int, default=21)
    p.add_argument("--keep", action="store_true", help="no RST at the end")
    p.add_argument("steps", nargs="*")
    p = sub.add_parser("synflood")
    p.add_argument("--ifname", default="eth0")
    p.add_argument("--gw-mac", required=True)
    p.add_argument("--src", required=True)
    p.add_argument("--dst", required=True)
    p.add_argument("--dport", type=int, default=21)
    p.add_argument("--count", type=int, default=3000)
    p.add_argument("--rate", type=int, default=200)
    a = ap.parse_args()
    if a.cmd == "server":
        Server(a.addr, a.port, a.log, a.first_pasv).serve()
        return 0
    return {"client": client, "listen": listen, "probe": probe,
            "raw": raw_main, "synflood": synflood}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
