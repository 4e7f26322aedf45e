#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/harness.sh: real FTP servers and clients through a router
# namespace, with ftp-algd (mode "alg") and with the kernel's FTP helper
# as a reference (mode "kernel"). See tests/netns/topo.sh for the network.
#
#   harness.sh [--build-dir DIR] [--mode alg|kernel|both|none]
#              [--only REGEX] [--logs DIR] [--dmz-masquerade]
#
#   --mode both     (default) ftp-algd, then the kernel helper
#   --mode none     no helper at all: shows which cases need one (the NAT
#                   cases must FAIL here, or they prove nothing)
#   --only REGEX    run only cases whose id/server/client matches
#   --dmz-masquerade  masquerade the DMZ too (off by default: a DMZ
#                   server's active mode must work without it)
#
# Prints a table (case | server | client | ftp-algd | kernel-helper), then
#   netns: N passed, M failed		(ftp-algd cells only)
#   kernel-helper reference: X passed, Y failed
# and exits 1 if any ftp-algd cell failed, 2 if the harness could not set
# up (that is a failure too, never a skip). Needs root.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$REPO/build
MODE=both
ONLY=
LOGDIR=

usage() {
	sed -n '4,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit "${1:-0}"
}

while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--build-dir=*) BUILD_DIR=${1#*=}; shift ;;
	--mode) MODE=$2; shift 2 ;;
	--mode=*) MODE=${1#*=}; shift ;;
	--only) ONLY=$2; shift 2 ;;
	--logs) LOGDIR=$2; shift 2 ;;
	--dmz-masquerade) export FTPALG_DMZ_MASQUERADE=1; shift ;;
	-h|--help) usage 0 ;;
	*) echo "harness: unknown argument $1" >&2; usage 2 ;;
	esac
done
case $MODE in
alg) MODES=(alg) ;;
kernel) MODES=(kernel) ;;
both) MODES=(alg kernel) ;;
none) MODES=(none) ;;
*) echo "harness: --mode alg|kernel|both|none" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "harness: needs root (network namespaces)" >&2
	exit 2
fi
BUILD_DIR=$(cd "$BUILD_DIR" 2>/dev/null && pwd || echo "$BUILD_DIR")
ALGD=$BUILD_DIR/alg/ftp-algd
ALGCTL=$BUILD_DIR/alg/ftp-algctl

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"
# shellcheck source=tests/netns/algd.sh
source "$HERE/algd.sh"

PY=/usr/bin/python3
CLIENT="$HERE/ftpclient.py"
WORK=
ALGD_PID=
ALGD_LOG=
CTL_SOCK=

teardown() {
	if [ -n "$ALGD_PID" ]; then
		kill -TERM "$ALGD_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
		ALGD_PID=
	fi
	ftpalg_servers_stop
}
ftpalg_exit_traps teardown

say() { printf '%s\n' "$*"; }

# ---------------------------------------------------------------------------
# Results

declare -A RES=()	# "mode|row" -> PASS/FAIL
ROWS=()			# row keys in order: id, label, server, client
			# separated by tabs
MODE_NOW=
NCASE=0

have_row() {
	local r
	for r in "${ROWS[@]}"; do [ "$r" = "$1" ] && return 0; done
	return 1
}

record() {
	local row=$1 verdict=$2
	have_row "$row" || ROWS+=("$row")
	RES["$MODE_NOW|$row"]=$verdict
}

algd_alive() {
	[ -n "$ALGD_PID" ] && kill -0 "$ALGD_PID" 2>/dev/null
}

# case ID LABEL SERVER CLIENT -- FUNC ARGS...
# Runs FUNC with its output in a log of its own; a case passes when FUNC
# returns 0 (and, in alg mode, ftp-algd is still running afterwards).
case_() {
	local id=$1 label=$2 server=$3 client=$4 row log t0 t1 rc verdict why
	shift 5
	row="$id	$label	$server	$client"
	if [ -n "$ONLY" ] && ! [[ "$id $label $server $client" =~ $ONLY ]]; then
		return 0
	fi
	NCASE=$((NCASE + 1))
	log=$LOGDIR/$MODE_NOW/$(printf '%02d' "$NCASE")-$id-$server-$client.log
	log=${log// /_}
	t0=$(date +%s%N)
	if [ "$MODE_NOW" = alg ] && ! algd_alive; then
		echo "ftp-algd is not running" >"$log"
		rc=1
	else
		"$@" >"$log" 2>&1
		rc=$?
		if [ "$MODE_NOW" = alg ] && [ "$id" != A3 ] && ! algd_alive; then
			echo "ftp-algd died during this case" >>"$log"
			rc=1
		fi
	fi
	t1=$(( ($(date +%s%N) - t0) / 100000000 ))
	verdict=PASS
	[ $rc = 0 ] || verdict=FAIL
	record "$row" "$verdict"
	printf '  [%-6s] %-4s %-31s %-10s %-13s %s (%d.%ds)\n' "$MODE_NOW" \
		"$id" "$label" "$server" "$client" "$verdict" \
		$((t1 / 10)) $((t1 % 10))
	if [ $verdict = FAIL ]; then
		why=$(grep -E 'FAIL|curl: \([0-9]+\)|^< [45][0-9][0-9]|error|refused|[Tt]imed? ?out|ftp-algd' \
			"$log" | grep -v '^> ' | tail -n 4)
		[ -n "$why" ] || why=$(tail -n 3 "$log")
		printf '%s\n' "$why" | sed 's/^/	| /'
		echo "	| log: $log"
	fi
}

# ---------------------------------------------------------------------------
# Clients. Each prints what it did and returns 0 only when the data
# matched its sha256 and the mode asked for was the mode used.

# The announcement a mode must use, and those that would mean a silent
# fallback (curl falls back from EPSV to PASV and from EPRT to PORT).
mode_cmd_re() {
	case $1 in
	PORT) echo '^> PORT ' ;;
	EPRT) echo '^> EPRT ' ;;
	PASV) echo '^> PASV' ;;
	EPSV) echo '^> EPSV' ;;
	esac
}

# curl_get NS URL FILE MODE [curl args...]
# The curl options that make it use exactly this data-connection mode.
curl_mode_opts() {
	case $1 in
	PORT) echo "-P - --disable-eprt" ;;
	EPRT) echo "-P -" ;;
	PASV) echo "--disable-epsv --no-ftp-skip-pasv-ip" ;;
	EPSV) echo "--no-ftp-skip-pasv-ip" ;;
	esac
}

curl_get() {
	local ns=$1 url=$2 file=$3 mode=$4 out opts=() want got
	shift 4
	out=$WORK/dl.$$.$RANDOM
	read -ra opts <<<"$(curl_mode_opts "$mode")"
	ftpalg_nsx "$ns" curl -sS -v --connect-timeout 10 --max-time 30 \
		"${opts[@]}" "$@" -o "$out" "$url/$file" 2>&1 | tr -d '\r'
	want=$(ftpalg_sum_of "$file")
	got=$(sha256sum <"$out" 2>/dev/null | cut -d' ' -f1)
	rm -f "$out"
	check_transfer "$file" "$mode" "$want" "$got"
}

# curl_put NS URL MODE [curl args...]: upload mid.bin as a new file in
# incoming/ and compare the server's copy.
curl_put() {
	local ns=$1 url=$2 mode=$3 name opts=() want got
	shift 3
	name=up-curl-$MODE_NOW-$NCASE.bin
	read -ra opts <<<"$(curl_mode_opts "$mode")"
	ftpalg_nsx "$ns" curl -sS -v --connect-timeout 10 --max-time 30 \
		"${opts[@]}" "$@" -T "$FTPALG_PUB/mid.bin" \
		"$url/incoming/$name" 2>&1 | tr -d '\r'
	want=$(ftpalg_sum_of mid.bin)
	got=$(sha256sum <"$FTPALG_PUB/incoming/$name" 2>/dev/null | cut -d' ' -f1)
	check_transfer "STOR incoming/$name" "$mode" "$want" "$got"
}

# check_transfer WHAT MODE WANT GOT: the verdict on one transfer.
check_transfer() {
	local what=$1 mode=$2 want=$3 got=$4
	if [ -z "$got" ]; then
		echo "FAIL $what via $mode: nothing received"
		return 1
	fi
	if [ "$want" != "$got" ]; then
		echo "FAIL $what via $mode: sha256 $got, want $want"
		return 1
	fi
	echo "ok   $what via $mode: sha256 $got"
}

# with_mode_check MODE CLIENT ARGS...: run a client and check from its
# dialogue that it announced the data connection with MODE and nothing
# else (curl silently falls back from EPSV to PASV and EPRT to PORT).
with_mode_check() {
	local mode=$1 out rc re bad
	shift
	out=$("$@")
	rc=$?
	printf '%s\n' "$out"
	re=$(mode_cmd_re "$mode")
	case $mode in
	PORT|EPRT) bad='^> (PASV|EPSV)|^> (PORT|EPRT) ' ;;
	PASV|EPSV) bad='^> (PORT|EPRT|PASV|EPSV)' ;;
	esac
	if ! grep -qE "$re" <<<"$out"; then
		echo "FAIL: the client never sent $mode"
		return 1
	fi
	if grep -E "$bad" <<<"$out" | grep -vqE "$re"; then
		echo "FAIL: the client fell back to another mode:"
		grep -E "$bad" <<<"$out" | grep -vE "$re"
		return 1
	fi
	return $rc
}

c_get() {	# NS URL FILE MODE [curl args]
	with_mode_check "$4" curl_get "$@"
}

c_put() {	# NS URL MODE [curl args]
	with_mode_check "$3" curl_put "$@"
}

# lftp_get NS URL FILE MODE [lftp "open" options]
lftp_get() {
	local ns=$1 url=$2 file=$3 mode=$4 out set want got
	shift 4
	out=$WORK/dl.$$.$RANDOM
	# No TLS attempt, no automatic switch to the other mode, no "fixing"
	# of the 227 address (the ALG's rewrite must be right), and quick
	# failure instead of lftp's patient retries.
	set="set ftp:ssl-allow no; set ftp:auto-passive-mode no;
	     set ftp:fix-pasv-address no; set net:timeout 10;
	     set net:max-retries 1; set net:reconnect-interval-base 1;
	     set xfer:clobber on; set cmd:fail-exit yes"
	case $mode in
	PORT|EPRT) set="$set; set ftp:passive-mode off" ;;
	PASV) set="$set; set ftp:passive-mode on; set ftp:prefer-epsv no" ;;
	EPSV) set="$set; set ftp:passive-mode on; set ftp:prefer-epsv yes" ;;
	esac
	ftpalg_nsx "$ns" timeout 40 lftp -d -c "$set; open $* $url;
		get $file -o $out" 2>&1 | tr -d '\r' |
		sed -n 's/^---> \(PORT\|EPRT\|PASV\|EPSV\)/> \1/p; /^<--- [1-5]/p; /rror/p'
	want=$(ftpalg_sum_of "$file")
	got=$(sha256sum <"$out" 2>/dev/null | cut -d' ' -f1)
	rm -f "$out"
	check_transfer "$file" "$mode" "$want" "$got"
}

l_get() {	# NS URL FILE MODE [lftp open options]
	with_mode_check "$4" lftp_get "$@"
}

# s_run NS HOST CASE [ftpclient.py options]: the scripted client.
s_run() {
	local ns=$1 host=$2 cs=$3
	shift 3
	ftpalg_nsx "$ns" timeout 120 "$PY" "$CLIENT" --host "$host" \
		--case "$cs" --sums "$FTPALG_SUMS" --server-root "$FTPALG_PUB" \
		-v "$@"
}


# ---------------------------------------------------------------------------
# The cases

# Outside servers: the LAN client behind masquerade, and IPv6 without NAT.
cases_outside() {
	local L=$FTPALG_NS_LAN V=ftp://$FTPALG_SRV_IP P=ftp://$FTPALG_SRV_IP_B
	local V6="ftp://[$FTPALG_SRV_IP6]" P6="ftp://[$FTPALG_SRV_IP6_B]"
	local u=(-u "$FTPALG_PY_USER:$FTPALG_PY_PASS")
	local s=(--user "$FTPALG_PY_USER" --password "$FTPALG_PY_PASS")
	local lu="-u $FTPALG_PY_USER,$FTPALG_PY_PASS"

	case_ C1 "masq active PORT 10M" vsftpd curl -- c_get "$L" "$V" big.bin PORT
	case_ C1 "masq active PORT 10M" pyftpdlib curl -- c_get "$L" "$P" big.bin PORT "${u[@]}"
	case_ C1b "masq active EPRT|1| 10M" vsftpd curl -- c_get "$L" "$V" big.bin EPRT
	case_ C1b "masq active EPRT|1| 10M" pyftpdlib curl -- c_get "$L" "$P" big.bin EPRT "${u[@]}"
	case_ C1u "masq active PORT upload" vsftpd curl -- c_put "$L" "$V" PORT
	case_ C2 "masq passive PASV 10M" vsftpd curl -- c_get "$L" "$V" big.bin PASV
	case_ C2 "masq passive PASV 10M" pyftpdlib curl -- c_get "$L" "$P" big.bin PASV "${u[@]}"
	case_ C2 "masq passive EPSV 10M" vsftpd curl -- c_get "$L" "$V" big.bin EPSV
	case_ C2 "masq passive EPSV 10M" pyftpdlib curl -- c_get "$L" "$P" big.bin EPSV "${u[@]}"
	case_ C2u "masq passive EPSV upload" pyftpdlib curl -- c_put "$L" "$P" EPSV "${u[@]}"
	case_ C5 "v6 active EPRT|2|" vsftpd curl -- c_get "$L" "$V6" big.bin EPRT
	case_ C5 "v6 active EPRT|2|" pyftpdlib curl -- c_get "$L" "$P6" big.bin EPRT "${u[@]}"
	case_ C5 "v6 passive EPSV" vsftpd curl -- c_get "$L" "$V6" big.bin EPSV
	case_ C5 "v6 passive EPSV" pyftpdlib curl -- c_get "$L" "$P6" big.bin EPSV "${u[@]}"
	case_ L1 "masq active PORT" vsftpd lftp -- l_get "$L" "$V" mid.bin PORT
	case_ L1 "masq active PORT" pyftpdlib lftp -- l_get "$L" "$P" mid.bin PORT $lu
	case_ L2 "masq passive PASV" vsftpd lftp -- l_get "$L" "$V" mid.bin PASV
	case_ L2 "masq passive EPSV" pyftpdlib lftp -- l_get "$L" "$P" mid.bin EPSV $lu
	case_ L3 "v6 active EPRT|2|" vsftpd lftp -- l_get "$L" "$V6" mid.bin EPRT
	case_ S1 "masq PORT one byte/segment" vsftpd ftpclient.py -- s_run "$L" "$FTPALG_SRV_IP" onebyte-port
	case_ S1 "masq PORT one byte/segment" pyftpdlib ftpclient.py -- s_run "$L" "$FTPALG_SRV_IP_B" onebyte-port "${s[@]}"
	case_ S2 "masq NOOP+PORT one segment" vsftpd ftpclient.py -- s_run "$L" "$FTPALG_SRV_IP" noop-port
	case_ S2 "masq NOOP+PORT one segment" pyftpdlib ftpclient.py -- s_run "$L" "$FTPALG_SRV_IP_B" noop-port "${s[@]}"
	case_ S3 "masq 30 xfers+STOR, 1 conn" vsftpd ftpclient.py -- s_run "$L" "$FTPALG_SRV_IP" session
	case_ S3 "masq 30 xfers+STOR, 1 conn" pyftpdlib ftpclient.py -- s_run "$L" "$FTPALG_SRV_IP_B" session "${s[@]}"
	case_ S3 "v6 30 xfers+STOR, 1 conn" vsftpd ftpclient.py -- s_run "$L" "$FTPALG_SRV_IP6" session
}

# The DMZ server behind the port forward 203.0.113.1:21 -> 10.0.2.2:21,
# used from the outside client. One DMZ server at a time: NAME is the
# server's row name, the rest starts it.
dmz_server() {
	local name=$1 kind=$2
	shift 2
	ftpalg_server_stop dmz
	case $kind in
	vsftpd) ftpalg_vsftpd_start dmz "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" "$@" ;;
	pyftpdlib) ftpalg_pyftpd_start dmz "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" "$@" ;;
	esac
}

cases_dmz() {
	local O=$FTPALG_NS_OCL R=ftp://$FTPALG_RTR_WAN_IP
	local u=(-u "$FTPALG_PY_USER:$FTPALG_PY_PASS")
	local s=(--user "$FTPALG_PY_USER" --password "$FTPALG_PY_PASS")

	if dmz_server dmz vsftpd; then
		case_ C3 "DNAT passive PASV" vsftpd curl -- c_get "$O" "$R" mid.bin PASV
		case_ C3 "DNAT passive EPSV" vsftpd curl -- c_get "$O" "$R" mid.bin EPSV
		case_ C4 "DNAT active PORT" vsftpd curl -- c_get "$O" "$R" mid.bin PORT
		case_ C4 "DNAT active EPRT|1|" vsftpd curl -- c_get "$O" "$R" mid.bin EPRT
		case_ L4 "DNAT passive PASV" vsftpd lftp -- l_get "$O" "$R" mid.bin PASV
		case_ S3 "DNAT 30 xfers+STOR, 1 conn" vsftpd ftpclient.py -- s_run "$O" "$FTPALG_RTR_WAN_IP" session --check-data-source
	else
		case_ C3 "DNAT passive PASV" vsftpd curl -- false
	fi
	if dmz_server dmz pyftpdlib; then
		case_ C3 "DNAT passive PASV" pyftpdlib curl -- c_get "$O" "$R" mid.bin PASV "${u[@]}"
		case_ C3 "DNAT passive EPSV" pyftpdlib curl -- c_get "$O" "$R" mid.bin EPSV "${u[@]}"
		case_ C4 "DNAT active PORT" pyftpdlib curl -- c_get "$O" "$R" mid.bin PORT "${u[@]}"
	else
		case_ C3 "DNAT passive PASV" pyftpdlib curl -- false
	fi
	# A server that announces an address that is neither its own nor the
	# router's: the 227 must still lead the client to the server.
	if dmz_server dmz vsftpd "pasv_address=$FTPALG_UNROUTABLE_IP" \
		pasv_addr_resolve=NO; then
		case_ C3b "DNAT PASV says 172.16.40.222" vsftpd curl -- c_get "$O" "$R" mid.bin PASV
		case_ C3b "DNAT PASV says 172.16.40.222" vsftpd ftpclient.py -- s_run "$O" "$FTPALG_RTR_WAN_IP" get --mode PASV
	else
		case_ C3b "DNAT PASV says 172.16.40.222" vsftpd curl -- false
	fi
	if dmz_server dmz pyftpdlib --masquerade "$FTPALG_UNROUTABLE_IP"; then
		case_ C3b "DNAT PASV says 172.16.40.222" pyftpdlib curl -- c_get "$O" "$R" mid.bin PASV "${u[@]}"
	else
		case_ C3b "DNAT PASV says 172.16.40.222" pyftpdlib curl -- false
	fi
	ftpalg_server_stop dmz
}

# ---------------------------------------------------------------------------
# ftp-algd

nft_rtr() { ftpalg_nsx "$FTPALG_NS_RTR" nft "$@"; }

# Non-empty sets/map of table inet ftp_alg, one line each ("" when none).
alg_leftovers() {
	local obj kind out
	for obj in set:pin4 set:pin6 map:dnat4 map:snat4; do
		kind=${obj%%:*}
		out=$(nft_rtr list "$kind" inet ftp_alg "${obj#*:}" 2>&1) || {
			echo "${obj#*:}: cannot list: $out"
			continue
		}
		grep -q 'elements' <<<"$out" &&
			echo "${obj#*:}: $(tr -s ' \t\n' ' ' <<<"$out" |
				sed 's/.*elements = //')"
	done
}

alg_queue_rules() { ftpalg_algd_queue_rules "$FTPALG_NS_RTR"; }

alg_start() {
	CTL_SOCK=$WORK/ftp-algd.sock
	FTPALG_ALGD=$ALGD FTPALG_ALGCTL=$ALGCTL
	ftpalg_algd_start "$FTPALG_NS_RTR" "$WORK" "$ALGD_LOG"
	local rc=$?
	ALGD_PID=${FTPALG_ALGD_PID[$FTPALG_NS_RTR]:-}
	return $rc
}

# ftp-algctl must show a session while one is open: hold one (PASV
# announced, data connection not yet made) and ask.
alg_ctl_sessions() {
	local hold=$WORK/hold.$NCASE pid out rc=0 what cport=
	# PORT: vsftpd connects only on RETR, so the pinhole is open while
	# the session is held.
	s_run "$FTPALG_NS_LAN" "$FTPALG_SRV_IP" hold --mode PORT \
		--hold-file "$hold" --hold-max 20 >"$WORK/hold.out" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		[ -e "$hold" ] && break
		sleep 0.1
	done
	[ -e "$hold" ] || { echo "held session never got ready"; rc=1; }
	# "ready <client address> <client port>"
	read -r _ _ cport <"$hold" 2>/dev/null
	for what in status sessions pinholes "sessions --json"; do
		echo "== ftp-algctl $what"
		# shellcheck disable=SC2086
		out=$(ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$ALGCTL" \
			--socket "$CTL_SOCK" $what 2>&1) || {
			echo "$out"; echo "FAIL: ftp-algctl $what failed"; rc=1
			continue
		}
		echo "$out"
		case $what in
		sessions*)
			grep -q "$FTPALG_LAN_IP" <<<"$out" &&
			grep -qw "${cport:-none}" <<<"$out" || {
				echo "FAIL: the open session" \
					"($FTPALG_LAN_IP port ${cport:-?}) is not listed"
				rc=1
			} ;;
		esac
	done
	rm -f "$hold"
	wait "$pid" || { echo "FAIL: the held session's transfer failed"; rc=1; }
	cat "$WORK/hold.out"
	return $rc
}

alg_no_leftovers() {
	local left
	# Sessions close and their pinholes go a moment after the clients
	# are done; give the daemon's bookkeeping a few seconds.
	for _ in $(seq 40); do
		left=$(alg_leftovers)
		[ -z "$left" ] && break
		sleep 0.25
	done
	ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$ALGCTL" --socket "$CTL_SOCK" pinholes 2>&1
	if [ -n "$left" ]; then
		echo "FAIL: left after all sessions ended:"
		echo "$left"
		return 1
	fi
	echo "pin4, pin6, dnat4 and snat4 are empty"
}

# SIGTERM hands over to the next start: exit 0, the state in the journal,
# the queue rules still there (sessions we shift wait for the next run);
# then --cleanup takes everything down for good.
alg_sigterm() {
	local rc left out
	kill -TERM "$ALGD_PID"
	for _ in $(seq 100); do
		algd_alive || break
		sleep 0.1
	done
	if algd_alive; then
		echo "FAIL: ftp-algd still running 10s after SIGTERM"
		kill -KILL "$ALGD_PID"
		wait "$ALGD_PID"
		ALGD_PID=
		return 1
	fi
	wait "$ALGD_PID"
	rc=$?
	ALGD_PID=
	echo "exit status $rc"
	[ $rc = 0 ] || { echo "FAIL: exit status $rc, want 0"; return 1; }
	grep 'state saved' "$ALGD_LOG" || {
		echo "FAIL: no 'state saved' line in the log"; return 1; }
	[ -s "$WORK/state" ] || { echo "FAIL: no journal $WORK/state"; return 1; }
	[ "$(alg_queue_rules)" -gt 0 ] || {
		echo "FAIL: the queue rules went with the daemon"; return 1; }
	out=$(ftpalg_nsx "$FTPALG_NS_RTR" "$ALGD" --foreground --cleanup \
		--state-file "$WORK/state" 2>&1) || {
		echo "FAIL: --cleanup: $out"; return 1; }
	echo "$out"
	nft_rtr list chain inet ftp_alg ctl_queue
	left=$(alg_leftovers)
	[ "$(alg_queue_rules)" = 0 ] || {
		echo "FAIL: queue rules left in ctl_queue after --cleanup"; return 1; }
	[ -z "$left" ] || { echo "FAIL: left in the sets: $left"; return 1; }
	[ ! -e "$WORK/state" ] || { echo "FAIL: journal left"; return 1; }
	echo "state kept on SIGTERM; queue rules, sets and journal removed by --cleanup"
}

# What the daemon did, from its log.
alg_log_summary() {
	local f=$ALGD_LOG
	[ -s "$f" ] || { say "ftp-algd log: empty ($f)"; return; }
	say ""
	say "ftp-algd log ($f): $(grep -c ' rewrite ' "$f") rewrites," \
		"pinholes: $(grep -c 'pinhole added' "$f") added," \
		"$(grep -c 'pinhole used' "$f") used," \
		"$(grep -c 'pinhole removed' "$f") removed;" \
		"$(grep -ciE 'error|fail|refuse' "$f") errors/refusals"
	grep -E 'rewrite|pinhole' "$f" | head -n 40 | sed 's/^/  /'
	[ "$(grep -cE 'rewrite|pinhole' "$f")" -gt 40 ] && say "  ..."
	grep -iE 'error|fail|refuse|warn' "$f" | head -n 10 | sed 's/^/  ! /'
}

# ---------------------------------------------------------------------------
# One mode: topology, servers, helper, cases, teardown.

run_mode() {
	MODE_NOW=$1
	mkdir -p "$LOGDIR/$MODE_NOW"
	say ""
	say "== mode $MODE_NOW"
	local setup_log=$LOGDIR/$MODE_NOW/00-setup.log
	{
		ftpalg_topo_up "$MODE_NOW" &&
		ftpalg_vsftpd_start out4 "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" &&
		ftpalg_vsftpd_start out6 "$FTPALG_NS_SRV" "$FTPALG_SRV_IP6" &&
		ftpalg_pyftpd_start py4 "$FTPALG_NS_SRV" "$FTPALG_SRV_IP_B" &&
		ftpalg_pyftpd_start py6 "$FTPALG_NS_SRV" "$FTPALG_SRV_IP6_B"
	} >"$setup_log" 2>&1
	local ok=$?
	if [ $ok = 0 ]; then
		case $MODE_NOW in
		kernel) ftpalg_load_kernel_helper >>"$setup_log" 2>&1; ok=$? ;;
		alg) ALGD_LOG=$LOGDIR/alg/ftp-algd.log; : >"$ALGD_LOG"
		     alg_start >>"$setup_log" 2>&1; ok=$? ;;
		esac
	fi
	record "S0	setup: netns, servers, helper	-	-" \
		"$([ $ok = 0 ] && echo PASS || echo FAIL)"
	if [ $ok != 0 ]; then
		say "  setup failed ($setup_log):"
		tail -n 15 "$setup_log" | sed 's/^/	| /'
		if [ "$MODE_NOW" != alg ]; then
			ftpalg_servers_stop; ftpalg_topo_down
			return 1
		fi
		# Without a daemon every alg case is a failure: run them so
		# the table says which.
	fi

	cases_outside
	cases_dmz

	if [ "$MODE_NOW" = alg ]; then
		case_ A1 "ftp-algctl with a session open" - ftp-algctl -- alg_ctl_sessions
		case_ A2 "no pinhole/mapping left after" - nft -- alg_no_leftovers
		if algd_alive; then
			case_ A3 "SIGTERM: state kept, --cleanup" - nft -- alg_sigterm
		else
			case_ A3 "SIGTERM: state kept, --cleanup" - nft -- false
		fi
	fi
	# The router's state at the end, for whoever reads a failure.
	{
		ftpalg_nsx "$FTPALG_NS_RTR" nft list ruleset
		echo "== conntrack -S"
		ftpalg_nsx "$FTPALG_NS_RTR" conntrack -S
	} >"$LOGDIR/$MODE_NOW/router-state.txt" 2>&1
	ftpalg_servers_stop
	ftpalg_topo_down
}

# ---------------------------------------------------------------------------

ftpalg_install_packages || exit 2

WORK=$(mktemp -d /tmp/ftpalg-netns.XXXXXX) || exit 2
if [ -z "$LOGDIR" ]; then
	if [ -d "$BUILD_DIR" ]; then
		LOGDIR=$BUILD_DIR/netns-logs
	else
		LOGDIR=$(mktemp -d /tmp/ftpalg-netns-logs.XXXXXX) || exit 2
	fi
fi
mkdir -p "$LOGDIR" || exit 2
for m in "${MODES[@]}"; do
	rm -rf "${LOGDIR:?}/$m"		# only what an earlier run wrote
done
ftpalg_files_make "$WORK/files" || { echo "harness: cannot make files"; exit 2; }

START=$(date +%s)
say "netns harness: modes ${MODES[*]}, build $BUILD_DIR, logs $LOGDIR," \
	"DMZ masquerade $([ "${FTPALG_DMZ_MASQUERADE:-0}" = 1 ] && echo on || echo off)"
setup_failed=0
for m in "${MODES[@]}"; do
	run_mode "$m" || setup_failed=1
done

# ---------------------------------------------------------------------------
# Report

col() {	# mode row -> cell
	local v=${RES["$1|$2"]:-}
	echo "${v:--}"
}

say ""
hdr=(ftp-algd kernel-helper)
[ "$MODE" = none ] && hdr+=(no-helper)
printf '%-4s %-31s %-10s %-13s' case "" server client
printf ' | %-13s' "${hdr[@]}"
printf '\n'
printf -- '-%.0s' $(seq 1 $((62 + 16 * ${#hdr[@]})))
printf '\n'
alg_pass=0 alg_fail=0 k_pass=0 k_fail=0 n_pass=0 n_fail=0
for row in "${ROWS[@]}"; do
	IFS=$'\t' read -r id label server client <<<"$row"
	a=$(col alg "$row") k=$(col kernel "$row") n=$(col none "$row")
	printf '%-4s %-31s %-10s %-13s | %-13s | %-13s' "$id" "$label" \
		"$server" "$client" "$a" "$k"
	[ "$MODE" = none ] && printf ' | %-13s' "$n"
	printf '\n'
	case $a in PASS) alg_pass=$((alg_pass + 1)) ;; FAIL) alg_fail=$((alg_fail + 1)) ;; esac
	case $k in PASS) k_pass=$((k_pass + 1)) ;; FAIL) k_fail=$((k_fail + 1)) ;; esac
	case $n in PASS) n_pass=$((n_pass + 1)) ;; FAIL) n_fail=$((n_fail + 1)) ;; esac
done

for m in "${MODES[@]}"; do
	[ "$m" = alg ] && alg_log_summary
done

say ""
say "logs: $LOGDIR ($(( $(date +%s) - START ))s)"
rc=0
for m in "${MODES[@]}"; do
	case $m in
	alg)	say "netns: $alg_pass passed, $alg_fail failed"
		[ $alg_fail = 0 ] || rc=1 ;;
	kernel)	say "kernel-helper reference: $k_pass passed, $k_fail failed" ;;
	none)	say "no-helper check: $n_pass passed, $n_fail failed" ;;
	esac
done
[ $setup_failed = 0 ] || [ $rc != 0 ] || rc=2
exit $rc
