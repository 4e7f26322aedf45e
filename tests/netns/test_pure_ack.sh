#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_pure_ack.sh: pure_ack_bypass (nft/pure_ack.c). The
# topology of tests/netns/topo.sh, vsftpd outside (203.0.113.10), the LAN
# client behind masquerade, tests/netns/ftpclient.py as the client (every
# transfer sha256-checked, uploads compared on disk). A counting table of
# our own, "table inet pa_count", sits in the router's forward hook at
# priority -300 (before ftp_alg's ctl_hook at filter - 10) and counts the
# control connection's packets (port 21 either way), the invalid ones,
# those of shifted sessions (ct mark 0x00080000), and the pure ACKs
# among them: flags & (fin|syn|rst|ack) == ack and no payload, from sets
# of its own (IP length . TCP byte 12 for data offsets 5..15, the same
# shapes as deploy/ftp-alg.nft's pure_ack4/pure_ack6, written out here
# independently). "received" is what ftp-algd counted ("ftp-algctl
# stats": packets orig + reply, the control-connection packets it was
# queued; "other" holds the data connections' SYNs from chain pin_catch
# and packets of no session, and is only ever added where it can only
# make a check easier to fail).
#
#   1  rules: default configuration: chain ctl_queue holds the two
#      shifted-session queue rules, the @pure_ack4 and @pure_ack6 return
#      rules, then the two general queue rules (4 queue rules, in that
#      order); with "pure_ack_bypass = no" the two return rules are absent
#   2  unshifted: PASV session (the server's 227 names its public address:
#      nothing rewritten), 4 RETR + STOR + RETR on one control
#      connection; pure ACKs counted > 0, none marked, and
#      ctl - pure - invalid <= received <= ctl - pure: not one pure ACK
#      was queued, every other valid packet was
#   3  shifted: PORT from the masqueraded LAN (10,0,1,2 -> 203,0,113,1:
#      the line grows), 6 RETR + LIST + STOR + RETR on one control
#      connection; marked pure ACKs > 0 and received (with "other") >=
#      ctl - unmarked pure ACKs - invalid: the pure ACKs after the first
#      rewrite were queued
#   4  pure_ack_bypass = no: the session of 2 again; received (with
#      "other") >= ctl - invalid and orig + reply <= ctl: every control
#      packet queued, pure ACKs too
#   5  idle: idle_timeout = 2, log_level debug, bypass on: a logged-in
#      PASV session (unshifted) silent for 5.5 s is still listed open,
#      same session id, at 3 s and 5.5 s; the log says "asking
#      conntrack"; then a PASV RETR of mid.bin works on it, still the
#      same session, no mid-stream session made
#
#   test_pure_ack.sh [--build-dir DIR]
#
# Prints one line per check and "pure_ack: N passed, M failed"; exit 1
# if any check failed, 2 if it could not set up. Needs root.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$REPO/build

while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--build-dir=*) BUILD_DIR=${1#*=}; shift ;;
	*) echo "test_pure_ack: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "test_pure_ack: needs root (network namespaces)" >&2
	exit 2
fi
FTPALG_ALGD=$BUILD_DIR/alg/ftp-algd
FTPALG_ALGCTL=$BUILD_DIR/alg/ftp-algctl
PY=/usr/bin/python3

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"
# shellcheck source=tests/netns/algd.sh
source "$HERE/algd.sh"

WORK=
DIR=			# the running daemon's directory (socket, state, log)
CLIENT_PID=
FINISHED=0

teardown() {
	if [ -n "$CLIENT_PID" ]; then
		kill -KILL "$CLIENT_PID" 2>/dev/null
		wait "$CLIENT_PID" 2>/dev/null
	fi
	[ -n "$FTPALG_NS_RTR" ] && ftpalg_algd_stop "$FTPALG_NS_RTR"
	ftpalg_servers_stop
	if [ -n "$WORK" ] && { [ "$FINISHED" = 0 ] || [ "$FTPALG_FAILED" != 0 ]; }; then
		local f
		for f in "$WORK"/setup.log "$WORK"/d*/algd.log "$WORK"/*.out; do
			[ -s "$f" ] || continue
			echo "== ${f#"$WORK"/}"
			tail -n 60 "$f"
		done
	fi
}
ftpalg_exit_traps teardown

setup_fail() { echo "test_pure_ack: setup: $*" >&2; exit 2; }
result() { ftpalg_check pure_ack "$@"; }

nft_rtr() { ftpalg_nsx "$FTPALG_NS_RTR" nft "$@"; }
ctl() { ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$FTPALG_ALGCTL" --socket "$DIR/ftp-algd.sock" "$@"; }
astat() { ftpalg_algd_stat "$DIR" "$1"; }

# start_algd NAME [config lines...]: stop the running daemon, start one
# with its own directory $WORK/NAME (control socket, state, log) and,
# given config lines, --config $WORK/NAME/algd.conf
start_algd() {
	local name=$1 args=()
	shift
	ftpalg_algd_stop "$FTPALG_NS_RTR"
	DIR=$WORK/$name
	mkdir -p "$DIR" || return 1
	if [ $# -gt 0 ]; then
		printf '%s\n' "$@" >"$DIR/algd.conf"
		args=(--config "$DIR/algd.conf")
	fi
	ftpalg_algd_start "$FTPALG_NS_RTR" "$DIR" "$DIR/algd.log" "${args[@]}" \
		>"$DIR/start.out" 2>&1 || { cat "$DIR/start.out" >&2; return 1; }
}

# The order of chain ctl_queue's rules, one word each: M (queue, shifted
# sessions), P4 / P6 (@pure_ack4 / @pure_ack6 return), Q (queue).
rule_order() {
	nft_rtr list chain inet ftp_alg ctl_queue 2>/dev/null | awk '
		/@pure_ack4 return/ { w = w " P4"; next }
		/@pure_ack6 return/ { w = w " P6"; next }
		/[[:space:]]queue([[:space:]]|$)/ {
			w = w (/0x00080000/ ? " M" : " Q"); next }
		END { print substr(w, 2) }'
}

# The counting table, fresh (counters at 0).
count_up() {
	local e4='' e6='' d
	for d in $(seq 5 15); do
		e4+="${e4:+, }$((20 + 4 * d)) . $(printf '0x%x0' "$d")"
		e6+="${e6:+, }$((4 * d)) . $(printf '0x%x0' "$d")"
	done
	nft_rtr delete table inet pa_count 2>/dev/null
	nft_rtr -f - <<EOF
table inet pa_count {
	set pa4 {
		typeof ip length . @th,96,8
		elements = { $e4 }
	}
	set pa6 {
		typeof ip6 length . @th,96,8
		elements = { $e6 }
	}
	counter ctl {}
	counter invalid {}
	counter marked {}
	counter pure {}
	counter pure_marked {}
	counter pure_unmarked {}
	chain f {
		type filter hook forward priority -300; policy accept;
		tcp dport 21 jump c
		tcp sport 21 jump c
	}
	chain c {
		counter name ctl
		ct state invalid counter name invalid
		ct mark & 0x00080000 == 0x00080000 counter name marked
		tcp flags & (fin | syn | rst | ack) == ack meta nfproto ipv4 ip length . @th,96,8 @pa4 jump p
		tcp flags & (fin | syn | rst | ack) == ack meta nfproto ipv6 ip6 nexthdr tcp ip6 length . @th,96,8 @pa6 jump p
	}
	chain p {
		counter name pure
		ct mark & 0x00080000 == 0x00080000 counter name pure_marked
		ct mark & 0x00080000 != 0x00080000 counter name pure_unmarked
	}
}
EOF
}
count_of() {
	nft_rtr list counter inet pa_count "$1" | awk '$1 == "packets" { print $2 }'
}

# What ftp-algd has received so far: "ro" orig + reply, "all" with other.
recv_of() {
	local o r x
	o=$(astat "packets orig") r=$(astat "packets reply") x=$(astat "packets other")
	if [ "$1" = ro ]; then echo $((o + r)); else echo $((o + r + x)); fi
}

# session OUT MODE TRANSFERS: one control connection of ftpclient.py's
# session case from the LAN to vsftpd; ok when every step was
session() {
	ftpalg_nsx "$FTPALG_NS_LAN" timeout 90 "$PY" "$HERE/ftpclient.py" \
		--host "$FTPALG_SRV_IP" --case session --modes "$2" \
		--transfers "$3" --sums "$FTPALG_SUMS" \
		--server-root "$FTPALG_PUB" -v >"$WORK/$1" 2>&1 &&
		grep -q '^RESULT OK$' "$WORK/$1"
}

# checked_session LABEL OUT MODE N WHAT: session OUT MODE N, as a check
checked_session() {
	if ! session "$2" "$3" "$4"; then
		result "$1" FAIL "$(grep -E '^FAIL' "$WORK/$2" | head -n 3)"
	else
		result "$1" ok "$(steps_ok "$2") transfers$5 sha256-checked on one control connection"
	fi
}
steps_ok() { grep -c '^ok ' "$WORK/$1"; }

# Counters after a session: its last segments (FIN, ACK) have passed and
# ftp-algd has counted them.
settle() { sleep 1; }

# ---------------------------------------------------------------------------
# Set up: the network, vsftpd.

{ [ -x "$FTPALG_ALGD" ] && [ -x "$FTPALG_ALGCTL" ]; } ||
	setup_fail "no $FTPALG_ALGD (build first)"
# shellcheck disable=SC2119  # no extra packages
ftpalg_install_packages || setup_fail "packages"
T0=$(date +%s)
WORK=$(mktemp -d /tmp/ftpalg-pure-ack.XXXXXX) || setup_fail "mktemp"
chmod 755 "$WORK"
ftpalg_files_make "$WORK/files" || setup_fail "files"
ftpalg_topo_up pa >"$WORK/setup.log" 2>&1 ||
	setup_fail "topology: $(tail -n 3 "$WORK/setup.log")"
ftpalg_vsftpd_start srv "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" >>"$WORK/setup.log" 2>&1 ||
	setup_fail "vsftpd"

# ---------------------------------------------------------------------------
# 1  the rules, default configuration (no --config)

start_algd d1 || setup_fail "ftp-algd (default configuration)"
order=$(rule_order)
if [ "$order" = "M M P4 P6 Q Q" ] &&
   [ "$(ftpalg_algd_queue_rules "$FTPALG_NS_RTR")" = 4 ]; then
	result "rules: default has the pure-ACK returns" ok "$order"
else
	result "rules: default has the pure-ACK returns" FAIL \
		"order '$order', want 'M M P4 P6 Q Q'"
	nft_rtr list chain inet ftp_alg ctl_queue 2>/dev/null
fi
if grep -q "pure ACKs: those of sessions whose stream is not shifted go on unqueued" \
	"$DIR/algd.log"; then
	result "rules: the start says pure ACKs go on" ok
else
	result "rules: the start says pure ACKs go on" FAIL \
		"$(grep -i "pure ack" "$DIR/algd.log")"
fi

# ---------------------------------------------------------------------------
# 2  unshifted: PASV, the 227 needs no rewrite

count_up || setup_fail "counting table"
r0=$(recv_of ro) w0=$(astat "rewrites 227")
checked_session "unshifted: PASV session" c2.out PASV 4 ""
settle
ctl_n=$(count_of ctl) inv=$(count_of invalid) pure=$(count_of pure)
mk=$(count_of marked)
recv=$(( $(recv_of ro) - r0 )) w1=$(astat "rewrites 227")
fig="control $ctl_n, pure ACKs $pure, invalid $inv, marked $mk, ftp-algd received $recv"
# Every pure ACK of this unshifted session returns from ctl_queue before
# the queue rules, and every other packet (but an invalid one, which no
# queue rule takes) is queued: received = control - pure - invalid
# non-pure. The bounds hold whatever the kernel sent: pure ACKs > 0 (a
# control connection has them: its handshake's last ACK, the ACK of FIN)
# and none queued, which a daemon queuing them would break by as many.
if [ "$pure" -le 0 ]; then
	result "unshifted: pure ACKs not queued" FAIL "no pure ACK counted: $fig"
elif [ "$mk" != 0 ] || [ "$w1" != "$w0" ]; then
	result "unshifted: pure ACKs not queued" FAIL "the session was shifted (227 rewrites $w0 -> $w1): $fig"
elif [ "$recv" -gt $((ctl_n - pure)) ]; then
	result "unshifted: pure ACKs not queued" FAIL "$((recv - ctl_n + pure)) pure ACKs queued: $fig"
elif [ "$recv" -lt $((ctl_n - pure - inv)) ]; then
	result "unshifted: pure ACKs not queued" FAIL "packets with payload or flags not queued: $fig"
else
	result "unshifted: pure ACKs not queued" ok "$fig"
fi

# ---------------------------------------------------------------------------
# 3  shifted: PORT from behind masquerade, the line grows

count_up || setup_fail "counting table"
r0=$(recv_of all) p0=$(astat "rewrites PORT")
checked_session "shifted: PORT session" c3.out PORT 6 " (LIST among them)"
settle
ctl_n=$(count_of ctl) inv=$(count_of invalid) mk=$(count_of marked)
pm=$(count_of pure_marked) pu=$(count_of pure_unmarked)
recv=$(( $(recv_of all) - r0 )) p1=$(astat "rewrites PORT")
fig="control $ctl_n ($mk marked), pure ACKs $pm marked $pu unmarked, invalid $inv, ftp-algd received $recv, PORT rewrites $((p1 - p0))"
# The mark is set before the first rewritten packet leaves; from then on
# every packet is queued, pure ACKs too (only those before it, unmarked,
# return). Counted here before ctl_queue, a packet can only be marked by
# then if it was here, so: received >= control - unmarked pure - invalid.
# (Not an upper bound: a packet counted unmarked here may meet ctl_queue
# after the mark was set.)
if [ $((p1 - p0)) -lt 1 ]; then
	result "shifted: marked pure ACKs queued" FAIL "no PORT rewritten: $fig"
elif [ "$pm" -le 0 ]; then
	result "shifted: marked pure ACKs queued" FAIL "no marked pure ACK counted: $fig"
elif [ "$recv" -lt $((ctl_n - pu - inv)) ]; then
	result "shifted: marked pure ACKs queued" FAIL "$((ctl_n - pu - inv - recv)) packets of the shifted session not queued: $fig"
else
	result "shifted: marked pure ACKs queued" ok "$fig"
fi

# ---------------------------------------------------------------------------
# 4  pure_ack_bypass = no: rules, and every control packet queued

start_algd d4 "pure_ack_bypass = no" || setup_fail "ftp-algd (pure_ack_bypass = no)"
order=$(rule_order)
if [ "$order" = "M M Q Q" ] &&
   [ "$(ftpalg_algd_queue_rules "$FTPALG_NS_RTR")" = 4 ]; then
	result "rules: pure_ack_bypass = no has none" ok "$order"
else
	result "rules: pure_ack_bypass = no has none" FAIL "order '$order', want 'M M Q Q'"
	nft_rtr list chain inet ftp_alg ctl_queue 2>/dev/null
fi
count_up || setup_fail "counting table"
r0=$(recv_of ro) a0=$(recv_of all)
checked_session "no bypass: PASV session" c4.out PASV 4 ""
settle
ctl_n=$(count_of ctl) inv=$(count_of invalid) pure=$(count_of pure)
recv=$(( $(recv_of ro) - r0 )) recv_all=$(( $(recv_of all) - a0 ))
fig="control $ctl_n, pure ACKs $pure, invalid $inv, ftp-algd received $recv ($recv_all with other)"
if [ "$pure" -le 0 ]; then
	result "no bypass: every control packet queued" FAIL "no pure ACK counted: $fig"
elif [ "$recv_all" -lt $((ctl_n - inv)) ]; then
	result "no bypass: every control packet queued" FAIL "$((ctl_n - inv - recv_all)) not queued: $fig"
elif [ "$recv" -gt "$ctl_n" ]; then
	result "no bypass: every control packet queued" FAIL "more received than sent: $fig"
else
	result "no bypass: every control packet queued" ok "$fig"
fi

# ---------------------------------------------------------------------------
# 5  idle: a silent unshifted session stays while conntrack has it

start_algd d5 "idle_timeout = 2" "log_level = debug" ||
	setup_fail "ftp-algd (idle_timeout = 2)"
STEPS=$WORK/steps
mkdir -p "$STEPS"
ip netns exec "$FTPALG_NS_LAN" "$PY" "$HERE/ftpclient.py" \
	--host "$FTPALG_SRV_IP" --case steps --step-dir "$STEPS" \
	--hold-max 60 --sums "$FTPALG_SUMS" -v \
	</dev/null >"$WORK/c5.out" 2>&1 &
CLIENT_PID=$!
for _ in $(seq 100); do
	[ -s "$STEPS/ready" ] && break
	kill -0 "$CLIENT_PID" 2>/dev/null || break
	sleep 0.1
done
t_ready=$(date +%s%3N)
read -r _ c_addr c_port _ <"$STEPS/ready" 2>/dev/null
# our session's line of "ftp-algctl sessions": "#ID CLIENT:PORT -> ..."
sess_line() { ctl sessions | grep -F " $c_addr:$c_port -> $FTPALG_SRV_IP:21 "; }
sess_id() { sess_line | awk '{ print $1 }'; }
# is_open LINES: one line, session $sid, state open
is_open() {
	[ "$(printf '%s\n' "$1" | grep -c .)" = 1 ] &&
	[ "${1%% *}" = "$sid" ] && [ "${1#* open inspecting }" != "$1" ]
}
if [ -z "${c_port:-}" ]; then
	result "idle: logged in" FAIL "no ready line from the client"
else
	sid=$(sess_id)
	if [ -n "$sid" ]; then
		result "idle: logged in" ok "session $sid from $c_addr:$c_port"
	else
		result "idle: logged in" FAIL "ftp-algd lists no session from $c_addr:$c_port"
	fi
	# well past idle_timeout (2 s) without a packet ftp-algd sees (the
	# client's ACK of the last reply is a pure ACK: not queued)
	sleep 3
	l3=$(sess_line)
	sleep 2.5
	l5=$(sess_line)
	idle_ms=$(( $(date +%s%3N) - t_ready ))
	if is_open "$l3" && is_open "$l5"; then
		result "idle: session kept past idle_timeout" ok \
			"still open after ${idle_ms} ms silent: ${l5%% nat *}"
	else
		result "idle: session kept past idle_timeout" FAIL \
			"at 3 s: '$l3', at 5.5 s: '$l5' (session $sid)"
	fi
	n_ask=$(grep -c "asking conntrack" "$DIR/algd.log")
	if [ "$n_ask" -ge 1 ]; then
		result "idle: conntrack asked" ok "$n_ask time(s)"
	else
		result "idle: conntrack asked" FAIL "no \"asking conntrack\" in the log"
	fi
	m0=$(astat midstream_sessions)
	echo "get PASV mid.bin" >"$STEPS/1.tmp" && mv "$STEPS/1.tmp" "$STEPS/1"
	for _ in $(seq 300); do
		[ -s "$STEPS/1.done" ] && break
		kill -0 "$CLIENT_PID" 2>/dev/null || break
		sleep 0.1
	done
	l_after=$(sess_line)
	m1=$(astat midstream_sessions)
	if [ "$(cat "$STEPS/1.done" 2>/dev/null)" != ok ] ||
	   ! grep -q '^ok   RETR mid.bin via PASV: 1048576 bytes, sha256 ok' "$WORK/c5.out"; then
		result "idle: transfer after the idle period" FAIL \
			"$(grep -E '^FAIL' "$WORK/c5.out" | head -n 3)"
	elif ! is_open "$l_after" || [ "$m1" != "$m0" ]; then
		result "idle: transfer after the idle period" FAIL \
			"not the same open session: '$l_after', mid-stream sessions $m0 -> $m1"
	else
		result "idle: transfer after the idle period" ok \
			"RETR mid.bin via PASV sha256 ok, same session ${l_after%% nat *}"
	fi
	echo quit >"$STEPS/2.tmp" && mv "$STEPS/2.tmp" "$STEPS/2"
fi
for _ in $(seq 100); do
	kill -0 "$CLIENT_PID" 2>/dev/null || break
	sleep 0.1
done
wait "$CLIENT_PID" 2>/dev/null
crc=$?
CLIENT_PID=
if [ "$crc" = 0 ] && grep -q '^RESULT OK$' "$WORK/c5.out"; then
	result "idle: client done" ok
else
	result "idle: client done" FAIL "exit $crc: $(tail -n 2 "$WORK/c5.out" | tr '\n' ' ')"
fi

if ftpalg_algd_alive "$FTPALG_NS_RTR"; then
	result "ftp-algd still runs" ok
else
	result "ftp-algd still runs" FAIL
fi

FINISHED=1
echo "pure_ack: $FTPALG_PASSED passed, $FTPALG_FAILED failed ($(( $(date +%s) - T0 )) s)"
[ "$FTPALG_FAILED" = 0 ]
