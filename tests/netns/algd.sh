# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/netns/algd.sh: ftp-algd inside a router namespace, as a library
# (source after topo.sh). Used by harness.sh and matrix.sh.
#
#	ftpalg_algd_start NS DIR LOG [ftp-algd options...]
#		loads deploy/ftp-alg.nft in NS, starts $FTPALG_ALGD there with
#		--ctl-socket DIR/ftp-algd.sock --state-file DIR/state, and
#		waits for its queue rules and control socket; the pid is in
#		FTPALG_ALGD_PID[NS]
#	ftpalg_algd_alive NS
#	ftpalg_algd_queue_rules NS	number of queue rules in ctl_queue
#	ftpalg_algd_stop NS
#	ftpalg_algd_stat DIR NAME	one counter of "ftp-algctl stats" of
#		the daemon started with DIR ("pinholes used"), -1 if none
#	ftpalg_check PREFIX CHECK ok|FAIL [detail]
#		prints "PREFIX CHECK: ok (detail)" and counts it in
#		FTPALG_PASSED / FTPALG_FAILED

FTPALG_ALGD=${FTPALG_ALGD:-}	# path of ftp-algd
FTPALG_ALGCTL=${FTPALG_ALGCTL:-}	# path of ftp-algctl
declare -A FTPALG_ALGD_PID=()

ftpalg_algd_alive() {
	local pid=${FTPALG_ALGD_PID[$1]:-}
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# Queue rules in chain ctl_queue ("queue num 0 bypass" or "queue flags
# bypass to 0"; the chain's own name does not count).
ftpalg_algd_queue_rules() {
	ftpalg_nsx "$1" nft list chain inet ftp_alg ctl_queue 2>/dev/null |
		grep -cE '[[:space:]]queue([[:space:]]|$)'
}

ftpalg_algd_start() {
	local ns=$1 dir=$2 log=$3 sock=$2/ftp-algd.sock pid
	shift 3
	echo "nft -f $FTPALG_NFT_FILE"
	ftpalg_nsx "$ns" nft -f "$FTPALG_NFT_FILE" || return 1
	if [ ! -x "$FTPALG_ALGD" ]; then
		echo "no $FTPALG_ALGD (build first: cmake -S . -B build && cmake --build build)"
		return 1
	fi
	echo "starting $FTPALG_ALGD --foreground --ctl-socket $sock --state-file $dir/state $*"
	# $! must be ftp-algd itself: ip netns exec execs it.
	ip netns exec "$ns" "$FTPALG_ALGD" --foreground \
		--ctl-socket "$sock" --state-file "$dir/state" "$@" \
		</dev/null >>"$log" 2>&1 &
	pid=$!
	FTPALG_ALGD_PID[$ns]=$pid
	# Ready when its queue rules are in place.
	for _ in $(seq 100); do
		ftpalg_algd_alive "$ns" || { echo "ftp-algd exited:"
			tail -n 20 "$log"; unset "FTPALG_ALGD_PID[$ns]"; return 1; }
		[ "$(ftpalg_algd_queue_rules "$ns")" -gt 0 ] && break
		sleep 0.1
	done
	ftpalg_nsx "$ns" nft list chain inet ftp_alg ctl_queue
	if [ "$(ftpalg_algd_queue_rules "$ns")" -eq 0 ]; then
		echo "no queue rule in chain ctl_queue after 10s"
		return 1
	fi
	# The control socket shows up too.
	for _ in $(seq 30); do
		[ -S "$sock" ] && break
		sleep 0.1
	done
	ftpalg_nsx "$ns" timeout 10 "$FTPALG_ALGCTL" --socket "$sock" status
}

ftpalg_algd_stop() {
	local ns=$1 pid=${FTPALG_ALGD_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for _ in $(seq 20); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "FTPALG_ALGD_PID[$ns]"
	return 0
}

ftpalg_algd_stat() {
	"$FTPALG_ALGCTL" --socket "$1/ftp-algd.sock" stats | awk -v k="$2:" '
		index($0, k) == 1 { print $NF; found = 1 }
		END { if (!found) print -1 }'
}

FTPALG_PASSED=0
FTPALG_FAILED=0
ftpalg_check() {
	echo "$1 $2: $3${4:+ ($4)}"
	if [ "$3" = ok ]; then
		FTPALG_PASSED=$((FTPALG_PASSED + 1))
	else
		FTPALG_FAILED=$((FTPALG_FAILED + 1))
	fi
}
