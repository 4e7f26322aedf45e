#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_rulewatch.sh: ruleset changes under a running ftp-algd,
# on the harness's network (topo.sh), one case per run:
#
#   test_rulewatch.sh --build-dir DIR CASE
#
#   reload     a long control session; twice, while a transfer's pinhole
#              is open, the whole ruleset is reloaded ("flush ruleset", the
#              administrator's tables, the include). Every transfer works;
#              then a new active-mode session and a port-forwarded one do;
#              the log has one restore line per reload.
#   deltable   "nft delete table inet ftp_alg" in mid-session: the table is
#              recreated, the session goes on, a new one works.
#   noadmin    the drop-policy forward chain lacks the admin rule: the
#              start-up warning names it; an active-mode transfer fails, is
#              logged as not established, and not counted as used.
#   port2121   control_ports = 2121 in the configuration only: the daemon
#              fills set ctl_ports, a session on 2121 is rewritten; after
#              a ruleset reload (whose file says 21) the set holds 2121
#              again.
#
# Prints "ok"/"FAIL" lines and exits non-zero on any failure. Needs root;
# all traffic stays in the namespaces topo.sh creates.

# pass() always succeeds, so "test && pass ... || fail ..." is if/else.
# shellcheck disable=SC2015
set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$REPO/build
CASE=

while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	-*) echo "usage: $0 [--build-dir DIR] reload|deltable|noadmin|port2121" >&2
	    exit 2 ;;
	*) CASE=$1; shift ;;
	esac
done
case $CASE in
reload|deltable|noadmin|port2121) ;;
*) echo "usage: $0 [--build-dir DIR] reload|deltable|noadmin|port2121" >&2
   exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "FAIL: needs root (network namespaces)"
	exit 1
fi
ALGD=$BUILD_DIR/alg/ftp-algd
ALGCTL=$BUILD_DIR/alg/ftp-algctl
PY=/usr/bin/python3
CLIENT=$HERE/ftpclient.py

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"

WORK=
ALGD_PID=
ALGD_LOG=
CTL_SOCK=
CLIENT_PID=
fails=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	[ -n "$CLIENT_PID" ] && kill "$CLIENT_PID" 2>/dev/null
	if [ -n "$ALGD_PID" ]; then
		kill -TERM "$ALGD_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
	ftpalg_topo_down
	if [ -n "$ALGD_LOG" ] && [ -s "$ALGD_LOG" ]; then
		echo "== ftp-algd log"
		sed 's/^/  /' "$ALGD_LOG"
	fi
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}
# EXIT runs on every way out; a signal becomes an exit so it runs too.
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

pass() { echo "ok   $*"; }
fail() { echo "FAIL $*"; fails=$((fails + 1)); }
die() { fail "$*"; exit 1; }

nft_rtr() { ftpalg_nsx "$FTPALG_NS_RTR" nft "$@"; }
algctl() {
	ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$ALGCTL" --socket "$CTL_SOCK" "$@"
}
# One number from "ftp-algctl status --json".
status_num() {
	algctl status --json | sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p"
}
queue_rules() {
	nft_rtr list chain inet ftp_alg ctl_queue 2>/dev/null |
		grep -cE '[[:space:]]queue([[:space:]]|$)'
}
log_count() { grep -c -- "$1" "$ALGD_LOG"; }

# Wait up to $2 seconds until the log has $3 lines matching $1.
wait_log() {
	local re=$1 secs=$2 want=${3:-1} i
	for i in $(seq $((secs * 10))); do
		[ "$(log_count "$re")" -ge "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# The administrator's /etc/nftables.conf, as the harness's topology has
# it: flush ruleset, their table, the include.
admin_conf() {
	echo "flush ruleset"
	ftpalg_admin_ruleset
	echo "include \"$FTPALG_NFT_FILE\""
}

# Start ftp-algd with config file $1 (may be empty); wait for its rules.
algd_start() {
	local conf=$1 args=()
	[ -n "$conf" ] && args=(--config "$conf")
	ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground \
		--ctl-socket "$CTL_SOCK" --state-file "$WORK/state" \
		"${args[@]}" </dev/null >>"$ALGD_LOG" 2>&1 &
	ALGD_PID=$!
	for _ in $(seq 100); do
		kill -0 "$ALGD_PID" 2>/dev/null || die "ftp-algd exited"
		[ "$(queue_rules)" -gt 0 ] && [ -S "$CTL_SOCK" ] && return 0
		sleep 0.1
	done
	die "ftp-algd did not install its queue rules"
}

s_run() {	# NS HOST CASE [ftpclient.py options]
	local ns=$1 host=$2 cs=$3
	shift 3
	ftpalg_nsx "$ns" timeout 100 "$PY" "$CLIENT" --host "$host" \
		--case "$cs" --sums "$FTPALG_SUMS" --server-root "$FTPALG_PUB" \
		--timeout 8 "$@"
}

# A session in the background that pauses after the announcements
# listed in $1; for each, run "$2 K" on the router, then let it go on.
session_with_pauses() {
	local pauses=$1 action=$2 k out=$WORK/session.out
	shift 2
	mkdir -p "$WORK/sync"
	s_run "$FTPALG_NS_LAN" "$FTPALG_SRV_IP" session -v \
		--pause-at "$pauses" --sync-dir "$WORK/sync" --hold-max 20 \
		"$@" >"$out" 2>&1 &
	CLIENT_PID=$!
	for k in ${pauses//,/ }; do
		for _ in $(seq 300); do
			[ -e "$WORK/sync/paused-$k" ] && break
			kill -0 "$CLIENT_PID" 2>/dev/null || break
			sleep 0.1
		done
		if [ ! -e "$WORK/sync/paused-$k" ]; then
			fail "the session never reached pause $k"
			break
		fi
		"$action" "$k"
		touch "$WORK/sync/resume-$k"
	done
	if wait "$CLIENT_PID"; then
		pass "the session: $(grep -c '^ok' "$out") steps ok," \
			"$(grep -c '^FAIL' "$out") failed"
	else
		fail "the session failed:"
		grep -E '^(FAIL|ok)|paused|resumed' "$out" | sed 's/^/	| /'
	fi
	CLIENT_PID=
}

check_get() {	# WHAT NS HOST MODE [options]
	local what=$1 ns=$2 host=$3 mode=$4 out
	shift 4
	if out=$(s_run "$ns" "$host" get --mode "$mode" "$@" 2>&1); then
		pass "$what"
	else
		fail "$what:"
		printf '%s\n' "$out" | tail -n 5 | sed 's/^/	| /'
	fi
}

# ---------------------------------------------------------------------------

reload_at() {	# K: reload the whole ruleset, wait for the restore
	local before
	before=$(log_count 'ruleset changed:')
	admin_conf | nft_rtr -f - || fail "nft -f of the administrator's ruleset"
	if wait_log 'ruleset changed:' 3 $((before + 1)); then
		pass "reload at announcement $1: restored within 3s:" \
			"$(grep 'ruleset changed:' "$ALGD_LOG" | tail -n 1 |
			   sed 's/.*ruleset changed/ruleset changed/')"
	else
		fail "reload at announcement $1: no restore line within 3s"
	fi
}

case_reload() {
	local line
	algd_start ""
	# 4: a PORT (a pinhole and a dnat4 mapping open), 13: a PASV
	session_with_pauses 4,13 reload_at
	[ "$(queue_rules)" = 4 ] && pass "4 queue rules in ctl_queue" ||
		fail "ctl_queue has $(queue_rules) queue rules, want 4"
	check_get "a new active-mode session (PORT)" "$FTPALG_NS_LAN" \
		"$FTPALG_SRV_IP" PORT
	check_get "a port-forwarded session (DNAT, PASV)" "$FTPALG_NS_OCL" \
		"$FTPALG_RTR_WAN_IP" PASV
	check_get "a port-forwarded session (DNAT, PORT)" "$FTPALG_NS_OCL" \
		"$FTPALG_RTR_WAN_IP" PORT
	line=$(grep 'ruleset changed:' "$ALGD_LOG" | head -n 1)
	case $line in
	*"queue rules gone"*"1 pinhole gone"*"1 mapping gone"*"restored 4 queue rules, 1 pinhole, 1 mapping"*)
		pass "the first restore names the queue rules, the pinhole and its mapping" ;;
	*) fail "first restore line: $line" ;;
	esac
	[ "$(log_count 'ruleset changed:')" = 2 ] &&
		pass "one restore line per reload" ||
		fail "$(log_count 'ruleset changed:') restore lines, want 2"
	[ "$(status_num ruleset_restores)" = 2 ] &&
		pass "status: ruleset_restores 2" ||
		fail "status: ruleset_restores $(status_num ruleset_restores), want 2"
	[ "$(log_count 'admin rule\|no rule accepting')" = 0 ] &&
		pass "no admin rule warning (the rule is there)" ||
		fail "an admin rule warning with the rule in place"
}

delete_table_at() {
	nft_rtr delete table inet ftp_alg || fail "nft delete table"
	if wait_log 'table inet ftp_alg gone' 3; then
		pass "table deleted: $(grep 'ruleset changed:' "$ALGD_LOG" |
			tail -n 1 | sed 's/.*ruleset changed/ruleset changed/')"
	else
		fail "no restore line within 3s of deleting the table"
	fi
}

case_deltable() {
	algd_start ""
	session_with_pauses 4 delete_table_at --transfers 12
	nft_rtr list table inet ftp_alg >/dev/null 2>&1 &&
		pass "table inet ftp_alg is back" || fail "table inet ftp_alg is gone"
	[ "$(queue_rules)" = 4 ] && pass "4 queue rules in ctl_queue" ||
		fail "ctl_queue has $(queue_rules) queue rules, want 4"
	check_get "a new active-mode session (PORT)" "$FTPALG_NS_LAN" \
		"$FTPALG_SRV_IP" PORT
	check_get "a port-forwarded session (DNAT, PASV)" "$FTPALG_NS_OCL" \
		"$FTPALG_RTR_WAN_IP" PASV
}

case_noadmin() {
	local used
	# the administrator's ruleset without its admin rule
	{ echo "flush ruleset"; ftpalg_admin_ruleset | grep -v 'ct mark';
	  echo "include \"$FTPALG_NFT_FILE\""; } | nft_rtr -f - ||
		die "cannot load the ruleset without the admin rule"
	algd_start ""
	if grep -q 'chain inet admin forward (forward, policy drop) has no rule accepting the pinhole mark' \
		"$ALGD_LOG"; then
		pass "start-up warning names chain inet admin forward"
	else
		fail "no start-up warning naming chain inet admin forward"
	fi
	[ "$(status_num admin_rule_missing)" = 1 ] &&
		pass "status: admin_rule_missing 1" ||
		fail "status: admin_rule_missing $(status_num admin_rule_missing)"
	if s_run "$FTPALG_NS_LAN" "$FTPALG_SRV_IP" get --mode PORT \
		--timeout 5 --max-failures 1 >"$WORK/get.out" 2>&1; then
		fail "an active-mode transfer worked without the admin rule"
	else
		pass "the active-mode transfer fails without the admin rule"
	fi
	if wait_log 'pinhole consumed but the data connection was not established: dropped after our accept; is the admin rule in your forward chain (policy drop)?' 8; then
		pass "logged: $(grep 'not established' "$ALGD_LOG" | head -n 1 |
			sed 's/.*\(#[0-9]* pinhole\)/\1/')"
	else
		fail "no 'not established' line in the log"
	fi
	used=$(status_num pinholes_used)
	[ "$used" = 0 ] && pass "status: pinholes_used 0" ||
		fail "status: pinholes_used $used, want 0"
	[ "$(status_num pinholes_not_established)" -ge 1 ] &&
		pass "status: pinholes_not_established $(status_num pinholes_not_established)" ||
		fail "status: pinholes_not_established 0"
	[ "$(log_count 'pinhole used')" = 0 ] && pass "no 'pinhole used' line" ||
		fail "the log says a pinhole was used"
}

case_port2121() {
	local conf=$WORK/ftp-algd.conf elems
	echo "control_ports = 2121" >"$conf"
	ip netns exec "$FTPALG_NS_SRV" "$PY" "$HERE/pyftpd.py" \
		--bind "$FTPALG_SRV_IP_B" --port 2121 --root "$FTPALG_PUB" \
		--user "$FTPALG_PY_USER" --password "$FTPALG_PY_PASS" \
		--log "$WORK/py2121.log" </dev/null >>"$WORK/py2121.out" 2>&1 &
	FTPALG_SERVER_PID[py2121]=$!
	ftpalg_wait_listen "$FTPALG_NS_SRV" "$FTPALG_SRV_IP_B" 2121 ||
		die "no server on port 2121"
	algd_start "$conf"
	elems=$(nft_rtr list set inet ftp_alg ctl_ports | tr -s ' \t\n' ' ' |
		sed -n 's/.*elements = { \([^}]*\) }.*/\1/p')
	[ "$elems" = 2121 ] && pass "set ctl_ports holds exactly 2121" ||
		fail "set ctl_ports holds '$elems', want 2121"
	check_get "a session on port 2121 (PORT, masqueraded)" \
		"$FTPALG_NS_LAN" "$FTPALG_SRV_IP_B" PORT --port 2121 \
		--user "$FTPALG_PY_USER" --password "$FTPALG_PY_PASS"
	check_get "a session on port 2121 (PASV)" \
		"$FTPALG_NS_LAN" "$FTPALG_SRV_IP_B" PASV --port 2121 \
		--user "$FTPALG_PY_USER" --password "$FTPALG_PY_PASS"
	[ "$(log_count ' rewrite ')" -ge 1 ] &&
		pass "the PORT on 2121 was rewritten" ||
		fail "no rewrite in the log: port 2121 was not queued"
	# the administrator reloads the ruleset: its file says 21
	admin_conf | nft_rtr -f - || fail "nft -f of the administrator's ruleset"
	wait_log 'ruleset changed:' 3 1 ||
		fail "no restore line within 3s of the reload"
	elems=$(nft_rtr list set inet ftp_alg ctl_ports | tr -s ' \t\n' ' ' |
		sed -n 's/.*elements = { \([^}]*\) }.*/\1/p')
	[ "$elems" = 2121 ] &&
		pass "after a ruleset reload set ctl_ports holds exactly 2121 again" ||
		fail "after a ruleset reload set ctl_ports holds '$elems', want 2121"
	check_get "a session on port 2121 after the reload (PORT)" \
		"$FTPALG_NS_LAN" "$FTPALG_SRV_IP_B" PORT --port 2121 \
		--user "$FTPALG_PY_USER" --password "$FTPALG_PY_PASS"
}

# ---------------------------------------------------------------------------

for t in "$ALGD" "$ALGCTL"; do
	[ -x "$t" ] || die "no $t (build first)"
done
ftpalg_install_packages >/dev/null || die "cannot install the test tools"
WORK=$(mktemp -d /tmp/ftpalg-rulewatch.XXXXXX) || die "mktemp"
mkdir -p "$BUILD_DIR/netns-logs"
ALGD_LOG=$BUILD_DIR/netns-logs/rulewatch-$CASE-ftp-algd.log
: >"$ALGD_LOG"
CTL_SOCK=$WORK/ftp-algd.sock
ftpalg_files_make "$WORK/files" || die "cannot make the served files"
ftpalg_topo_up "rw${CASE:0:3}" >"$WORK/topo.log" 2>&1 ||
	{ cat "$WORK/topo.log"; die "topology"; }
ftpalg_vsftpd_start out4 "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" &&
ftpalg_vsftpd_start dmz "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" ||
	die "cannot start the FTP servers"
nft_rtr -f "$FTPALG_NFT_FILE" || die "nft -f $FTPALG_NFT_FILE"

"case_$CASE"

kill -0 "$ALGD_PID" 2>/dev/null && pass "ftp-algd still running" ||
	fail "ftp-algd died"
echo "rulewatch $CASE: $fails failed"
[ $fails = 0 ]
