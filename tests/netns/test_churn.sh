#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_churn.sh --build-dir DIR [--seconds N]
#
# Sessions that begin and end as fast as they can, through ftp-algd on
# the port forward of tests/netns/topo.sh: 64 at a time, each one a whole
# session (connect, log in, PASV, connect, NLST, 226, close), from the
# load generator and the small server of tests/bench/ (bench_ftpload
# rate -q, bench_ftpd). The client's port range is narrowed to 2,000
# ports per address, so ports are reused within seconds, as behind a
# busy NAT. Checks:
#
#   setups      every session's transfer worked (none failed), and at
#               least 1,000 ran
#   no-stall    no session took 900 ms or more (a dropped SYN costs a
#               1 s retransmission)
#   reuse       no session was picked up mid-stream: a new connection on
#               the tuple of an old one is a new session, and the old
#               one's conntrack destroy event, coming after it, does not
#               close it (stale_destroy_events counts those it ignored)
#   judged      the pinholes of ended sessions are all judged within 3 s
#               (used + removed + not_established == added, none open)
#   filtered    the conntrack entries of the control connections and then
#               of the data connections deleted: every control one's
#               destroy event reaches ftp-algd (destroy_events), no data
#               one's (the event socket's filter drops them in the kernel)
#   alive       ftp-algd still answers
#
# Prints one line per check and "churn: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=
SECONDS_RUN=6
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--seconds) SECONDS_RUN=$2; shift 2 ;;
	*) echo "usage: test_churn.sh --build-dir DIR [--seconds N]" >&2; exit 2 ;;
	esac
done
[ -n "$BUILD_DIR" ] || { echo "test_churn.sh: --build-dir needed" >&2; exit 2; }
FTPALG_ALGD=$BUILD_DIR/alg/ftp-algd
FTPALG_ALGCTL=$BUILD_DIR/alg/ftp-algctl
FTPD=$BUILD_DIR/tests/bench_ftpd
LOAD=$BUILD_DIR/tests/bench_ftpload

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/algd.sh
source "$HERE/algd.sh"

WORK=
SRV_PID=

teardown() {
	[ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null
	[ -n "$FTPALG_NS_RTR" ] && ftpalg_algd_stop "$FTPALG_NS_RTR"
}
ftpalg_exit_traps teardown

result() { ftpalg_check churn "$@"; }

ctl() { "$FTPALG_ALGCTL" --socket "$WORK/ftp-algd.sock" "$@"; }

stat() { ftpalg_algd_stat "$WORK" "$1"; }

for b in "$FTPALG_ALGD" "$FTPALG_ALGCTL" "$FTPD" "$LOAD"; do
	[ -x "$b" ] || { echo "churn: FAIL: $b not built"; exit 1; }
done
WORK=$(mktemp -d /tmp/ftpalg-churn.XXXXXX)
ftpalg_topo_up churn || { echo "churn: topology failed"; exit 1; }
# ports reused within seconds; TIME_WAIT kept short on both ends
for ns in "$FTPALG_NS_OCL" "$FTPALG_NS_DMZ"; do
	ftpalg_nsx "$ns" sysctl -q -w net.ipv4.tcp_tw_reuse=1
	ftpalg_nsx "$ns" sysctl -q -w net.ipv4.tcp_max_tw_buckets=512
done
ftpalg_nsx "$FTPALG_NS_OCL" sysctl -q -w net.ipv4.ip_local_port_range="20000 21999"
srcs=
for i in 100 101 102 103; do
	ip -n "$FTPALG_NS_OCL" addr add "203.0.113.$i/24" dev eth0 || exit 1
	srcs=${srcs:+$srcs,}203.0.113.$i
done
ftpalg_algd_start "$FTPALG_NS_RTR" "$WORK" "$WORK/ftp-algd.log" \
	>"$WORK/start.out" 2>&1 || { cat "$WORK/start.out"; exit 1; }
ip netns exec "$FTPALG_NS_DMZ" "$FTPD" -l "$FTPALG_DMZ_IP:21" \
	>>"$WORK/ftpd.log" 2>&1 &
SRV_PID=$!
for _ in $(seq 50); do
	ftpalg_nsx "$FTPALG_NS_DMZ" ss -Hltn "src $FTPALG_DMZ_IP:21" | grep -q . && break
	sleep 0.1
done

line=$(ftpalg_nsx "$FTPALG_NS_OCL" timeout 120 "$LOAD" rate \
	-s "$FTPALG_RTR_WAN_IP:21" -c 64 -t "$SECONDS_RUN" -q -B "$srcs" \
	2>"$WORK/load.err")
echo "load: $line"
kv() { printf '%s\n' "$line" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }
setups=$(kv setups) failures=$(kv failures) worst=$(kv worst_ms)
if [ -z "$setups" ]; then
	result setups FAIL "no result: $(tail -n 3 "$WORK/load.err" | tr '\n' ' ')"
elif [ "$failures" != 0 ]; then
	result setups FAIL "$failures failed: $(head -n 4 "$WORK/load.err" | tr '\n' ' ')"
elif [ "$setups" -lt 1000 ]; then
	result setups FAIL "only $setups sessions in $SECONDS_RUN s"
else
	result setups ok "$setups whole sessions, none failed"
fi
if [ -n "$worst" ] && awk -v w="$worst" 'BEGIN { exit !(w < 900) }'; then
	result no-stall ok "worst $worst ms"
else
	result no-stall FAIL "worst session ${worst:-?} ms"
fi

mid=$(stat midstream_sessions) stale=$(stat stale_destroy_events)
if [ "$mid" = 0 ]; then
	result reuse ok "no mid-stream session; $stale stale destroy events ignored"
else
	result reuse FAIL "$mid sessions picked up mid-stream ($stale stale destroy events ignored)"
fi

ok=0
for _ in $(seq 30); do
	added=$(stat 'pinholes added') used=$(stat 'pinholes used')
	removed=$(stat 'pinholes removed') unest=$(stat 'pinholes not_established')
	exp=$(stat 'pinholes expired')
	open=$(stat pinholes_open)
	if [ "$open" = 0 ] && [ $((used + removed + unest + exp)) -eq "$added" ]; then
		ok=1
		break
	fi
	sleep 0.1
done
if [ "$ok" = 1 ]; then
	result judged ok "added $added = used $used + removed $removed + not established $unest"
else
	result judged FAIL "added $added, used $used, removed $removed, not established $unest, open $open"
fi

# conntrack -D prints "conntrack v...: N flow entries have been deleted."
ct_del() {
	ftpalg_nsx "$FTPALG_NS_RTR" conntrack -D -p tcp "$@" 2>&1 >/dev/null |
		sed -n 's/.* \([0-9][0-9]*\) flow entries.*/\1/p'
}
ev0=$(stat destroy_events)
nctl=$(ct_del --reply-port-src 21)
ndata=$(ct_del)
nctl=${nctl:-0} ndata=${ndata:-0}
ev=$ev0
for _ in $(seq 20); do
	ev=$(stat destroy_events)
	[ $((ev - ev0)) -ge "$nctl" ] && break
	sleep 0.1
done
sleep 0.3
ev=$(stat destroy_events)
if [ "$nctl" -gt 0 ] && [ "$ndata" -gt 100 ] &&
   [ $((ev - ev0)) -ge "$nctl" ] && [ $((ev - ev0)) -lt $((nctl + 50)) ]; then
	result filtered ok "$nctl control entries deleted, $((ev - ev0)) destroy events read; $ndata data entries deleted, none read"
else
	result filtered FAIL "$nctl control and $ndata data entries deleted, $((ev - ev0)) destroy events read"
fi

if ftpalg_algd_alive "$FTPALG_NS_RTR" && ctl status >/dev/null; then
	result alive ok
else
	result alive FAIL "ftp-algd does not answer"
fi
echo "churn: $FTPALG_PASSED passed, $FTPALG_FAILED failed"
[ "$FTPALG_FAILED" -eq 0 ] && [ "$FTPALG_PASSED" -gt 0 ]
