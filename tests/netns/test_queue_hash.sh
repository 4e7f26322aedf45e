#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_queue_hash.sh QUEUE_PROBE: with --queue-balance and no
# CPU fanout, the kernel puts both directions of a flow on one queue.
#
# The router queues FTP control packets (tcp dport 21 and sport 21, the
# xtables NFQUEUE target through nft_compat, as ftp-algd's rules) over
# queues 0-3; queue_probe binds all four and prints the queue of each
# packet. Flows: 40 LAN addresses to two outside servers (masqueraded)
# and 20 outside addresses through the port forward to the DMZ server
# (DNAT). Each flow must be seen in both directions, on one queue only,
# and the flows must spread over more than one queue. The kernel's hash
# (nfqueue_hash() -> hash_v4/hash_v6 in include/net/netfilter/nf_queue.h)
# orders the two addresses before hashing them with the protocol: ports
# are not in it, so the flows of one address pair share a queue.
#
# Prints the spread and "queue_hash: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
PROBE=${1:?usage: test_queue_hash.sh QUEUE_PROBE}
QUEUES=4

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"

WORK=
PROBE_PID=
PASSED=0
FAILED=0

teardown() {
	if [ -n "$PROBE_PID" ]; then
		kill -TERM "$PROBE_PID" 2>/dev/null
		wait "$PROBE_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
}
ftpalg_exit_traps teardown

ok() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }

# connect_from NS SRC... -- DST: one control connection per source
# address: banner, QUIT, its reply, close.
connect_from() {
	local ns=$1
	shift
	ftpalg_nsx "$ns" /usr/bin/python3 - "$@" <<'PY'
import socket, sys
args = sys.argv[1:]
dst = args[args.index("--") + 1]
bad = 0
for src in args[:args.index("--")]:
    try:
        s = socket.create_connection((dst, 21), timeout=5,
                                     source_address=(src, 0))
        f = s.makefile("rb")
        f.readline()
        s.sendall(b"QUIT\r\n")
        f.readline()
        s.close()
    except OSError as e:
        print("%s -> %s: %s" % (src, dst, e))
        bad += 1
sys.exit(1 if bad else 0)
PY
}

WORK=$(mktemp -d /tmp/ftpalg-qhash.XXXXXX) || exit 2
ftpalg_files_make "$WORK/files" || { echo "cannot make files"; exit 2; }
ftpalg_topo_up qh >"$WORK/topo.log" 2>&1 || {
	cat "$WORK/topo.log"; echo "queue_hash: 0 passed, 1 failed"; exit 1; }
{
	ftpalg_vsftpd_start out4 "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" &&
	ftpalg_pyftpd_start outb "$FTPALG_NS_SRV" "$FTPALG_SRV_IP_B" &&
	ftpalg_pyftpd_start dmz "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP"
} >"$WORK/srv.log" 2>&1 || {
	cat "$WORK/srv.log"; echo "queue_hash: 0 passed, 1 failed"; exit 1; }

lan_src=() ocl_src=()
for i in $(seq 100 139); do
	ip -n "$FTPALG_NS_LAN" addr add "10.0.1.$i/24" dev eth0 || exit 1
	lan_src+=("10.0.1.$i")
done
for i in $(seq 100 119); do
	ip -n "$FTPALG_NS_OCL" addr add "203.0.113.$i/24" dev eth0 || exit 1
	ocl_src+=("203.0.113.$i")
done

# what ftp-algd's rules are, as iptables-nft writes them
for dir in --dport --sport; do
	ftpalg_nsx "$FTPALG_NS_RTR" iptables-nft -A FORWARD -p tcp "$dir" 21 \
		-j NFQUEUE --queue-balance 0:$((QUEUES - 1)) --queue-bypass ||
		exit 1
done
ftpalg_nsx "$FTPALG_NS_RTR" "$PROBE" 0 "$QUEUES" 60 >"$WORK/probe.out" \
	2>"$WORK/probe.err" &
PROBE_PID=$!
for _ in $(seq 50); do
	grep -q bound "$WORK/probe.err" && break
	sleep 0.1
done
grep -q bound "$WORK/probe.err" || {
	cat "$WORK/probe.err"; echo "queue_hash: 0 passed, 1 failed"; exit 1; }

if connect_from "$FTPALG_NS_LAN" "${lan_src[@]}" -- "$FTPALG_SRV_IP" &&
   connect_from "$FTPALG_NS_LAN" "${lan_src[@]}" -- "$FTPALG_SRV_IP_B" &&
   connect_from "$FTPALG_NS_OCL" "${ocl_src[@]}" -- "$FTPALG_RTR_WAN_IP"; then
	ok "100 control connections through the queues"
else
	bad "a control connection failed through the queues"
fi
kill -TERM "$PROBE_PID" 2>/dev/null
wait "$PROBE_PID" 2>/dev/null
PROBE_PID=

# flow (the two endpoints in order) -> queues and directions seen
summary=$(awk '
	{
		a = $2 ":" $3; b = $4 ":" $5
		key = a < b ? a " " b : b " " a
		q[key "," $1] = 1
		d[key "," (a < b)] = 1
		flows[key] = 1
	}
	END {
		for (k in flows) {
			nq = 0; which = ""
			for (i = 0; i < 16; i++)
				if ((k "," i) in q) { nq++; which = i }
			both = ((k ",0") in d) && ((k ",1") in d)
			n++
			if (nq != 1) split_flows++
			else per[which]++
			if (!both) one_way++
		}
		used = 0
		for (i in per) used++
		printf "%d %d %d %d", n, split_flows, one_way, used
		for (i = 0; i < 16; i++) if (i in per) printf " q%d=%d", i, per[i]
		printf "\n"
	}' "$WORK/probe.out")
echo "flows, split over queues, seen one way only, queues used: $summary"
read -r nflows nsplit noneway nused _ <<<"$summary"
if [ "${nflows:-0}" -ge 100 ]; then
	ok "$nflows flows seen by the probe"
else
	bad "only ${nflows:-0} flows seen (want 100)"
fi
if [ "${nsplit:-1}" = 0 ] && [ "${noneway:-1}" = 0 ]; then
	ok "every flow in both directions, each on one queue"
else
	bad "$nsplit flows split over queues, $noneway seen one way only"
fi
if [ "${nused:-0}" -gt 1 ]; then
	ok "flows spread over $nused of $QUEUES queues"
else
	bad "all flows on ${nused:-0} queue(s)"
fi
echo "queue_hash: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
