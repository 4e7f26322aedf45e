#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/test_ops.sh: ftp-algd as an operator runs it, on the
# topology of tests/netns/topo.sh (the LAN client behind masquerade, one
# vsftpd outside). Two cases:
#
#   package   cmake --build DIR --target package, then dpkg -i the .deb
#             on this machine (purged on every exit path): the files where
#             they belong, the conffile, the man pages, the ftp-alg user
#             and group, "systemd-analyze verify" of the installed unit;
#             then the router loads the packaged include file and runs
#             the installed /usr/sbin/ftp-algd with the packaged config
#             as user ftp-alg, and an active-mode (PORT) 1 MiB download
#             through it must arrive with its checksum.
#   privdrop  the built ftp-algd with --user (a user and group of this
#             test's own, made and removed here): /proc/PID/status shows
#             CAP_NET_ADMIN alone in CapEff, CapPrm and CapBnd (CapInh,
#             CapAmb empty) and the user's uid and gid, the control
#             socket is 0660 with ctl_group's group, and PORT transfers
#             work at start, after a SIGHUP reload and after an
#             "nft -f" of a ruleset with "flush ruleset".
#   unit      the built ftp-algd as deploy/ftp-algd.service starts it:
#             already its user, with CAP_NET_ADMIN ambient and alone in
#             the bounding set (setpriv stands in for User=,
#             AmbientCapabilities=, CapabilityBoundingSet=), a datagram
#             socket standing in for systemd's NOTIFY_SOCKET and
#             WATCHDOG_USEC=1s: READY=1 arrives with the queue rules in
#             place, WATCHDOG=1 about every 0.5 s, STOPPING=1 at SIGTERM;
#             its capabilities are CAP_NET_ADMIN alone, a transfer works;
#             then once more under strace: every system call it makes
#             (start, a transfer, SIGHUP, SIGTERM) passes the unit's
#             SystemCallFilter= as systemd-analyze expands it.
#
#   test_ops.sh package|privdrop|unit [--build-dir DIR]
#
# Prints one line per check and "ops CASE: N passed, M failed"; exit 1 if
# any check failed, 2 if it could not set up. Needs root.

set -u

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$REPO/build
CASE=${1:-}
shift || true

while [ $# -gt 0 ]; do
	case $1 in
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--build-dir=*) BUILD_DIR=${1#*=}; shift ;;
	*) echo "test_ops: unknown argument $1" >&2; exit 2 ;;
	esac
done
case $CASE in
package|privdrop|unit) ;;
*) echo "usage: test_ops.sh package|privdrop|unit [--build-dir DIR]" >&2; exit 2 ;;
esac
if [ "$(id -u)" != 0 ]; then
	echo "test_ops: needs root (network namespaces, dpkg)" >&2
	exit 2
fi
BUILD_DIR=$(cd "$BUILD_DIR" && pwd)

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"

CAP_NET_ADMIN_MASK=0000000000001000	# 1 << 12, as /proc prints it
WORK=
ALGD_PID=
NOTIFY_PID=
LAUNCH=()		# what runs ftp-algd inside the router (setpriv)
INSTALLED=0		# we installed the package: purge it
MADE_USER=		# users (and their groups) this run made
PASS=0
FAIL=0

dpkg_locked() {	# dpkg ARGS...: wait for the lock another apt may hold
	local i out rc
	for i in $(seq 60); do
		out=$(dpkg "$@" 2>&1) && { echo "$out"; return 0; }
		rc=$?
		grep -q 'lock' <<<"$out" || { echo "$out" >&2; return $rc; }
		sleep 5
	done
	echo "$out" >&2
	return 1
}

cleanup() {
	local rc=$? u
	trap - EXIT INT TERM
	if [ -n "$ALGD_PID" ]; then
		kill -TERM "$ALGD_PID" 2>/dev/null
		sleep 0.5
		kill -KILL "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
	fi
	if [ -n "$NOTIFY_PID" ]; then
		kill -TERM "$NOTIFY_PID" 2>/dev/null
		wait "$NOTIFY_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
	ftpalg_topo_down
	[ "$INSTALLED" = 1 ] && dpkg_locked --purge ftp-alg >/dev/null
	for u in $MADE_USER; do
		userdel "$u" 2>/dev/null
		getent group "$u" >/dev/null && groupdel "$u" 2>/dev/null
	done
	if { [ "$rc" != 0 ] || [ -n "${KEEP_LOG:-}" ]; } && [ -n "$WORK" ] &&
	   [ -s "$WORK/algd.log" ]; then
		echo "== ftp-algd log"
		cat "$WORK/algd.log"
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
setup_fail() { echo "test_ops $CASE: setup: $*" >&2; exit 2; }

algd_alive() { [ -n "$ALGD_PID" ] && kill -0 "$ALGD_PID" 2>/dev/null; }
nft_rtr() { ftpalg_nsx "$FTPALG_NS_RTR" nft "$@"; }
ctl() { ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$ALGCTL" --socket "$CTL_SOCK" "$@"; }
queue_rules() {
	nft_rtr list chain inet ftp_alg ctl_queue 2>/dev/null |
		grep -cE '[[:space:]]queue([[:space:]]|$)'
}

# wait_log FIXED-STRING [N]: until the log has it N times (default 1; 10s)
wait_log() {
	local i n=${2:-1}
	for i in $(seq 100); do
		[ "$(grep -cF -- "$1" "$WORK/algd.log")" -ge "$n" ] && return 0
		sleep 0.1
	done
	return 1
}

# An active-mode (PORT) download of mid.bin from the outside vsftpd by
# the LAN client: only the ALG's rewrite and pinhole let it through the
# router. Its sha256 must be the served file's.
transfer() {
	local out=$WORK/got.$RANDOM sum
	ftpalg_nsx "$FTPALG_NS_LAN" curl -sS --connect-timeout 10 \
		--max-time 30 -P - --disable-eprt \
		-o "$out" "ftp://$FTPALG_SRV_IP/mid.bin" 2>>"$WORK/curl.log" ||
		return 1
	sum=$(sha256sum "$out" | cut -d' ' -f1)
	rm -f "$out"
	[ "$sum" = "$(ftpalg_sum_of mid.bin)" ] || {
		echo "mid.bin: sha256 $sum, want $(ftpalg_sum_of mid.bin)"
		return 1
	}
}

# The daemon's rewrite count so far (a transfer through it adds one).
pin_used() {
	ctl status --json | /usr/bin/python3 -c \
		'import json,sys; print(json.load(sys.stdin)["pinholes_used"])'
}

transfer_via_algd() {	# a PORT transfer, and the daemon's pinhole used
	local before after
	before=$(pin_used) || return 1
	transfer || return 1
	after=$(pin_used) || return 1
	echo "pinholes used: $before -> $after"
	[ "$after" -gt "$before" ]
}

# start_algd ARGS...: ftp-algd in the router until its queue rules are in.
start_algd() {
	ip netns exec "$FTPALG_NS_RTR" "${LAUNCH[@]}" "$ALGD" \
		--ctl-socket "$CTL_SOCK" \
		--state-file "$RUN/state" "$@" \
		</dev/null >"$WORK/algd.log" 2>&1 &
	ALGD_PID=$!
	for _ in $(seq 100); do
		algd_alive || setup_fail "ftp-algd exited: $(tail -n 5 "$WORK/algd.log")"
		[ "$(queue_rules)" -gt 0 ] && [ -S "$CTL_SOCK" ] &&
			grep -q 'privileges:' "$WORK/algd.log" && return 0
		sleep 0.1
	done
	setup_fail "ftp-algd not up after 10s: $(tail -n 5 "$WORK/algd.log")"
}

# status_field NAME: a line of /proc/PID/status, tabs as spaces
status_field() {
	sed -n "s/^$1:[[:space:]]*//p" "/proc/$ALGD_PID/status" | tr '\t' ' '
}

check_caps() {	# only CAP_NET_ADMIN, the user's ids
	local uid=$1 gid=$2 f v
	for f in CapEff CapPrm CapBnd; do
		v=$(status_field "$f")
		check "$f is CAP_NET_ADMIN alone ($v)" \
			test "$v" = "$CAP_NET_ADMIN_MASK"
	done
	for f in CapInh CapAmb; do
		v=$(status_field "$f")
		check "$f is empty ($v)" test "$v" = 0000000000000000
	done
	v=$(status_field Uid)
	check "uid $uid, real, effective, saved, fs ($v)" \
		test "$v" = "$uid $uid $uid $uid"
	v=$(status_field Gid)
	check "gid $gid ($v)" test "$v" = "$gid $gid $gid $gid"
	v=$(status_field NoNewPrivs)
	check "no_new_privs set ($v)" test "$v" = 1
}

check_socket() {	# mode 0660, group GROUP
	local group=$1 st
	st=$(stat -c '%a %G %F' "$CTL_SOCK")
	check "control socket 0660, group $group ($st)" \
		test "$st" = "660 $group socket"
}

# expand @GROUP...: the system calls in those systemd-analyze groups
expand() {
	local g n names
	for g in "$@"; do
		names=$(systemd-analyze syscall-filter --no-pager "$g" </dev/null |
			sed -n 's/^    \([@a-z0-9_-]*\)$/\1/p')
		for n in $names; do
			case $n in
			@*) expand "$n" ;;
			*) echo "$n" ;;
			esac
		done
	done
}

# The unit's filter, from deploy/ftp-algd.service: lines in order, an
# allow list, "~" lines taking away, later plain lines adding back.
unit_allowed() {
	local line neg list
	: >"$WORK/allowed"
	sed -n 's/^SystemCallFilter=//p' "$REPO/deploy/ftp-algd.service" |
	while read -r line; do
		neg=
		case $line in ~*) neg=1; line=${line#\~} ;; esac
		# shellcheck disable=SC2086,SC2046  # lists of names
		list=$(expand $(printf '%s\n' $line | grep '^@'); \
			printf '%s\n' $line | grep -v '^@')
		if [ -n "$neg" ]; then
			grep -vxF -f <(printf '%s\n' "$list") "$WORK/allowed" \
				>"$WORK/allowed.new" || true
		else
			sort -u "$WORK/allowed" <(printf '%s\n' "$list") \
				>"$WORK/allowed.new"
		fi
		mv "$WORK/allowed.new" "$WORK/allowed"
	done
	sort -u -o "$WORK/allowed" "$WORK/allowed"
}

# The daemon once more under strace, as the unit starts it: start, a
# transfer, SIGHUP, SIGTERM; then each system call it made must be in the
# unit's filter.
syscalls_allowed() {
	local tpid apid used bad
	unit_allowed
	[ -s "$WORK/allowed" ] || { echo "no allow list"; return 1; }
	rm -f "$RUN/ctl.sock"
	ip netns exec "$FTPALG_NS_RTR" "${LAUNCH[@]}" \
		strace -f -qq -o "$RUN/strace.log" "$ALGD" \
		--config "$CONF" --ctl-socket "$CTL_SOCK" \
		--state-file "$RUN/state" \
		</dev/null >"$WORK/algd2.log" 2>&1 &
	tpid=$!
	for _ in $(seq 100); do
		apid=$(pgrep -P "$tpid" -x ftp-algd ||
			pgrep -f "^strace -f -qq -o $RUN" | head -n 1 |
			xargs -r pgrep -P)
		[ -n "$apid" ] && [ -S "$CTL_SOCK" ] && break
		sleep 0.1
	done
	[ -n "$apid" ] || {
		echo "ftp-algd under strace did not start:"
		tail -n 5 "$WORK/algd2.log" "$RUN/strace.log"
		return 1
	}
	transfer || { echo "transfer under strace failed"; }
	kill -HUP "$apid"
	sleep 0.5
	kill -TERM "$apid"
	wait "$tpid"
	used=$(sed -n 's/^[0-9]* *\([a-z0-9_]*\)(.*/\1/p' "$RUN/strace.log" |
		sort -u)
	# a daemon that did its work makes dozens of different calls
	[ "$(echo "$used" | wc -l)" -ge 30 ] ||
		{ echo "only $(echo "$used" | wc -l) calls traced"; return 1; }
	# execve of ftp-algd itself comes before any filter would apply
	bad=$(grep -vxF -f "$WORK/allowed" <(printf '%s\n' "$used") |
		grep -vx execve || true)
	echo "system calls made: $(echo "$used" | wc -l), outside the" \
		"filter: ${bad:-none}"
	[ -z "$bad" ]
}

# ---------------------------------------------------------------------------

ftpalg_install_packages || setup_fail "packages"
WORK=$(mktemp -d /tmp/ftpalg-ops.XXXXXX) || setup_fail "mktemp"
chmod 755 "$WORK"
RUN=$WORK/run		# the daemon's own directory: state, control socket
CTL_SOCK=$RUN/ctl.sock
mkdir -p "$RUN" || setup_fail "mkdir"

if [ "$CASE" = package ]; then
	command -v systemd-analyze >/dev/null || setup_fail "no systemd-analyze"
	if dpkg-query -W -f='${Status}' ftp-alg 2>/dev/null |
		grep -q 'install ok installed'; then
		setup_fail "ftp-alg is installed on this machine already: " \
			"this test installs and purges its own"
	fi
	getent passwd ftp-alg >/dev/null || MADE_USER="ftp-alg"
	cmake --build "$BUILD_DIR" --target package >"$WORK/cpack.log" 2>&1 ||
		setup_fail "cpack: $(tail -n 5 "$WORK/cpack.log")"
	ver=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$BUILD_DIR/CMakeCache.txt")
	arch=$(dpkg --print-architecture)
	deb=$BUILD_DIR/ftp-alg_${ver}_${arch}.deb
	check "package $(basename "$deb") built" test -s "$deb"
	INSTALLED=1
	dpkg_locked -i "$deb" >"$WORK/dpkg.log" ||
		setup_fail "dpkg -i: $(tail -n 5 "$WORK/dpkg.log")"
	for f in /usr/sbin/ftp-algd /usr/sbin/ftp-algctl \
		 /lib/systemd/system/ftp-algd.service \
		 /usr/share/ftp-alg/ftp-alg.nft /etc/ftp-alg/ftp-algd.conf \
		 /usr/share/man/man8/ftp-algd.8.gz \
		 /usr/share/man/man8/ftp-algctl.8.gz \
		 /usr/share/man/man5/ftp-algd.conf.5.gz \
		 /usr/share/doc/ftp-alg/deployment.md \
		 /usr/share/doc/ftp-alg/troubleshooting.md; do
		check "installs $f" dpkg-query -S "$f"
	done
	check "/etc/ftp-alg/ftp-algd.conf is a conffile" \
		grep -q '^ /etc/ftp-alg/ftp-algd.conf ' \
		<(dpkg-query -W -f='${Conffiles}\n' ftp-alg)
	deps=$(dpkg-query -W -f='${Depends}' ftp-alg)
	for p in libnetfilter-queue1 libmnl0 libnftnl11 libnftables1 nftables; do
		check "depends on $p" grep -q "\b$p\b" <<<"$deps"
	done
	check "the packaged config is valid (--check-config)" \
		/usr/sbin/ftp-algd --check-config /etc/ftp-alg/ftp-algd.conf
	check "man finds ftp-algd(8), ftp-algctl(8), ftp-algd.conf(5)" \
		man -w ftp-algd ftp-algctl ftp-algd.conf
	out=$(systemd-analyze verify /lib/systemd/system/ftp-algd.service 2>&1)
	check "systemd-analyze verify of the installed unit is clean${out:+: $out}" \
		test -z "$out"
	check "postinst made the system group ftp-alg" getent group ftp-alg
	check "postinst made the system user ftp-alg" getent passwd ftp-alg
	ALGD=/usr/sbin/ftp-algd
	ALGCTL=/usr/sbin/ftp-algctl
	FTPALG_NFT_FILE=/usr/share/ftp-alg/ftp-alg.nft	# the admin rule too
	CONF=/etc/ftp-alg/ftp-algd.conf
	USER_=ftp-alg
	GROUP_=ftp-alg
elif [ "$CASE" = privdrop ]; then
	ALGD=$BUILD_DIR/alg/ftp-algd
	ALGCTL=$BUILD_DIR/alg/ftp-algctl
	[ -x "$ALGD" ] && [ -x "$ALGCTL" ] || setup_fail "no $ALGD (build first)"
	USER_=fatest$$
	GROUP_=fatestc$$
	groupadd --system "$GROUP_" && MADE_USER="$GROUP_" ||
		setup_fail "groupadd $GROUP_"
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$USER_" &&
		MADE_USER="$MADE_USER $USER_" || setup_fail "useradd $USER_"
	CONF=$WORK/algd.conf
	printf 'log_level = info\nctl_group = %s\n' "$GROUP_" >"$CONF"
else
	ALGD=$BUILD_DIR/alg/ftp-algd
	ALGCTL=$BUILD_DIR/alg/ftp-algctl
	[ -x "$ALGD" ] && [ -x "$ALGCTL" ] || setup_fail "no $ALGD (build first)"
	USER_=fatest$$
	useradd --system --user-group --no-create-home --home-dir /nonexistent \
		--shell /usr/sbin/nologin "$USER_" &&
		MADE_USER="$USER_" || setup_fail "useradd $USER_"
	GROUP_=$USER_		# the unit's Group=, the socket's group
	CONF=$WORK/algd.conf
	printf 'ctl_group = %s\n' "$GROUP_" >"$CONF"
	# RuntimeDirectory=ftp-alg, RuntimeDirectoryMode=0750
	chown "$USER_:$GROUP_" "$RUN" && chmod 750 "$RUN" || setup_fail chown
	# systemd's end of NOTIFY_SOCKET: each datagram, time-stamped
	NOTIFY_SOCK=$WORK/notify
	/usr/bin/python3 -c '
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)
with open(sys.argv[2], "a") as out:
    while True:
        m = s.recv(4096).decode(errors="replace").replace("\n", "|")
        out.write("%.3f %s\n" % (time.monotonic(), m))
        out.flush()' "$NOTIFY_SOCK" "$WORK/notify.log" &
	NOTIFY_PID=$!
	for _ in $(seq 50); do [ -S "$NOTIFY_SOCK" ] && break; sleep 0.1; done
	[ -S "$NOTIFY_SOCK" ] || setup_fail "notify listener"
	# shellcheck disable=SC2054  # the commas are setpriv's cap lists
	LAUNCH=(env NOTIFY_SOCKET="$NOTIFY_SOCK" WATCHDOG_USEC=1000000
		setpriv --reuid "$USER_" --regid "$GROUP_" --clear-groups
		--inh-caps -all,+net_admin --ambient-caps +net_admin
		--bounding-set -all,+net_admin)
fi
uid=$(id -u "$USER_")
gid=$(id -g "$USER_")

ftpalg_files_make "$WORK/files" || setup_fail "files"
ftpalg_topo_up ops >"$WORK/setup.log" 2>&1 ||
	setup_fail "topology: $(tail -n 3 "$WORK/setup.log")"
ftpalg_vsftpd_start srv "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" >>"$WORK/setup.log" 2>&1 ||
	setup_fail "vsftpd"
nft_rtr -f "$FTPALG_NFT_FILE" || setup_fail "nft -f $FTPALG_NFT_FILE"

# notified MSG: systemd's end got a datagram starting with MSG
notified() { grep -q "^[0-9.]* $1" "$WORK/notify.log" 2>/dev/null; }

if [ "$CASE" = unit ]; then
	start_algd --config "$CONF"
	for _ in $(seq 50); do notified READY=1 && break; sleep 0.1; done
	check "READY=1 with a STATUS= line ($(head -n 1 "$WORK/notify.log"))" \
		grep -q '^[0-9.]* READY=1|STATUS=queue 0' "$WORK/notify.log"
	check "the queue rules are in place once READY=1 came" \
		test "$(queue_rules)" -gt 0
	ok "ftp-algd started as $USER_ with CAP_NET_ADMIN (setpriv)"
else
	start_algd --config "$CONF" --user "$USER_"
	ok "ftp-algd $ALGD started with --config $CONF --user $USER_"
fi
check_caps "$uid" "$gid"
check_socket "$GROUP_"
check "the state directory is the user's" \
	test "$(stat -c %U "$RUN")" = "$USER_"
check "ftp-algctl status answers" eval "ctl status >/dev/null"
check "PORT transfer through ftp-algd, checksum right" transfer_via_algd

if [ "$CASE" = privdrop ]; then
	# SIGHUP as the unprivileged user: the file read again, applied
	printf 'log_level = debug\npinhole_timeout = 30\nctl_group = %s\n' \
		"$GROUP_" >"$CONF"
	kill -HUP "$ALGD_PID"
	check "SIGHUP: the change applied and logged" \
		wait_log "pinhole_timeout 60 -> 30"
	check "PORT transfer after the SIGHUP reload" transfer_via_algd

	# A whole-ruleset reload, as /etc/nftables.conf does it
	n=$(grep -c 'ruleset changed' "$WORK/algd.log")
	{ echo "flush ruleset"; ftpalg_admin_ruleset; cat "$FTPALG_NFT_FILE"; } |
		nft_rtr -f - || bad "nft -f of a ruleset with flush ruleset"
	check "flush ruleset: the daemon restored its queue rules" \
		wait_log "ruleset changed" $((n + 1))
	for _ in $(seq 50); do
		[ "$(queue_rules)" -gt 0 ] && break
		sleep 0.1
	done
	check "queue rules back after the reload" test "$(queue_rules)" -gt 0
	check "PORT transfer after flush ruleset" transfer_via_algd
	check_caps "$uid" "$gid"
fi

if [ "$CASE" = unit ]; then
	sleep 3
	n=$(grep -c ' WATCHDOG=1$' "$WORK/notify.log")
	# first at once, then every 0.5 s: 7 in 3 s and what start-up took
	check "WATCHDOG=1 every half WATCHDOG_USEC ($n after 3+ s)" \
		test "$n" -ge 6 -a "$n" -le 14
	gaps=$(awk '/ WATCHDOG=1$/ { if (t) printf "%.2f\n", $1 - t; t = $1 }' \
		"$WORK/notify.log" | sort -n | sed -n '1p;$p' | tr '\n' ' ')
	check "keep-alives 0.5 s apart, min and max: $gaps" \
		awk -v g="$gaps" 'BEGIN { split(g, a, " ");
			exit !(a[1] >= 0.45 && a[2] <= 0.75) }'
fi
check "ftp-algd still running" algd_alive
kill -TERM "$ALGD_PID"
wait "$ALGD_PID"
rc=$?
ALGD_PID=
check "SIGTERM: exit status 0 ($rc), the state saved as the user" \
	test "$rc" = 0 -a "$(stat -c %U "$RUN/state" 2>/dev/null)" = "$USER_"
if [ "$CASE" = unit ]; then
	sleep 0.2
	check "STOPPING=1 at SIGTERM, after every WATCHDOG=1" \
		test "$(tail -n 1 "$WORK/notify.log" | cut -d' ' -f2)" = STOPPING=1
	check "every system call passes the unit's SystemCallFilter" \
		syscalls_allowed
fi

echo "ops $CASE: $PASS passed, $FAIL failed"
[ "$FAIL" = 0 ]
