# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034  # FTPALG_SERVER_PID is servers.sh's
#
# tests/netns/servers_pkgroot.sh: proftpd and pure-ftpd, unpacked by
# pkgroot.sh into a private root, run inside a test namespace with their
# own configuration. Source after topo.sh, servers.sh and pkgroot.sh.
#
#	ftpalg_proftpd_start NAME NS ADDR ROOT	anonymous, uploads to incoming/
#	ftpalg_pureftpd_start NAME NS ADDR ROOT	one virtual user (puredb):
#						$FTPALG_PY_USER/$FTPALG_PY_PASS
#
# Both listen on ADDR:$FTPALG_CTL_PORT, serve $FTPALG_PUB, use their own
# passive port range and refuse PORT/EPRT to an address other than the
# control connection's peer (their defaults). Stopped with
# ftpalg_server_stop NAME like the others.

FTPALG_PROFTPD_PASV=42000-42099
FTPALG_PUREFTPD_PASV=43000-43099

ftpalg_proftpd_start() {
	local name=$1 ns=$2 addr=$3 root=$4 dir=$FTPALG_FILES/$1 v6=off
	mkdir -p "$dir" || return 1
	case $addr in *:*) v6=on ;; esac
	cat >"$dir/proftpd.conf" <<EOF
ServerName "ftp-alg matrix"
ServerType standalone
DefaultServer on
UseIPv6 $v6
DefaultAddress $addr
SocketBindTight on
Port $FTPALG_CTL_PORT
User nobody
Group nogroup
Umask 022
MaxInstances 64
PassivePorts ${FTPALG_PROFTPD_PASV%-*} ${FTPALG_PROFTPD_PASV#*-}
PidFile $dir/proftpd.pid
ScoreboardFile $dir/proftpd.scoreboard
DelayTable none
WtmpLog off
UseReverseDNS off
TimeoutNoTransfer 60
TimeoutIdle 60
ModulePath $root/usr/lib/proftpd
SystemLog $dir/proftpd.log
TransferLog $dir/xfer.log
RequireValidShell off
<Anonymous $FTPALG_PUB>
	User ftp
	Group nogroup
	UserAlias anonymous ftp
	RequireValidShell off
	<Limit WRITE>
		DenyAll
	</Limit>
	<Directory incoming>
		<Limit STOR>
			AllowAll
		</Limit>
	</Directory>
</Anonymous>
EOF
	ip netns exec "$ns" "$root/usr/sbin/proftpd" --nodaemon \
		--config "$dir/proftpd.conf" \
		</dev/null >>"$FTPALG_FILES/$name.out" 2>&1 &
	FTPALG_SERVER_PID[$name]=$!
	ftpalg_wait_listen "$ns" "$addr" "$FTPALG_CTL_PORT"
}

ftpalg_pureftpd_start() {
	local name=$1 ns=$2 addr=$3 root=$4 dir=$FTPALG_FILES/$1 hash
	mkdir -p "$dir" && rm -f "$dir/pureftpd.passwd" "$dir/pureftpd.pdb" ||
		return 1
	# pure-pw hashes with argon2, which costs seconds of CPU at every
	# login on a loaded machine; the same entry with a SHA-512 crypt
	# hash (pure-ftpd takes any crypt(3) hash) logs in at once.
	hash=$(openssl passwd -6 "$FTPALG_PY_PASS") || return 1
	printf '%s\n%s\n' "$FTPALG_PY_PASS" "$FTPALG_PY_PASS" |
		"$root/usr/bin/pure-pw" useradd "$FTPALG_PY_USER" -u ftp -g ftp \
			-d "$FTPALG_PUB" -f "$dir/pureftpd.passwd" >/dev/null &&
	awk -F: -v OFS=: -v h="$hash" '{ $2 = h; print }' \
		"$dir/pureftpd.passwd" >"$dir/pureftpd.passwd.new" &&
	mv "$dir/pureftpd.passwd.new" "$dir/pureftpd.passwd" &&
	"$root/usr/bin/pure-pw" mkdb "$dir/pureftpd.pdb" \
		-f "$dir/pureftpd.passwd" || return 1
	# -E no anonymous, -A chroot, -H no DNS, -u 100: the ftp user may log
	# in; the pure-ftpd-wrapper defaults otherwise.
	ip netns exec "$ns" "$root/usr/sbin/pure-ftpd" \
		-S "$addr,$FTPALG_CTL_PORT" -l "puredb:$dir/pureftpd.pdb" \
		-E -A -H -u 100 -U 022:022 -I 60 -c 64 \
		-p "${FTPALG_PUREFTPD_PASV%-*}:${FTPALG_PUREFTPD_PASV#*-}" \
		</dev/null >>"$FTPALG_FILES/$name.out" 2>&1 &
	FTPALG_SERVER_PID[$name]=$!
	ftpalg_wait_listen "$ns" "$addr" "$FTPALG_CTL_PORT"
}
