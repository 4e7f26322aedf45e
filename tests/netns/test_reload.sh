#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_reload.sh: ftp-algd's signals with a control session
# open (the topology of tests/netns/topo.sh, one vsftpd outside, the LAN
# client behind masquerade):
#
#   1  a PORT pinhole waits 60s (the first configuration)
#   2  SIGHUP with log_level debug, pinhole_timeout 30, control_ports
#      21,2121 as a 10 MiB transfer starts: the log says what changed
#      (and set ctl_ports follows), the transfer completes, the
#      next pinhole waits 30s (ftp-algctl pinholes)
#   3  SIGHUP with a broken file: every error logged as FILE:LINE, the
#      running configuration kept, the session goes on
#   4  SIGUSR1: three state lines, still running
#   5  SIGQUIT: exit status 0, the state saved as on SIGTERM;
#      --cleanup: queue rules and pinholes gone
#   6  --check-config on a good and a bad file: output, exit status
#
#   test_reload.sh [--build-dir DIR]
#
# Prints one line per check and "reload: N passed, M failed"; exit 1 if
# any check failed, 2 if it could not set up. Needs root.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$REPO/build

while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--build-dir=*) BUILD_DIR=${1#*=}; shift ;;
	*) echo "test_reload: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "test_reload: needs root (network namespaces)" >&2
	exit 2
fi
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
PASS=0
FAIL=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$CLIENT_PID" ]; then
		kill -TERM "$CLIENT_PID" 2>/dev/null
		wait "$CLIENT_PID" 2>/dev/null
	fi
	if [ -n "$ALGD_PID" ]; then
		kill -TERM "$ALGD_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
	ftpalg_topo_down
	if [ "$rc" != 0 ] && [ -n "$WORK" ] && [ -s "$WORK/algd.log" ]; then
		echo "== ftp-algd log"
		cat "$WORK/algd.log"
		echo "== client"
		cat "$WORK/client.out" 2>/dev/null
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { echo "ok   $*"; PASS=$((PASS + 1)); }
bad() { echo "FAIL $*"; FAIL=$((FAIL + 1)); }
check() {	# check WHAT COMMAND...: ok when the command succeeds
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
setup_fail() { echo "test_reload: setup: $*" >&2; exit 2; }

algd_alive() { [ -n "$ALGD_PID" ] && kill -0 "$ALGD_PID" 2>/dev/null; }
nft_rtr() { ftpalg_nsx "$FTPALG_NS_RTR" nft "$@"; }
ctl() { ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$ALGCTL" --socket "$CTL_SOCK" "$@"; }
queue_rules() {
	nft_rtr list chain inet ftp_alg ctl_queue 2>/dev/null |
		grep -cE '[[:space:]]queue([[:space:]]|$)'
}

# wait_log FIXED-STRING: until the daemon's log has it (10s).
wait_log() {
	local i
	for i in $(seq 100); do
		grep -qF -- "$1" "$WORK/algd.log" && return 0
		sleep 0.1
	done
	return 1
}

# wait_file PATH (20s)
wait_file() {
	local i
	for i in $(seq 200); do
		[ -e "$1" ] && return 0
		sleep 0.1
	done
	return 1
}

# step N WORDS...: hand the client its step N.
STEPS=
step() {
	local n=$1
	shift
	echo "$*" >"$STEPS/$n.tmp" && mv "$STEPS/$n.tmp" "$STEPS/$n"
}
# step_done N: the client finished step N without a failure.
step_done() {
	wait_file "$STEPS/$1.done" && [ "$(cat "$STEPS/$1.done")" = ok ]
}

# The seconds left to the pinhole for data port PORT, from
# ftp-algctl pinholes --json ("" when there is none).
pinhole_expires() {
	ctl pinholes --json | "$PY" -c '
import json, sys
port = int(sys.argv[1])
for p in json.load(sys.stdin)["pinholes"]:
    if p["wire_port"] == port:
        print(p["expires_in_s"])
        break' "$1"
}

# in_range VALUE LOW HIGH
in_range() { [ -n "$1" ] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]; }

# Step N held a PORT (its pinhole open until N.go): the pinhole's time
# left must be in [LOW, HIGH], and the transfer through it must work.
held_pinhole_in() {
	local n=$1 low=$2 high=$3 line port left
	wait_file "$STEPS/$n.held" || { echo "step $n never held"; return 1; }
	# "held PORT a,b,c,d,p1,p2"
	line=$(cat "$STEPS/$n.held")
	IFS=, read -r _ _ _ _ p1 p2 <<<"${line##* }"
	port=$((p1 * 256 + p2))
	left=$(pinhole_expires "$port")
	echo "pinhole for port $port expires in ${left:-?}s (want $low..$high)"
	: >"$STEPS/$n.go"
	in_range "$left" "$low" "$high" && step_done "$n"
}

session_listed() {
	ctl sessions | grep -q "$FTPALG_LAN_IP.*[: ]$CLIENT_PORT\b"
}

# ---------------------------------------------------------------------------
# Set up: the network, vsftpd, the table, ftp-algd with a config file.

[ -x "$ALGD" ] && [ -x "$ALGCTL" ] || setup_fail "no $ALGD (build first)"
ftpalg_install_packages || setup_fail "packages"
WORK=$(mktemp -d /tmp/ftpalg-reload.XXXXXX) || setup_fail "mktemp"
STEPS=$WORK/steps
CTL_SOCK=$WORK/ctl.sock
CONF=$WORK/algd.conf
mkdir -p "$STEPS" || setup_fail "mkdir"
ftpalg_files_make "$WORK/files" || setup_fail "files"
ftpalg_topo_up reload >"$WORK/setup.log" 2>&1 ||
	setup_fail "topology: $(tail -n 3 "$WORK/setup.log")"
ftpalg_vsftpd_start srv "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" >>"$WORK/setup.log" 2>&1 ||
	setup_fail "vsftpd"
nft_rtr -f "$FTPALG_NFT_FILE" || setup_fail "nft -f $FTPALG_NFT_FILE"

printf 'log_level = info\npinhole_timeout = 60\n' >"$CONF"
ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground --config "$CONF" \
	--ctl-socket "$CTL_SOCK" --state-file "$WORK/state" \
	</dev/null >"$WORK/algd.log" 2>&1 &
ALGD_PID=$!
for _ in $(seq 100); do
	algd_alive || setup_fail "ftp-algd exited: $(tail -n 5 "$WORK/algd.log")"
	[ "$(queue_rules)" -gt 0 ] && [ -S "$CTL_SOCK" ] && break
	sleep 0.1
done
[ "$(queue_rules)" -gt 0 ] || setup_fail "no queue rule after 10s"

ftpalg_nsx "$FTPALG_NS_LAN" timeout 120 "$PY" "$HERE/ftpclient.py" \
	--host "$FTPALG_SRV_IP" --case steps --step-dir "$STEPS" \
	--hold-max 60 --sums "$FTPALG_SUMS" -v >"$WORK/client.out" 2>&1 &
CLIENT_PID=$!
wait_file "$STEPS/ready" || setup_fail "the client never logged in"
read -r _ _ CLIENT_PORT <"$STEPS/ready"
echo "control session $FTPALG_LAN_IP:$CLIENT_PORT -> $FTPALG_SRV_IP:21"

# ---------------------------------------------------------------------------
# 1: the first configuration

step 1 hold PORT small/f01.bin
check "1: PORT pinhole waits 60s before the reload" held_pinhole_in 1 55 60

# ---------------------------------------------------------------------------
# 2: a good reload during a transfer

printf 'log_level = debug\npinhole_timeout = 30\ncontrol_ports = 21,2121\n' >"$CONF"
step 2 get PASV big.bin
# when the server's 150 is in, so most likely while the data flows
for _ in $(seq 100); do
	grep -q "150 .*big.bin" "$WORK/client.out" && break
	sleep 0.05
done
kill -HUP "$ALGD_PID"
check "2: the log says what changed" wait_log \
	"configuration reloaded: pinhole_timeout 60 -> 30, control_ports 21 -> 21,2121, log_level info -> debug"
check "2: the control-port change reaches set ctl_ports" wait_log \
	"set inet ftp_alg ctl_ports now holds 21,2121"
check "2: set ctl_ports holds exactly 21 and 2121" eval \
	'[ "$(nft_rtr list set inet ftp_alg ctl_ports | tr -d " \t\n" |
	     sed "s/.*elements={\([^}]*\)}.*/\1/")" = "21,2121" ]' 
check "2: the transfer running across SIGHUP completes" step_done 2
step 3 hold PORT small/f02.bin
check "2: the next pinhole waits 30s (ftp-algctl pinholes)" \
	held_pinhole_in 3 25 30
check "2: its log line says 30s" wait_log "(30s)"
step 4 get EPSV mid.bin
check "2: transfers go on" step_done 4

# ---------------------------------------------------------------------------
# 3: a broken reload

printf 'pinhole_timeout = 0\nbogus = 1\nlog_level = info\nmax_line = 1\n' >"$CONF"
kill -HUP "$ALGD_PID"
check "3: the log says the running configuration stays" wait_log \
	"configuration not reloaded: keeping the running one"
check "3: error on line 1 logged" wait_log \
	"$CONF:1: pinhole_timeout: expected seconds from 1 to 3600, not '0'"
check "3: error on line 2 logged" wait_log "$CONF:2: unknown key 'bogus'"
check "3: error on line 4 logged" wait_log \
	"$CONF:4: max_line: expected bytes from 64 to 65535, not '1'"
step 5 hold PORT small/f03.bin
check "3: pinholes still wait 30s" held_pinhole_in 5 25 30
check "3: the session is still listed" session_listed
step 6 get PORT mid.bin
check "3: the session goes on" step_done 6

# ---------------------------------------------------------------------------
# 4: SIGUSR1

kill -USR1 "$ALGD_PID"
check "4: state line: sessions" wait_log "state: sessions 1 "
check "4: state line: pinholes" wait_log "open, timeout 30s (added "
check "4: state line: counters" wait_log "state: counters: packets "
sleep 0.3
check "4: still running after SIGUSR1" algd_alive

step 7 quit
wait "$CLIENT_PID"
rc=$?
CLIENT_PID=
check "the client's session ended well (exit $rc)" [ "$rc" = 0 ]

# ---------------------------------------------------------------------------
# 5: SIGQUIT ends it like SIGTERM

kill -QUIT "$ALGD_PID"
for _ in $(seq 100); do
	algd_alive || break
	sleep 0.1
done
if algd_alive; then
	bad "5: ftp-algd still running 10s after SIGQUIT"
else
	wait "$ALGD_PID"
	rc=$?
	ALGD_PID=
	check "5: exit status 0 after SIGQUIT (got $rc)" [ "$rc" = 0 ]
	check "5: the log names the signal" wait_log "SIGQUIT: shutting down"
	check "5: the state saved for the next start" wait_log "state saved"
	check "5: queue rules kept for the next start" [ "$(queue_rules)" -gt 0 ]
	ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground --cleanup \
		--state-file "$WORK/state" >>"$WORK/algd.log" 2>&1
	check "5: --cleanup: queue rules gone" [ "$(queue_rules)" = 0 ]
	check "5: --cleanup: no pinhole or mapping left" [ -z "$(
		{ nft_rtr list set inet ftp_alg pin4
		  nft_rtr list set inet ftp_alg pin6
		  nft_rtr list map inet ftp_alg dnat4; } | grep elements)" ]
fi

# ---------------------------------------------------------------------------
# 6: --check-config, no namespace needed

printf 'queue = 2\ncontrol_ports = 21,2121\n' >"$WORK/good.conf"
out=$("$ALGD" --check-config "$WORK/good.conf" 2>&1)
rc=$?
check "6: good file: exit 0" [ "$rc" = 0 ]
check "6: good file: '$WORK/good.conf: ok'" [ "$out" = "$WORK/good.conf: ok" ]
out=$("$ALGD" --check-config "$CONF" 2>"$WORK/check.err")
rc=$?
check "6: bad file: exit 1" [ "$rc" = 1 ]
check "6: bad file: nothing on stdout" [ -z "$out" ]
check "6: bad file: one line per error, three" \
	[ "$(wc -l <"$WORK/check.err")" = 3 ]
check "6: bad file: FILE:LINE on each" \
	[ "$(grep -c "^$CONF:[124]: " "$WORK/check.err")" = 3 ]

echo "reload: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
