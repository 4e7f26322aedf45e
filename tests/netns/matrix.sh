#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# tests/netns/matrix.sh: the compatibility matrix. Real servers and clients
# through simulated routers running ftp-algd, and the same cells through
# the kernel's FTP helper (nf_conntrack_ftp + nf_nat_ftp) as a reference.
#
#   matrix.sh [--core|--full] [--build-dir DIR] [--out FILE] [--jobs N]
#             [--only REGEX] [--logs DIR]
#
#   --core    (default) one cell per topology, per server and per client:
#             a few minutes, run by CI (label netns)
#   --full    every topology x server x client x mode x operation (label
#             matrix; tests/run.sh matrix)
#   --out     the Markdown report (default: docs/compatibility.md for
#             --full, BUILD/compatibility-core.md for --core)
#   --jobs N  topology/helper lanes run side by side (default 2)
#   --only    only cells whose "topology server client mode op" matches
#
# Every cell is a real transfer: a download or upload counts only when its
# sha256 matches, a listing only when it lists the served files, and the
# client must have used the mode the row names. A cell that cannot pass
# carries the reason (what the client or server cannot do, or what went
# wrong, found from the dialogue, the router's conntrack table and
# ftp-algd's log). Exit 0 when every ftp-algd cell that passes in the
# committed docs/compatibility.md still passes and no lane failed to set
# up; 1 otherwise. Prints "matrix: N passed, M failed" (ftp-algd cells).

set -u
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
BUILD_DIR=$REPO/build
SCOPE=core
OUT=
JOBS=2
ONLY=
LOGDIR=
LANE=		# internal: "TOPOLOGY HELPER RESULTFILE"

usage() { sed -n '4,29p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while [ $# -gt 0 ]; do
	case $1 in
	--core) SCOPE=core; shift ;;
	--full) SCOPE=full; shift ;;
	--build-dir) BUILD_DIR=$2; shift 2 ;;
	--out) OUT=$2; shift 2 ;;
	--jobs) JOBS=$2; shift 2 ;;
	--only) ONLY=$2; shift 2 ;;
	--logs) LOGDIR=$2; shift 2 ;;
	--lane) LANE=$2; shift 2 ;;
	-h|--help) usage 0 ;;
	*) echo "matrix: unknown argument $1" >&2; usage 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || { echo "matrix: needs root (network namespaces)" >&2; exit 2; }
BUILD_DIR=$(cd "$BUILD_DIR" 2>/dev/null && pwd || echo "$BUILD_DIR")

# shellcheck source=tests/netns/topo.sh
source "$HERE/topo.sh"
# shellcheck source=tests/netns/servers.sh
source "$HERE/servers.sh"
# shellcheck source=tests/netns/pkgroot.sh
source "$HERE/pkgroot.sh"
# shellcheck source=tests/netns/servers_pkgroot.sh
source "$HERE/servers_pkgroot.sh"
# shellcheck source=tests/netns/algd.sh
source "$HERE/algd.sh"
# shellcheck source=tests/netns/matrix_clients.sh
source "$HERE/matrix_clients.sh"
FTPALG_ALGD=$BUILD_DIR/alg/ftp-algd
FTPALG_ALGCTL=$BUILD_DIR/alg/ftp-algctl

TOPOLOGIES=(snat dnat-masq dnat-nomasq double-primary double-secondary ipv6 port2121)
SERVERS=(vsftpd proftpd pure-ftpd pyftpdlib py-noparen py-multiline py-private227)
MODES=(PORT EPRT PASV EPSV)
OPS=(get put list nlst mlsd rest x100)
REST_OFFSET=300000

# What the topology is: the client's namespace, the address it dials, the
# server's namespace and address, the family and the control port.
topo_endpoints() {	# sets C_NS C_HOST S_NS S_ADDR C_FAM C_PORT
	C_FAM=4 C_PORT=21
	case $1 in
	snat|port2121) C_NS=$FTPALG_NS_LAN C_HOST=$FTPALG_SRV_IP
		S_NS=$FTPALG_NS_SRV S_ADDR=$FTPALG_SRV_IP
		[ "$1" = port2121 ] && C_PORT=2121 ;;
	ipv6) C_NS=$FTPALG_NS_LAN C_HOST=$FTPALG_SRV_IP6
		S_NS=$FTPALG_NS_SRV S_ADDR=$FTPALG_SRV_IP6 C_FAM=6 ;;
	dnat-*) C_NS=$FTPALG_NS_OCL C_HOST=$FTPALG_RTR_WAN_IP
		S_NS=$FTPALG_NS_DMZ S_ADDR=$FTPALG_DMZ_IP ;;
	double-primary) C_NS=$FTPALG_NS_LAN C_HOST=$FTPALG_RTRB_WAN_IP
		S_NS=$FTPALG_NS_DMZB S_ADDR=$FTPALG_DMZB_IP ;;
	double-secondary) C_NS=$FTPALG_NS_LAN C_HOST=$FTPALG_RTRB_WAN_IP2
		S_NS=$FTPALG_NS_DMZB S_ADDR=$FTPALG_DMZB_IP ;;
	esac
	FTPALG_CTL_PORT=$C_PORT
}

# The routers a topology's helper runs on.
topo_routers() {
	case $1 in
	double-*) echo "$FTPALG_NS_RTR $FTPALG_NS_RTRB" ;;
	*) echo "$FTPALG_NS_RTR" ;;
	esac
}

# The 100 transfers on one connection run in one mode per topology: the
# passive one of the family.
x100_mode() { [ "$1" = ipv6 ] && echo EPSV || echo PASV; }

# The cells of a scope, one "topology server client mode op" a line.
# --full: every combination, except that the scripted servers (which
# differ from pyftpdlib only in the shape of their 227 reply) are run in
# PASV only, with get and list, and x100 runs in one mode (x100_mode).
# --core: one cell per topology (vsftpd,
# curl, active and passive download), per server (SNAT, ftplib PASV
# download and LIST; the 227 servers through DNAT) and per client (SNAT,
# pyftpdlib, active download).
cells() {
	local t s c m o
	if [ "$SCOPE" = full ]; then
		for t in "${TOPOLOGIES[@]}"; do
		for s in "${SERVERS[@]}"; do
		for c in "${MCL_CLIENTS[@]}"; do
			case $s in
			py-*) for o in get list; do
				echo "$t $s $c PASV $o"; done ;;
			*) for m in "${MODES[@]}"; do for o in "${OPS[@]}"; do
				[ "$o" = x100 ] && [ "$m" != "$(x100_mode "$t")" ] &&
					continue
				echo "$t $s $c $m $o"; done; done ;;
			esac
		done; done; done
		return
	fi
	for t in "${TOPOLOGIES[@]}"; do
		case $t in
		ipv6) echo "$t vsftpd curl EPRT get"; echo "$t vsftpd curl EPSV get" ;;
		*) echo "$t vsftpd curl PORT get"; echo "$t vsftpd curl PASV get" ;;
		esac
	done
	for s in vsftpd proftpd pure-ftpd pyftpdlib; do
		echo "snat $s ftplib PASV get"; echo "snat $s ftplib PASV list"
	done
	for s in py-noparen py-multiline py-private227; do
		echo "dnat-masq $s ftplib PASV get"
	done
	for c in "${MCL_CLIENTS[@]}"; do
		echo "snat pyftpdlib $c PORT get"
	done
	echo "snat pyftpdlib ftplib PASV x100"
	echo "snat proftpd curl EPSV mlsd"
	echo "snat pure-ftpd lftp PASV put"
	echo "snat vsftpd tnftp PASV rest"
}

# ---------------------------------------------------------------------------
# One lane: one topology with one helper, every cell of it.

WORK=
cleanup_lane() {
	local rc=$? ns
	trap - EXIT INT TERM
	ftpalg_servers_stop
	for ns in "${!FTPALG_ALGD_PID[@]}"; do ftpalg_algd_stop "$ns"; done
	ftpalg_topo_down
	[ -n "$WORK" ] && rm -rf "$WORK"
	exit "$rc"
}

PKGROOT=
server_start() {	# KIND
	local kind=$1
	S_USER=anonymous S_PASS=ftpalg@example.org
	case $kind in
	vsftpd) ftpalg_vsftpd_start srv "$S_NS" "$S_ADDR" connect_timeout=5 ;;
	proftpd) ftpalg_proftpd_start srv "$S_NS" "$S_ADDR" "$PKGROOT" ;;
	pure-ftpd) ftpalg_pureftpd_start srv "$S_NS" "$S_ADDR" "$PKGROOT"
		S_USER=$FTPALG_PY_USER S_PASS=$FTPALG_PY_PASS ;;
	pyftpdlib) ftpalg_pyftpd_start srv "$S_NS" "$S_ADDR"
		S_USER=$FTPALG_PY_USER S_PASS=$FTPALG_PY_PASS ;;
	py-noparen|py-multiline)
		ftpalg_pyftpd_start srv "$S_NS" "$S_ADDR" --pasv-reply "${kind#py-}"
		S_USER=$FTPALG_PY_USER S_PASS=$FTPALG_PY_PASS ;;
	py-private227)
		ftpalg_pyftpd_start srv "$S_NS" "$S_ADDR" \
			--masquerade "$FTPALG_UNROUTABLE_IP"
		S_USER=$FTPALG_PY_USER S_PASS=$FTPALG_PY_PASS ;;
	esac
}

lane_setup() {	# TOPOLOGY HELPER
	local t=$1 h=$2 ns conf=()
	ftpalg_topo_up "${t:0:3}${h:0:1}" || return 1
	case $t in
	dnat-nomasq) ftpalg_topo_dmz_unmasq || return 1 ;;
	double-*) ftpalg_topo_double_up || return 1 ;;
	esac
	if [ "$t" = port2121 ]; then
		echo "control_ports = 2121" >"$WORK/algd.conf"
		conf=(--config "$WORK/algd.conf")
	fi
	ns=$(server_router "$t")
	[ -z "$ns" ] || probe_load "$ns" || return 1
	for ns in $(topo_routers "$t"); do
		mkdir -p "$WORK/$ns"
		case $h in
		alg) ftpalg_algd_start "$ns" "$WORK/$ns" "$LANE_LOGS/ftp-algd-$ns.log" \
			"${conf[@]}" || return 1 ;;
		kernel) ftpalg_kernel_helper_in "$ns" "$C_PORT" || return 1 ;;
		esac
	done
}

# The server-side router records the source address of every SYN that
# leaves it through WAN, after source NAT (a hook after srcnat): in the
# DNAT and double-NAT topologies these are the server's active-mode data
# connections, and their source tells why a client never saw one.
server_router() {
	case $1 in
	dnat-*) echo "$FTPALG_NS_RTR" ;;
	double-*) echo "$FTPALG_NS_RTRB" ;;
	esac
}

probe_load() {
	ftpalg_nsx "$1" nft -f - <<'EOF2'
table inet matrix_probe {
	set synsrc {
		type ipv4_addr
		flags dynamic
	}
	chain post {
		type filter hook postrouting priority 300; policy accept;
		meta nfproto ipv4 oifname "wan" tcp flags & (syn | ack) == syn add @synsrc { ip saddr }
	}
}
EOF2
}

probe_sources() {
	ftpalg_nsx "$1" nft list set inet matrix_probe synsrc 2>/dev/null |
		sed -n 's/.*elements = { *\([^}]*\)}.*/\1/p' | tr -d ' ' | tr ',' ' '
}

# The data command an operation needs.
op_cmd() {
	case $1 in
	get|x100) echo RETR ;; put) echo STOR ;; list) echo LIST ;;
	nlst) echo NLST ;; mlsd) echo MLSD ;; rest) echo REST ;;
	esac
}

sha() { sha256sum <"$1" 2>/dev/null | cut -d' ' -f1; }

# Is the data right? Prints nothing when it is, else what is wrong.
check_data() {	# OP DIALOGUE
	local f i n base want d=$2
	case $1 in
	get|rest) [ "$(sha "$MC_DIR/out")" = "$(ftpalg_sum_of mid.bin)" ] ||
		echo "download: sha256 differs or nothing arrived" ;;
	put) [ "$(sha "$FTPALG_PUB/incoming/$MC_UPNAME")" = "$(ftpalg_sum_of mid.bin)" ] ||
		echo "upload: the server's copy is missing or its sha256 differs" ;;
	list|nlst) grep -q 'mid\.bin' "$MC_DIR/listing" 2>/dev/null ||
		echo "listing: no mid.bin in it" ;;
	mlsd) grep -q 'mid\.bin' "$MC_DIR/listing" 2>/dev/null ||
		echo "MLSD listing: no mid.bin in it" ;;
	x100) n=0
	      for f in "$MC_DIR"/x/*; do
		      [ -f "$f" ] || continue
		      base=${f##*/}
		      if [[ $base =~ ^[0-9]{3}$ ]]; then
			      i=$((10#$base)); base=$(mcl_x100_name "$i")
		      else
			      base=small/${base%%.bin*}.bin
		      fi
		      want=$(ftpalg_sum_of "$base")
		      [ "$(sha "$f")" = "$want" ] && n=$((n + 1))
	      done
	      [ $n = 100 ] || echo "$n of 100 transfers arrived intact" \
		"($(grep -cE '^> RETR' "$d") RETRs sent)" ;;
	esac
}

# The announcements in the dialogue that are not MODE.
other_modes() {
	grep -oE '^> (PORT|EPRT|PASV|EPSV)' "$1" | cut -c3- | grep -vx "$2" | sort -u | tr '\n' ' '
}

# Why a cell failed, from what we can see. $1 dialogue, $2 op.
why_failed() {
	local d=$1 op=$2 cmd line a227 src a
	cmd=$(op_cmd "$op")
	# The server's active data connection: with which source did it leave?
	case $MODE/$TOPO in
	PORT/dnat-*|EPRT/dnat-*|PORT/double-*|EPRT/double-*)
		src=" $(probe_sources "$(server_router "$TOPO")") "
		if [[ $src == *" $S_ADDR "* ]]; then
			echo "server's active data connection leaves with its private address"
			return
		fi
		for a in $src; do
			[ "$a" = "$C_HOST" ] && continue
			echo "server's active data connection leaves from $a, not $C_HOST"
			return
		done ;;
	esac
	# The server refused the command itself.
	line=$(awk -v c="$cmd" '$1 == ">" && $2 == c { s = 1; next }
		s && /^< [45][0-9][0-9] / { print; exit }' "$d")
	# (tnftp reports its own timeout as "421 ... remote server timed out")
	if [ -n "$line" ] && ! grep -qE '^< 425|^< 421 .*remote server timed out' <<<"$line"; then
		echo "server: ${line#< }"; return
	fi
	# A 227 the client did not get, or saw with an address it cannot
	# reach.
	if [ "$MODE" = PASV ] && grep -qE '^> PASV' "$d"; then
		line=
		if ! grep -qE '^< 227 ' "$d"; then
			line="no 227 reply reached the client"
			grep -qE '^< 227-' "$d" &&
				line="the client never received the closing line of the multi-line 227"
		else
			a227=$(grep -E '^< 227' "$d" | grep -oE '[0-9]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+,[0-9]+' |
				head -n 1 | cut -d, -f1-4 | tr , .)
			[ -n "$a227" ] && [ "$a227" != "$C_HOST" ] &&
				line="the 227 reached the client with $a227, not rewritten to $C_HOST"
		fi
		if [ -n "$line" ]; then
			case $HELPER/$SERVER in
			kernel/py-multiline) line="kernel helper: 227 inside multi-line reply not parsed ($line)" ;;
			kernel/py-noparen) line="kernel helper: 227 without parentheses not parsed ($line)" ;;
			kernel/py-private227) line="kernel helper: a 227 address that is not the server's own is left alone ($line)" ;;
			esac
			echo "$line"
			return
		fi
	fi
	# ftp-algd refused something in this cell.
	if [ "$HELPER" = alg ]; then
		line=$(tail -c +"$((ALG_LOG_POS + 1))" "$ALG_LOG_ALL" 2>/dev/null |
			grep -m1 -iE 'refus|drop|fail' | sed 's/^[^a-z]*//')
		[ -n "$line" ] && { echo "ftp-algd: ${line:0:120}"; return; }
	fi
	line=$(grep -m1 -E '^< 425|^curl: |^error:|[Ee]rror|[Tt]imed? ?out|refused' "$d" |
		sed 's/^< //')
	[ -n "$line" ] && { echo "${line:0:140}"; return; }
	echo ""
}

MODE='' TOPO='' SERVER='' HELPER='' ALG_LOG_POS=0 ALG_LOG_ALL=''
run_cell() {	# CLIENT MODE OP -> one result line
	local client=$1 op=$3 n=$NCELL why t0 d bad users ns verdict
	MODE=$2
	t0=$(date +%s%N)
	MC_FAM=$C_FAM
	why=$(mcl_cannot "$client" "$MODE" "$op")
	# vsftpd lists no MLST in its FEAT and answers MLSD with 500.
	[ -z "$why" ] && [ "$SERVER/$op" = vsftpd/mlsd ] && why="vsftpd has no MLSD"
	if [ -n "$why" ]; then
		result "$client" "$op" n/a "$why" "$t0"; return
	fi
	MC_NS=$C_NS MC_HOST=$C_HOST MC_PORT=$C_PORT MC_FAM=$C_FAM
	MC_USER=$S_USER MC_PASS=$S_PASS MC_DIR=$WORK/cell/$n
	MC_UP=$FTPALG_PUB/mid.bin MC_UPNAME=up-$TOPO-$HELPER-$n.bin MC_REST=$REST_OFFSET
	mkdir -p "$MC_DIR"
	[ "$op" = rest ] && head -c "$REST_OFFSET" "$FTPALG_PUB/mid.bin" >"$MC_DIR/out"
	for ns in $(topo_routers "$TOPO"); do
		ftpalg_nsx "$ns" conntrack -F >/dev/null 2>&1
	done
	ns=$(server_router "$TOPO")
	[ -z "$ns" ] || ftpalg_nsx "$ns" nft flush set inet matrix_probe synsrc
	ALG_LOG_ALL=$LANE_LOGS/ftp-algd-$FTPALG_NS_RTR.log
	[ "$TOPO" = double-secondary ] || [ "$TOPO" = double-primary ] &&
		ALG_LOG_ALL=$LANE_LOGS/ftp-algd-$FTPALG_NS_RTRB.log
	ALG_LOG_POS=$(stat -c %s "$ALG_LOG_ALL" 2>/dev/null || echo 0)
	d=$LANE_LOGS/$(printf '%04d' "$n")-$SERVER-$client-$MODE-$op.log
	mcl_run "$client" "$MODE" "$op" >"$d" 2>&1
	why='' verdict=FAIL
	if ! grep -qE "^> $(op_cmd "$op")" "$d"; then
		why=
		grep -qE "^> $MODE( |$)" "$d" && why=$(why_failed "$d" "$op")
		if [ -z "$why" ]; then
			why=$(grep -m1 -E '^< [45][0-9][0-9] |^error:|^curl: |rror' "$d" | sed 's/^< /server: /')
			why="$client never sent $(op_cmd "$op")${why:+ (${why:0:120})}"
		fi
	elif ! grep -qE "^> $MODE( |$)" "$d"; then
		bad=$(other_modes "$d" "$MODE")
		why="$client did not send $MODE${bad:+ (sent ${bad% })}"
		verdict=n/a
	else
		bad=$(other_modes "$d" "$MODE")
		[ -n "$bad" ] && why="$client fell back to ${bad% }"
	fi
	if [ -z "$why" ]; then
		why=$(check_data "$op" "$d")
		if [ -n "$why" ]; then
			local cause
			cause=$(why_failed "$d" "$op")
			[ -n "$cause" ] && why=$cause
		elif [ "$op" = x100 ]; then
			users=$(grep -cE '^> USER' "$d")
			[ "$users" = 1 ] ||
				why="$client used $users control connections for 100 transfers"
		elif [ "$op" = rest ] && ! grep -qE "^> REST $REST_OFFSET" "$d"; then
			why="$client did not resume at $REST_OFFSET"
		fi
	fi
	if [ "$HELPER" = alg ]; then
		for ns in $(topo_routers "$TOPO"); do
			ftpalg_algd_alive "$ns" || why="ftp-algd died${why:+; $why}"
		done
	fi
	if [ -z "$why" ]; then
		result "$client" "$op" pass "" "$t0"
	else
		result "$client" "$op" "$verdict" "$why" "$t0"
	fi
	[ -z "$why" ] && rm -rf "$MC_DIR" "$FTPALG_PUB/incoming/$MC_UPNAME"
}

result() {	# CLIENT OP VERDICT REASON T0
	local ms=$(( ($(date +%s%N) - $5) / 1000000 ))
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$TOPO" "$SERVER" "$1" \
		"$MODE" "$2" "$HELPER" "$3" "${4//$'\t'/ }" "$ms" >>"$RESULTS"
	printf '  [%-6s] %-16s %-13s %-13s %-4s %-4s %-4s %s\n' "$HELPER" "$TOPO" \
		"$SERVER" "$1" "$MODE" "$2" "$3" "$4"
	NCELL=$((NCELL + 1))
}

run_lane() {
	local t h srv c m o
	local only
	read -r t h RESULTS LANE_LOGS CELLS only <<<"$LANE"
	TOPO=$t HELPER=$h NCELL=1
	mkdir -p "$LANE_LOGS"
	WORK=$(mktemp -d /tmp/ftpalg-matrix.XXXXXX) || exit 2
	chmod 755 "$WORK"	# servers drop to their ftp user below it
	trap cleanup_lane EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	ftpalg_files_make "$WORK/files" >/dev/null || exit 2
	PKGROOT=$MATRIX_PKGROOT
	topo_endpoints "$t"
	if ! lane_setup "$t" "$h" >"$LANE_LOGS/setup.log" 2>&1; then
		echo "matrix: $t/$h: setup failed ($LANE_LOGS/setup.log)" >&2
		tail -n 10 "$LANE_LOGS/setup.log" >&2
		printf '%s\t-\t-\t-\t-\t%s\tSETUP\tsetup failed\t0\n' "$t" "$h" >>"$RESULTS"
		exit 2
	fi
	topo_endpoints "$t"	# the double-NAT names exist now
	for srv in "${SERVERS[@]}"; do
		[ "$srv" = "$only" ] || continue
		grep -q "^$t $srv " "$CELLS" || continue
		SERVER=$srv
		ftpalg_server_stop srv
		if ! server_start "$srv" >>"$LANE_LOGS/setup.log" 2>&1; then
			while read -r _ _ c m o; do
				MODE=$m
				result "$c" "$o" FAIL "$srv did not start" "$(date +%s%N)"
			done < <(grep "^$t $srv " "$CELLS")
			continue
		fi
		while read -r _ _ c m o; do
			run_cell "$c" "$m" "$o"
		done < <(grep "^$t $srv " "$CELLS")
	done
	exit 0
}

if [ -n "$LANE" ]; then
	run_lane
fi

# ---------------------------------------------------------------------------
# The whole matrix: prerequisites, lanes, report.

START=$(date +%s)
FTPALG_TEST_PACKAGES="$FTPALG_TEST_PACKAGES wget tnftp inetutils-ftp"
if ! command -v tnftp >/dev/null || ! command -v inetutils-ftp >/dev/null ||
   ! command -v wget >/dev/null; then
	ftpalg_install_packages wget tnftp inetutils-ftp || exit 2
else
	ftpalg_install_packages || exit 2
fi
MATRIX_PKGROOT=${FTPALG_PKGROOT_DIR:-/var/cache/ftp-alg-tests/root}
if [ ! -x "$MATRIX_PKGROOT/usr/sbin/proftpd" ] ||
   [ ! -x "$MATRIX_PKGROOT/usr/sbin/pure-ftpd" ]; then
	ftpalg_pkgroot "$MATRIX_PKGROOT" proftpd-core pure-ftpd pure-ftpd-common ||
		exit 2
fi
export MATRIX_PKGROOT
[ -x "$FTPALG_ALGD" ] || { echo "matrix: no $FTPALG_ALGD (build first)" >&2; exit 2; }

[ -n "$LOGDIR" ] || LOGDIR=$BUILD_DIR/matrix-logs
rm -rf "${LOGDIR:?}/$SCOPE"
mkdir -p "$LOGDIR/$SCOPE" || exit 2
if [ -z "$OUT" ]; then
	if [ "$SCOPE" = full ]; then OUT=$REPO/docs/compatibility.md
	else OUT=$BUILD_DIR/compatibility-core.md; fi
fi
CELLS=$LOGDIR/$SCOPE/cells
cells | { if [ -n "$ONLY" ]; then grep -E -- "$ONLY"; else cat; fi; } >"$CELLS"
echo "matrix: $SCOPE, $(wc -l <"$CELLS") cells, $JOBS lanes, logs $LOGDIR/$SCOPE"

pids=()
lane_rc=0
for t in "${TOPOLOGIES[@]}"; do
for srv in "${SERVERS[@]}"; do
	grep -q "^$t $srv " "$CELLS" || continue
	for h in alg kernel; do
		while [ "$(jobs -rp | wc -l)" -ge "$JOBS" ]; do
			wait -n || lane_rc=1
		done
		lane=$t-$srv-$h
		bash "${BASH_SOURCE[0]}" --build-dir "$BUILD_DIR" --lane \
			"$t $h $LOGDIR/$SCOPE/results-$lane.tsv $LOGDIR/$SCOPE/$lane $CELLS $srv" \
			>"$LOGDIR/$SCOPE/lane-$lane.out" 2>&1 &
		pids+=($!)
	done
done
done
for p in "${pids[@]}"; do
	wait "$p" 2>/dev/null
done
grep -q $'\tSETUP\t' "$LOGDIR/$SCOPE"/results-*.tsv 2>/dev/null && lane_rc=1
SECS=$(( $(date +%s) - START ))

cat "$LOGDIR/$SCOPE"/results-*.tsv >"$LOGDIR/$SCOPE/results.tsv" 2>/dev/null
cmd="bash tests/netns/matrix.sh --$SCOPE"
/usr/bin/python3 "$HERE/matrix_report.py" --results "$LOGDIR/$SCOPE/results.tsv" \
	--cells "$CELLS" --out "$OUT" --command "$cmd" --seconds "$SECS" \
	--baseline "$REPO/docs/compatibility.md" --scope "$SCOPE"
rc=$?
echo "matrix: report $OUT (${SECS}s)"
[ $lane_rc = 0 ] || { echo "matrix: a lane failed (see $LOGDIR/$SCOPE/lane-*.out)"; rc=1; }
exit $rc
