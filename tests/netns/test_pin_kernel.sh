#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# nft/pin.c and nft/ruleset.c against the real kernel, in a network
# namespace this script makes and deletes itself: pinholes, NAT mappings,
# queue rules and ruleset_check_table, each step done by pin_probe and looked
# at with nft.
#
# usage: test_pin_kernel.sh PIN_PROBE [FTP_ALG_NFT]
# Needs root and nft; a missing prerequisite is a failure, not a skip.

set -u

probe=${1:?usage: test_pin_kernel.sh PIN_PROBE [FTP_ALG_NFT]}
nftfile=${2:-$(dirname "$0")/../../deploy/ftp-alg.nft}
ns=ftpalg-pin-$$
fails=0

if [ "$(id -u)" != 0 ]; then
	echo "FAIL: needs root (network namespaces, nftables)"
	exit 1
fi
for tool in ip nft; do
	if ! command -v "$tool" >/dev/null; then
		echo "FAIL: $tool not found (tests/run.sh installs it)"
		exit 1
	fi
done
if [ ! -x "$probe" ] || [ ! -r "$nftfile" ]; then
	echo "FAIL: no probe at $probe or no ruleset at $nftfile"
	exit 1
fi

cleanup() {
	ip netns del "$ns" 2>/dev/null
}
# EXIT runs on every way out; a signal becomes an exit so it runs too.
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if ! ip netns add "$ns"; then
	echo "FAIL: cannot create network namespace $ns"
	exit 1
fi

in_ns() {
	ip netns exec "$ns" "$@"
}

pass() {
	echo "ok: $*"
}

fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}

# One step of pin_probe; it prints its own checks.
step() {
	echo "-- pin_probe $*"
	in_ns "$probe" "$@" || fails=$((fails + 1))
}

# nft's listing of one object. Listing a rule with an xtables target in an
# inet table makes libxtables complain on stderr: not our concern here.
listing() {
	in_ns nft list "$@" 2>/dev/null
}

load() {
	if in_ns nft -f "$nftfile"; then
		pass "nft -f $nftfile"
	else
		fail "nft -f $nftfile"
	fi
}

# expect_in "what" pattern object...: the listing matches the ERE.
expect_in() {
	local what=$1 pat=$2
	shift 2
	if listing "$@" | grep -Eq -- "$pat"; then
		pass "$what"
	else
		fail "$what: no /$pat/ in 'nft list $*':"
		listing "$@" | sed 's/^/	/'
	fi
}

# expect_no_elements set|map name
expect_no_elements() {
	if listing "$1" inet ftp_alg "$2" | grep -q 'elements'; then
		fail "$1 $2 still holds elements:"
		listing "$1" inet ftp_alg "$2" | sed 's/^/	/'
	else
		pass "$1 $2 is empty"
	fi
}

expect_all_empty() {
	expect_no_elements set pin4
	expect_no_elements set pin6
	expect_no_elements map dnat4
	expect_no_elements map snat4
}

# Rules that queue to queue 0: the xtables target is listed as
# "queue num 0 bypass", the native expression by newer nft as
# "queue flags bypass to 0".
queue_rules() {
	listing chain inet ftp_alg ctl_queue |
		grep -Ec 'queue (num 0 bypass|flags bypass to 0)'
}

expect_queue_rules() {
	local n
	n=$(queue_rules)
	if [ "$n" = "$1" ]; then
		pass "chain ctl_queue holds $1 queue rule(s)"
	else
		fail "chain ctl_queue holds $n queue rule(s), want $1:"
		listing chain inet ftp_alg ctl_queue | sed 's/^/	/'
	fi
}

echo "== ruleset_check_table before the ruleset is loaded"
step check-missing "table inet ftp_alg"

echo "== load deploy/ftp-alg.nft"
load
step check

echo "== pin_add: IPv4 pinhole with its NAT mapping, IPv6 pinhole"
step add
expect_in "pin4 holds the IPv4 pinhole with a 1m timeout" \
	'192\.0\.2\.10 \. 10\.0\.0\.5 \. 50001 timeout 1m expires' \
	set inet ftp_alg pin4
dnat4_elem='192\.0\.2\.10 \. 198\.51\.100\.1 \. 40001 timeout 1m expires'
dnat4_elem+=' [^:]*: 10\.0\.0\.5 \. 50001'
expect_in "dnat4 maps the wire side to the target with a 1m timeout" \
	"$dnat4_elem" map inet ftp_alg dnat4
expect_in "pin6 holds the IPv6 pinhole with a 1m30s timeout" \
	'2001:db8::10 \. 2001:db8:1::5 \. 50002 timeout 1m30s expires' \
	set inet ftp_alg pin6

echo "== pin_del after the data connection consumed the IPv4 pinhole"
if in_ns nft delete element inet ftp_alg pin4 \
	'{ 192.0.2.10 . 10.0.0.5 . 50001 }'; then
	pass "pin4 element deleted behind the library's back"
else
	fail "nft delete element inet ftp_alg pin4"
fi
step present 0 1
step del
expect_all_empty

echo "== pin_add: a DMZ server's active-mode pinhole and its source mapping"
step snat-add
snat4_elem='10\.0\.0\.5 \. 192\.0\.2\.10 \. 50003 timeout 1m expires'
snat4_elem+=' [^:]*: 203\.0\.113\.5'
expect_in "snat4 maps the pinhole's key to the public address with a 1m timeout" \
	"$snat4_elem" map inet ftp_alg snat4
expect_in "pin_snat applies snat4 to connections that consumed a pinhole" \
	'ct mark & 0x00f70000 == 0x00f70000 snat ip to ip saddr . ip daddr . tcp dport map @snat4' \
	chain inet ftp_alg pin_snat
if in_ns nft delete element inet ftp_alg snat4 \
	'{ 10.0.0.5 . 192.0.2.10 . 50003 }'; then
	pass "snat4 element deleted behind the library's back"
else
	fail "nft delete element inet ftp_alg snat4"
fi
step snat-present 1 0
step snat-add
if in_ns nft delete element inet ftp_alg pin4 \
	'{ 10.0.0.5 . 192.0.2.10 . 50003 }'; then
	pass "its pinhole consumed behind the library's back"
else
	fail "nft delete element inet ftp_alg pin4 (snat entry)"
fi
step snat-present 0 1
step snat-del
expect_all_empty

echo "== pin_destroy: a consumed source-mapped pinhole takes its snat4 mapping along"
step snat-add
if in_ns nft delete element inet ftp_alg pin4 \
	'{ 10.0.0.5 . 192.0.2.10 . 50003 }'; then
	pass "its pinhole consumed behind the library's back"
else
	fail "nft delete element inet ftp_alg pin4 (snat entry, destroy)"
fi
step snat-destroy
expect_all_empty

echo "== pin_destroy after the data connection consumed the IPv4 pinhole"
step add
if in_ns nft delete element inet ftp_alg pin4 \
	'{ 192.0.2.10 . 10.0.0.5 . 50001 }'; then
	pass "pin4 element deleted behind the library's back"
else
	fail "nft delete element inet ftp_alg pin4"
fi
step destroy
expect_all_empty

echo "== pin_sweep"
step add
step sweep
expect_all_empty
step snat-add
step sweep
expect_all_empty

echo "== one batch of 2000 entries (4000 messages, 4000 acks)"
step add-many 2000
step sweep
expect_all_empty

echo "== usedp4: 100 noted elements, 200 questions in sends of 64"
elems=$(for k in $(seq 0 99); do
	printf '192.0.2.10 . 10.0.0.5 . %d : %d, ' $((50001 + k)) $((30000 + k))
done)
if in_ns nft add element inet ftp_alg usedp4 "{ ${elems%, } }"; then
	pass "nft add element inet ftp_alg usedp4 (100)"
else
	fail "nft add element inet ftp_alg usedp4 (100)"
fi
step used-many 100
in_ns nft flush map inet ftp_alg usedp4

echo "== ruleset_queue_install"
out=$(in_ns "$probe" queue-install)
rc=$?
echo "-- pin_probe queue-install"
echo "$out" | grep -v '^native='
[ $rc = 0 ] || fails=$((fails + 1))
native=$(echo "$out" | sed -n 's/^native=//p')
if zcat /proc/config.gz 2>/dev/null |
	grep -q '^# CONFIG_NFT_QUEUE is not set'; then
	if [ "$native" = 0 ]; then
		pass "no nft_queue in this kernel: fell back to xt NFQUEUE"
	else
		fail "no nft_queue in this kernel, yet native=$native"
	fi
fi
expect_queue_rules 2
expect_in "rule on tcp dport @ctl_ports" 'tcp dport @ctl_ports ct state ! invalid queue' \
	chain inet ftp_alg ctl_queue
expect_in "rule on tcp sport @ctl_ports" 'tcp sport @ctl_ports ct state ! invalid queue' \
	chain inet ftp_alg ctl_queue
step queue-install
expect_queue_rules 2
echo "== loading the ruleset again keeps the queue rules"
load
expect_queue_rules 2
step check

echo "== ruleset_queue_remove"
step queue-remove
expect_queue_rules 0

echo "== ruleset_check_table with objects missing or of another type"
# ctl_hook jumps to ctl_queue: it goes first
in_ns nft delete chain inet ftp_alg ctl_hook
step check-missing "chain ctl_hook"
in_ns nft delete chain inet ftp_alg ctl_queue
step check-missing "chain ctl_queue"
load
# pin_fwd and pin_catch refer to pin6: empty them before deleting the set
in_ns nft flush chain inet ftp_alg pin_fwd
in_ns nft flush chain inet ftp_alg pin_catch
in_ns nft delete set inet ftp_alg pin6
step check-missing "set pin6"
load
in_ns nft flush chain inet ftp_alg pin_fwd
in_ns nft flush chain inet ftp_alg pin_catch
in_ns nft delete set inet ftp_alg pin4
in_ns nft add set inet ftp_alg pin4 \
	'{ type ipv4_addr . inet_service; flags timeout; }'
step check-invalid "set pin4"
in_ns nft delete table inet ftp_alg
step check-missing "table inet ftp_alg"

echo
if [ $fails = 0 ]; then
	echo "PASS: test_pin_kernel"
	exit 0
fi
echo "FAIL: test_pin_kernel: $fails failure(s)"
exit 1
