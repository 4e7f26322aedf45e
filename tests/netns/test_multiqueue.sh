#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_multiqueue.sh BUILD_DIR: ftp-algd --queues 2, one
# worker per queue, with many client addresses (the queue hash ignores
# ports, so one address would load one worker).
#
#  1. 16 LAN addresses (masqueraded: every PORT line grows, the stream is
#     shifted) each download 4 files, PASV and PORT alternating, checked
#     against SHA256SUMS; both workers must have carried packets
#     (ftp-algctl metrics, worker="0" and worker="1").
#  2. 16 control connections stay open while they download 16 files
#     each: ftp-algctl sessions must show sessions of both workers (a
#     session id carries its worker in its top 16 bits); then SIGTERM and
#     a restart with --queues 2 (each worker takes its journal back), and
#     SIGTERM and a restart with one queue (the sessions wait, parked,
#     until their next packet says which worker now has them). Every
#     transfer must still match its checksum.
#
# Prints one line per check and "multiqueue: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${1:?usage: test_multiqueue.sh BUILD_DIR}
ALGD=$BUILD_DIR/alg/ftp-algd
ALGCTL=$BUILD_DIR/alg/ftp-algctl
PY=/usr/bin/python3
NADDR=16

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"

WORK=
ALGD_PID=
CLIENT_PIDS=()
PASSED=0
FAILED=0

teardown() {
	local p
	for p in "${CLIENT_PIDS[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	if [ -n "$ALGD_PID" ]; then
		kill -KILL "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
}
ftpalg_exit_traps teardown

pass() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
fail() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }

# algd_start ARGS...: a fresh daemon, ready when its ctl socket answers.
algd_start() {
	local before
	before=$(grep -c ' started: ' "$WORK/ftp-algd.log" 2>/dev/null)
	ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground \
		--ctl-socket "$WORK/ctl.sock" --state-file "$WORK/state" "$@" \
		</dev/null >>"$WORK/ftp-algd.log" 2>&1 &
	ALGD_PID=$!
	for _ in $(seq 50); do
		kill -0 "$ALGD_PID" 2>/dev/null || {
			ALGD_PID=; fail "ftp-algd $* exited at start"; return 1; }
		[ "$(grep -c ' started: ' "$WORK/ftp-algd.log")" -gt "${before:-0}" ] &&
			[ -S "$WORK/ctl.sock" ] && { pass "ftp-algd $* started"; return 0; }
		sleep 0.1
	done
	fail "ftp-algd not ready after 5s"
}

algd_term() {
	local rc
	kill -TERM "$ALGD_PID"
	wait "$ALGD_PID"
	rc=$?
	ALGD_PID=
	if [ "$rc" = 0 ]; then pass "SIGTERM: exit 0"; else fail "SIGTERM: exit $rc"; fi
}

ctl() { ip netns exec "$FTPALG_NS_RTR" "$ALGCTL" --socket "$WORK/ctl.sock" "$@"; }

# clients TRANSFERS PAUSE: one client per address, in the background.
clients() {
	local i
	CLIENT_PIDS=()
	for i in $(seq 0 $((NADDR - 1))); do
		ftpalg_nsx "$FTPALG_NS_LAN" timeout 120 "$PY" "$HERE/mq_client.py" \
			--host "$FTPALG_SRV_IP" --src "10.0.1.$((100 + i))" \
			--sums "$FTPALG_SUMS" --transfers "$1" --pause "$2" \
			--first "$i" >"$WORK/client.$i.log" 2>&1 &
		CLIENT_PIDS+=($!)
	done
}

# Every client exited 0 with every transfer matching; $1 names the phase.
clients_wait() {
	local i bad=0 n r
	for i in "${!CLIENT_PIDS[@]}"; do
		wait "${CLIENT_PIDS[$i]}" || { bad=$((bad + 1));
			tail -n 5 "$WORK/client.$i.log" | sed "s/^/  client $i: /"; }
		grep -q 'RESULT OK' "$WORK/client.$i.log" || bad=$((bad + 1))
	done
	CLIENT_PIDS=()
	n=$(cat "$WORK"/client.*.log | grep -c ': OK$')
	r=$(cat "$WORK"/client.*.log | grep -c ': RETRY ')
	[ "$r" = 0 ] || echo "  $1: $r data connection(s) failed once and were retried on the same session:" \
		"$(grep -h ': RETRY ' "$WORK"/client.*.log | head -n 3 | tr '\n' ';')"
	if [ "$bad" = 0 ]; then
		pass "$1: $n transfers from $NADDR addresses matched their checksums"
	else
		fail "$1: $bad clients failed ($n transfers matched)"
	fi
}

WORK=$(mktemp -d /tmp/ftpalg-mq.XXXXXX) || exit 2
ftpalg_files_make "$WORK/files" || { echo "cannot make files"; exit 2; }
ftpalg_topo_up alg >"$WORK/topo.log" 2>&1 || {
	cat "$WORK/topo.log"; echo "multiqueue: 0 passed, 1 failed"; exit 1; }
ftpalg_vsftpd_start out4 "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" \
	>"$WORK/srv.log" 2>&1 || {
	cat "$WORK/srv.log"; echo "multiqueue: 0 passed, 1 failed"; exit 1; }
ftpalg_nsx "$FTPALG_NS_RTR" nft -f "$FTPALG_NFT_FILE" || exit 1
for i in $(seq 0 $((NADDR - 1))); do
	ip -n "$FTPALG_NS_LAN" addr add "10.0.1.$((100 + i))/24" dev eth0 || exit 1
done

# ---- 1. short sessions from 16 addresses over two workers
algd_start --queues 2 || exit 1
rules=$(ftpalg_nsx "$FTPALG_NS_RTR" nft list chain inet ftp_alg ctl_queue)
if grep -qE 'queue (flags bypass )?(num|to) 0-1' <<<"$rules" ||
	grep -qE 'NFQUEUE.*balance 0:1' <<<"$rules" ||
	grep -qE 'num 0-1' <<<"$rules"; then
	pass "the queue rules balance over queues 0-1"
else
	fail "queue rules do not name the range:"; echo "$rules"
fi
clients 4 0
clients_wait "short sessions, --queues 2"
ctl metrics >"$WORK/metrics" || fail "ftp-algctl metrics failed"
for w in 0 1; do
	n=$(awk -v w="worker=\"$w\"" '$1 ~ /^ftp_alg_packets_total\{/ &&
		index($1, w) { s += $2 } END { print s + 0 }' "$WORK/metrics")
	if [ "$n" -gt 0 ]; then
		pass "worker $w carried $n packets"
	else
		fail "worker $w carried no packets"
	fi
done
grep -E '^workers:' <(ctl stats) | sed 's/^/  /'

# ---- 2. open sessions over a restart with 2 queues and one with 1
clients 16 0.6
sleep 2.5
ctl sessions >"$WORK/sessions" || fail "ftp-algctl sessions failed"
workers=$(grep -oE '#[0-9]+' "$WORK/sessions" | tr -d '#' |
	while read -r sid; do echo $((sid >> 48)); done | sort -u | tr '\n' ' ')
nsess=$(grep -cE '#[0-9]+' "$WORK/sessions")
echo "  $nsess sessions open, in workers: $workers"
if [ "$workers" = "0 1 " ]; then
	pass "open sessions live in both workers"
else
	fail "open sessions not in both workers: '$workers'"
fi
algd_term
saved=$(grep -c 'state saved for the next start' "$WORK/ftp-algd.log")
[ "$saved" = 2 ] && pass "both workers saved their state" ||
	fail "state saved $saved times (want one per worker: 2)"
[ -f "$WORK/state" ] && [ -f "$WORK/state.1" ] &&
	pass "a journal per worker: state, state.1" || fail "journal files missing"
algd_start --queues 2 || exit 1
restored=$(tail -n 40 "$WORK/ftp-algd.log" | grep -E 'journal .*state(\.1)?: .* [1-9][0-9]* sessions and' |
	grep -c .)
if [ "$restored" = 2 ]; then
	pass "each worker took its sessions back"
else
	fail "$restored journals restored sessions (want 2)"
	tail -n 40 "$WORK/ftp-algd.log"
fi
sleep 2
algd_term
algd_start || exit 1
sleep 3
claims=$(grep -c 'taken over by worker 0' "$WORK/ftp-algd.log")
if grep -q 'another number of queues' "$WORK/ftp-algd.log" && [ "$claims" -gt 0 ]; then
	pass "2 -> 1 queues: $claims parked sessions taken over at their next packet"
else
	fail "2 -> 1 queues: no parked session was taken over"
fi
clients_wait "open sessions across SIGTERM, 2 -> 2 and 2 -> 1 queues"
[ ! -f "$WORK/state.1" ] && pass "the second worker's journal is gone with it" ||
	fail "state.1 left behind after the restart with one queue"
grep -E 'journal|state saved|taken over|restored|worker' "$WORK/ftp-algd.log" |
	grep -v 'pinhole taken over' | sed 's/^/  log: /' | tail -n 30
echo "multiqueue: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
