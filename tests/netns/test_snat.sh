#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_snat.sh --build-dir DIR [--mode algd|kernel|both]
#	[--dmz-masquerade] [--nft-file FILE]
#
# Active mode through a port forward, without masquerading the DMZ: the
# DMZ server's data connection (from 10.0.2.2:20) must leave from the
# public address its control connection was forwarded from, whichever
# router address that is. topo.sh's network, changed here:
#
#   router wan  203.0.113.1 (primary)  203.0.113.5 (secondary, added here)
#   port forwards  203.0.113.1:21 and 203.0.113.5:21 -> 10.0.2.2:21
#   postrouting    LAN -> WAN: snat to 203.0.113.5 (not the primary);
#                  the DMZ: not translated at all (--dmz-masquerade: the
#                  usual "masquerade" of 10.0.2.0/24 as well)
#
# Cases (each a download or upload with its checksum):
#   restart  (ftp-algd only) killed with SIGKILL while a PORT pinhole and
#            its mapping wait: taken over, used, removed
#   mark     (ftp-algd only) an snat4 element without a consumed pinhole
#            translates nothing
#   dmz-*    outside client -> each forwarded address: curl PORT, EPRT,
#            upload; ftplib PORT, EPRT (the data connection must come
#            from the address the client connected to); conntrack must
#            show the data connection translated to that address
#   lan-*    LAN client snat'ed to the secondary address -> outside
#            vsftpd: PORT rewritten to 203.0.113.5, the data connection
#            sent on to the client; PASV too
#   v6-*     IPv6 LAN client -> outside vsftpd, active mode (EPRT), no
#            NAT: the same code path, no mapping
#
# --mode algd: ftp-algd from DIR; kernel: the kernel's FTP helper (the
# reference); both (default): one after the other, on fresh topologies.
# Prints one line per case and "snat: N passed, M failed".
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD_DIR=
MODE=both
DMZ_MASQ=0
NFT_FILE=
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--mode) MODE=$2; shift 2 ;;
	--dmz-masquerade) DMZ_MASQ=1; shift ;;
	--nft-file) NFT_FILE=$2; shift 2 ;;
	*) echo "usage: test_snat.sh --build-dir DIR [--mode algd|kernel|both] [--dmz-masquerade] [--nft-file FILE]" >&2
	   exit 2 ;;
	esac
done
[ -n "$BUILD_DIR" ] || { echo "test_snat.sh: --build-dir needed" >&2; exit 2; }
ALGD=$BUILD_DIR/alg/ftp-algd
PY=/usr/bin/python3

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"
[ -n "$NFT_FILE" ] || NFT_FILE=$FTPALG_NFT_FILE

SECONDARY_IP=203.0.113.5
WORK=
ALGD_PID=
PASSED=0
FAILED=0
RESULTS=()

teardown() {
	algd_stop
	ftpalg_servers_stop
}
ftpalg_exit_traps teardown

result() {	# MODE CASE ok|FAIL [detail]
	local line="$1 $2: $3${4:+ ($4)}"
	echo "$line"
	RESULTS+=("$line")
	if [ "$3" = ok ]; then
		PASSED=$((PASSED + 1))
	else
		FAILED=$((FAILED + 1))
	fi
}

algd_start() {
	local before
	before=$(grep -c ' started: ' "$WORK/ftp-algd.log" 2>/dev/null)
	ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground \
		--ctl-socket "$WORK/ctl.sock" --state-file "$WORK/state" \
		</dev/null >>"$WORK/ftp-algd.log" 2>&1 &
	ALGD_PID=$!
	for _ in $(seq 50); do
		kill -0 "$ALGD_PID" 2>/dev/null || { ALGD_PID=; return 1; }
		# this run's own "started" line (the log keeps every run's)
		[ "$(grep -c ' started: ' "$WORK/ftp-algd.log")" -gt "${before:-0}" ] &&
			[ -S "$WORK/ctl.sock" ] && return 0
		sleep 0.1
	done
	return 1
}

algd_stop() {
	[ -n "$ALGD_PID" ] || return 0
	kill -TERM "$ALGD_PID" 2>/dev/null
	wait "$ALGD_PID" 2>/dev/null
	ALGD_PID=
}

# The router's changes to topo.sh's network (see the top).
snat_topo_extra() {
	local r=$FTPALG_NS_RTR dmz=""
	[ "$DMZ_MASQ" = 1 ] &&
		dmz="oifname \"wan\" ip saddr 10.0.2.0/24 masquerade"
	ip -n "$r" addr add "$SECONDARY_IP/24" dev wan &&
	ftpalg_nsx "$r" nft -f - <<EOF
flush chain inet admin postrouting
table inet admin {
	chain prerouting {
		iifname "wan" ip daddr $SECONDARY_IP tcp dport 21 dnat ip to $FTPALG_DMZ_IP:21
	}
	chain postrouting {
		oifname "wan" ip saddr 10.0.1.0/24 snat ip to $SECONDARY_IP
		$dmz
	}
}
EOF
}

# Where the router sent the DMZ server's active-mode data connections
# (from 10.0.2.2:20) since the last call: their reply destinations.
dmz_data_sources() {
	ftpalg_nsx "$FTPALG_NS_RTR" conntrack -L -p tcp --orig-src "$FTPALG_DMZ_IP" \
		--sport 20 2>/dev/null |
		sed -n 's/.*src=[^ ]* dst=[^ ]* sport=[^ ]* dport=[^ ]* .*src=[^ ]* dst=\([^ ]*\) sport=.*/\1/p' |
		sort -u | tr '\n' ' '
	ftpalg_nsx "$FTPALG_NS_RTR" conntrack -D -p tcp --orig-src "$FTPALG_DMZ_IP" \
		--sport 20 >/dev/null 2>&1
}

# curl NS URL_HOST MODE(PORT|EPRT) get|put FILE
curl_case() {
	local ns=$1 host=$2 mode=$3 op=$4 file=$5 out opts=(--ftp-port -)
	[ "$mode" = PORT ] && opts+=(--disable-eprt)
	out=$WORK/dl.$$
	rm -f "$out"
	case $op in
	get)
		ftpalg_nsx "$ns" timeout 30 curl -sS --max-time 25 "${opts[@]}" \
			-o "$out" "ftp://$host/$file" 2>>"$WORK/curl.err" &&
			[ "$(sha256sum <"$out" | cut -d' ' -f1)" = "$(ftpalg_sum_of "$file")" ]
		;;
	put)
		local name=up-$RANDOM-${file##*/}
		ftpalg_nsx "$ns" timeout 30 curl -sS --max-time 25 "${opts[@]}" \
			-T "$FTPALG_PUB/$file" "ftp://$host/incoming/$name" \
			2>>"$WORK/curl.err" &&
			[ "$(sha256sum <"$FTPALG_PUB/incoming/$name" | cut -d' ' -f1)" = \
			  "$(ftpalg_sum_of "$file")" ]
		;;
	esac
}

# ftplib NS HOST MODE [--check-data-source]
ftplib_case() {
	local ns=$1 host=$2 mode=$3
	shift 3
	ftpalg_nsx "$ns" timeout 40 "$PY" "$HERE/ftpclient.py" --host "$host" \
		--case get --mode "$mode" --file mid.bin --timeout 10 \
		--sums "$FTPALG_SUMS" "$@" >>"$WORK/ftplib.log" 2>&1
}

# Run one case: NAME COMMAND...; the daemon (if any) must still be alive.
run_case() {
	local m=$1 name=$2
	shift 2
	if "$@"; then
		result "$m" "$name" ok
	else
		result "$m" "$name" FAIL
	fi
}

# One DMZ case, then check where its data connection came from.
dmz_case() {
	local m=$1 name=$2 pub=$3 got
	shift 3
	dmz_data_sources >/dev/null
	if ! "$@"; then
		result "$m" "$name" FAIL "transfer"
		return
	fi
	got=$(dmz_data_sources)
	if [ "$got" = "$pub " ]; then
		result "$m" "$name" ok "data connection left from $pub"
	else
		result "$m" "$name" FAIL "data connection left from '${got% }', want $pub"
	fi
}

# Elements in map snat4 on the router.
snat4_count() {
	ftpalg_nsx "$FTPALG_NS_RTR" nft list map inet ftp_alg snat4 2>/dev/null |
		tr -d '\n' | sed -n 's/.*elements = {\([^}]*\)}.*/\1/p' |
		tr ',' '\n' | grep -c ':'
}

# ftp-algd killed (SIGKILL) while a DMZ session's PORT pinhole and its
# source mapping wait for their data connection: the next daemon takes
# both over, the transfer leaves from the secondary address, and when
# the session ends the mapping goes with it.
restart_case() {
	local m=$1 hold=$WORK/hold.$$ out=$WORK/hold.out pid i
	rm -f "$hold"
	dmz_data_sources >/dev/null
	ftpalg_nsx "$FTPALG_NS_OCL" timeout 60 "$PY" "$HERE/ftpclient.py" \
		--host "$SECONDARY_IP" --case hold --mode PORT --file mid.bin \
		--hold-file "$hold" --hold-max 30 --timeout 10 \
		--check-data-source --sums "$FTPALG_SUMS" >"$out" 2>&1 &
	pid=$!
	for i in $(seq 100); do
		grep -q ready "$hold" 2>/dev/null && break
		sleep 0.1
	done
	if [ "$(snat4_count)" = 1 ]; then
		result "$m" "restart: snat4 holds the announced mapping" ok
	else
		result "$m" "restart: snat4 holds the announced mapping" FAIL "$(snat4_count) elements"
	fi
	kill -KILL "$ALGD_PID"
	wait "$ALGD_PID" 2>/dev/null
	ALGD_PID=
	if algd_start && sleep 0.5 &&
	   grep -q "pinhole taken over 10.0.2.2 -> .* from $SECONDARY_IP" "$WORK/ftp-algd.log" &&
	   [ "$(snat4_count)" = 1 ]; then
		result "$m" "restart: the next daemon took the pinhole and its mapping over" ok
	else
		result "$m" "restart: the next daemon took the pinhole and its mapping over" FAIL
	fi
	rm -f "$hold"
	if wait "$pid" && grep -q 'RESULT OK' "$out"; then
		result "$m" "restart: the held transfer (PORT, secondary address)" ok
	else
		result "$m" "restart: the held transfer (PORT, secondary address)" FAIL
		tail -n 5 "$out"
	fi
	[ "$(dmz_data_sources)" = "$SECONDARY_IP " ] ||
		result "$m" "restart: data connection from $SECONDARY_IP" FAIL
	for i in $(seq 40); do
		[ "$(snat4_count)" = 0 ] && break
		sleep 0.1
	done
	if [ "$(snat4_count)" = 0 ]; then
		result "$m" "restart: the mapping went with its use" ok
	else
		result "$m" "restart: the mapping went with its use" FAIL
	fi
}

# An snat4 element alone (no pinhole consumed, so no mark) translates
# nothing: a DMZ connection matching its key, let through by a rule of
# the administrator's, leaves untranslated (or as their masquerade says).
mark_gate_case() {
	local m=$1 r=$FTPALG_NS_RTR h got lp want
	ftpalg_nsx "$r" nft add element inet ftp_alg snat4 \
		"{ $FTPALG_DMZ_IP . $FTPALG_OCL_IP . 45000 timeout 30s : $SECONDARY_IP }" &&
	ftpalg_nsx "$r" nft insert rule inet admin forward \
		iifname dmz tcp dport 45000 accept || {
		result "$m" "snat4 needs the pinhole mark" FAIL "setup"; return; }
	ftpalg_nsx "$FTPALG_NS_OCL" timeout 6 "$PY" -c '
import socket; s = socket.socket(); s.bind(("0.0.0.0", 45000)); s.listen(1)
s.settimeout(5)
try: s.accept()
except OSError: pass' &
	lp=$!
	sleep 0.3
	ftpalg_nsx "$FTPALG_NS_DMZ" timeout 4 "$PY" -c '
import socket, sys
try: socket.create_connection(("'"$FTPALG_OCL_IP"'", 45000), timeout=2)
except OSError: sys.exit(0)
sys.exit(1)' || true
	got=$(ftpalg_nsx "$r" conntrack -L -p tcp --orig-src "$FTPALG_DMZ_IP" \
		--dport 45000 2>/dev/null |
		sed -n 's/.*src=[^ ]* dst=[^ ]* sport=[^ ]* dport=[^ ]* .*src=[^ ]* dst=\([^ ]*\) sport=.*/\1/p' |
		head -n 1)
	# untranslated, or the administrator's masquerade's (the primary)
	want=$FTPALG_DMZ_IP
	[ "$DMZ_MASQ" = 1 ] && want=$FTPALG_RTR_WAN_IP
	if [ "$got" = "$want" ]; then
		result "$m" "snat4 needs the pinhole mark" ok "left from $got, not $SECONDARY_IP"
	else
		result "$m" "snat4 needs the pinhole mark" FAIL "left from '$got', want $want"
	fi
	h=$(ftpalg_nsx "$r" nft -a list chain inet admin forward |
		sed -n 's/.*dport 45000 accept # handle \([0-9]*\).*/\1/p')
	[ -n "$h" ] && ftpalg_nsx "$r" nft delete rule inet admin forward handle "$h"
	ftpalg_nsx "$r" nft delete element inet ftp_alg snat4 \
		"{ $FTPALG_DMZ_IP . $FTPALG_OCL_IP . 45000 }" 2>/dev/null
	wait "$lp" 2>/dev/null
}

run_mode() {
	local m=$1 pub
	ftpalg_topo_up "snat$m" >"$WORK/topo.log" 2>&1 || {
		cat "$WORK/topo.log"; result "$m" topology FAIL; return; }
	snat_topo_extra || { result "$m" "topology (secondary address)" FAIL; return; }
	ftpalg_vsftpd_start "dmz-$m" "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" \
		>>"$WORK/srv.log" 2>&1 &&
	ftpalg_vsftpd_start "out-$m" "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" \
		>>"$WORK/srv.log" 2>&1 &&
	ftpalg_vsftpd_start "out6-$m" "$FTPALG_NS_SRV" "$FTPALG_SRV_IP6" \
		>>"$WORK/srv.log" 2>&1 || { result "$m" servers FAIL; return; }
	case $m in
	algd)
		ftpalg_nsx "$FTPALG_NS_RTR" nft -f "$NFT_FILE" &&
			algd_start || { result "$m" "ftp-algd start" FAIL;
					tail -n 20 "$WORK/ftp-algd.log"; return; } ;;
	kernel)
		ftpalg_load_kernel_helper || { result "$m" "kernel helper" FAIL; return; } ;;
	esac

	for pub in "$FTPALG_RTR_WAN_IP" "$SECONDARY_IP"; do
		local t=dmz-primary
		[ "$pub" = "$SECONDARY_IP" ] && t=dmz-secondary
		dmz_case "$m" "$t curl PORT get" "$pub" \
			curl_case "$FTPALG_NS_OCL" "$pub" PORT get mid.bin
		dmz_case "$m" "$t curl EPRT get" "$pub" \
			curl_case "$FTPALG_NS_OCL" "$pub" EPRT get big.bin
		dmz_case "$m" "$t curl PORT put" "$pub" \
			curl_case "$FTPALG_NS_OCL" "$pub" PORT put mid.bin
		dmz_case "$m" "$t curl EPRT put" "$pub" \
			curl_case "$FTPALG_NS_OCL" "$pub" EPRT put small/f01.bin
		dmz_case "$m" "$t ftplib PORT get" "$pub" \
			ftplib_case "$FTPALG_NS_OCL" "$pub" PORT --check-data-source
		dmz_case "$m" "$t ftplib EPRT get" "$pub" \
			ftplib_case "$FTPALG_NS_OCL" "$pub" EPRT --check-data-source
	done

	run_case "$m" "lan-secondary curl PORT get" \
		curl_case "$FTPALG_NS_LAN" "$FTPALG_SRV_IP" PORT get mid.bin
	run_case "$m" "lan-secondary curl PORT put" \
		curl_case "$FTPALG_NS_LAN" "$FTPALG_SRV_IP" PORT put mid.bin
	run_case "$m" "lan-secondary ftplib PORT get" \
		ftplib_case "$FTPALG_NS_LAN" "$FTPALG_SRV_IP" PORT --check-data-source
	run_case "$m" "lan-secondary ftplib EPRT get" \
		ftplib_case "$FTPALG_NS_LAN" "$FTPALG_SRV_IP" EPRT --check-data-source
	run_case "$m" "lan-secondary ftplib PASV get" \
		ftplib_case "$FTPALG_NS_LAN" "$FTPALG_SRV_IP" PASV

	run_case "$m" "v6 curl EPRT get" \
		curl_case "$FTPALG_NS_LAN" "[$FTPALG_SRV_IP6]" EPRT get mid.bin
	run_case "$m" "v6 curl EPRT put" \
		curl_case "$FTPALG_NS_LAN" "[$FTPALG_SRV_IP6]" EPRT put mid.bin
	run_case "$m" "v6 ftplib EPRT get" \
		ftplib_case "$FTPALG_NS_LAN" "$FTPALG_SRV_IP6" EPRT --check-data-source

	if [ "$m" = algd ]; then
		restart_case "$m"
		mark_gate_case "$m"
		if kill -0 "$ALGD_PID" 2>/dev/null; then
			result "$m" "ftp-algd still running" ok
		else
			result "$m" "ftp-algd still running" FAIL
		fi
		# the IPv6 pinholes: no mapping (no NAT), pinhole right
		if grep -q 'pinhole added 2001:db8:1::10 -> \[2001:db8:10::2\]:[0-9]* => \[2001:db8:10::2\]:[0-9]* (' \
		   "$WORK/ftp-algd.log" &&
		   ! grep -q 'pinhole added 2001:[^ ]* .* from ' "$WORK/ftp-algd.log"; then
			result "$m" "v6 pinholes carry no mapping" ok
		else
			result "$m" "v6 pinholes carry no mapping" FAIL
		fi
		algd_stop
		# every pinhole and mapping went with its session
		local left
		left=$(for s in set:pin4 set:pin6 map:dnat4 map:snat4; do
			ftpalg_nsx "$FTPALG_NS_RTR" nft list "${s%%:*}" inet ftp_alg "${s#*:}" 2>/dev/null |
				grep -c 'elements = '
		done | awk '{ n += $1 } END { print n + 0 }')
		if [ "${left:-1}" = 0 ]; then
			result "$m" "no element left in pin4, pin6, dnat4, snat4" ok
		else
			result "$m" "no element left in pin4, pin6, dnat4, snat4" FAIL "$left sets hold elements"
		fi
		grep -E 'pinhole added' "$WORK/ftp-algd.log" | sed 's/^/  log: /' | head -n 8
		grep -ciE 'refused' "$WORK/ftp-algd.log" | sed 's/^/  refusals logged: /'
	fi
	ftpalg_servers_stop
	ftpalg_topo_down
	mv "$WORK/ftp-algd.log" "$WORK/ftp-algd.$m.log" 2>/dev/null
}

WORK=$(mktemp -d /tmp/ftpalg-snat.XXXXXX) || exit 2
ftpalg_files_make "$WORK/files" || { echo "cannot make files"; exit 2; }

case $MODE in
both) run_mode algd; run_mode kernel ;;
algd|kernel) run_mode "$MODE" ;;
*) echo "test_snat.sh: --mode algd|kernel|both" >&2; exit 2 ;;
esac
[ "$FAILED" = 0 ] || { echo "--- curl errors"; tail -n 20 "$WORK/curl.err";
	echo "--- ftplib"; grep -E 'FAIL|RESULT' "$WORK/ftplib.log" | tail -n 20; }
echo "snat: $PASSED passed, $FAILED failed (DMZ masquerade: $([ "$DMZ_MASQ" = 1 ] && echo on || echo off))"
[ "$FAILED" = 0 ]
