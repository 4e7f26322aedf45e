#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_restart.sh BUILD_DIR: restarts lose no session.
#
# One control connection from the LAN client (10.0.1.2, masqueraded to
# 203.0.113.1: every PORT grows by 3 bytes, so the stream is shifted from
# the first transfer on) carries 24 RETRs and a STOR, all active mode,
# while ftp-algd is killed with SIGKILL, stopped with SIGTERM and killed
# again, each time started anew. Every transfer must succeed byte-exact:
# while no daemon runs the session's packets wait (queued without
# bypass) and the next daemon goes on from the journal.
#
# Prints one line per step and "restart: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${1:?usage: test_restart.sh BUILD_DIR}
ALGD=$BUILD_DIR/alg/ftp-algd
ALGCTL=$BUILD_DIR/alg/ftp-algctl
PY=/usr/bin/python3

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"

WORK=
ALGD_PID=
CLIENT_PID=
PASSED=0
FAILED=0

teardown() {
	[ -n "$CLIENT_PID" ] && kill -KILL "$CLIENT_PID" 2>/dev/null
	if [ -n "$ALGD_PID" ]; then
		kill -KILL "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
}
ftpalg_exit_traps teardown

check() {
	if "$@"; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
	fi
}

ok() { echo "ok: $*"; }
bad() { echo "FAIL: $*"; return 1; }

algd_start() {
	local before
	before=$(grep -c ' started: ' "$WORK/ftp-algd.log" 2>/dev/null)
	ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground \
		--ctl-socket "$WORK/ctl.sock" --state-file "$WORK/state" \
		</dev/null >>"$WORK/ftp-algd.log" 2>&1 &
	ALGD_PID=$!
	for _ in $(seq 50); do
		kill -0 "$ALGD_PID" 2>/dev/null || {
			ALGD_PID=; bad "ftp-algd exited at start"; return 1; }
		# this run's own "started" line (the log keeps every run's)
		[ "$(grep -c ' started: ' "$WORK/ftp-algd.log")" -gt "${before:-0}" ] &&
			[ -S "$WORK/ctl.sock" ] && return 0
		sleep 0.1
	done
	bad "ftp-algd not ready after 5s"
}

algd_stop() {
	local sig=$1 rc
	kill "-$sig" "$ALGD_PID"
	wait "$ALGD_PID"
	rc=$?
	ALGD_PID=
	echo "ftp-algd: $sig, exit status $rc"
	[ "$sig" != TERM ] || [ "$rc" = 0 ] || { bad "exit $rc on SIGTERM"; return 1; }
}

# The log of the daemon started last says it took the session over.
restored_line() {
	tail -n 30 "$WORK/ftp-algd.log" | grep -E 'sessions and [0-9]+ pinholes restored' |
		tail -n 1
}

WORK=$(mktemp -d /tmp/ftpalg-restart.XXXXXX) || exit 2
ftpalg_files_make "$WORK/files" || { echo "cannot make files"; exit 2; }
ftpalg_topo_up alg >"$WORK/topo.log" 2>&1 || {
	cat "$WORK/topo.log"; echo "restart: 0 passed, 1 failed"; exit 1; }
ftpalg_vsftpd_start out4 "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" \
	>"$WORK/srv.log" 2>&1 || {
	cat "$WORK/srv.log"; echo "restart: 0 passed, 1 failed"; exit 1; }
ftpalg_nsx "$FTPALG_NS_RTR" nft -f "$FTPALG_NFT_FILE" || exit 1
ftpalg_nsx "$FTPALG_NS_RTR" sysctl -n net.netfilter.nf_conntrack_tcp_be_liberal |
	grep -qx 0 || { echo "be_liberal is not 0: the test would prove nothing"; exit 1; }
check algd_start

ftpalg_nsx "$FTPALG_NS_LAN" timeout 180 "$PY" "$HERE/ftpclient.py" \
	--host "$FTPALG_SRV_IP" --case session --modes PORT --pause 0.4 \
	--transfers 24 --timeout 20 --sums "$FTPALG_SUMS" \
	--server-root "$FTPALG_PUB" -v >"$WORK/client.log" 2>&1 &
CLIENT_PID=$!

# kill -9, SIGTERM, kill -9, each followed by a fresh start
for sig in KILL TERM KILL; do
	sleep 2.5
	check algd_stop "$sig"
	sleep 0.5		# packets of the session wait meanwhile
	check algd_start
	line=$(restored_line)
	echo "after SIG$sig: $line"
	if grep -qE ' [1-9][0-9]* sessions' <<<"$line"; then
		ok "the session was taken over after SIG$sig"
		PASSED=$((PASSED + 1))
	else
		bad "no session restored after SIG$sig"
		FAILED=$((FAILED + 1))
	fi
done

wait "$CLIENT_PID"
rc=$?
CLIENT_PID=
grep -E 'OK|FAIL|transfers' "$WORK/client.log" | grep -v '^[<>]' | tail -n 40
if [ "$rc" = 0 ] && grep -q 'RESULT OK' "$WORK/client.log"; then
	ok "every transfer on the control connection matched its checksum"
	PASSED=$((PASSED + 1))
else
	bad "the client failed (exit $rc)"
	FAILED=$((FAILED + 1))
	tail -n 40 "$WORK/ftp-algd.log"
fi
rewrites=$(grep -c ' rewrite PORT' "$WORK/ftp-algd.log")
echo "ftp-algd rewrote $rewrites PORT lines across 4 runs"
if [ "$rewrites" -ge 24 ]; then
	PASSED=$((PASSED + 1))
else
	bad "fewer PORT rewrites than transfers"
	FAILED=$((FAILED + 1))
fi
grep -E 'journal|state saved|taken over|restored' "$WORK/ftp-algd.log" | sed 's/^/  log: /'
echo "restart: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
