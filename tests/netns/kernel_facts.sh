#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The kernel and nftables facts ftp-alg relies on or designs around, checked
# on this machine in a network namespace this script makes and deletes
# itself. docs/kernel-facts.md explains each fact and the code that
# handles it.
#
# usage: bash tests/netns/kernel_facts.sh
#
# Prints one line per fact, "fact: <name>: <state>", then
#	kernel facts: N required ok, M required missing
# A required fact's state is "ok" or "MISSING", with details in
# parentheses; the script exits non-zero only when one is missing (or the
# checks cannot run at all: not root, a tool missing). Informational facts
# (kernel options, costs, nft quirks) never fail. Every check runs; a
# missing tool is a failure, not a skip. Traffic stays on the loopback
# device of the namespace.

set -u

here=$(cd "$(dirname "$0")" && pwd)
nlprobe=$here/kernel_facts_nl.py
PY=/usr/bin/python3
ns=ftpalg-facts-$$
tmp=
req_ok=0
req_missing=0
bg_pids=()

fact() {
	printf 'fact: %s: %s\n' "$1" "$2"
}

# required NAME ok|missing [DETAIL]
required() {
	if [ "$2" = ok ]; then
		req_ok=$((req_ok + 1))
		fact "$1" "ok${3:+ ($3)}"
	else
		req_missing=$((req_missing + 1))
		fact "$1" "MISSING${3:+ ($3)}"
	fi
}

summary() {
	echo "kernel facts: $req_ok required ok, $req_missing required missing"
}

cleanup() {
	local p
	for p in "${bg_pids[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	ip netns del "$ns" 2>/dev/null
	[ -n "$tmp" ] && rm -rf "$tmp"
}
# EXIT runs on every way out; a signal becomes an exit so it runs too.
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# ---- can the checks run at all? --------------------------------------

if [ "$(id -u)" != 0 ]; then
	required root missing "network namespaces, nftables, ctnetlink"
	summary
	exit 1
fi
tools_ok=1
for tool in ip nft conntrack tc timeout stdbuf zcat "$PY"; do
	if ! command -v "$tool" >/dev/null; then
		required "tool-$tool" missing "not installed"
		tools_ok=0
	fi
done
if [ ! -r "$nlprobe" ]; then
	required tool-kernel_facts_nl.py missing "no $nlprobe"
	tools_ok=0
fi
if [ $tools_ok = 0 ]; then
	summary
	exit 1
fi

# A run killed outright (SIGKILL) cannot clean up: remove the namespaces
# and temporary directories of earlier runs whose process is gone.
tmproot=${TMPDIR:-/tmp}
ip netns list 2>/dev/null | sed -n 's/^\(ftpalg-facts-[0-9]*\).*/\1/p' |
	while read -r old; do
		kill -0 "${old#ftpalg-facts-}" 2>/dev/null ||
			ip netns del "$old" 2>/dev/null
	done
for old in "$tmproot"/ftpalg-facts-[0-9]*.*; do
	[ -d "$old" ] || continue
	pid=${old##*/ftpalg-facts-}
	kill -0 "${pid%%.*}" 2>/dev/null || rm -rf "$old"
done

if ! tmp=$(mktemp -d "$tmproot/ftpalg-facts-$$.XXXXXX"); then
	required tmpdir missing "mktemp -d failed"
	summary
	exit 1
fi
if ! ip netns add "$ns" || ! ip -n "$ns" link set lo up; then
	required netns missing "ip netns add $ns failed"
	summary
	exit 1
fi

in_ns() {
	ip netns exec "$ns" "$@"
}

# The probe's output, errors included, on one line.
nlp() {
	in_ns timeout 20 "$PY" "$nlprobe" "$@" 2>&1 | tr '\n' ' ' |
		sed 's/ *$//'
	return "${PIPESTATUS[0]}"
}

# The first error nft wrote to stderr, without its "Error: " prefix and
# the spelling hints nft adds to ENOENT.
first_error() {
	sed -n "s/^.*Error: //p" "$1" | head -n 1 | sed 's/; did you mean .*//'
}

# ---- kernel options (informational) ----------------------------------

config_state() {
	local line
	if [ ! -r /proc/config.gz ]; then
		echo "unknown (no /proc/config.gz)"
		return
	fi
	line=$(zcat /proc/config.gz | grep -E "^(# )?$1( is not set|=)")
	case $line in
	"$1=y")	echo "y (built in)" ;;
	"$1=m")	echo "m (module)" ;;
	"# $1 is not set") echo "not set" ;;
	"")	echo "not set (absent from the config: dependencies not met)" ;;
	*)	echo "${line#"$1"=}" ;;
	esac
}

for opt in CONFIG_NFT_QUEUE CONFIG_NFT_COMPAT \
	CONFIG_NETFILTER_XT_TARGET_NFQUEUE CONFIG_NETFILTER_NETLINK_GLUE_CT \
	CONFIG_NF_CT_NETLINK_HELPER CONFIG_NET_SCH_NETEM CONFIG_NF_FLOW_TABLE; do
	fact "$opt" "$(config_state "$opt")"
done

# ---- nftables in the namespace ---------------------------------------

# kf: the shapes of deploy/ftp-alg.nft (pin4, dnat4, a pinhole rule),
# on the output hook so that loopback traffic of this namespace uses them.
if in_ns nft -f - 2>"$tmp/err" <<'EOF'
table inet kf {
	set pin4 {
		type ipv4_addr . ipv4_addr . inet_service
		size 65535
		flags dynamic,timeout
	}
	map dnat4 {
		type ipv4_addr . ipv4_addr . inet_service : ipv4_addr . inet_service
		flags timeout
	}
	chain nat_out {
		type nat hook output priority -100; policy accept;
	}
	chain pin_out {
		type filter hook output priority filter; policy accept;
	}
}
EOF
then
	required nft-inet-table ok "sets, a map, nat and filter base chains"
else
	required nft-inet-table missing "$(first_error "$tmp/err")"
fi

# ---- the queue path --------------------------------------------------

# kf_q: output chain -> chain q, which holds one queue rule at a time.
in_ns nft -f - 2>"$tmp/err" <<'EOF'
table inet kf_q {
	chain out {
		type filter hook output priority filter; policy accept;
		udp dport 9007 jump q
	}
	chain q {
	}
}
EOF

# queue_try NAME: packets really go through the rule in chain q
queue_try() {
	local out
	if out=$(nlp nfq-pass 7 9007); then
		fact "$1" "works (rule accepted; $out)"
		return 0
	fi
	fact "$1" "rule accepted, but packets do not pass a reader ($out)"
	return 1
}

# queue-native: nft's own "queue" statement, the nft_queue expression
native=0 xt=0
in_ns nft flush chain inet kf_q q 2>/dev/null
if in_ns nft add rule inet kf_q q queue num 7 bypass 2>"$tmp/err"; then
	queue_try queue-native && native=1
else
	fact queue-native "absent (rule refused: $(first_error "$tmp/err"))"
fi
# queue-xt: the xtables NFQUEUE target through nft_compat, as
# nft/ruleset.c builds it
in_ns nft flush chain inet kf_q q 2>/dev/null
if out=$(nlp xt-queue-rule kf_q q 7); then
	queue_try queue-xt && xt=1
else
	fact queue-xt "absent (rule refused: $out)"
fi
case $native$xt in
11)	required queue-path ok "native and xt; ftp-algd uses native" ;;
10)	required queue-path ok "native queue expression" ;;
01)	required queue-path ok "xt NFQUEUE fallback" ;;
*)	required queue-path missing "neither queues packets" ;;
esac

# What nft makes of the xt rule: listing warnings, and loading the listing.
if [ $xt = 1 ]; then
	in_ns nft list table inet kf_q >"$tmp/saved.nft" 2>"$tmp/listerr"
	warn=$(grep -c -e 'managed by iptables-nft' -e 'libxtables' \
		"$tmp/listerr")
	if [ "$warn" -gt 0 ]; then
		fact nft-list-xt "warns on stderr: $(tr '\n' ';' \
			<"$tmp/listerr" | sed 's/;$//')"
	else
		fact nft-list-xt "no warnings"
	fi
	in_ns nft delete table inet kf_q
	if in_ns nft -f "$tmp/saved.nft" 2>"$tmp/err"; then
		fact nft-reload-xt-listing \
			"loads (queue num 7 bypass becomes the native expression)"
	else
		# nft shows the failing line after the error
		at=$(sed -n '/Error: /{n;p;q}' "$tmp/err" | sed 's/^[[:space:]]*//')
		fact nft-reload-xt-listing \
			"fails ($(first_error "$tmp/err"), at: $at)"
	fi
fi
in_ns nft delete table inet kf_q 2>/dev/null

# NFQA_CT with queued packets needs CONFIG_NETFILTER_NETLINK_GLUE_CT.
out=$(nlp nfq-ct 8)
case $out in
accepted) fact nfqa-ct "available (bind with NFQA_CFG_F_CONNTRACK accepted)" ;;
*)	fact nfqa-ct "not available (bind with NFQA_CFG_F_CONNTRACK: $out)" ;;
esac

# ---- sets with concatenations and timeouts ---------------------------

if in_ns nft add element inet kf pin4 '{ 192.0.2.1 . 192.0.2.2 . 50000 '\
'timeout 1s, 192.0.2.1 . 192.0.2.2 . 50001 timeout 1m }' 2>"$tmp/err"; then
	sleep 2
	in_ns nft list set inet kf pin4 >"$tmp/set" 2>&1
	if ! grep -q '50000' "$tmp/set" &&
	   grep -Eq '192\.0\.2\.1 \. 192\.0\.2\.2 \. 50001 timeout 1m expires' \
		"$tmp/set"; then
		required set-concat-timeout ok \
			"after 2s the 1s element is gone, the 1m one is there"
	else
		required set-concat-timeout missing \
			"after 2s: $(tr '\n\t' '  ' <"$tmp/set")"
	fi
	in_ns nft flush set inet kf pin4
else
	required set-concat-timeout missing "$(first_error "$tmp/err")"
fi

# ---- dnat map, delete from the packet path, ctnetlink ----------------

# One connection 127.0.0.1:40021 -> 127.0.0.1:9021: dnat4 sends it to port
# 9022, the pinhole rule consumes the element for 127.0.0.1:9022 on the way.
dnat_rule_ok=0 del_rule_ok=0
if in_ns nft add rule inet kf nat_out meta nfproto ipv4 \
	'tcp flags & (syn | ack) == syn' \
	dnat ip to ip saddr . ip daddr . tcp dport map @dnat4 2>"$tmp/err"; then
	dnat_rule_ok=1
else
	dnat_err=$(first_error "$tmp/err")
fi
if in_ns nft add rule inet kf pin_out ct state new meta nfproto ipv4 \
	ip saddr . ip daddr . tcp dport @pin4 \
	delete @pin4 '{ ip saddr . ip daddr . tcp dport }' counter accept \
	2>"$tmp/err"; then
	del_rule_ok=1
else
	del_err=$(first_error "$tmp/err")
fi
in_ns nft add element inet kf dnat4 \
	'{ 127.0.0.1 . 127.0.0.1 . 9021 timeout 1m : 127.0.0.1 . 9022 }' \
	2>/dev/null
in_ns nft add element inet kf pin4 \
	'{ 127.0.0.1 . 127.0.0.1 . 9022 timeout 1m }' 2>/dev/null
# Destroy events. With net.netfilter.nf_conntrack_events=2 (the default)
# an entry gets events only if a ctnetlink event listener existed when it
# was created; the kernel keeps that flag for the whole host, not per
# namespace. Make one entry before our listener starts and one after.
nlp udp-probe 9200 >/dev/null
# ip netns exec execs timeout, so $! is timeout, which passes a kill on to
# conntrack; stdbuf makes conntrack write each event as it comes.
ip netns exec "$ns" timeout 20 stdbuf -oL conntrack -E -e DESTROY \
	>"$tmp/events" 2>&1 &
ev_pid=$!
bg_pids+=("$ev_pid")
sleep 0.5

probe=$(in_ns timeout 20 "$PY" "$nlprobe" ct-probe 9022 9021 40021 2>&1)
line() {
	printf '%s\n' "$probe" | sed -n "s/^$1: //p" | head -n 1
}

if [ $dnat_rule_ok = 1 ] && line connect | grep -q 'reached the listener'
then
	required dnat-map-concat ok \
		"a connection to 127.0.0.1:9021 reached port 9022"
elif [ $dnat_rule_ok = 1 ]; then
	required dnat-map-concat missing \
		"rule accepted; $(printf '%s\n' "$probe" | head -n 1)"
else
	required dnat-map-concat missing "rule refused: $dnat_err"
fi

if [ $del_rule_ok = 1 ]; then
	in_ns nft list set inet kf pin4 >"$tmp/set" 2>&1
	in_ns nft list chain inet kf pin_out >"$tmp/chain" 2>&1
	if ! grep -q '9022' "$tmp/set" &&
	   grep -q 'counter packets 1 ' "$tmp/chain"; then
		required set-delete-in-rule ok \
			"the connection consumed its element, rule matched once"
	else
		required set-delete-in-rule missing \
			"element still there or rule never matched"
	fi
else
	required set-delete-in-rule missing "rule refused: $del_err"
fi

if in_ns conntrack -L >/dev/null 2>"$tmp/err"; then
	required ctnetlink-list ok "conntrack -L"
else
	required ctnetlink-list missing "$(head -n 1 "$tmp/err")"
fi

if line lookup | grep -q '^reply tuple 127\.0\.0\.1:9022 '; then
	required ctnetlink-nat-lookup ok "$(line lookup)"
else
	required ctnetlink-nat-lookup missing "$(line lookup)"
fi

if line liberal | grep -q '^update ok'; then
	lib_state=ok
else
	lib_state=missing
fi
required ctnetlink-be-liberal "$lib_state" "$(line liberal)"

in_ns conntrack -D -p tcp -s 127.0.0.1 -d 127.0.0.1 --sport 40021 \
	--dport 9021 >/dev/null 2>"$tmp/err"
old_del=0
in_ns conntrack -D -p udp -d 127.0.0.1 --dport 9200 2>&1 |
	grep -q '^conntrack.* [1-9][0-9]* flow entries have been deleted' &&
	old_del=1
for _ in $(seq 30); do
	grep -q 'sport=40021' "$tmp/events" && break
	sleep 0.1
done
sleep 0.2
kill "$ev_pid" 2>/dev/null
wait "$ev_pid" 2>/dev/null
if grep -q 'DESTROY.*sport=40021' "$tmp/events"; then
	required ctnetlink-destroy-events ok "conntrack -E saw conntrack -D"
else
	required ctnetlink-destroy-events missing \
		"$(head -n 1 "$tmp/events") $(head -n 1 "$tmp/err")"
fi

if [ $old_del = 0 ]; then
	old_ev="not checked (no entry to delete)"
elif grep -q 'DESTROY.*dport=9200' "$tmp/events"; then
	old_ev="seen (another event listener ran somewhere on the host)"
else
	old_ev="none"
fi
sysctl_nf() {
	in_ns cat "/proc/sys/net/netfilter/$1" 2>&1
}
fact destroy-event-older-entry \
	"$old_ev (nf_conntrack_events=$(sysctl_nf nf_conntrack_events))"

lib=$(sysctl_nf nf_conntrack_tcp_be_liberal)
fact tcp-be-liberal-sysctl "nf_conntrack_tcp_be_liberal=$lib in a new netns"

# ---- what deleting a missing element costs ---------------------------

if out=$(nlp del-cost kf pin4 50); then
	fact delete-batch-cost "$out"
else
	fact delete-batch-cost "not measured ($out)"
fi

# ---- what a batch answers (nft/batch.c: NLM_F_ACK on the last only) --

if out=$(nlp batch-acks kf pin4); then
	required batch-acks ok "$out"
else
	required batch-acks missing "$out"
fi

# ---- userspace helpers, kernel helper --------------------------------

out=$(nlp cthelper-list)
fact userspace-helpers "nfnetlink_cthelper: $out"

if in_ns nft add ct helper inet kf ftp-std \
	'{ type "ftp" protocol tcp; }' 2>"$tmp/err"; then
	fact kernel-ftp-helper "available (ct helper type \"ftp\")"
else
	fact kernel-ftp-helper "absent ($(first_error "$tmp/err"))"
fi

# Kernel expectations from userspace (what a pinhole could otherwise be):
# ctnetlink creates one only for a master that has a helper. Two held
# connections, to port 9031 with the kernel FTP helper, to 9032 without.
in_ns nft add rule inet kf pin_out tcp dport 9031 ct helper set '"ftp-std"' \
	2>/dev/null
for port in 9031 9032; do
	ip netns exec "$ns" timeout 20 "$PY" "$nlprobe" tcp-hold "$port" \
		$((port + 31000)) 15 >"$tmp/hold-$port" 2>&1 &
	bg_pids+=("$!")
done
for _ in $(seq 30); do
	grep -q up "$tmp/hold-9031" && grep -q up "$tmp/hold-9032" && break
	sleep 0.1
done
# expect_on PORT: conntrack -I expect for a data port on that master
expect_on() {
	if in_ns conntrack -I expect -p tcp -s 127.0.0.1 -d 127.0.0.1 \
		--sport $(($1 + 31000)) --dport "$1" \
		--tuple-src 127.0.0.1 --tuple-dst 127.0.0.1 \
		--tuple-port-src 0 --tuple-port-dst 5000 \
		--mask-src 255.255.255.255 --mask-dst 255.255.255.255 \
		--mask-port-src 0 --mask-port-dst 65535 -t 30 \
		>/dev/null 2>"$tmp/err"; then
		echo "accepted"
	else
		echo "refused ($(sed 's/^conntrack v[^:]*: //' "$tmp/err" |
			head -n 1))"
	fi
}
fact expect-without-helper "$(expect_on 9032)"
fact expect-with-kernel-helper "$(expect_on 9031)"

# ---- nft names and hooks ---------------------------------------------

if in_ns nft add chain inet kf fwd 2>"$tmp/err"; then
	fact fwd-keyword "no: a chain named fwd was accepted"
else
	fact fwd-keyword "yes: a chain named fwd is refused ($(first_error \
		"$tmp/err"))"
fi

# Two tables on the output hook: an accept in one, a drop in the other.
in_ns nft -f - 2>"$tmp/err" <<'EOF'
table inet kf_ours {
	chain out {
		type filter hook output priority filter - 5; policy accept;
		udp dport 9100 ct mark set ct mark | 0x00f70000 accept
		udp dport 9101 accept
	}
}
table inet kf_admin {
	chain out {
		type filter hook output priority filter; policy accept;
		udp dport 9100 ct mark & 0x00f70000 == 0x00f70000 accept
		udp dport { 9100, 9101 } drop
	}
}
EOF
if nlp udp-probe 9101 >/dev/null; then
	plain="passes"
else
	plain="dropped by the other table"
fi
if nlp udp-probe 9100 >/dev/null; then
	marked="passes"
else
	marked="dropped"
fi
fact base-chains-all-evaluated \
	"accept here, drop there: $plain; with a mark they accept: $marked"

# ---- a verdict map of pairs, with timeouts (several queues) -----------

# maps peerq4/peerq6: pair -> "jump catch_q<i>"; an element holds its
# chain (which cannot be deleted then), and a destroy + add in one
# transaction moves a pair to another chain
vm_ok=0
if in_ns nft -f - 2>"$tmp/err" <<'EOF'
table inet kf_vm {
	map peerq4 { type ipv4_addr . ipv4_addr : verdict; flags timeout; }
	chain q0 {
		udp dport 9300 counter
	}
	chain q1 {
		udp dport 9300 counter
	}
	chain out {
		type filter hook output priority filter; policy accept;
		meta nfproto ipv4 ip saddr . ip daddr vmap @peerq4
	}
}
add element inet kf_vm peerq4 { 127.0.0.1 . 127.0.0.1 timeout 1m : jump q1 }
EOF
then
	vm_ok=1
fi
if [ $vm_ok = 1 ]; then
	nlp udp-probe 9300 >/dev/null
	in_ns nft list chain inet kf_vm q1 >"$tmp/q1" 2>&1
	if in_ns nft delete chain inet kf_vm q1 2>"$tmp/del"; then
		busy="deleted"
	else
		busy=$(first_error "$tmp/del")
	fi
	in_ns nft -f - 2>"$tmp/mv" <<'EOF'
delete element inet kf_vm peerq4 { 127.0.0.1 . 127.0.0.1 }
add element inet kf_vm peerq4 { 127.0.0.1 . 127.0.0.1 timeout 1m : jump q0 }
EOF
	mv_rc=$?
	nlp udp-probe 9300 >/dev/null
	in_ns nft list chain inet kf_vm q0 >"$tmp/q0" 2>&1
	if grep -q 'counter packets 1 ' "$tmp/q1" &&
	   grep -q 'counter packets 1 ' "$tmp/q0" && [ $mv_rc = 0 ] &&
	   [ "$busy" != deleted ]; then
		required vmap-jump-timeout ok "the pair's packet ran its chain; delete chain while referenced: $busy; moved to another chain in one transaction"
	else
		required vmap-jump-timeout missing "q1: $(grep -o 'counter.*' "$tmp/q1"); q0: $(grep -o 'counter.*' "$tmp/q0"); delete: $busy; move rc $mv_rc $(first_error "$tmp/mv")"
	fi
else
	required vmap-jump-timeout missing "refused: $(first_error "$tmp/err")"
fi

# ---- segments without payload, by shape (sets pure_ack4/pure_ack6) ---

# ftp-algd's pure-ACK rules look up IP length . TCP byte 12 in sets of
# deploy/ftp-alg.nft: on a real connection (loopback, both families,
# timestamps on as by default) the lookup must take every segment
# without payload, flags ACK only, and no segment carrying data.
# Counted on the client's side (output, to the server port): its SYN,
# 3 data segments (sent apart, TCP_NODELAY), its FIN; the rest are ACKs.
pa_def=$here/../../deploy/ftp-alg.nft
pa_res=
pa_bad=0
if in_ns nft -f "$pa_def" 2>"$tmp/err" && in_ns nft -f - 2>"$tmp/err" <<'EOF'
table inet ftp_alg {
	chain kf_pa {
		type filter hook output priority filter; policy accept;
		meta nfproto ipv4 tcp dport 9400 counter
		meta nfproto ipv6 tcp dport 9400 counter
		tcp dport 9400 tcp flags & (fin | syn | rst | ack) == ack meta nfproto ipv4 ip length . @th,96,8 @pure_ack4 counter
		tcp dport 9400 tcp flags & (fin | syn | rst | ack) == ack meta nfproto ipv6 ip6 nexthdr tcp ip6 length . @th,96,8 @pure_ack6 counter
	}
}
EOF
then
	for fam in 4 6; do
		in_ns timeout 20 "$PY" - "$fam" >"$tmp/pa$fam" 2>&1 <<'EOF'
import socket, sys, threading, time
fam = socket.AF_INET if sys.argv[1] == "4" else socket.AF_INET6
host = "127.0.0.1" if sys.argv[1] == "4" else "::1"
ls = socket.socket(fam, socket.SOCK_STREAM)
ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
ls.bind((host, 9400))
ls.listen(1)
def serve():
    c, _ = ls.accept()
    while True:
        b = c.recv(65536)
        if not b:
            break
        c.sendall(b * 2)
    c.close()
t = threading.Thread(target=serve)
t.start()
s = socket.create_connection((host, 9400))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for n in (1, 100, 1000):
    s.sendall(b"x" * n)
    got = 0
    while got < 2 * n:
        got += len(s.recv(65536))
    time.sleep(0.05)
s.shutdown(socket.SHUT_WR)
s.recv(1)
time.sleep(0.05)
s.close()
t.join()
print("done")
EOF
		in_ns nft list chain inet ftp_alg kf_pa >"$tmp/pac$fam" 2>&1
		all=$(grep "nfproto ipv$fam tcp dport 9400 counter" "$tmp/pac$fam" |
			sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
		pure=$(grep "pure_ack$fam" "$tmp/pac$fam" |
			sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
		pa_res="$pa_res IPv$fam: $all segments, $pure taken;"
		# all - SYN - 3 with data - FIN: the ACKs
		if ! grep -q done "$tmp/pa$fam" || [ -z "$all" ] ||
		   [ -z "$pure" ] || [ "$pure" -lt 1 ] ||
		   [ "$pure" -ne $((all - 5)) ]; then
			pa_res="$pa_res (expected $((${all:-0} - 5)))"
			pa_bad=1
		fi
	done
	if [ $pa_bad = 0 ]; then
		required pure-ack-shape ok "all but the SYN, 3 with data and the FIN:${pa_res%;}"
	else
		required pure-ack-shape missing "${pa_res%;} $(tr '\n' ' ' <"$tmp/pa4") $(tr '\n' ' ' <"$tmp/pa6")"
	fi
	in_ns nft delete table inet ftp_alg 2>/dev/null
else
	required pure-ack-shape missing "refused: $(first_error "$tmp/err")"
fi

# ---- tc netem, flowtables --------------------------------------------

if in_ns tc qdisc add dev lo root netem delay 1ms 2>"$tmp/err"; then
	fact netem "available"
	in_ns tc qdisc del dev lo root 2>/dev/null
else
	fact netem "absent ($(head -n 1 "$tmp/err"))"
fi

if in_ns nft add flowtable inet kf ft \
	'{ hook ingress priority 0; devices = { lo }; }' 2>"$tmp/err"; then
	fact flowtable "available"
else
	fact flowtable "absent ($(first_error "$tmp/err"))"
fi

summary
[ $req_missing = 0 ]
