#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# deploy/demo.sh: ftp-alg in five minutes, on a Debian 12 machine, as root.
#
#   sudo deploy/demo.sh [--no-install] [--no-build] [--build-dir DIR]
#
# Installs what is missing, builds, and then, inside network namespaces
# of its own (nothing outside them is touched):
#
#   LAN client 10.0.1.2 --[router: masquerade, port forward, ftp-algd]--
#       outside FTP server 203.0.113.10      DMZ FTP server 10.0.2.2
#                                             (as 203.0.113.1:21)
#
#  1. an active-mode download from the LAN client (its PORT names a
#     private address: ftp-algd rewrites it and opens a pinhole),
#  2. a passive-mode download from the outside through the port forward
#     (the DMZ server's 227 names 10.0.2.2: ftp-algd rewrites it and maps
#     the data port),
#  3. ftp-algctl sessions/pinholes while a session is held open,
#  4. ftp-algd's log lines,
# then removes everything (also on Ctrl-C or an error).

set -u

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD_DIR=$REPO/build
INSTALL=1
BUILD=1

while [ $# -gt 0 ]; do
	case $1 in
	--no-install) INSTALL=0; shift ;;
	--no-build) BUILD=0; shift ;;
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	-h|--help) sed -n '4,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "demo: unknown argument $1" >&2; exit 2 ;;
	esac
done

if [ "$(id -u)" != 0 ]; then
	echo "demo: run as root (it creates network namespaces)" >&2
	exit 1
fi

# shellcheck source=tests/netns/topo.sh
source "$REPO/tests/netns/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$REPO/tests/netns/servers.sh"

BUILD_PACKAGES="build-essential cmake pkg-config libnetfilter-queue-dev \
libmnl-dev libnftnl-dev libnftables-dev libcmocka-dev"

WORK=
ALGD_PID=
HOLD_PID=

if [ -t 1 ]; then B=$'\033[1m' N=$'\033[0m'; else B='' N=''; fi
step() { printf '\n%s==> %s%s\n' "$B" "$*" "$N"; }
info() { printf '    %s\n' "$*"; }
die() { printf '\ndemo: %s\n' "$*" >&2; exit 1; }

cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	[ -n "$HOLD_PID" ] && kill "$HOLD_PID" 2>/dev/null
	if [ -n "$ALGD_PID" ] && kill -0 "$ALGD_PID" 2>/dev/null; then
		kill -TERM "$ALGD_PID" 2>/dev/null
		wait "$ALGD_PID" 2>/dev/null
	fi
	ftpalg_servers_stop
	ftpalg_topo_down
	[ -n "$WORK" ] && rm -rf "$WORK"
	[ $rc = 0 ] || printf '\ndemo: failed (exit %d); namespaces removed\n' "$rc" >&2
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- 1. packages ------------------------------------------------------------

if [ $INSTALL = 1 ]; then
	step "Packages"
	missing=()
	# shellcheck disable=SC2086
	for p in $BUILD_PACKAGES $FTPALG_TEST_PACKAGES; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		info "installing: ${missing[*]}"
		# shellcheck disable=SC2086
		ftpalg_install_packages $BUILD_PACKAGES ||
			die "package installation failed"
	else
		info "all installed"
	fi
	ftpalg_install_packages || die "package installation failed"
fi

# --- 2. build ---------------------------------------------------------------

if [ $BUILD = 1 ]; then
	step "Building ($BUILD_DIR)"
	{ cmake -S "$REPO" -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
	  cmake --build "$BUILD_DIR" -j2; } >"/tmp/ftp-alg-demo-build.log" 2>&1 || {
		tail -n 30 /tmp/ftp-alg-demo-build.log
		die "build failed (full log: /tmp/ftp-alg-demo-build.log)"
	}
	info "ok (log: /tmp/ftp-alg-demo-build.log)"
fi
ALGD=$BUILD_DIR/alg/ftp-algd
ALGCTL=$BUILD_DIR/alg/ftp-algctl
[ -x "$ALGD" ] && [ -x "$ALGCTL" ] || die "no $ALGD / $ALGCTL"

# --- 3. network -------------------------------------------------------------

step "Network namespaces"
WORK=$(mktemp -d /tmp/ftp-alg-demo.XXXXXX) || die "mktemp failed"
ftpalg_topo_up demo || die "could not build the test network"
cat <<EOF
    LAN client      $FTPALG_LAN_IP      ($FTPALG_NS_LAN)
    router          lan $FTPALG_RTR_LAN_IP, wan $FTPALG_RTR_WAN_IP, dmz $FTPALG_RTR_DMZ_IP  ($FTPALG_NS_RTR)
    outside server  $FTPALG_SRV_IP   vsftpd   ($FTPALG_NS_SRV)
    outside client  $FTPALG_OCL_IP            ($FTPALG_NS_OCL)
    DMZ server      $FTPALG_DMZ_IP       vsftpd, published as $FTPALG_RTR_WAN_IP:21  ($FTPALG_NS_DMZ)
    router firewall: forward policy drop, LAN masqueraded, port forward,
      and the admin rule from deploy/ftp-alg.nft:
        $(ftpalg_admin_rule)
EOF

ftpalg_files_make "$WORK/files" || die "could not create the test files"
ftpalg_vsftpd_start outside "$FTPALG_NS_SRV" "$FTPALG_SRV_IP" ||
	die "vsftpd did not start on the outside server"
ftpalg_vsftpd_start dmz "$FTPALG_NS_DMZ" "$FTPALG_DMZ_IP" ||
	die "vsftpd did not start on the DMZ server"
info "vsftpd serving big.bin (10 MiB) and mid.bin (1 MiB) on both servers"

# --- 4. ftp-algd ------------------------------------------------------------

step "Starting ftp-algd in the router"
ALGD_LOG=$WORK/ftp-algd.log
CTL_SOCK=$WORK/ftp-algd.sock
ftpalg_nsx "$FTPALG_NS_RTR" nft -f "$FTPALG_NFT_FILE" ||
	die "nft -f $FTPALG_NFT_FILE failed"
info "nft -f deploy/ftp-alg.nft"
# ip netns exec execs the daemon, so $! is ftp-algd itself.
ip netns exec "$FTPALG_NS_RTR" "$ALGD" --foreground --ctl-socket "$CTL_SOCK" \
	--state-file "$WORK/state" </dev/null >"$ALGD_LOG" 2>&1 &
ALGD_PID=$!
info "ftp-algd --foreground --ctl-socket $CTL_SOCK  (pid $ALGD_PID)"
for _ in $(seq 100); do
	kill -0 "$ALGD_PID" 2>/dev/null || { cat "$ALGD_LOG"; die "ftp-algd exited"; }
	# (nft warns on stderr that the xt queue rule is "managed by
	# iptables-nft": true where the kernel lacks nft_queue, and harmless)
	ftpalg_nsx "$FTPALG_NS_RTR" nft list chain inet ftp_alg ctl_queue 2>/dev/null |
		grep -qE '[[:space:]]queue([[:space:]]|$)' && [ -S "$CTL_SOCK" ] && break
	sleep 0.1
done
ftpalg_nsx "$FTPALG_NS_RTR" nft list chain inet ftp_alg ctl_queue 2>/dev/null |
	grep -E '[[:space:]]queue([[:space:]]|$)' | sed 's/^[[:space:]]*/    queue rule: /'

# --- 5. transfers -----------------------------------------------------------

# fetch LABEL NS URL FILE curl-options...: download, compare, report.
FAILED=0
fetch() {
	local label=$1 ns=$2 url=$3 file=$4 out want got size
	shift 4
	out=$WORK/fetched.$file
	printf '    %s\n      curl %s %s\n' "$label" "$*" "$url/$file"
	if ! ftpalg_nsx "$ns" curl -sS --connect-timeout 10 --max-time 60 \
		"$@" -o "$out" "$url/$file" 2>"$WORK/curl.err"; then
		sed 's/^/      /' "$WORK/curl.err"
		info "  FAILED"
		FAILED=1
		return 1
	fi
	want=$(ftpalg_sum_of "$file")
	got=$(sha256sum <"$out" | cut -d' ' -f1)
	size=$(stat -c %s "$out")
	if [ "$want" = "$got" ]; then
		printf '      fetched %s: %s bytes, sha256 %s... OK\n' \
			"$file" "$size" "${got:0:16}"
	else
		printf '      fetched %s: %s bytes, sha256 MISMATCH\n' "$file" "$size"
		FAILED=1
	fi
}

step "Transfers through NAT"
fetch "1) active mode (PORT) from the LAN client, behind masquerade:" \
	"$FTPALG_NS_LAN" "ftp://$FTPALG_SRV_IP" big.bin -P - --disable-eprt
fetch "2) passive mode (PASV) from the outside, through the port forward:" \
	"$FTPALG_NS_OCL" "ftp://$FTPALG_RTR_WAN_IP" big.bin \
	--disable-epsv --no-ftp-skip-pasv-ip
# the DMZ is not masqueraded: the server's data connection leaves from the
# port forward's address by the snat4 mapping ftp-algd adds with its pinhole
fetch "3) active mode (PORT) from the outside, through the port forward:" \
	"$FTPALG_NS_OCL" "ftp://$FTPALG_RTR_WAN_IP" big.bin -P - --disable-eprt

# --- 6. a session held open -------------------------------------------------

step "ftp-algctl while a session is open"
HOLD=$WORK/hold
ftpalg_nsx "$FTPALG_NS_LAN" /usr/bin/python3 \
	"$REPO/tests/netns/ftpclient.py" --host "$FTPALG_SRV_IP" \
	--case hold --mode PORT --file mid.bin --hold-file "$HOLD" \
	--sums "$FTPALG_SUMS" >"$WORK/hold.out" 2>&1 &
HOLD_PID=$!
for _ in $(seq 100); do
	[ -e "$HOLD" ] && break
	sleep 0.1
done
info "the LAN client has logged in and sent PORT; the server has not"
info "connected back yet, so the pinhole for it is still open"
for what in sessions pinholes; do
	printf '\n    $ ftp-algctl --socket %s %s\n' "$CTL_SOCK" "$what"
	ftpalg_nsx "$FTPALG_NS_RTR" timeout 10 "$ALGCTL" --socket "$CTL_SOCK" \
		"$what" 2>&1 | sed 's/^/    /'
done
rm -f "$HOLD"
if wait "$HOLD_PID"; then
	info ""
	grep -E '^(ok|FAIL)' "$WORK/hold.out" | sed 's/^/    held session: /'
else
	sed 's/^/    /' "$WORK/hold.out"
	FAILED=1
fi
HOLD_PID=

# --- 7. the daemon's log ----------------------------------------------------

step "What ftp-algd did (its log)"
sleep 1
if grep -qE 'rewrite|pinhole' "$ALGD_LOG"; then
	grep -E 'rewrite|pinhole' "$ALGD_LOG" | sed 's/^/    /'
else
	sed 's/^/    /' "$ALGD_LOG"
fi

step "Stopping ftp-algd (SIGTERM: state saved for the next start)"
kill -TERM "$ALGD_PID"
wait "$ALGD_PID"
rc=$?
ALGD_PID=
grep 'state saved' "$ALGD_LOG" | sed 's/^/    /'
info "exit status $rc; queue rules kept for the next start: $(ftpalg_nsx \
	"$FTPALG_NS_RTR" nft list chain inet ftp_alg ctl_queue 2>/dev/null |
	grep -cE '[[:space:]]queue([[:space:]]|$)')"
[ $rc = 0 ] || FAILED=1
step "ftp-algd --cleanup (a stop for good: rules, pinholes, journal)"
ftpalg_nsx "$FTPALG_NS_RTR" "$ALGD" --foreground --cleanup \
	--state-file "$WORK/state" 2>&1 | sed 's/^/    /'
left=$(ftpalg_nsx "$FTPALG_NS_RTR" nft list chain inet ftp_alg ctl_queue \
	2>/dev/null | grep -cE '[[:space:]]queue([[:space:]]|$)')
info "queue rules left: $left"
[ "$left" = 0 ] || FAILED=1

if [ $FAILED = 0 ]; then
	step "Done: every transfer verified. Cleaning up."
else
	step "Done, with failures (see above). Cleaning up."
	exit 1
fi
