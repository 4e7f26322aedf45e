# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034  # variables are for the scripts sourcing this
#
# tests/netns/topo.sh: the test network, as a library to source (bash).
#
#   LAN client  10.0.1.2  2001:db8:10::2
#        |  lan 10.0.1.1  2001:db8:10::1
#     router ---- dmz 10.0.2.1 ---- DMZ server 10.0.2.2
#        |  wan 203.0.113.1  2001:db8:1::1
#     switch (a bridge in its own namespace)
#        |-- outside server  203.0.113.10 (vsftpd)  203.0.113.11 (pyftpdlib)
#        |                   2001:db8:1::10          2001:db8:1::11
#        `-- outside client  203.0.113.20
#
# The router runs the administrator's firewall, "table inet admin":
# forward policy drop, LAN out masqueraded (the DMZ too with
# FTPALG_DMZ_MASQUERADE=1), a port forward
# 203.0.113.1:21 -> 10.0.2.2:21, and the admin rule copied verbatim from
# the "# admin-rule: " line of deploy/ftp-alg.nft. Outside hosts have no
# route to 10.0.0.0/8: a data connection that is not NATed dies.
#
# Every name carries a per-run prefix, so runs never share a namespace.
# All traffic stays inside namespaces created here.
#
# Use:
#	source tests/netns/topo.sh
#	ftpalg_topo_up || fail
#	ftpalg_nsx "$FTPALG_NS_LAN" curl ...
#	ftpalg_topo_down		# always: put it in your trap

# What the netns harness and the demo need on a Debian 12 machine.
FTPALG_TEST_PACKAGES="iproute2 iputils-ping nftables iptables conntrack procps \
coreutils vsftpd python3 python3-pyftpdlib lftp curl"

FTPALG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FTPALG_NFT_FILE="$FTPALG_REPO/deploy/ftp-alg.nft"

# Addresses (one place, so cases and demo agree).
FTPALG_LAN_IP=10.0.1.2
FTPALG_LAN_IP6=2001:db8:10::2
FTPALG_RTR_LAN_IP=10.0.1.1
FTPALG_RTR_LAN_IP6=2001:db8:10::1
FTPALG_RTR_WAN_IP=203.0.113.1
FTPALG_RTR_WAN_IP6=2001:db8:1::1
FTPALG_RTR_DMZ_IP=10.0.2.1
FTPALG_SRV_IP=203.0.113.10		# vsftpd
FTPALG_SRV_IP_B=203.0.113.11		# pyftpdlib
FTPALG_SRV_IP6=2001:db8:1::10		# vsftpd
FTPALG_SRV_IP6_B=2001:db8:1::11		# pyftpdlib
FTPALG_OCL_IP=203.0.113.20
FTPALG_OCL_IP6=2001:db8:1::20
FTPALG_DMZ_IP=10.0.2.2
FTPALG_UNROUTABLE_IP=172.16.40.222	# what a misconfigured DMZ server says

FTPALG_NS_LAN='' FTPALG_NS_RTR='' FTPALG_NS_SW='' FTPALG_NS_SRV='' FTPALG_NS_OCL=''
FTPALG_NS_DMZ=
FTPALG_NS_ALL=()

ftpalg_log() { printf '%s\n' "$*" >&2; }

# Run a command inside a namespace.
ftpalg_nsx() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# Which of the needed commands are missing (empty when none).
ftpalg_missing_tools() {
	local missing=() t
	for t in ip nft iptables conntrack sysctl vsftpd lftp curl sha256sum \
		 timeout ss ping; do
		command -v "$t" >/dev/null 2>&1 || missing+=("$t")
	done
	[ -x /usr/bin/python3 ] || missing+=(python3)
	if [ -x /usr/bin/python3 ] &&
	   ! /usr/bin/python3 -c 'import pyftpdlib' 2>/dev/null; then
		missing+=(pyftpdlib)
	fi
	printf '%s\n' "${missing[@]}"
}

# Install FTPALG_TEST_PACKAGES (plus "$@") when anything is missing.
# Installing vsftpd would start the system's own vsftpd on the host's
# port 21; a temporary policy-rc.d keeps it (and any other service) from
# starting, unless the machine already has a policy-rc.d of its own.
ftpalg_install_packages() {
	local extra=("$@") missing rc=0 own_policy=0
	missing=$(ftpalg_missing_tools)
	[ -z "$missing" ] && [ ${#extra[@]} -eq 0 ] && return 0
	[ -n "$missing" ] &&
		ftpalg_log "netns: missing: $(echo "$missing" | tr '\n' ' ')- installing"
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d &&
			chmod 755 /usr/sbin/policy-rc.d && own_policy=1
	fi
	# shellcheck disable=SC2086  # word splitting intended
	{ DEBIAN_FRONTEND=noninteractive apt-get update -q &&
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		$FTPALG_TEST_PACKAGES "${extra[@]}"; } >&2 || rc=$?
	[ $own_policy = 1 ] && rm -f /usr/sbin/policy-rc.d
	[ $rc = 0 ] || { ftpalg_log "netns: apt-get failed ($rc)"; return $rc; }
	missing=$(ftpalg_missing_tools)
	if [ -n "$missing" ]; then
		ftpalg_log "netns: still missing after install: $missing"
		return 1
	fi
}

# The administrator's rule for pinholed connections, verbatim from the
# header of deploy/ftp-alg.nft.
ftpalg_admin_rule() {
	local rule
	rule=$(sed -n 's/^# admin-rule: //p' "$FTPALG_NFT_FILE" | head -n 1)
	if [ -z "$rule" ]; then
		ftpalg_log "netns: no '# admin-rule: ' line in $FTPALG_NFT_FILE"
		return 1
	fi
	printf '%s\n' "$rule"
}

# The administrator's own ruleset for the router (stdout).
#  - forward: policy drop; new connections only LAN->WAN over IPv4, the
#    port-forwarded control connection, and IPv6 FTP control from the LAN
#    to the outside server. IPv6 data connections therefore need the
#    ALG's pinholes (or the kernel helper's "related") in both directions.
#  - masquerade of the LAN out of WAN. The DMZ is not masqueraded: a DMZ
#    server's active-mode data connection must leave from the port
#    forward's address without it, as with the kernel helper.
#    FTPALG_DMZ_MASQUERADE=1 masquerades the DMZ too (the rule many
#    routers have, and the old workaround).
ftpalg_admin_ruleset() {
	local rule inside=10.0.1.0/24
	rule=$(ftpalg_admin_rule) || return 1
	[ "${FTPALG_DMZ_MASQUERADE:-0}" = 1 ] && inside+=", 10.0.2.0/24"
	cat <<EOF
table inet admin {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state invalid drop
		ct state established,related accept
		iifname "lan" oifname "wan" meta nfproto ipv4 ct state new accept
		iifname "wan" oifname "dmz" ip daddr $FTPALG_DMZ_IP tcp dport 21 ct status dnat ct state new accept
		iifname "lan" oifname "wan" ip6 daddr { $FTPALG_SRV_IP6, $FTPALG_SRV_IP6_B } tcp dport 21 ct state new accept
		$rule
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" ip daddr $FTPALG_RTR_WAN_IP tcp dport 21 dnat ip to $FTPALG_DMZ_IP:21
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" ip saddr { $inside } masquerade
	}
}
EOF
}

# The kernel's FTP helper, as the reference (nf_conntrack_ftp +
# nf_nat_ftp). Assigned in prerouting after DNAT, so the port forward's
# control connection gets it too.
ftpalg_kernel_helper_ruleset() {
	cat <<'EOF'
table inet ftp_kernel_helper {
	ct helper ftp-std {
		type "ftp" protocol tcp;
	}
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		tcp dport 21 ct helper set "ftp-std"
	}
}
EOF
}

ftpalg_load_kernel_helper() {
	ftpalg_kernel_helper_ruleset | ftpalg_nsx "$FTPALG_NS_RTR" nft -f -
}

# Quiet sysctl inside a namespace.
_ftpalg_sysctl() {
	ftpalg_nsx "$1" sysctl -q -w "$2" >/dev/null
}

# A host namespace: lo up, no IPv6 duplicate address detection (addresses
# usable at once).
_ftpalg_ns_new() {
	local ns=$1
	ip netns add "$ns" || return 1
	FTPALG_NS_ALL+=("$ns")
	ftpalg_nsx "$ns" ip link set lo up &&
	_ftpalg_sysctl "$ns" net.ipv6.conf.all.accept_dad=0 &&
	_ftpalg_sysctl "$ns" net.ipv6.conf.default.accept_dad=0
}

# A veth pair: $1:$2 <-> $3:$4, both up.
_ftpalg_veth() {
	ip -n "$1" link add "$2" type veth peer name "$4" netns "$3" &&
	ip -n "$1" link set "$2" up &&
	ip -n "$3" link set "$4" up
}

# A host on the WAN switch: veth to a bridge port named p-<role>.
_ftpalg_wan_port() {
	local ns=$1 role=$2
	_ftpalg_veth "$FTPALG_NS_SW" "p-$role" "$ns" eth0 &&
	ip -n "$FTPALG_NS_SW" link set "p-$role" master br0
}

_ftpalg_addr() {
	local ns=$1 dev=$2 a
	shift 2
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" -6 addr add "$a" dev "$dev" nodad || return 1 ;;
		*) ip -n "$ns" addr add "$a" dev "$dev" || return 1 ;;
		esac
	done
}

# Create everything. Optional $1: a tag added to the prefix.
ftpalg_topo_up() {
	local p="fa$$${1:+-$1}" liberal
	FTPALG_NS_PREFIX=$p
	FTPALG_NS_LAN=$p-lan FTPALG_NS_RTR=$p-rtr FTPALG_NS_SW=$p-wan
	FTPALG_NS_SRV=$p-srv FTPALG_NS_OCL=$p-ocl FTPALG_NS_DMZ=$p-dmz
	FTPALG_NS_ALL=()

	local ns
	for ns in "$FTPALG_NS_SW" "$FTPALG_NS_RTR" "$FTPALG_NS_LAN" \
		  "$FTPALG_NS_SRV" "$FTPALG_NS_OCL" "$FTPALG_NS_DMZ"; do
		_ftpalg_ns_new "$ns" || return 1
	done

	# WAN segment: a bridge in its own namespace.
	ip -n "$FTPALG_NS_SW" link add br0 type bridge &&
	ip -n "$FTPALG_NS_SW" link set br0 up || return 1

	# Router.
	_ftpalg_veth "$FTPALG_NS_RTR" lan "$FTPALG_NS_LAN" eth0 &&
	_ftpalg_veth "$FTPALG_NS_RTR" dmz "$FTPALG_NS_DMZ" eth0 &&
	_ftpalg_veth "$FTPALG_NS_SW" p-rtr "$FTPALG_NS_RTR" wan &&
	ip -n "$FTPALG_NS_SW" link set p-rtr master br0 &&
	_ftpalg_addr "$FTPALG_NS_RTR" lan "$FTPALG_RTR_LAN_IP/24" \
		"$FTPALG_RTR_LAN_IP6/64" &&
	_ftpalg_addr "$FTPALG_NS_RTR" wan "$FTPALG_RTR_WAN_IP/24" \
		"$FTPALG_RTR_WAN_IP6/64" &&
	_ftpalg_addr "$FTPALG_NS_RTR" dmz "$FTPALG_RTR_DMZ_IP/24" &&
	_ftpalg_sysctl "$FTPALG_NS_RTR" net.ipv4.ip_forward=1 &&
	_ftpalg_sysctl "$FTPALG_NS_RTR" net.ipv6.conf.all.forwarding=1 ||
		return 1

	# LAN client.
	_ftpalg_addr "$FTPALG_NS_LAN" eth0 "$FTPALG_LAN_IP/24" \
		"$FTPALG_LAN_IP6/64" &&
	ip -n "$FTPALG_NS_LAN" route add default via "$FTPALG_RTR_LAN_IP" &&
	ip -n "$FTPALG_NS_LAN" -6 route add default via "$FTPALG_RTR_LAN_IP6" ||
		return 1

	# Outside server: no IPv4 route beyond its segment; IPv6 reaches the
	# LAN through the router (no NAT for IPv6).
	_ftpalg_wan_port "$FTPALG_NS_SRV" srv &&
	_ftpalg_addr "$FTPALG_NS_SRV" eth0 "$FTPALG_SRV_IP/24" \
		"$FTPALG_SRV_IP_B/24" "$FTPALG_SRV_IP6/64" "$FTPALG_SRV_IP6_B/64" &&
	ip -n "$FTPALG_NS_SRV" -6 route add 2001:db8:10::/64 \
		via "$FTPALG_RTR_WAN_IP6" || return 1

	# Outside client.
	_ftpalg_wan_port "$FTPALG_NS_OCL" ocl &&
	_ftpalg_addr "$FTPALG_NS_OCL" eth0 "$FTPALG_OCL_IP/24" \
		"$FTPALG_OCL_IP6/64" || return 1

	# DMZ server: only reachable through the port forward.
	_ftpalg_addr "$FTPALG_NS_DMZ" eth0 "$FTPALG_DMZ_IP/24" &&
	ip -n "$FTPALG_NS_DMZ" route add default via "$FTPALG_RTR_DMZ_IP" ||
		return 1

	# The administrator's firewall.
	ftpalg_admin_ruleset | ftpalg_nsx "$FTPALG_NS_RTR" nft -f - || return 1

	# Conntrack stays strict: a rewrite that breaks TCP tracking must
	# show up as a failed case, not be papered over.
	liberal=$(ftpalg_nsx "$FTPALG_NS_RTR" \
		sysctl -n net.netfilter.nf_conntrack_tcp_be_liberal) || return 1
	if [ "$liberal" != 0 ]; then
		ftpalg_log "netns: nf_conntrack_tcp_be_liberal is $liberal, want 0"
		return 1
	fi

	# Reachability, so a broken topology is not mistaken for a failed
	# case.
	ftpalg_nsx "$FTPALG_NS_LAN" ping -c1 -W2 "$FTPALG_SRV_IP" >/dev/null &&
	ftpalg_nsx "$FTPALG_NS_LAN" ping -6 -c1 -W2 "$FTPALG_RTR_LAN_IP6" >/dev/null &&
	ftpalg_nsx "$FTPALG_NS_RTR" ping -6 -c1 -W2 "$FTPALG_SRV_IP6" >/dev/null &&
	ftpalg_nsx "$FTPALG_NS_OCL" ping -c1 -W2 "$FTPALG_RTR_WAN_IP" >/dev/null &&
	ftpalg_nsx "$FTPALG_NS_DMZ" ping -c1 -W2 "$FTPALG_RTR_DMZ_IP" >/dev/null || {
		ftpalg_log "netns: topology: ping failed"
		return 1
	}
}

# Kill every process still inside our namespaces (only ours live there),
# then delete the namespaces. Safe to call more than once.
ftpalg_topo_down() {
	local ns pids
	for ns in "${FTPALG_NS_ALL[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -TERM $pids 2>/dev/null
	done
	for ns in "${FTPALG_NS_ALL[@]}"; do
		pids=$(ip netns pids "$ns" 2>/dev/null)
		[ -n "$pids" ] && sleep 0.5 && pids=$(ip netns pids "$ns" 2>/dev/null)
		# shellcheck disable=SC2086
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null
		ip netns del "$ns" 2>/dev/null
	done
	FTPALG_NS_ALL=()
	return 0
}

# ftpalg_exit_traps [FN]: on every way out (EXIT, INT, TERM) FN runs (the
# script's own teardown: its daemons, servers and clients), then the
# topology comes down and $WORK is removed; the script's exit status
# stays, 130 after INT and 143 after TERM.
ftpalg_exit_traps() {
	FTPALG_TEARDOWN=${1:-}
	trap ftpalg_exit_teardown EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

ftpalg_exit_teardown() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "${FTPALG_TEARDOWN:-}" ] && "$FTPALG_TEARDOWN"
	ftpalg_topo_down
	[ -n "${WORK:-}" ] && rm -rf "$WORK"
	exit "$rc"
}

# ---------------------------------------------------------------------------
# Variants for the compatibility matrix (tests/netns/matrix.sh). Each one is
# called after ftpalg_topo_up and changes only what it names.
#
#   ftpalg_topo_dmz_unmasq	the DMZ is not masqueraded (LAN only): a DMZ
#				server's active-mode data connection leaves
#				with its private address unless the helper
#				NATs it
#   ftpalg_topo_double_up	a second router B on the WAN switch, its
#				own DMZ server behind a port forward on its
#				primary and on a secondary address
#   ftpalg_kernel_helper_in NS [PORT...]   the kernel helper in NS, on PORT...
#				(default 21)

FTPALG_RTRB_WAN_IP=203.0.113.2		# router B, primary
FTPALG_RTRB_WAN_IP2=203.0.113.3		# router B, secondary
FTPALG_RTRB_DMZ_IP=10.0.3.1
FTPALG_DMZB_IP=10.0.3.2
FTPALG_NS_RTRB='' FTPALG_NS_DMZB=''

ftpalg_topo_dmz_unmasq() {
	ftpalg_nsx "$FTPALG_NS_RTR" nft -f - <<'EOF2'
flush chain inet admin postrouting
add rule inet admin postrouting oifname "wan" ip saddr 10.0.1.0/24 masquerade
EOF2
}

# Router B's firewall: the same shape as router A's (forward policy drop,
# the admin rule, the DMZ masqueraded out of WAN), with port forwards from
# both of its public addresses to its DMZ server.
ftpalg_topo_rtrb_ruleset() {
	local rule
	rule=$(ftpalg_admin_rule) || return 1
	cat <<EOF2
table inet admin {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state invalid drop
		ct state established,related accept
		iifname "wan" oifname "dmz" ip daddr $FTPALG_DMZB_IP tcp dport 21 ct status dnat ct state new accept
		$rule
	}
	chain prerouting {
		type nat hook prerouting priority dstnat; policy accept;
		iifname "wan" ip daddr { $FTPALG_RTRB_WAN_IP, $FTPALG_RTRB_WAN_IP2 } tcp dport 21 dnat ip to $FTPALG_DMZB_IP:21
	}
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "wan" ip saddr 10.0.3.0/24 masquerade
	}
}
EOF2
}

ftpalg_topo_double_up() {
	local p=$FTPALG_NS_PREFIX
	FTPALG_NS_RTRB=$p-rtrb FTPALG_NS_DMZB=$p-dmzb
	_ftpalg_ns_new "$FTPALG_NS_RTRB" && _ftpalg_ns_new "$FTPALG_NS_DMZB" &&
	_ftpalg_veth "$FTPALG_NS_RTRB" dmz "$FTPALG_NS_DMZB" eth0 &&
	_ftpalg_veth "$FTPALG_NS_SW" p-rtrb "$FTPALG_NS_RTRB" wan &&
	ip -n "$FTPALG_NS_SW" link set p-rtrb master br0 &&
	_ftpalg_addr "$FTPALG_NS_RTRB" wan "$FTPALG_RTRB_WAN_IP/24" \
		"$FTPALG_RTRB_WAN_IP2/24" &&
	_ftpalg_addr "$FTPALG_NS_RTRB" dmz "$FTPALG_RTRB_DMZ_IP/24" &&
	_ftpalg_sysctl "$FTPALG_NS_RTRB" net.ipv4.ip_forward=1 &&
	_ftpalg_addr "$FTPALG_NS_DMZB" eth0 "$FTPALG_DMZB_IP/24" &&
	ip -n "$FTPALG_NS_DMZB" route add default via "$FTPALG_RTRB_DMZ_IP" ||
		return 1
	ftpalg_topo_rtrb_ruleset | ftpalg_nsx "$FTPALG_NS_RTRB" nft -f - ||
		return 1
	ftpalg_nsx "$FTPALG_NS_LAN" ping -c1 -W2 "$FTPALG_RTRB_WAN_IP2" >/dev/null &&
	ftpalg_nsx "$FTPALG_NS_DMZB" ping -c1 -W2 "$FTPALG_RTRB_DMZ_IP" >/dev/null || {
		ftpalg_log "netns: double NAT: ping failed"
		return 1
	}
}

ftpalg_kernel_helper_in() {
	local ns=$1 ports
	shift
	ports=$(IFS=,; echo "${*:-21}")
	ftpalg_nsx "$ns" nft -f - <<EOF2
table inet ftp_kernel_helper {
	ct helper ftp-std {
		type "ftp" protocol tcp;
	}
	chain pre {
		type filter hook prerouting priority filter; policy accept;
		tcp dport { $ports } ct helper set "ftp-std"
	}
}
EOF2
}
