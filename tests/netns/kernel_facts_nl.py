#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""
Netlink probes for tests/netns/kernel_facts.sh: the checks that nft,
conntrack and iptables cannot make from the command line. Raw netlink,
standard library only. Run inside the namespace under test, as root.

  xt-queue-rule TABLE CHAIN QNUM
        append to inet TABLE CHAIN a rule holding the xtables target
        NFQUEUE (revision 3, --queue-num QNUM --queue-bypass) through
        nft_compat, as nft/ruleset.c does when nft_queue is missing
  nfq-pass QNUM PORT
        bind queue QNUM, send 3 UDP datagrams to 127.0.0.1:PORT, accept
        each queued copy, and check that all 3 arrive
  nfq-ct QNUM
        bind queue QNUM asking for NFQA_CFG_F_CONNTRACK (NFQA_CT with
        every packet); prints "accepted" or "refused <errno name>"
  ct-probe LISTEN_PORT CONNECT_PORT SPORT
        connect 127.0.0.1:SPORT -> 127.0.0.1:CONNECT_PORT (a dnat rule
        sends it to LISTEN_PORT); while it is open, read its conntrack
        entry by the original tuple (the reply tuple gives the NAT), set
        IP_CT_TCP_FLAG_BE_LIBERAL on both directions and read it back,
        as alg/ct.c does
  tcp-hold PORT SPORT SECONDS
        connect 127.0.0.1:SPORT -> 127.0.0.1:PORT (listening there too),
        print "up" and keep the connection open for SECONDS
  udp-probe PORT
        send a UDP datagram to 127.0.0.1:PORT; exit 0 when it arrives
        within a second, 1 when it does not
  cthelper-list
        dump userspace conntrack helpers (nfnetlink_cthelper); prints
        "present" or "absent <errno name>"
  del-cost TABLE SET ROUNDS
        time ROUNDS single-message batches deleting a present element of
        inet TABLE SET (ipv4_addr . ipv4_addr . inet_service), then
        ROUNDS deleting a missing one; prints the medians in microseconds
  batch-acks TABLE SET
        batches with NLM_F_ACK on their last message alone, as
        nft/batch.c sends them: a message that fails is answered all the
        same, the last one is answered after it, and the messages that
        did not fail are not; exit 0 when all of that holds
"""
import errno
import os
import select
import socket
import struct
import sys
import time

NETLINK_NETFILTER = 12
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_CREATE = 0x400
NLM_F_APPEND = 0x800
NLMSG_ERROR = 2
NLMSG_DONE = 3
NLA_F_NESTED = 0x8000

NFNL_SUBSYS_CTNETLINK = 1
NFNL_SUBSYS_QUEUE = 3
NFNL_SUBSYS_CTHELPER = 9
NFNL_SUBSYS_NFTABLES = 10
NFNL_MSG_BATCH_BEGIN = 16
NFNL_MSG_BATCH_END = 17

NFPROTO_UNSPEC = 0
NFPROTO_INET = 1
AF_INET = 2

# nf_tables
NFT_MSG_NEWRULE = 6
NFT_MSG_NEWSETELEM = 12
NFT_MSG_DELSETELEM = 14
NFTA_RULE_TABLE, NFTA_RULE_CHAIN, NFTA_RULE_EXPRESSIONS = 1, 2, 4
NFTA_LIST_ELEM = 1
NFTA_EXPR_NAME, NFTA_EXPR_DATA = 1, 2
NFTA_TARGET_NAME, NFTA_TARGET_REV, NFTA_TARGET_INFO = 1, 2, 3
NFTA_SET_ELEM_LIST_TABLE, NFTA_SET_ELEM_LIST_SET = 1, 2
NFTA_SET_ELEM_LIST_ELEMENTS = 3
NFTA_SET_ELEM_KEY = 1
NFTA_DATA_VALUE = 1
NFQ_FLAG_BYPASS = 0x01

# nfnetlink_queue
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NFQA_PACKET_HDR, NFQA_VERDICT_HDR, NFQA_PAYLOAD, NFQA_CT = 1, 2, 10, 11
NFQA_CFG_CMD, NFQA_CFG_PARAMS = 1, 2
NFQA_CFG_MASK, NFQA_CFG_FLAGS = 4, 5
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_PACKET = 2
NFQA_CFG_F_FAIL_OPEN = 0x1
NFQA_CFG_F_CONNTRACK = 0x2
NF_ACCEPT = 1

# ctnetlink
IPCTNL_MSG_CT_NEW, IPCTNL_MSG_CT_GET = 0, 1
CTA_TUPLE_ORIG, CTA_TUPLE_REPLY, CTA_PROTOINFO = 1, 2, 4
CTA_TUPLE_IP, CTA_TUPLE_PROTO = 1, 2
CTA_IP_V4_SRC, CTA_IP_V4_DST = 1, 2
CTA_PROTO_NUM, CTA_PROTO_SRC_PORT, CTA_PROTO_DST_PORT = 1, 2, 3
CTA_PROTOINFO_TCP = 1
CTA_PROTOINFO_TCP_FLAGS_ORIGINAL = 4
CTA_PROTOINFO_TCP_FLAGS_REPLY = 5
IP_CT_TCP_FLAG_BE_LIBERAL = 0x08

NFNL_MSG_CTHELPER_GET = 1


def attr(atype, payload):
    n = 4 + len(payload)
    return struct.pack("=HH", n, atype) + payload + b"\0" * ((4 - n % 4) % 4)


def nest(atype, *parts):
    return attr(atype | NLA_F_NESTED, b"".join(parts))


def strz(s):
    return s.encode() + b"\0"


def be32(v):
    return struct.pack(">I", v)


def be16(v):
    return struct.pack(">H", v)


def parse_attrs(buf):
    out = {}
    off = 0
    while off + 4 <= len(buf):
        n, atype = struct.unpack_from("=HH", buf, off)
        if n < 4:
            break
        out[atype & 0x3fff] = buf[off + 4:off + n]
        off += (n + 3) & ~3
    return out


class NL:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                               NETLINK_NETFILTER)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.s.bind((0, 0))
        self.seq = int(time.time()) & 0xffff

    def next_seq(self):
        self.seq += 1
        return self.seq

    @staticmethod
    def msg(mtype, flags, seq, family, res_id, payload=b""):
        body = struct.pack("=BBH", family, 0, socket.htons(res_id)) + payload
        return struct.pack("=IHHII", 16 + len(body), mtype, flags, seq,
                           0) + body

    def send(self, data):
        self.s.send(data)

    def recv_msgs(self, timeout=2.0):
        """One datagram's messages: (type, flags, seq, payload) each."""
        r, _, _ = select.select([self.s], [], [], timeout)
        if not r:
            return None
        buf = self.s.recv(1 << 17)
        out = []
        off = 0
        while off + 16 <= len(buf):
            n, mtype, flags, seq, _pid = struct.unpack_from("=IHHII", buf,
                                                            off)
            if n < 16:
                break
            out.append((mtype, flags, seq, buf[off + 16:off + n]))
            off += (n + 3) & ~3
        return out

    def wait_ack(self, seq, timeout=2.0):
        """0, or -errno from the NLMSG_ERROR answering seq."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            msgs = self.recv_msgs(max(left, 0))
            if msgs is None:
                return -errno.ETIMEDOUT
            for mtype, _f, mseq, pl in msgs:
                if mtype == NLMSG_ERROR and mseq == seq:
                    return struct.unpack_from("=i", pl)[0]

    def batch(self, mtype, flags, payload):
        """One nf_tables message in its own batch; 0 or -errno."""
        b = self.next_seq()
        seq = self.next_seq()
        e = self.next_seq()
        data = (self.msg(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, b,
                         NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES) +
                self.msg((NFNL_SUBSYS_NFTABLES << 8) | mtype,
                         NLM_F_REQUEST | NLM_F_ACK | flags, seq,
                         NFPROTO_INET, 0, payload) +
                self.msg(NFNL_MSG_BATCH_END, NLM_F_REQUEST, e,
                         NFPROTO_UNSPEC, NFNL_SUBSYS_NFTABLES))
        self.send(data)
        return self.wait_ack(seq)


def errname(err):
    # EOPNOTSUPP and ENOTSUP are one value on Linux: use the kernel's name
    if -err == errno.EOPNOTSUPP:
        return "EOPNOTSUPP"
    return errno.errorcode.get(-err, str(err))


# ---- xt-queue-rule ----------------------------------------------------

def xt_queue_rule(table, chain, qnum):
    # struct xt_NFQ_info_v3 { u16 queuenum, queues_total, flags; },
    # padded to XT_ALIGN (8) as xt_check_target() wants
    info = struct.pack("=HHH", qnum, 1, NFQ_FLAG_BYPASS) + b"\0\0"
    expr = nest(NFTA_LIST_ELEM,
                attr(NFTA_EXPR_NAME, strz("target")),
                nest(NFTA_EXPR_DATA,
                     attr(NFTA_TARGET_NAME, strz("NFQUEUE")),
                     attr(NFTA_TARGET_REV, be32(3)),
                     attr(NFTA_TARGET_INFO, info)))
    payload = (attr(NFTA_RULE_TABLE, strz(table)) +
               attr(NFTA_RULE_CHAIN, strz(chain)) +
               nest(NFTA_RULE_EXPRESSIONS, expr))
    err = NL().batch(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, payload)
    if err:
        print("refused %s" % errname(err))
        return 1
    print("accepted")
    return 0


# ---- nfq-pass, nfq-ct -------------------------------------------------

def nfq_bind(nl, qnum, flags=0, mask=0):
    seq = nl.next_seq()
    payload = (attr(NFQA_CFG_CMD, struct.pack("=BxH", NFQNL_CFG_CMD_BIND,
                                              0)) +
               attr(NFQA_CFG_PARAMS, struct.pack(">IB", 0xffff,
                                                 NFQNL_COPY_PACKET)))
    if mask:
        payload += attr(NFQA_CFG_FLAGS, be32(flags))
        payload += attr(NFQA_CFG_MASK, be32(mask))
    nl.send(nl.msg((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_CONFIG,
                   NLM_F_REQUEST | NLM_F_ACK, seq, NFPROTO_UNSPEC, qnum,
                   payload))
    return nl.wait_ack(seq)


def nfq_pass(qnum, port):
    nl = NL()
    # fail-open off, as alg/nfq_io.c binds its queue
    err = nfq_bind(nl, qnum, 0, NFQA_CFG_F_FAIL_OPEN)
    if err:
        print("bind refused %s" % errname(err))
        return 1
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", port))
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    marker = b"kernel-facts-%d" % os.getpid()
    for i in range(3):
        tx.sendto(marker + b"-%d" % i, ("127.0.0.1", port))
    queued = 0
    deadline = time.monotonic() + 3
    while queued < 3 and time.monotonic() < deadline:
        msgs = nl.recv_msgs(0.5)
        for mtype, _f, _s, pl in msgs or []:
            if mtype != (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                continue
            a = parse_attrs(pl[4:])
            pid = struct.unpack(">I", a[NFQA_PACKET_HDR][:4])[0]
            if marker in a.get(NFQA_PAYLOAD, b""):
                queued += 1
            v = attr(NFQA_VERDICT_HDR, struct.pack(">II", NF_ACCEPT, pid))
            nl.send(nl.msg((NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT,
                           NLM_F_REQUEST, nl.next_seq(), NFPROTO_UNSPEC,
                           qnum, v))
    got = 0
    rx.settimeout(1.0)
    try:
        while got < 3:
            if rx.recv(256).startswith(marker):
                got += 1
    except socket.timeout:
        pass
    print("queued %d/3, delivered after accept %d/3" % (queued, got))
    return 0 if queued == 3 and got == 3 else 1


def nfq_ct(qnum):
    nl = NL()
    err = nfq_bind(nl, qnum, NFQA_CFG_F_CONNTRACK, NFQA_CFG_F_CONNTRACK)
    if err:
        print("refused %s" % errname(err))
    else:
        print("accepted")
    return 0


# ---- ct-probe ---------------------------------------------------------

def ct_tuple(atype, src, dst, sport, dport):
    return nest(atype,
                nest(CTA_TUPLE_IP,
                     attr(CTA_IP_V4_SRC, socket.inet_aton(src)),
                     attr(CTA_IP_V4_DST, socket.inet_aton(dst))),
                nest(CTA_TUPLE_PROTO,
                     attr(CTA_PROTO_NUM, b"\x06"),
                     attr(CTA_PROTO_SRC_PORT, be16(sport)),
                     attr(CTA_PROTO_DST_PORT, be16(dport))))


def parse_tuple(buf):
    a = parse_attrs(buf)
    ip = parse_attrs(a[CTA_TUPLE_IP])
    pr = parse_attrs(a[CTA_TUPLE_PROTO])
    return (socket.inet_ntoa(ip[CTA_IP_V4_SRC]),
            socket.inet_ntoa(ip[CTA_IP_V4_DST]),
            struct.unpack(">H", pr[CTA_PROTO_SRC_PORT])[0],
            struct.unpack(">H", pr[CTA_PROTO_DST_PORT])[0])


def ct_get(nl, orig):
    """The entry's attributes, or -errno."""
    seq = nl.next_seq()
    nl.send(nl.msg((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET,
                   NLM_F_REQUEST | NLM_F_ACK, seq, AF_INET, 0,
                   ct_tuple(CTA_TUPLE_ORIG, *orig)))
    found = None
    while True:
        msgs = nl.recv_msgs(2.0)
        if msgs is None:
            return -errno.ETIMEDOUT
        for mtype, _f, mseq, pl in msgs:
            if mseq != seq:
                continue
            if mtype == NLMSG_ERROR:
                err = struct.unpack_from("=i", pl)[0]
                return err if err else found
            found = parse_attrs(pl[4:])


def tcp_flags(entry):
    """(original, reply) seen[].flags of a TCP entry."""
    tcp = parse_attrs(parse_attrs(entry[CTA_PROTOINFO])[CTA_PROTOINFO_TCP])
    return (tcp[CTA_PROTOINFO_TCP_FLAGS_ORIGINAL][0],
            tcp[CTA_PROTOINFO_TCP_FLAGS_REPLY][0])


def ct_probe(listen_port, connect_port, sport):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", listen_port))
    srv.listen(1)
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    cli.bind(("127.0.0.1", sport))
    cli.settimeout(2.0)
    try:
        cli.connect(("127.0.0.1", connect_port))
    except OSError as e:
        print("connect: failed (%s)" % e)
        return 1
    conn, _ = srv.accept()
    cli.sendall(b"x")
    conn.recv(1)
    print("connect: 127.0.0.1:%d -> 127.0.0.1:%d reached the listener on "
          "port %d" % (sport, connect_port, listen_port))
    rc = 0
    nl = NL()
    orig = ("127.0.0.1", "127.0.0.1", sport, connect_port)
    e = ct_get(nl, orig)
    if not isinstance(e, dict):
        print("lookup: failed (%s)" % errname(e or -errno.ENOENT))
        return 1
    rs, rd, rsp, rdp = parse_tuple(e[CTA_TUPLE_REPLY])
    print("lookup: reply tuple %s:%d -> %s:%d" % (rs, rsp, rd, rdp))
    if rsp != listen_port:
        print("lookup: reply source port is not the DNAT target")
        rc = 1
    before = tcp_flags(e)
    seq = nl.next_seq()
    flags = struct.pack("=BB", IP_CT_TCP_FLAG_BE_LIBERAL,
                        IP_CT_TCP_FLAG_BE_LIBERAL)
    nl.send(nl.msg((NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW,
                   NLM_F_REQUEST | NLM_F_ACK, seq, AF_INET, 0,
                   ct_tuple(CTA_TUPLE_ORIG, *orig) +
                   nest(CTA_PROTOINFO,
                        nest(CTA_PROTOINFO_TCP,
                             attr(CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, flags),
                             attr(CTA_PROTOINFO_TCP_FLAGS_REPLY, flags)))))
    err = nl.wait_ack(seq)
    e = ct_get(nl, orig)
    after = tcp_flags(e) if isinstance(e, dict) else (0, 0)
    lib = all(f & IP_CT_TCP_FLAG_BE_LIBERAL for f in after)
    print("liberal: update %s, flags before 0x%02x/0x%02x, after "
          "0x%02x/0x%02x" % ("ok" if not err else errname(err),
                             before[0], before[1], after[0], after[1]))
    if err or not lib:
        rc = 1
    conn.close()
    cli.close()
    srv.close()
    return rc


# ---- tcp-hold ---------------------------------------------------------

def tcp_hold(port, sport, seconds):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", port))
    srv.listen(1)
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    cli.bind(("127.0.0.1", sport))
    cli.settimeout(2.0)
    cli.connect(("127.0.0.1", port))
    conn, _ = srv.accept()
    print("up", flush=True)
    time.sleep(seconds)
    conn.close()
    cli.close()
    return 0


# ---- udp-probe --------------------------------------------------------

def udp_probe(port):
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("127.0.0.1", port))
    rx.settimeout(1.0)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    marker = b"kernel-facts-%d" % os.getpid()
    tx.sendto(marker, ("127.0.0.1", port))
    try:
        while rx.recv(256) != marker:
            pass
    except socket.timeout:
        print("not delivered")
        return 1
    print("delivered")
    return 0


# ---- cthelper-list ----------------------------------------------------

def cthelper_list():
    nl = NL()
    seq = nl.next_seq()
    nl.send(nl.msg((NFNL_SUBSYS_CTHELPER << 8) | NFNL_MSG_CTHELPER_GET,
                   NLM_F_REQUEST | NLM_F_DUMP, seq, AF_INET, 0))
    while True:
        msgs = nl.recv_msgs(2.0)
        if msgs is None:
            print("absent (no answer)")
            return 0
        for mtype, _f, mseq, pl in msgs:
            if mseq != seq:
                continue
            if mtype == NLMSG_DONE:
                print("present")
                return 0
            if mtype == NLMSG_ERROR:
                err = struct.unpack_from("=i", pl)[0]
                print("absent (%s)" % errname(err) if err else "present")
                return 0


# ---- del-cost ---------------------------------------------------------

def elem_key(i):
    # ipv4_addr . ipv4_addr . inet_service: each field in a 4-byte register
    return (socket.inet_aton("192.0.2.1") + socket.inet_aton("192.0.2.2") +
            be16(20000 + i) + b"\0\0")


def elems(table, setname, keys):
    lst = b"".join(nest(NFTA_LIST_ELEM,
                        nest(NFTA_SET_ELEM_KEY, attr(NFTA_DATA_VALUE, k)))
                   for k in keys)
    return (attr(NFTA_SET_ELEM_LIST_TABLE, strz(table)) +
            attr(NFTA_SET_ELEM_LIST_SET, strz(setname)) +
            nest(NFTA_SET_ELEM_LIST_ELEMENTS, lst))


def median(v):
    v = sorted(v)
    return v[len(v) // 2]


def del_cost(table, setname, rounds):
    nl = NL()
    keys = [elem_key(i) for i in range(rounds)]
    err = nl.batch(NFT_MSG_NEWSETELEM, NLM_F_CREATE, elems(table, setname,
                                                           keys))
    if err:
        print("add refused %s" % errname(err))
        return 1
    ok, gone = [], []
    for k in keys:
        t = time.perf_counter()
        err = nl.batch(NFT_MSG_DELSETELEM, 0, elems(table, setname, [k]))
        ok.append(time.perf_counter() - t)
        if err:
            print("delete of a present element refused %s" % errname(err))
            return 1
    for k in keys:
        t = time.perf_counter()
        err = nl.batch(NFT_MSG_DELSETELEM, 0, elems(table, setname, [k]))
        gone.append(time.perf_counter() - t)
        if err != -errno.ENOENT:
            print("delete of a missing element: %s, not ENOENT"
                  % (errname(err) if err else "accepted"))
            return 1
    print("element present %.0f us, element missing %.1f ms (ENOENT, "
          "batch aborted); medians of %d" % (median(ok) * 1e6,
                                             median(gone) * 1e3, rounds))
    return 0


def batch_answers(nl, msgs):
    """One batch of (type, flags, payload) messages: the answers, as
    (index in msgs, error) in arrival order (-1: the batch begin)."""
    b = nl.next_seq()
    seqs = [nl.next_seq() for _ in msgs]
    e = nl.next_seq()
    data = nl.msg(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, b, NFPROTO_UNSPEC,
                  NFNL_SUBSYS_NFTABLES)
    for (mtype, flags, payload), seq in zip(msgs, seqs):
        data += nl.msg((NFNL_SUBSYS_NFTABLES << 8) | mtype,
                       NLM_F_REQUEST | flags, seq, NFPROTO_INET, 0, payload)
    data += nl.msg(NFNL_MSG_BATCH_END, NLM_F_REQUEST, e, NFPROTO_UNSPEC,
                   NFNL_SUBSYS_NFTABLES)
    nl.send(data)
    out = []
    # nfnetlink answers within our send: what is there is all there is
    while True:
        got = nl.recv_msgs(0.2)
        if not got:
            return out
        for mtype, _f, mseq, pl in got:
            if mtype != NLMSG_ERROR:
                continue
            idx = seqs.index(mseq) if mseq in seqs else -1
            out.append((idx, struct.unpack_from("=i", pl)[0]))


def batch_acks(table, setname):
    nl = NL()
    k = [elem_key(100 + i) for i in range(5)]
    add, dele = NFT_MSG_NEWSETELEM, NFT_MSG_DELSETELEM

    def one(key):
        return elems(table, setname, [key])

    # add k0, add k1 (NLM_F_ACK): committed, the last answered alone
    got = batch_answers(nl, [(add, NLM_F_CREATE, one(k[0])),
                             (add, NLM_F_CREATE | NLM_F_ACK, one(k[1]))])
    if got != [(1, 0)]:
        print("a batch that commits: answers %s, want the last one's 0"
              % got)
        return 1
    if nl.batch(dele, 0, one(k[0])) or nl.batch(dele, 0, one(k[1])):
        print("a batch answered as committed did not commit")
        return 1
    # delete a missing k2, add k3, add k4 (NLM_F_ACK): aborted
    got = batch_answers(nl, [(dele, 0, one(k[2])),
                             (add, NLM_F_CREATE, one(k[3])),
                             (add, NLM_F_CREATE | NLM_F_ACK, one(k[4]))])
    if got != [(0, -errno.ENOENT), (2, 0)]:
        print("a batch with a failing message: answers %s, want its "
              "ENOENT and the last one's 0" % got)
        return 1
    if nl.batch(dele, 0, one(k[3])) != -errno.ENOENT:
        print("an aborted batch left an element behind")
        return 1
    print("a failing message is answered without NLM_F_ACK, the last one "
          "after it; the rest are silent")
    return 0


def main(argv):
    cmds = {
        "xt-queue-rule": (3, lambda a: xt_queue_rule(a[0], a[1],
                                                      int(a[2]))),
        "nfq-pass": (2, lambda a: nfq_pass(int(a[0]), int(a[1]))),
        "nfq-ct": (1, lambda a: nfq_ct(int(a[0]))),
        "ct-probe": (3, lambda a: ct_probe(int(a[0]), int(a[1]),
                                           int(a[2]))),
        "tcp-hold": (3, lambda a: tcp_hold(int(a[0]), int(a[1]),
                                           float(a[2]))),
        "udp-probe": (1, lambda a: udp_probe(int(a[0]))),
        "cthelper-list": (0, lambda a: cthelper_list()),
        "del-cost": (3, lambda a: del_cost(a[0], a[1], int(a[2]))),
        "batch-acks": (2, lambda a: batch_acks(a[0], a[1])),
    }
    if len(argv) < 2 or argv[1] not in cmds or \
            len(argv) - 2 != cmds[argv[1]][0]:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]][1](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
