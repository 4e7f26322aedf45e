#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_hostile.sh: hostile clients and servers through the
# simulated router of tests/netns/topo.sh, ftp-algd inspecting. The
# attackers:
#   LAN   10.0.1.2 (scripted client, raw packets), flooding as 10.0.1.3
#         and 10.0.1.100-250
#   H     a scripted server (tests/netns/hostile.py server) on
#         203.0.113.12:21 and [2001:db8:1::11]:21
#   DMZ   the same scripted server on 10.0.2.2:21, reached by the outside
#         client 203.0.113.20 through the port forward 203.0.113.1:21
# Listeners on the endpoints an attacker would like to reach: LAN
# 10.0.1.2 and DMZ 10.0.2.2, ports 22 and 2222; outside 203.0.113.20:2222.
#
# Every case asserts: ftp-algd still runs and answers ftp-algctl; no
# pinhole or NAT mapping for the attacker's endpoint (pin4/pin6/dnat4 in
# the router, ftp-algctl pinholes) and a real connection attempt to it
# fails and reaches no listener; a neighbour's transfer through the
# router (vsftpd, checksum verified) succeeds afterwards; the reason (the
# stats counter by reason name and the log sentence). Positive controls
# show the same checks see a hole when one is legitimately opened.
#
#   test_hostile.sh [--build-dir DIR]
#
# One line per case, "hostile: N passed, M failed"; exit 1 if a case
# failed, 2 if it could not set up. Needs root.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$REPO/build
while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--build-dir=*) BUILD_DIR=${1#*=}; shift ;;
	*) echo "test_hostile: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "test_hostile: needs root" >&2; exit 2; }
ALGD=$BUILD_DIR/alg/ftp-algd
ALGCTL=$BUILD_DIR/alg/ftp-algctl
PY=/usr/bin/python3
HPY=$HERE/hostile.py

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"

H_IP=203.0.113.12
H_IP6=$FTPALG_SRV_IP6_B
FLOOD_IP=10.0.1.3
WORK=
ALGD_PID=
PASS=0
FAIL=0
CASE=
CASE_ERR=()
BG=()

cleanup() {
	local rc=$? p
	trap - EXIT INT TERM
	for p in "${BG[@]}"; do kill -KILL "$p" 2>/dev/null; done
	if [ -n "$ALGD_PID" ]; then
		kill -TERM "$ALGD_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
	ftpalg_topo_down
	if [ "$rc" != 0 ] && [ -n "$WORK" ] && [ -s "$WORK/algd.log" ]; then
		echo "== ftp-algd log (last 60 lines)"
		tail -n 60 "$WORK/algd.log"
	fi
	# HOSTILE_DEBUG=DIR: keep the logs there (while debugging)
	[ -n "${HOSTILE_DEBUG:-}" ] && [ -n "$WORK" ] &&
		rm -rf "$HOSTILE_DEBUG" && cp -r "$WORK" "$HOSTILE_DEBUG" &&
		rm -rf "$HOSTILE_DEBUG/files"
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
setup_fail() { echo "test_hostile: setup: $*" >&2; exit 2; }

nsx() { ftpalg_nsx "$@"; }
ctl() { nsx "$FTPALG_NS_RTR" timeout 10 "$ALGCTL" --socket "$CTL_SOCK" "$@"; }
algd_alive() { [ -n "$ALGD_PID" ] && kill -0 "$ALGD_PID" 2>/dev/null; }
queue_rules() {
	nsx "$FTPALG_NS_RTR" nft list chain inet ftp_alg ctl_queue 2>/dev/null |
		grep -cE '[[:space:]]queue([[:space:]]|$)'
}

# ---------------------------------------------------------------------------
# What a case asserts

err() { CASE_ERR+=("$*"); }

# stats --json, evaluated (Python expression on s)
stat() {
	ctl stats --json | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1" 2>/dev/null
}
# note NAME [MIN]: a note or close (not counted under refusals) was
# logged MIN (1) times or more during the case
note() {
	local text n
	case $1 in
	foreign_addr) text="which is not the server" ;;
	pin_replaced) text="replaces the session's oldest pinhole" ;;
	rst_window) text="outside the window: ignored" ;;
	reset_sent) text="control connection reset (violation_action = reset)" ;;
	half_open) text="close (half-open" ;;
	*) err "note: no sentence for $1"; return ;;
	esac
	n=$(tail -c +"$((LOG_MARK + 1))" "$WORK/algd.log" | grep -cF -- "$text")
	[ "$n" -ge "${2:-1}" ] || err "note $1 logged $n times, want >= ${2:-1}"
}
reasons_snapshot() { ctl stats --json >"$WORK/before.json" 2>/dev/null; }
# reason NAME [MIN]: the counter of reason NAME grew by MIN (1) or more
# since the case began
reason() {
	local got
	got=$(ctl stats --json | "$PY" -c '
import json, sys
a = json.load(open(sys.argv[1]))["refusals"]
b = json.load(sys.stdin)["refusals"]
print(b.get(sys.argv[2], 0) - a.get(sys.argv[2], 0))' "$WORK/before.json" "$1")
	[ "${got:-0}" -ge "${2:-1}" ] 2>/dev/null ||
		err "reason $1 grew by ${got:-?}, want >= ${2:-1}"
}
# logged TEXT: the daemon logged TEXT (fixed string) during the case
logged() {
	tail -c +"$((LOG_MARK + 1))" "$WORK/algd.log" | grep -qF -- "$1" ||
		err "log has no \"$1\""
}
# no_hole ADDR PORT: no pinhole or mapping to the endpoint ADDR:PORT
# (ADDR "-": to any address on PORT, or announcing PORT), neither in the
# kernel (pin4, pin6, dnat4) nor in ftp-algctl pinholes
no_hole() {
	local addr=$1 port=$2 k re
	k=$(nsx "$FTPALG_NS_RTR" nft list set inet ftp_alg pin4
	    nsx "$FTPALG_NS_RTR" nft list set inet ftp_alg pin6
	    nsx "$FTPALG_NS_RTR" nft list map inet ftp_alg dnat4)
	if [ "$addr" = - ]; then
		re="\\. $port([^0-9]|$)"
	else
		re="(^|[^0-9a-f:.])${addr//./\\.} \\. $port([^0-9]|$)"
	fi
	if grep -qE "$re" <<<"$k"; then
		err "the kernel has a pinhole/mapping to $addr:$port"
	fi
	if ctl pinholes --json | "$PY" -c '
import json, sys
a, p = sys.argv[1], int(sys.argv[2])
l = json.load(sys.stdin)["pinholes"]
sys.exit(0 if any((a in ("-", e.get("target")) and e.get("target_port") == p) or
                  (a == "-" and e.get("wire_port") == p) for e in l) else 1)' \
		"$addr" "$port"; then
		err "ftp-algctl pinholes lists $addr:$port"
	fi
}
# blocked FROM_NS[/SRC] HOST PORT LISTEN_FILE: a connection from FROM_NS
# (from address SRC) to HOST:PORT fails and the listener behind it saw
# nothing. unreached: only the listener matters (the connection may go
# to somewhere legitimate).
blocked() { _probe 1 "$@"; }
unreached() { _probe 0 "$@"; }
_probe() {
	local must=$1 ns=${2%/*} src='' host=$3 port=$4 lf=$5 before
	[ "$ns" != "$2" ] && src=${2#*/}
	before=$(wc -l <"$lf" 2>/dev/null || echo 0)
	if nsx "$ns" "$PY" "$HPY" probe --host "$host" --port "$port" \
		--timeout 1.5 ${src:+--bind "$src"} >/dev/null && [ "$must" = 1 ]; then
		err "a connection to $host:$port got through"
	fi
	sleep 0.1
	[ "$(wc -l <"$lf" 2>/dev/null || echo 0)" = "$before" ] ||
		err "the listener behind $host:$port was reached"
}
# server_got TEXT: the scripted server received a line containing TEXT
server_got() {
	grep -qF -- "$1" "$WORK/h.log" "$WORK/dmz.log" "$WORK/h6.log" ||
		err "the server never received \"$1\""
}
# The scripted control connection: hclient NS HOST STEPS... It is held
# open after its steps (pinholes die with their session), until the case
# ends (release).
HOLD_PID=
hclient() {
	local ns=$1 host=$2
	shift 2
	release
	touch "$WORK/hold-ctl"
	rm -f "$WORK/hold-ctl.held"
	nsx "$ns" timeout 60 "$PY" "$HPY" client --host "$host" "$@" \
		"hold:$WORK/hold-ctl" >"$WORK/client.out" 2>&1 &
	HOLD_PID=$!
	for _ in $(seq 600); do
		[ -e "$WORK/hold-ctl.held" ] && break
		kill -0 "$HOLD_PID" 2>/dev/null || break
		sleep 0.05
	done
	sleep 0.2	# the last reply's verdict and pinhole
}
release() {
	[ -n "$HOLD_PID" ] || return 0
	rm -f "$WORK/hold-ctl"
	wait "$HOLD_PID"
	rm -f "$WORK/hold-ctl.held"
	HOLD_PID=
	cat "$WORK/client.out" >>"$WORK/clients.log"
}
client_saw() {
	grep -qF -- "$1" "$WORK/client.out" ||
		err "the client did not see \"$1\": $(tail -n 2 "$WORK/client.out" | tr '\n' ' ')"
}
hex() { printf '%b' "$1" | od -An -v -tx1 | tr -d ' \n'; }
LOGIN=("s:USER a\\r\\n" r "s:PASS b\\r\\n" r)

# A neighbour's transfer through the router (vsftpd; sha256 checked).
NEIGH_N=0
neighbour() {	# [MODE]: alternately PORT and PASV
	local mode=${1:-} file
	[ -n "$mode" ] ||
		case $((NEIGH_N % 2)) in 0) mode=PORT ;; 1) mode=PASV ;; esac
	file=small/f$(printf %02d $((NEIGH_N % 24 + 1))).bin
	NEIGH_N=$((NEIGH_N + 1))
	nsx "$FTPALG_NS_LAN" timeout 30 "$PY" "$HERE/ftpclient.py" \
		--host "$FTPALG_SRV_IP" --case get --mode "$mode" --file "$file" \
		--sums "$FTPALG_SUMS" >>"$WORK/neighbour.log" 2>&1
}

# run NAME FUNCTION: one case
run() {
	CASE=$1
	CASE_ERR=()
	reasons_snapshot
	LOG_MARK=$(stat -c %s "$WORK/algd.log")
	"$2"
	release
	algd_alive || err "ftp-algd died"
	ctl status >/dev/null 2>&1 || err "ftp-algctl status not answered"
	neighbour || err "the neighbour's transfer failed"
	if [ ${#CASE_ERR[@]} = 0 ]; then
		echo "ok   $CASE"
		PASS=$((PASS + 1))
	else
		echo "FAIL $CASE: ${CASE_ERR[*]}"
		FAIL=$((FAIL + 1))
	fi
}

# A raw TCP client (hostile.py raw) from NS; sport picked per case.
RAW_PORT=60000
raw() {
	local ns=$1 src=$2 dst=$3 mac
	shift 3
	RAW_PORT=$((RAW_PORT + 1))
	case $ns in
	"$FTPALG_NS_LAN") mac=$LAN_GW_MAC ;;
	*) mac=$WAN_GW_MAC ;;
	esac
	nsx "$ns" timeout 60 "$PY" "$HPY" raw --gw-mac "$mac" --src "$src" \
		--dst "$dst" --sport "$RAW_PORT" "$@" >"$WORK/raw.out" 2>&1
	local rc=$?
	cat "$WORK/raw.out" >>"$WORK/clients.log"
	return $rc
}
RLOGIN=(syn: expect:220 "s:USER a\\r\\n" expect:331 "s:PASS b\\r\\n" expect:230)

# ---------------------------------------------------------------------------
# Set up

{ [ -x "$ALGD" ] && [ -x "$ALGCTL" ]; } || setup_fail "no $ALGD (build first)"
ftpalg_install_packages || setup_fail "packages"
WORK=$(mktemp -d /tmp/ftpalg-hostile.XXXXXX) || setup_fail "mktemp"
CTL_SOCK=$WORK/ctl.sock
CONF=$WORK/algd.conf
ftpalg_files_make "$WORK/files" || setup_fail "files"
ftpalg_topo_up hostile >"$WORK/setup.log" 2>&1 ||
	setup_fail "topology: $(tail -n 3 "$WORK/setup.log")"
ftpalg_vsftpd_start srv "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" >>"$WORK/setup.log" 2>&1 ||
	setup_fail "vsftpd"
nsx "$FTPALG_NS_RTR" nft -f "$FTPALG_NFT_FILE" || setup_fail "nft -f"

# The raw clients' port range: out of the kernel's ephemeral range, and
# the kernel's RSTs for it (it has no socket there) never leave.
for ns in "$FTPALG_NS_LAN" "$FTPALG_NS_OCL"; do
	nsx "$ns" sysctl -q -w net.ipv4.ip_local_port_range="32768 59999" &&
	nsx "$ns" nft -f - <<'EOF' || setup_fail "raw rules in $ns"
table inet hostile_raw {
	chain out {
		type filter hook output priority filter; policy accept;
		tcp sport 60000-65535 tcp flags & rst == rst drop
	}
}
EOF
done
ip -n "$FTPALG_NS_SRV" addr add "$H_IP/24" dev eth0 || setup_fail "H address"
start_bg() { "$@" & BG+=($!); }
start_bg nsx "$FTPALG_NS_SRV" "$PY" "$HPY" server --addr "$H_IP" --log "$WORK/h.log"
start_bg nsx "$FTPALG_NS_SRV" "$PY" "$HPY" server --addr "$H_IP6" --log "$WORK/h6.log"
start_bg nsx "$FTPALG_NS_DMZ" "$PY" "$HPY" server --addr "$FTPALG_DMZ_IP" \
	--log "$WORK/dmz.log" --first-pasv 2222
for l in "LAN $FTPALG_NS_LAN $FTPALG_LAN_IP" "DMZ $FTPALG_NS_DMZ $FTPALG_DMZ_IP"; do
	# shellcheck disable=SC2086  # word splitting intended
	set -- $l
	for port in 22 2222; do
		start_bg nsx "$2" "$PY" "$HPY" listen --addr "$3" --port $port \
			--file "$WORK/listen-$1-$port"
		touch "$WORK/listen-$1-$port"
	done
done
start_bg nsx "$FTPALG_NS_LAN" "$PY" "$HPY" listen --addr "$FTPALG_LAN_IP6" \
	--port 2222 --file "$WORK/listen-LAN6-2222"
start_bg nsx "$FTPALG_NS_OCL" "$PY" "$HPY" listen --addr "$FTPALG_OCL_IP" \
	--port 2222 --file "$WORK/listen-OCL-2222"
touch "$WORK/listen-OCL-2222" "$WORK/listen-LAN6-2222" "$WORK/h.log" "$WORK/h6.log" "$WORK/dmz.log"
ftpalg_wait_listen "$FTPALG_NS_SRV" "$H_IP" &&
	ftpalg_wait_listen "$FTPALG_NS_SRV" "$H_IP6" &&
	ftpalg_wait_listen "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" &&
	ftpalg_wait_listen "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" 2222 ||
	setup_fail "scripted servers"

# Gateway MACs for the raw clients.
nsx "$FTPALG_NS_OCL" ping -c1 -W2 "$FTPALG_RTR_WAN_IP" >/dev/null
nsx "$FTPALG_NS_LAN" ping -c1 -W2 "$FTPALG_RTR_LAN_IP" >/dev/null
nsx "$FTPALG_NS_LAN" ping -6 -c1 -W2 "$FTPALG_RTR_LAN_IP6" >/dev/null
LAN_GW_MAC=$(ip -n "$FTPALG_NS_RTR" -br link show lan | awk '{print $3}')
WAN_GW_MAC=$(ip -n "$FTPALG_NS_RTR" -br link show wan | awk '{print $3}')

cat >"$CONF" <<EOF
log_level = info
max_sessions = 1000
half_open_timeout = 5
EOF
start_algd() {
	ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground --config "$CONF" \
		--ctl-socket "$CTL_SOCK" --state-file "$WORK/state" \
		</dev/null >>"$WORK/algd.log" 2>&1 &
	ALGD_PID=$!
	for _ in $(seq 100); do
		algd_alive || setup_fail "ftp-algd exited: $(tail -n 5 "$WORK/algd.log")"
		[ "$(queue_rules)" -gt 0 ] && [ -S "$CTL_SOCK" ] && return 0
		sleep 0.1
	done
	setup_fail "no queue rule after 10s"
}
touch "$WORK/algd.log"
start_algd
# set_conf KEY VALUE: change the config file and reload (SIGHUP)
set_conf() {
	sed -i "/^$1 = /d" "$CONF"
	echo "$1 = $2" >>"$CONF"
	local mark
	mark=$(stat -c %s "$WORK/algd.log")
	kill -HUP "$ALGD_PID"
	for _ in $(seq 50); do
		tail -c +"$((mark + 1))" "$WORK/algd.log" | grep -q "configuration" &&
			return 0
		sleep 0.1
	done
	err "reload for $1 = $2 not logged"
}
if [ -n "${HOSTILE_PAUSE:-}" ]; then	# poke around (while debugging)
	declare -p | grep -E "^declare -. (FTPALG_NS_|CTL_SOCK|WORK|LAN_GW|WAN_GW)" >"$HOSTILE_PAUSE"
	sleep 3600
fi
neighbour || setup_fail "a plain transfer fails: $(tail -n 3 "$WORK/neighbour.log")"

# shellcheck source=tests/netns/hostile_cases.sh
source "$HERE/hostile_cases.sh"

echo "hostile: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
