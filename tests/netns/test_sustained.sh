#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_sustained.sh BUILD_DIR [SECONDS]: setups do not stall.
#
# The outside client opens data connections back to back through the
# port forward to the DMZ pyftpdlib (PASV, connect, NLST, close: each one
# a pinhole and a dnat4 mapping, consumed, then removed by the daemon's
# once-a-second check) for SECONDS (default 8). Every setup must succeed,
# no second may lack setups, and no gap between two may reach 300 ms: the
# check must never stop the event loop (it did, for seconds, when its
# removal batch named elements the packet path had already consumed; and
# for 400-600 ms here with a GET and a delete per pinhole, where one dump
# and one destroy batch leave gaps of 80-110 ms).
#
# Prints the client's figures and "sustained: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=${1:?usage: test_sustained.sh BUILD_DIR [SECONDS]}
SECONDS_RUN=${2:-8}
ALGD=$BUILD_DIR/alg/ftp-algd
ALGCTL=$BUILD_DIR/alg/ftp-algctl

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"

WORK=
ALGD_PID=
PASSED=0
FAILED=0

teardown() {
	if [ -n "$ALGD_PID" ]; then
		kill -TERM "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
}
ftpalg_exit_traps teardown

ok() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }

WORK=$(mktemp -d /tmp/ftpalg-sustained.XXXXXX) || exit 2
ftpalg_files_make "$WORK/files" || { echo "cannot make files"; exit 2; }
ftpalg_topo_up alg >"$WORK/topo.log" 2>&1 || {
	cat "$WORK/topo.log"; echo "sustained: 0 passed, 1 failed"; exit 1; }
ftpalg_pyftpd_start dmz "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" \
	--pasv-ports 41000-48999 >"$WORK/srv.log" 2>&1 || {
	cat "$WORK/srv.log"; echo "sustained: 0 passed, 1 failed"; exit 1; }
ftpalg_nsx "$FTPALG_NS_RTR" nft -f "$FTPALG_NFT_FILE" || exit 1
ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground \
	--ctl-socket "$WORK/ctl.sock" --state-file "$WORK/state" \
	</dev/null >"$WORK/ftp-algd.log" 2>&1 &
ALGD_PID=$!
for _ in $(seq 50); do
	[ -S "$WORK/ctl.sock" ] && break
	kill -0 "$ALGD_PID" 2>/dev/null || break
	sleep 0.1
done
[ -S "$WORK/ctl.sock" ] || {
	cat "$WORK/ftp-algd.log"; echo "sustained: 0 passed, 1 failed"; exit 1; }
grep 'pinhole removal' "$WORK/ftp-algd.log"

out=$(ftpalg_nsx "$FTPALG_NS_OCL" timeout $((SECONDS_RUN + 60)) \
	/usr/bin/python3 "$HERE/setups.py" --host "$FTPALG_RTR_WAN_IP" \
	--user "$FTPALG_PY_USER" --password "$FTPALG_PY_PASS" \
	--seconds "$SECONDS_RUN")
rc=$?
echo "$out"
if [ "$rc" = 0 ]; then
	ok "every setup through the port forward succeeded"
else
	bad "a setup failed (exit $rc)"
	tail -n 30 "$WORK/ftp-algd.log"
fi
read -r -a f <<<"$out"
# setups N seconds S per_second a,b,... max_gap_ms G worst_ms W
per=${f[5]:-}
gap=${f[7]:-999999}
if [ -n "$per" ] && ! grep -qE '(^|,)0(,|$)' <<<"$per"; then
	ok "setups in every second ($per)"
else
	bad "a second without setups ($per)"
fi
if [ "${gap%.*}" -lt 300 ]; then
	ok "longest gap between setups ${gap} ms (< 300)"
else
	bad "a ${gap} ms stall between two setups"
fi
# the daemon saw them: pinholes added and gone again
"$ALGCTL" --socket "$WORK/ctl.sock" status 2>/dev/null | grep -iE "pinhole|verdict" | head -n 8
echo "sustained: $PASSED passed, $FAILED failed"
[ "$FAILED" = 0 ]
