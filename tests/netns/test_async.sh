#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_async.sh --build-dir DIR
#
# Announcements that leave before their pinhole's transaction
# (alg/daemon/pin_async.h). ftp-algd runs with
# FTPALG_TEST_COMMIT_DELAY_MS=400: every transaction sent after its
# verdicts waits 400 ms first, so each data connection's SYN reaches the
# router while its pinhole is not there yet. Chain pin_catch must hold it
# (queue it to ftp-algd, which lets it through again once the pinhole
# exists): the transfer then takes well under the 1 s a dropped SYN
# costs (its first retransmission). Cases (each transfer sha256-checked):
#
#   dmz-pasv     outside client -> port forward -> DMZ pyftpdlib, PASV
#   dmz-port     the same, PORT (the server's SYN from the DMZ is held)
#   lan-port     LAN client (masqueraded) -> outside pyftpdlib, PORT
#   lan-pasv     the same, PASV
#   v6-eprt      IPv6 LAN client -> outside pyftpdlib, EPRT (no NAT)
#   v6-epsv      the same, EPSV
# pyftpdlib connects to a PORT's address before it answers the PORT, so
# in active mode too its SYN comes while the transaction waits (vsftpd
# waits for RETR, which the delayed worker has not passed yet).
#   stranger     a SYN between an announcing pair to a port nobody
#                announced: held, let go untouched, refused by the
#                router's policy; nothing opens
#   restored     "flush chain inet ftp_alg catch_queue": ftp-algd puts
#                its rule back, and the next held transfer works
#   table        "nft delete table inet ftp_alg": ftp-algd loads it
#                again with its catch rule(s), and the next held transfer
#                works
# With --queues N (N > 1) the same cases run over N workers (maps
# peerq4/peerq6 send each pair's SYNs to its worker's chain catch_q<i>;
# "restored" flushes every such chain), and one more:
#   cleanup      (also with one queue) after SIGTERM, --cleanup leaves no
#                catch rule, no catch_q<i> chain, no peerq4/peerq6 pair
#   shared       active mode from 12 LAN addresses to one server: their
#                sessions spread over the workers and share one pair
#                (server . router), which one worker owns; the others'
#                announcements wait for their transactions
#                (pair_elsewhere). Every transfer under 1 s, checksummed.
#
# Each case runs one warm-up transfer first: a pair's first pinhole goes
# in a transaction before its verdict (that adds the pair to peer4), and
# only later ones leave first. Prints one line per case and
# "async: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=
QUEUES=1
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--queues) QUEUES=$2; shift 2 ;;
	*) echo "usage: test_async.sh --build-dir DIR [--queues N]" >&2; exit 2 ;;
	esac
done
[ -n "$BUILD_DIR" ] || { echo "test_async.sh: --build-dir needed" >&2; exit 2; }
FTPALG_ALGD=$BUILD_DIR/alg/ftp-algd
FTPALG_ALGCTL=$BUILD_DIR/alg/ftp-algctl

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"
# shellcheck source=tests/netns/algd.sh
source "$HERE/algd.sh"

DELAY_MS=400
WORK=

teardown() {
	[ -n "$FTPALG_NS_RTR" ] && ftpalg_algd_stop "$FTPALG_NS_RTR"
	ftpalg_servers_stop
}
ftpalg_exit_traps teardown

result() { ftpalg_check async "$@"; }

pin() { ftpalg_algd_stat "$WORK" "pinholes $1"; }

now_ms() { date +%s%3N; }

# xfer NS URL CURLOPTS...: download mid.bin; prints the elapsed ms, or
# FAIL and why
xfer() {
	local ns=$1 url=$2 out t0 t1 sum
	shift 2
	out=$WORK/got.$RANDOM
	t0=$(now_ms)
	if ! ftpalg_nsx "$ns" timeout 20 curl -sS --max-time 15 "$@" \
		-o "$out" "$url/mid.bin" 2>>"$WORK/curl.err"; then
		echo "FAIL curl: $(tail -n 1 "$WORK/curl.err")"
		return 1
	fi
	t1=$(now_ms)
	sum=$(sha256sum "$out" | cut -d' ' -f1)
	rm -f "$out"
	if [ "$sum" != "$(ftpalg_sum_of mid.bin)" ]; then
		echo "FAIL checksum"
		return 1
	fi
	echo $((t1 - t0))
}

# held_case CASE NS URL CURLOPTS...: warm-up, then one transfer whose data
# connection must be held and let through
held_case() {
	local name=$1 ns=$2 url=$3 c0 e0 ms
	shift 3
	ms=$(xfer "$ns" "$url" "$@") || { result "$name" FAIL "warm-up: $ms"; return; }
	c0=$(pin caught) e0=$(pin early)
	ms=$(xfer "$ns" "$url" "$@") || { result "$name" FAIL "$ms"; return; }
	local c1 e1
	c1=$(pin caught) e1=$(pin early)
	if [ "$e1" -le "$e0" ]; then
		result "$name" FAIL "its pinhole was not added after its verdict (early $e0 -> $e1)"
	elif [ "$c1" -le "$c0" ]; then
		result "$name" FAIL "no data connection held (caught $c0 -> $c1) in $ms ms"
	elif [ "$ms" -ge 1000 ]; then
		result "$name" FAIL "$ms ms: the SYN waited for a retransmission"
	else
		result "$name" ok "$ms ms, $((c1 - c0)) held, transaction delayed $DELAY_MS ms"
	fi
}

WORK=$(mktemp -d /tmp/ftpalg-async.XXXXXX)
chmod 755 "$WORK"
ftpalg_topo_up async || { echo "async: topology failed"; exit 1; }
ftpalg_files_make "$WORK/files" || { echo "async: cannot make files"; exit 1; }
ftpalg_pyftpd_start dmz "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" || exit 1
ftpalg_pyftpd_start out "$FTPALG_NS_SRV" "$FTPALG_SRV_IP_B" || exit 1
ftpalg_pyftpd_start out6 "$FTPALG_NS_SRV" "2001:db8:1::11" || exit 1
AUTH=(-u "$FTPALG_PY_USER:$FTPALG_PY_PASS")
FTPALG_TEST_COMMIT_DELAY_MS=$DELAY_MS \
	ftpalg_algd_start "$FTPALG_NS_RTR" "$WORK" "$WORK/ftp-algd.log" \
	--queues "$QUEUES" \
	>"$WORK/start.out" 2>&1 || { cat "$WORK/start.out"; exit 1; }
if ! grep -q "announcements leave before their transaction" "$WORK/ftp-algd.log"; then
	echo "async: ftp-algd did not turn it on:"
	grep "pinholes:" "$WORK/ftp-algd.log"
	exit 1
fi

held_case dmz-pasv "$FTPALG_NS_OCL" "ftp://$FTPALG_RTR_WAN_IP" "${AUTH[@]}" \
	--disable-epsv --no-ftp-skip-pasv-ip
held_case dmz-port "$FTPALG_NS_OCL" "ftp://$FTPALG_RTR_WAN_IP" "${AUTH[@]}" \
	-P - --disable-eprt
held_case lan-port "$FTPALG_NS_LAN" "ftp://$FTPALG_SRV_IP_B" "${AUTH[@]}" \
	-P - --disable-eprt
held_case lan-pasv "$FTPALG_NS_LAN" "ftp://$FTPALG_SRV_IP_B" "${AUTH[@]}" \
	--disable-epsv --no-ftp-skip-pasv-ip
held_case v6-eprt "$FTPALG_NS_LAN" "ftp://[2001:db8:1::11]" "${AUTH[@]}" -P -
held_case v6-epsv "$FTPALG_NS_LAN" "ftp://[2001:db8:1::11]" "${AUTH[@]}"

# stranger: the outside client and 203.0.113.1 are a pair in peer4 now;
# a SYN to a port nobody announced is held, passed, and refused
p0=$(pin catch_passed)
if ftpalg_nsx "$FTPALG_NS_OCL" timeout 5 bash -c \
	"exec 3<>/dev/tcp/$FTPALG_RTR_WAN_IP/45678" 2>/dev/null; then
	result stranger FAIL "a connection to an unannounced port opened"
else
	p1=$(pin catch_passed)
	if [ "$p1" -gt "$p0" ]; then
		result stranger ok "held and let go untouched ($p0 -> $p1), refused"
	else
		result stranger FAIL "not held (catch_passed $p0 -> $p1)"
	fi
fi

# restored: the daemon's catch rules taken away, and put back
catch_chains() {
	if [ "$QUEUES" -eq 1 ]; then
		echo catch_queue
	else
		seq -f 'catch_q%g' 0 $((QUEUES - 1))
	fi
}
queue_rules() {
	ftpalg_nsx "$FTPALG_NS_RTR" nft list chain inet ftp_alg "$1" 2>/dev/null |
		grep -cE '[[:space:]]queue([[:space:]]|$)'
}
# put_back CASE LOGLINE: within 5 s every catch chain has its queue rule
# again and the log says why; then a held transfer works
put_back() {
	local name=$1 why=$2 bad c
	for _ in $(seq 50); do
		bad=
		for c in $(catch_chains); do
			[ "$(queue_rules "$c")" = 1 ] || bad="$bad $c"
		done
		[ -z "$bad" ] && break
		sleep 0.1
	done
	if [ -n "$bad" ]; then
		result "$name" FAIL "no queue rule in$bad after 5 s"
	elif ! grep -q "$why" "$WORK/ftp-algd.log"; then
		result "$name" FAIL "no log line says \"$why\""
	else
		held_case "$name" "$FTPALG_NS_OCL" "ftp://$FTPALG_RTR_WAN_IP" \
			"${AUTH[@]}" --disable-epsv --no-ftp-skip-pasv-ip
	fi
}
for c in $(catch_chains); do
	ftpalg_nsx "$FTPALG_NS_RTR" nft flush chain inet ftp_alg "$c"
done
put_back restored "catch queue rule gone"

# table: the whole table taken away, and put back
ftpalg_nsx "$FTPALG_NS_RTR" nft delete table inet ftp_alg
put_back table "table inet ftp_alg gone"

# shared: one pair, several workers (see the top)
shared_case() {
	local i a ms slow=0 fail='' e0 e1 w
	e0=$(pin pair_elsewhere)
	for i in $(seq 20 31); do
		a=10.0.1.$i
		ftpalg_nsx "$FTPALG_NS_LAN" ip addr add "$a/24" dev eth0 2>/dev/null
		ms=$(xfer "$FTPALG_NS_LAN" "ftp://$FTPALG_SRV_IP_B" "${AUTH[@]}" \
			--interface "$a" -P "$a" --disable-eprt) ||
			{ fail="$a: $ms"; break; }
		[ "$ms" -ge 1000 ] && slow=$((slow + 1))
	done
	e1=$(pin pair_elsewhere)
	w=$("$FTPALG_ALGCTL" --socket "$WORK/ftp-algd.sock" metrics |
		grep -cE '^ftp_alg_pinholes_total\{worker="[0-9]+",outcome="added"\} [1-9]')
	if [ -n "$fail" ]; then
		result shared FAIL "$fail"
	elif [ "$slow" -gt 0 ]; then
		result shared FAIL "$slow of 12 transfers waited for a retransmission"
	elif [ "$w" -lt 2 ]; then
		result shared FAIL "the sessions did not spread: pinholes on $w worker(s)"
	elif [ "$e1" -le "$e0" ]; then
		result shared FAIL "no announcement waited for another worker's pair ($e0 -> $e1)"
	else
		result shared ok "12 transfers over $w workers, $((e1 - e0)) waited for their transaction"
	fi
}
[ "$QUEUES" -gt 1 ] && shared_case

# several queues: what each worker announced early and held (the
# metrics' per-worker counters), and the map says which chain is whose
if [ "$QUEUES" -gt 1 ]; then
	"$FTPALG_ALGCTL" --socket "$WORK/ftp-algd.sock" metrics |
		grep -E '^ftp_alg_pinholes_total\{worker="[0-9]+",outcome="(caught|early|pair_elsewhere|added)"\}' |
		sed 's/^/  /'
	ftpalg_nsx "$FTPALG_NS_RTR" nft list map inet ftp_alg peerq4 |
		grep -o 'jump catch_q[0-9]*' | sort | uniq -c | sed 's/^/  peerq4:/'
	ftpalg_nsx "$FTPALG_NS_RTR" nft list map inet ftp_alg peerq6 |
		grep -o 'jump catch_q[0-9]*' | sort | uniq -c | sed 's/^/  peerq6:/'
fi

if ! ftpalg_algd_alive "$FTPALG_NS_RTR"; then
	result alive FAIL "ftp-algd exited"
fi

# cleanup: after SIGTERM, --cleanup leaves no catch rule, no worker chain
# and no pair behind
ftpalg_algd_stop "$FTPALG_NS_RTR"
if ! out=$(ftpalg_nsx "$FTPALG_NS_RTR" "$FTPALG_ALGD" --foreground --cleanup \
	--state-file "$WORK/state" 2>&1); then
	result cleanup FAIL "--cleanup: $out"
else
	left=
	[ "$(queue_rules catch_queue)" = 0 ] || left="$left catch_queue-rule"
	ftpalg_nsx "$FTPALG_NS_RTR" nft list table inet ftp_alg |
		grep -q 'chain catch_q[0-9]' && left="$left catch_q-chains"
	for m in peerq4 peerq6; do
		ftpalg_nsx "$FTPALG_NS_RTR" nft list map inet ftp_alg "$m" |
			grep -q 'elements' && left="$left $m"
	done
	if [ -n "$left" ]; then
		result cleanup FAIL "left:$left"
	else
		result cleanup ok "no catch rule, worker chain or pair left"
	fi
fi
echo "async: $FTPALG_PASSED passed, $FTPALG_FAILED failed"
[ "$FTPALG_FAILED" -eq 0 ] && [ "$FTPALG_PASSED" -gt 0 ]
