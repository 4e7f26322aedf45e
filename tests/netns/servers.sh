# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/netns/servers.sh: FTP servers from Debian packages inside the test
# namespaces, and the files they serve. Source after topo.sh.
#
#	ftpalg_files_make DIR		  pub/ (served), SHA256SUMS
#	ftpalg_vsftpd_start NAME NS ADDR [conf lines...]
#	ftpalg_pyftpd_start NAME NS ADDR [pyftpd.py options...]
#	ftpalg_server_stop NAME
#	ftpalg_servers_stop
#
# vsftpd serves anonymous users (uploads into pub/incoming); pyftpdlib a
# user with a password ($FTPALG_PY_USER / $FTPALG_PY_PASS). Both refuse
# PORT/EPRT to an address other than the control connection's peer.

FTPALG_FILES=			# the directory given to ftpalg_files_make
FTPALG_PUB=			# the served tree
FTPALG_SUMS=			# sha256sum lines, paths relative to pub/
FTPALG_PY_USER=ftpalg
FTPALG_PY_PASS=
FTPALG_VSFTPD_PASV=40000-40099
FTPALG_PYFTPD_PASV=41000-41099
FTPALG_CTL_PORT=${FTPALG_CTL_PORT:-21}	# the servers' control port
declare -A FTPALG_SERVER_PID=()

# The served tree:
#   big.bin		10 MiB of random bytes
#   mid.bin		1 MiB
#   small/fNN.bin	24 files of random sizes (1 byte .. ~256 KiB)
#   incoming/		uploads (writable by the anonymous user)
ftpalg_files_make() {
	local dir=$1 i size
	FTPALG_FILES=$dir
	FTPALG_PUB=$dir/pub
	FTPALG_SUMS=$dir/SHA256SUMS
	# Chroot targets must not be writable by the anonymous user, and
	# the path down to them must be searchable.
	mkdir -p "$dir" && chmod 755 "$dir" &&
	mkdir -p "$FTPALG_PUB/small" "$FTPALG_PUB/incoming" || return 1
	chown root:root "$FTPALG_PUB" && chmod 755 "$FTPALG_PUB" || return 1
	chown ftp:ftp "$FTPALG_PUB/incoming" 2>/dev/null ||
		chmod 1777 "$FTPALG_PUB/incoming"
	head -c $((10 * 1024 * 1024)) /dev/urandom >"$FTPALG_PUB/big.bin" &&
	head -c $((1024 * 1024)) /dev/urandom >"$FTPALG_PUB/mid.bin" || return 1
	for i in $(seq -w 1 24); do
		size=$(( (RANDOM * 8 + RANDOM % 8) % 262144 + 1 ))
		head -c "$size" /dev/urandom >"$FTPALG_PUB/small/f$i.bin" ||
			return 1
	done
	(cd "$FTPALG_PUB" && sha256sum big.bin mid.bin small/*.bin) \
		>"$FTPALG_SUMS" || return 1
	FTPALG_PY_PASS=$(head -c 9 /dev/urandom | base64 | tr '+/' 'xy')
}

# Expected sha256 of a served file (path relative to pub/).
ftpalg_sum_of() {
	awk -v f="$1" '$2 == f { print $1 }' "$FTPALG_SUMS"
}

# Wait until something listens on ADDR:PORT (TCP) in NS.
ftpalg_wait_listen() {
	local ns=$1 addr=$2 port=${3:-21} i
	case $addr in *:*) addr="[$addr]" ;; esac
	for i in $(seq 50); do
		ftpalg_nsx "$ns" ss -Hltn "src $addr:$port" 2>/dev/null |
			grep -q . && return 0
		sleep 0.1
	done
	ftpalg_log "netns: nothing listens on $addr:$port in $ns"
	return 1
}

# vsftpd on ADDR:$FTPALG_CTL_PORT (21) in NS, in the foreground of a background job.
# Extra arguments are config lines (e.g. pasv_address=...). Its config
# and log live in $FTPALG_FILES/NAME.{conf,log}.
ftpalg_vsftpd_start() {
	local name=$1 ns=$2 addr=$3 conf=$FTPALG_FILES/$1.conf line
	shift 3
	# vsftpd needs its secure_chroot_dir to exist (the package makes it).
	mkdir -p /var/run/vsftpd/empty
	{
		case $addr in
		*:*)	echo "listen=NO"
			echo "listen_ipv6=YES"
			echo "listen_address6=$addr" ;;
		*)	echo "listen=YES"
			echo "listen_ipv6=NO"
			echo "listen_address=$addr" ;;
		esac
		cat <<EOF
listen_port=$FTPALG_CTL_PORT
background=NO
seccomp_sandbox=NO
# every process of a session stays in the test namespace (teardown
# finds them there)
isolate=NO
isolate_network=NO
anonymous_enable=YES
no_anon_password=YES
anon_root=$FTPALG_PUB
local_enable=NO
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=NO
anon_umask=022
port_enable=YES
connect_from_port_20=YES
port_promiscuous=NO
pasv_enable=YES
pasv_promiscuous=NO
pasv_min_port=${FTPALG_VSFTPD_PASV%-*}
pasv_max_port=${FTPALG_VSFTPD_PASV#*-}
connect_timeout=10
accept_timeout=10
data_connection_timeout=30
idle_session_timeout=60
max_per_ip=0
secure_chroot_dir=/var/run/vsftpd/empty
pam_service_name=vsftpd
syslog_enable=NO
xferlog_enable=YES
log_ftp_protocol=YES
vsftpd_log_file=$FTPALG_FILES/$name.log
dirmessage_enable=NO
use_localtime=NO
EOF
		for line in "$@"; do
			echo "$line"
		done
	} >"$conf" || return 1
	# Not through ftpalg_nsx: a backgrounded function is a subshell, and
	# $! must be the server itself (ip netns exec execs it).
	ip netns exec "$ns" vsftpd "$conf" \
		</dev/null >>"$FTPALG_FILES/$name.out" 2>&1 &
	FTPALG_SERVER_PID[$name]=$!
	ftpalg_wait_listen "$ns" "$addr" "$FTPALG_CTL_PORT"
}

# pyftpdlib on ADDR:$FTPALG_CTL_PORT (21) in NS (tests/netns/pyftpd.py). Extra arguments go
# to pyftpd.py (e.g. --masquerade ADDR).
ftpalg_pyftpd_start() {
	local name=$1 ns=$2 addr=$3
	shift 3
	ip netns exec "$ns" /usr/bin/python3 "$FTPALG_REPO/tests/netns/pyftpd.py" \
		--bind "$addr" --port "$FTPALG_CTL_PORT" --root "$FTPALG_PUB" \
		--user "$FTPALG_PY_USER" --password "$FTPALG_PY_PASS" \
		--pasv-ports "$FTPALG_PYFTPD_PASV" \
		--log "$FTPALG_FILES/$name.log" "$@" \
		</dev/null >>"$FTPALG_FILES/$name.out" 2>&1 &
	FTPALG_SERVER_PID[$name]=$!
	ftpalg_wait_listen "$ns" "$addr" "$FTPALG_CTL_PORT"
}

ftpalg_server_stop() {
	local name=$1 pid=${FTPALG_SERVER_PID[$1]:-} i
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unset "FTPALG_SERVER_PID[$name]"
	return 0
}

ftpalg_servers_stop() {
	local name
	for name in "${!FTPALG_SERVER_PID[@]}"; do
		ftpalg_server_stop "$name"
	done
}
