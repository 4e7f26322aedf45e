#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_observe.sh: what ftp-algctl shows of a real transfer
# (the topology of tests/netns/topo.sh, vsftpd outside, the LAN client
# behind masquerade, one active-mode RETR, so one PORT line rewritten):
#
#   1  log-level debug: answered, logged, debug lines appear
#   2  trace (text and --json) sees the session's lines, the rewrite and
#      the pinhole; every JSON line parses
#   3  stats --json: one PORT rewrite, one pinhole added and used,
#      every packet timed
#   4  metrics: the Prometheus text parser reads it; the same numbers;
#      GET /metrics on metrics_listen (the router's loopback) the same
#   5  log-level warning: a second transfer logs no info line;
#      status shows log_level warning (configured info)
#
#   test_observe.sh [--build-dir DIR]
#
# Prints one line per check and "observe: N passed, M failed"; exit 1 if
# any check failed, 2 if it could not set up. Needs root.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$REPO/build

while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--build-dir=*) BUILD_DIR=${1#*=}; shift ;;
	*) echo "test_observe: unknown argument $1" >&2; exit 2 ;;
	esac
done
if [ "$(id -u)" != 0 ]; then
	echo "test_observe: needs root (network namespaces)" >&2
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
TRACE_PID=
JTRACE_PID=
PASS=0
FAIL=0

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	local p
	for p in $TRACE_PID $JTRACE_PID; do
		kill -KILL "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
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
		echo "== trace"
		cat "$WORK/trace.txt" 2>/dev/null
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
setup_fail() { echo "test_observe: setup: $*" >&2; exit 2; }

algd_alive() { [ -n "$ALGD_PID" ] && kill -0 "$ALGD_PID" 2>/dev/null; }
nft_rtr() { ftpalg_nsx "$FTPALG_NS_RTR" nft "$@"; }
ctl() { ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$ALGCTL" --socket "$CTL_SOCK" "$@"; }
queue_rules() {
	nft_rtr list chain inet ftp_alg ctl_queue 2>/dev/null |
		grep -cE '[[:space:]]queue([[:space:]]|$)'
}

# One active-mode RETR of mid.bin from the LAN client.
transfer() {
	ftpalg_nsx "$FTPALG_NS_LAN" timeout 60 "$PY" "$HERE/ftpclient.py" \
		--host "$FTPALG_SRV_IP" --case get --mode PORT --file mid.bin \
		--sums "$FTPALG_SUMS" -v >>"$WORK/client.out" 2>&1
}

# stat_is EXPR WANT: the stats --json value of EXPR (Python, on s).
stat_of() {
	ctl stats --json | "$PY" -c '
import json, sys
s = json.load(sys.stdin)
print(eval(sys.argv[1]))' "$1"
}
stat_is() {
	local got
	got=$(stat_of "$1")
	[ "$got" = "$2" ] || { echo "  $1 = $got, want $2"; return 1; }
}
# wait_stat EXPR WANT: within 10s (pinholes are judged once a second)
wait_stat() {
	local i
	for i in $(seq 50); do
		[ "$(stat_of "$1")" = "$2" ] && return 0
		sleep 0.2
	done
	stat_is "$1" "$2"
}

# ---------------------------------------------------------------------------
# Set up: the network, vsftpd, the table, ftp-algd with a config file.

{ [ -x "$ALGD" ] && [ -x "$ALGCTL" ]; } || setup_fail "no $ALGD (build first)"
ftpalg_install_packages || setup_fail "packages"
"$PY" -c 'import prometheus_client' 2>/dev/null ||
	ftpalg_install_packages python3-prometheus-client ||
	setup_fail "python3-prometheus-client"
WORK=$(mktemp -d /tmp/ftpalg-observe.XXXXXX) || setup_fail "mktemp"
CTL_SOCK=$WORK/ctl.sock
CONF=$WORK/algd.conf
ftpalg_files_make "$WORK/files" || setup_fail "files"
ftpalg_topo_up observe >"$WORK/setup.log" 2>&1 ||
	setup_fail "topology: $(tail -n 3 "$WORK/setup.log")"
ftpalg_vsftpd_start srv "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" >>"$WORK/setup.log" 2>&1 ||
	setup_fail "vsftpd"
nft_rtr -f "$FTPALG_NFT_FILE" || setup_fail "nft -f $FTPALG_NFT_FILE"

printf 'log_level = info\nmetrics_listen = 127.0.0.1:9101\n' >"$CONF"
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

# ---------------------------------------------------------------------------
# 1  log-level debug

check "log-level debug is answered" \
	[ "$(ctl log-level debug)" = debug ]
check "log-level with no argument says the level" \
	[ "$(ctl log-level)" = debug ]
check "a bad level is refused" \
	bash -c '! "$@" log-level loud 2>/dev/null' _ \
	ftpalg_nsx "$FTPALG_NS_RTR" "$ALGCTL" --socket "$CTL_SOCK"
check "the change is logged" grep -qF "log level info -> debug" "$WORK/algd.log"

# ---------------------------------------------------------------------------
# 2  trace while a transfer runs

# ip netns exec execs: $! is ftp-algctl itself, which SIGINT must end
ip netns exec "$FTPALG_NS_RTR" "$ALGCTL" --socket "$CTL_SOCK" trace \
	>"$WORK/trace.txt" 2>"$WORK/trace.err" &
TRACE_PID=$!
ip netns exec "$FTPALG_NS_RTR" "$ALGCTL" --socket "$CTL_SOCK" trace --json \
	>"$WORK/trace.json" 2>"$WORK/trace.err" &
JTRACE_PID=$!
sleep 0.5	# both subscribed before the first packet
transfer || bad "the first transfer failed: $(tail -n 3 "$WORK/client.out")"
wait_stat 's["pinholes"]["used"]' 1 >/dev/null
sleep 0.3
kill -INT "$TRACE_PID" "$JTRACE_PID"
rc_t=x rc_j=x
for _ in $(seq 50); do	# 5s: a trace that ignores SIGINT fails
	kill -0 "$TRACE_PID" 2>/dev/null || kill -0 "$JTRACE_PID" 2>/dev/null ||
		break
	sleep 0.1
done
if ! kill -0 "$TRACE_PID" 2>/dev/null && ! kill -0 "$JTRACE_PID" 2>/dev/null; then
	wait "$TRACE_PID"; rc_t=$?
	wait "$JTRACE_PID"; rc_j=$?
	TRACE_PID=''
	JTRACE_PID=''
fi
check "at debug, debug lines are logged" \
	grep -qF "conntrack entry set be-liberal" "$WORK/algd.log"
check "trace ends with status 0 on SIGINT" [ "$rc_t$rc_j" = 00 ]
check "trace shows the client's PORT line" \
	grep -qE '^#[0-9]+ > PORT [0-9]+(,[0-9]+){5}$' "$WORK/trace.txt"
check "trace shows the server's reply lines" \
	grep -qE '^#[0-9]+ < 200 ' "$WORK/trace.txt"
check "trace shows the rewrite" grep -qE '^#[0-9]+ rewrite' "$WORK/trace.txt"
check "trace shows the NAT view" grep -qE '^#[0-9]+ nat client ' "$WORK/trace.txt"
trace_pins() {
	grep -qE "^#[0-9]+ pinhole added " "$WORK/trace.txt" &&
		grep -qE "^#[0-9]+ pinhole used " "$WORK/trace.txt"
}
check "trace shows the pinhole added and used" trace_pins
check "trace --json: every line parses; line, rewrite, pinhole events" \
	"$PY" - "$WORK/trace.json" <<'PYEOF'
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
lines = [e for e in evs if e["event"] == "line"]
rw = [e for e in evs if e["event"] == "rewrite"]
pins = [e["outcome"] for e in evs if e["event"] == "pinhole"]
assert any(e["dir"] == "orig" and e["line"].startswith("PORT ")
           for e in lines), lines
assert any(e["dir"] == "reply" and e["line"].startswith("220")
           for e in lines), lines
assert len(rw) == 1 and rw[0]["kind"] == "PORT", rw
assert rw[0]["line"] != rw[0]["line_new"], rw
assert pins[:2] == ["added", "used"], pins
assert len({e["sid"] for e in evs}) == 1, evs
PYEOF

# ---------------------------------------------------------------------------
# 3  stats

check "stats: one PORT rewrite" stat_is 's["rewrites"]["PORT"]' 1
check "stats: no other rewrite" \
	stat_is 'sum(s["rewrites"].values())' 1
check "stats: one pinhole added, one used" \
	stat_is '(s["pinholes"]["added"], s["pinholes"]["used"])' "(1, 1)"
check "stats: packets both ways" \
	stat_is 's["packets"]["orig"] > 5 and s["packets"]["reply"] > 5' True
check "stats: every packet timed" \
	stat_is 's["packet_processing_seconds"]["count"] == sum(s["packets"].values())' True
check "stats: every packet has a verdict, the PORT one modified" \
	stat_is 'sum(s["verdicts"].values()) == sum(s["packets"].values()) and s["verdicts"]["modified"] >= 1' True
check "stats: the pinhole batch and the NAT query timed" \
	stat_is 's["netlink_seconds"]["nft_batch"]["count"] >= 1 and s["netlink_seconds"]["ctnetlink"]["count"] >= 1' True
check "stats: nothing refused, the kernel lists our queue" \
	stat_is 'sum(s["refusals"].values()) == 0 and s["kernel_queue_bound"] == 1' True
# figures for the record: the timings of this run
ctl stats | grep -E "seconds|^packets|^verdicts" | sed 's/^/info /'
text_rewrites() { ctl stats | grep -qE "^rewrites PORT: +1$"; }
check "stats text has the same rewrite" text_rewrites

# ---------------------------------------------------------------------------
# 4  metrics

ctl metrics >"$WORK/metrics.txt"
check "metrics: parsed by the Prometheus text parser, same numbers" \
	"$PY" - "$WORK/metrics.txt" <<'PYEOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
def val(fam, suffix="", **labels):
    for s in fams[fam].samples:
        if s.name == fam + suffix and all(s.labels.get(k) == v
                                          for k, v in labels.items()):
            return s.value
    raise KeyError((fam, suffix, labels))
assert fams["ftp_alg_rewrites"].type == "counter"
assert val("ftp_alg_rewrites", "_total", kind="PORT", worker="0") == 1
assert val("ftp_alg_pinholes", "_total", outcome="added") == 1
assert val("ftp_alg_pinholes", "_total", outcome="used") == 1
h = fams["ftp_alg_packet_processing_seconds"]
assert h.type == "histogram"
pk = sum(s.value for s in fams["ftp_alg_packets"].samples)
assert val("ftp_alg_packet_processing_seconds", "_count") == pk, pk
assert val("ftp_alg_packet_processing_seconds", "_bucket", le="+Inf") == pk
assert fams["ftp_alg_sessions"].type == "gauge"
PYEOF

# The listener: the same families over HTTP; other paths 404.
http_get() {
	ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$PY" -c '
import sys, urllib.request, urllib.error
try:
    r = urllib.request.urlopen("http://127.0.0.1:9101" + sys.argv[1], timeout=5)
    print(r.status, r.headers["Content-Type"])
    sys.stdout.write(r.read().decode())
except urllib.error.HTTPError as e:
    print(e.code)' "$1"
}
http_get /metrics >"$WORK/http.txt"
check "metrics_listen: GET /metrics is 200, format 0.0.4" \
	grep -qx "200 text/plain; version=0.0.4; charset=utf-8" "$WORK/http.txt"
check "metrics_listen: the same counters as ftp-algctl metrics" \
	"$PY" - "$WORK/http.txt" "$WORK/metrics.txt" <<'PYEOF'
import sys
from prometheus_client.parser import text_string_to_metric_families
def fams(text):
    return {f.name: f for f in text_string_to_metric_families(text)}
http = open(sys.argv[1]).read().split("\n", 1)[1]
a, b = fams(http), fams(open(sys.argv[2]).read())
assert set(a) == set(b), set(a) ^ set(b)
for n in ("ftp_alg_rewrites", "ftp_alg_pinholes", "ftp_alg_refusals"):
    assert a[n].samples == b[n].samples, n
PYEOF
check "metrics_listen: another path is 404" [ "$(http_get /)" = 404 ]
check "the listener is logged" grep -qF "metrics: GET /metrics on 127.0.0.1:9101" "$WORK/algd.log"

# ---------------------------------------------------------------------------
# 5  log-level warning: a quiet second transfer; status says so

check "log-level warning is answered" [ "$(ctl log-level warning)" = warning ]
mark=$(wc -l <"$WORK/algd.log")
transfer || bad "the second transfer failed: $(tail -n 3 "$WORK/client.out")"
wait_stat 's["pinholes"]["used"]' 2 >/dev/null
check "the second transfer went through the ALG" \
	stat_is 's["rewrites"]["PORT"]' 2
quiet_since() { ! tail -n +"$(($1 + 1))" "$WORK/algd.log" | grep -q "pinhole added"; }
check "at warning, no info line is logged" quiet_since "$mark"
status_level() {
	ctl status | grep -qE "^  log_level +warning \(configured info\)$"
}
status_json_config() {
	ctl status --json | "$PY" -c '
import json, sys
c = json.load(sys.stdin)["config"]
assert c["log_level"] == "warning" and c["queue"] == "0", c
assert c["control_ports"] == "21" and len(c) >= 12, c'
}
check "status shows log_level in force and as configured" status_level
check "status --json has every key" status_json_config
check "ftp-algd still runs" algd_alive

echo "observe: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
