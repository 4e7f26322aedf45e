# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# tests/netns/matrix_clients.sh: the clients of the compatibility matrix,
# each driven as a user would drive it, as a library (source after
# topo.sh).
#
#	mcl_run CLIENT MODE OP		run one operation; prints the
#					dialogue as "> COMMAND" / "< reply"
#	mcl_cannot CLIENT MODE OP	why CLIENT cannot do OP in MODE at
#					all (empty when it can)
#
# CLIENT: curl lftp wget ftplib inetutils-ftp tnftp. MODE: PORT EPRT PASV
# EPSV. OP: get put list nlst mlsd rest x100. The cell is described by:
#	MC_NS MC_HOST MC_PORT MC_FAM (4|6) MC_USER MC_PASS
#	MC_DIR		this cell's directory: out, listing, x/ go there
#	MC_UP MC_UPNAME	put: the local file, its name in incoming/
#	MC_REST		rest: the offset (MC_DIR/out holds that many bytes)
# matrix.sh checks what arrived; these functions only drive the client.

# shellcheck disable=SC2034  # the list matrix.sh walks
MCL_CLIENTS=(curl lftp wget ftplib inetutils-ftp tnftp)
MCL_TIMEOUT=5		# seconds a client waits for a connection or reply

# The longest one operation may take: a client that waits for a data
# connection that never comes gives up then (some never do by themselves).
_mcl_limit() { [ "$1" = x100 ] && echo 60 || echo 20; }
# The outer limit: a little later, so a client with a limit of its own
# reports it.
_mcl_kill() { echo $(($(_mcl_limit "$1") + 5)); }

# The RETR names of the 100 transfers: small/f01.bin .. f24.bin in turn.
mcl_x100_name() { printf 'small/f%02d.bin' $(($1 % 24 + 1)); }

mcl_cannot() {
	local client=$1 mode=$2 op=$3
	case $MC_FAM/$mode in
	6/PORT|6/PASV) echo "PORT and PASV carry IPv4 addresses only"
		return ;;
	esac
	case $client/$op in
	wget/put) echo "wget cannot upload"; return ;;
	wget/nlst) echo "wget lists with LIST only"; return ;;
	wget/mlsd) echo "wget has no MLSD"; return ;;
	# seen in the matrix: one USER per file, also with -i
	wget/x100) echo "wget opens a control connection per file"; return ;;
	inetutils-ftp/mlsd) echo "inetutils-ftp has no MLSD command"; return ;;
	esac
	case $client/$MC_FAM/$mode in
	# Lib/ftplib.py: makeport/makepasv pick by address family.
	ftplib/4/EPRT) echo "ftplib sends EPRT only over IPv6" ;;
	ftplib/4/EPSV) echo "ftplib sends EPSV only over IPv6" ;;
	wget/4/EPRT) echo "wget sends EPRT only over IPv6" ;;
	wget/4/EPSV) echo "wget sends EPSV only over IPv6" ;;
	esac
}

_mcl_url() {
	case $MC_HOST in
	*:*) echo "ftp://[$MC_HOST]:$MC_PORT" ;;
	*) echo "ftp://$MC_HOST:$MC_PORT" ;;
	esac
}

_mcl_curl() {
	local mode=$1 op=$2 url opts=() args=() i
	url=$(_mcl_url)
	case $mode in
	PORT) opts=(-P - --disable-eprt) ;;
	EPRT) opts=(-P -) ;;
	PASV) opts=(--disable-epsv --no-ftp-skip-pasv-ip) ;;
	EPSV) opts=(--no-ftp-skip-pasv-ip) ;;
	esac
	case $op in
	get) args=(-o "$MC_DIR/out" "$url/mid.bin") ;;
	put) args=(-T "$MC_UP" "$url/incoming/$MC_UPNAME") ;;
	list) args=(-o "$MC_DIR/listing" "$url/") ;;
	nlst) args=(-l -o "$MC_DIR/listing" "$url/") ;;
	mlsd) args=(-X MLSD -o "$MC_DIR/listing" "$url/") ;;
	rest) args=(-C - -o "$MC_DIR/out" "$url/mid.bin") ;;
	x100) mkdir -p "$MC_DIR/x"
	      for i in $(seq 0 99); do
		      args+=(-o "$MC_DIR/x/$(printf %03d "$i")"
			     "$url/$(mcl_x100_name "$i")")
	      done ;;
	esac
	ftpalg_nsx "$MC_NS" timeout "$(_mcl_kill "$op")" curl -sS -v \
		--connect-timeout "$MCL_TIMEOUT" --max-time "$(_mcl_limit "$op")" \
		-u "$MC_USER:$MC_PASS" "${opts[@]}" "${args[@]}" 2>&1 |
		tr -d '\r' | sed -n '/^> PASS/d; /^[<>] /p; /^curl: /p'
}

_mcl_lftp() {
	local mode=$1 op=$2 set cmd i
	set="set ftp:ssl-allow no; set ftp:auto-passive-mode no;
	     set ftp:ignore-pasv-address no; set ftp:fix-pasv-address no;
	     set net:timeout $MCL_TIMEOUT; set net:max-retries 1;
	     set net:reconnect-interval-base 1; set xfer:clobber on;
	     set cmd:fail-exit yes; set cmd:cls-default -1"
	case $mode in
	PORT|EPRT) set="$set; set ftp:passive-mode off" ;;
	PASV) set="$set; set ftp:passive-mode on; set ftp:prefer-epsv no" ;;
	EPSV) set="$set; set ftp:passive-mode on; set ftp:prefer-epsv yes" ;;
	esac
	case $op in
	get) cmd="get mid.bin -o $MC_DIR/out" ;;
	put) cmd="put $MC_UP -o incoming/$MC_UPNAME" ;;
	list) cmd="ls > $MC_DIR/listing" ;;
	nlst) cmd="nlist > $MC_DIR/listing" ;;
	mlsd) cmd="set ftp:use-mlsd yes; cls > $MC_DIR/listing" ;;
	rest) cmd="get -c mid.bin -o $MC_DIR/out" ;;
	x100) mkdir -p "$MC_DIR/x"; cmd=
	      for i in $(seq 0 99); do
		      cmd="$cmd get $(mcl_x100_name "$i") -o $MC_DIR/x/$(printf %03d "$i");"
	      done ;;
	esac
	ftpalg_nsx "$MC_NS" timeout "$(_mcl_kill "$op")" lftp -d -c "$set;
		open -u $MC_USER,$MC_PASS -p $MC_PORT $MC_HOST; $cmd" 2>&1 |
		tr -d '\r' | sed -n 's/^---> PASS .*/> PASS ****/; s/^---> /> /p;
			s/^<--- /< /p; /rror\|[Ff]atal/p'
}

_mcl_wget() {
	local mode=$1 op=$2 url opts=(-d --tries=1 --timeout="$MCL_TIMEOUT") i
	url=$(_mcl_url)
	case $mode in PORT|EPRT) opts+=(--no-passive-ftp) ;; esac
	opts+=(--user="$MC_USER" --password="$MC_PASS")
	(
		cd "$MC_DIR" || exit 1
		case $op in
		get) ftpalg_nsx "$MC_NS" timeout "$(_mcl_kill "$op")" wget "${opts[@]}" \
			-O "$MC_DIR/out" "$url/mid.bin" ;;
		list) mkdir -p l && cd l &&
		      ftpalg_nsx "$MC_NS" timeout "$(_mcl_kill "$op")" wget "${opts[@]}" \
			-nd --no-remove-listing "$url/" &&
		      cp .listing "$MC_DIR/listing" ;;
		rest) mv out mid.bin &&
		      ftpalg_nsx "$MC_NS" timeout "$(_mcl_kill "$op")" wget "${opts[@]}" -nd -c \
			"$url/mid.bin"; mv mid.bin out ;;
		x100) mkdir -p x && cd x &&
		      for i in $(seq 0 99); do
			      echo "$url/$(mcl_x100_name "$i")"
		      done >../urls &&
		      ftpalg_nsx "$MC_NS" timeout "$(_mcl_kill "$op")" wget "${opts[@]}" -nd \
			-i ../urls ;;
		esac
	) 2>&1 | tr -d '\r' | sed -n 's/^--> PASS .*/> PASS ****/; s/^--> /> /p;
		s/^\([1-5][0-9][0-9][ -]\)/< \1/p; /rror\|ailed/p'
}

_mcl_ftplib() {
	local op=$2
	ftpalg_nsx "$MC_NS" timeout "$(_mcl_kill "$op")" /usr/bin/python3 \
		"$FTPALG_REPO/tests/netns/matrix_ftplib.py" --host "$MC_HOST" \
		--port "$MC_PORT" --user "$MC_USER" --password "$MC_PASS" \
		--mode "$1" --op "$2" --dir "$MC_DIR" --upload "$MC_UP" \
		--upload-name "$MC_UPNAME" --rest-offset "$MC_REST" \
		--timeout "$MCL_TIMEOUT" 2>&1
}

# The command script of the BSD-style clients (inetutils-ftp, tnftp).
_mcl_bsd_script() {
	local client=$1 mode=$2 op=$3 i
	echo "user $MC_USER $MC_PASS"
	echo "binary"
	if [ "$client" = tnftp ]; then
		case $mode in
		PORT) echo "passive off"; echo "epsv4 off" ;;
		EPRT) echo "passive off"; echo "epsv4 on" ;;
		PASV) echo "passive on"; echo "epsv4 off" ;;
		EPSV) echo "passive on"; echo "epsv4 on" ;;
		esac
		echo "epsv6 on"
		echo "prompt off"
	else
		# inetutils-ftp: active by default, the commands toggle
		case $mode in
		EPRT) echo "epsv4" ;;
		PASV) echo "passive" ;;
		EPSV) echo "passive"; echo "epsv4" ;;
		esac
	fi
	case $op in
	get) echo "get mid.bin $MC_DIR/out" ;;
	put) echo "put $MC_UP incoming/$MC_UPNAME" ;;
	list) echo "ls . $MC_DIR/listing" ;;
	nlst) echo "nlist . $MC_DIR/listing" ;;
	# tnftp's mlsd prints to standard output (no local file)
	mlsd) echo "mlsd ." ;;
	rest) echo "reget mid.bin $MC_DIR/out" ;;
	x100) mkdir -p "$MC_DIR/x"
	      for i in $(seq 0 99); do
		      echo "get $(mcl_x100_name "$i") $MC_DIR/x/$(printf %03d "$i")"
	      done ;;
	esac
	echo "quit"
}

_mcl_bsd() {
	local client=$1 bin=$1 op=$3 opts=(-n -v -d)
	[ "$client" = tnftp ] && opts+=(-q "$MCL_TIMEOUT")
	_mcl_bsd_script "$@" >"$MC_DIR/script"
	ftpalg_nsx "$MC_NS" timeout "$(_mcl_kill "$op")" "$bin" "${opts[@]}" "$MC_HOST" \
		"$MC_PORT" <"$MC_DIR/script" 2>&1 | tr -d '\r' >"$MC_DIR/raw"
	[ "$op" = mlsd ] && grep 'type=' "$MC_DIR/raw" >"$MC_DIR/listing"
	sed -n 's/^---> PASS .*/> PASS ****/; s/^---> /> /p;
			s/^\([1-5][0-9][0-9][ -]\)/< \1/p; /rror\|refused\|timed out\|[Nn]ot connected/p' "$MC_DIR/raw"
}

mcl_run() {
	local client=$1
	shift
	case $client in
	curl) _mcl_curl "$@" ;;
	lftp) _mcl_lftp "$@" ;;
	wget) _mcl_wget "$@" ;;
	ftplib) _mcl_ftplib "$@" ;;
	inetutils-ftp|tnftp) _mcl_bsd "$client" "$@" ;;
	*) echo "mcl_run: no client $client"; return 1 ;;
	esac
}
