# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034
#
# tests/netns/hostile_cases.sh: the cases of test_hostile.sh (sourced by
# it, after set-up). Ports: 2222 = 8,174 and 22 = 0,22 have listeners
# behind them (LAN 10.0.1.2, DMZ 10.0.2.2, outside 203.0.113.20:2222).

L=$FTPALG_NS_LAN O=$FTPALG_NS_OCL S=$FTPALG_NS_SRV
WAN=$FTPALG_RTR_WAN_IP
LDMZ=$WORK/listen-DMZ-2222 LLAN=$WORK/listen-LAN-2222
# a DMZ server's reply, sent as the reply to the next command
dmz_next() { echo "s:SITE NEXT $*\\r\\n" ; }
P227_DMZ="227 Entering Passive Mode (10,0,2,2,8,174)\r\n"

# --- positive controls: the checks see a hole that is meant to be there

c_control_dmz_pasv() {
	hclient "$O" "$WAN" "${LOGIN[@]}" "s:PASV\\r\\n" r w:0.3
	client_saw "(203,0,113,1,8,174)"
	local before
	before=$(wc -l <"$LDMZ")
	nsx "$O" "$PY" "$HPY" probe --host "$WAN" --port 2222 >/dev/null ||
		err "the legitimate PASV's mapping does not work"
	sleep 0.2
	[ "$(wc -l <"$LDMZ")" -gt "$before" ] || err "DMZ listener not reached"
}
c_control_lan_port() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:PORT 10,0,1,2,8,174\\r\\n" r w:0.3
	server_got "PORT 203,0,113,1,8,174"
	local before
	before=$(wc -l <"$LLAN")
	nsx "$S" "$PY" "$HPY" probe --host "$WAN" --port 2222 --bind "$H_IP" >/dev/null ||
		err "the legitimate PORT's pinhole does not work"
	sleep 0.2
	[ "$(wc -l <"$LLAN")" -gt "$before" ] || err "LAN listener not reached"
}

# --- bounce

c_port_third_party() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:PORT 10,0,2,2,8,174\\r\\n" r
	server_got "PORT 10,0,2,2,8,174"
	no_hole 10.0.2.2 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LDMZ"
	reason bounce
	logged "third-party data connection refused"
}
c_eprt_third_party() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:EPRT |1|203.0.113.20|2222|\\r\\n" r
	server_got "EPRT |1|203.0.113.20|2222|"
	no_hole 203.0.113.20 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$WORK/listen-OCL-2222"
	reason bounce
}
c_port_octet_256() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:PORT 10,0,1,258,8,174\\r\\n" r
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
	reason malformed
}
c_port_zero() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:PORT 10,0,1,2,0,0\\r\\n" r
	no_hole - 0
	reason malformed
}
c_port_low() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:PORT 10,0,1,2,0,22\\r\\n" r
	no_hole - 22
	blocked "$S/$H_IP" "$WAN" 22 "$WORK/listen-LAN-22"
	reason low_port
	logged "data port 22 is below 1024"
}
c_eprt_low() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:EPRT |1|10.0.1.2|22|\\r\\n" r
	no_hole - 22
	blocked "$S/$H_IP" "$WAN" 22 "$WORK/listen-LAN-22"
	reason low_port
}
c_lprt_third_party() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:LPRT 4,4,10,0,2,2,2,8,174\r\n" r
	server_got "LPRT 4,4,10,0,2,2,2,8,174"
	no_hole 10.0.2.2 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LDMZ"
	reason bounce
}
c_eprt6_third_party() {	# IPv6: no NAT, the pinhole alone would do it
	hclient "$L" "$H_IP6" "${LOGIN[@]}" \
		"s:EPRT |2|$FTPALG_OCL_IP6|2222|\r\n" r
	server_got "EPRT |2|$FTPALG_OCL_IP6|2222|"
	no_hole "$FTPALG_OCL_IP6" 2222
	reason bounce
}
c_227_third_party() {	# DMZ server points the outside client at the LAN
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "227 Entering Passive Mode (10,0,1,2,8,174)\r\n")")" r \
		"s:PASV\\r\\n" r
	# pointed back at the server: its own port 2222 is opened, not
	# the LAN host's
	client_saw "(203,0,113,1,8,174)"
	no_hole 10.0.1.2 2222
	unreached "$O" "$WAN" 2222 "$LLAN"
	note foreign_addr
}
c_227_octet_300() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "227 Entering Passive Mode (10,0,2,2,300,174)\r\n")")" r \
		"s:PASV\\r\\n" r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason malformed
}
c_227_port_zero() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "227 Entering Passive Mode (10,0,2,2,0,0)\r\n")")" r \
		"s:PASV\\r\\n" r
	no_hole - 0
	reason malformed
}
c_227_low_port() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "227 Entering Passive Mode (10,0,2,2,0,22)\r\n")")" r \
		"s:PASV\\r\\n" r
	no_hole - 22
	blocked "$O" "$WAN" 22 "$WORK/listen-DMZ-22"
	reason low_port
}
c_229_low_port() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "229 Entering Extended Passive Mode (|||22|)\r\n")")" r \
		"s:EPSV\\r\\n" r
	no_hole - 22
	blocked "$O" "$WAN" 22 "$WORK/listen-DMZ-22"
	reason low_port
}

# --- pairing

c_227_from_client() {
	hclient "$O" "$WAN" "${LOGIN[@]}" "s:$P227_DMZ" r
	server_got "227 Entering Passive Mode (10,0,2,2,8,174)"
	no_hole 10.0.2.2 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	# a client's 227 is a command: nothing to refuse, nothing logged
	[ "$(stat 's["pinholes"]["added"]')" = "$PINS_BEFORE" ] ||
		err "a pinhole was added"
}
c_227_unsolicited() {	# after the reply to SITE, with nothing asked
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"s:SITE SEND $(hex "200 ok\r\n") $(hex "$P227_DMZ")\\r\\n" r r
	client_saw "(10,0,2,2,8,174)"
	no_hole 10.0.2.2 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason unpaired
	logged "reply does not answer a PASV command"
}
c_229_unsolicited() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"s:SITE SEND $(hex "200 ok\r\n") $(hex "229 Entering Extended Passive Mode (|||2222|)\r\n")\\r\\n" r r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason unpaired
}
c_227_answers_noop() {
	hclient "$O" "$WAN" "${LOGIN[@]}" "$(dmz_next "$(hex "$P227_DMZ")")" r \
		"s:NOOP\\r\\n" r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason unpaired
}
c_227_twice_for_one_pasv() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "227 Entering Passive Mode (10,0,2,2,8,252)\r\n$P227_DMZ")")" r \
		"s:PASV\\r\\n" r r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason unpaired
}
c_227_inside_feat() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "211-Features:\r\n$P227_DMZ 229 Entering Extended Passive Mode (|||2222|)\r\n211 End\r\n")")" r \
		"s:PASV\\r\\n" r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
}
c_227_inside_help() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "214-Help:\r\n$P227_DMZ""214 ok\r\n")")" r \
		"s:PASV\\r\\n" r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
}
c_227_segment_start_midline() {	# the 227 starts a segment, not a line
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "500 'AAAAAAAAAAAAAAAA") $(hex "$P227_DMZ")")" r \
		"s:PASV\\r\\n" r
	client_saw "AAAA227 Entering"
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
}
c_slipstream_echo() {	# the server echoes the client's text at a boundary
	local pad
	pad=$(printf 'A%.0s' $(seq 1441))
	hclient "$O" "$WAN" "${LOGIN[@]}" "s:X$pad$P227_DMZ" r
	client_saw "227 Entering Passive Mode (10,0,2,2,8,174)"
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
}
c_slipstream_bare_cr() {
	hclient "$O" "$WAN" "${LOGIN[@]}" "s:XX\\r$P227_DMZ" r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
}
c_port_segment_start_midline() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:NOOP aaaa" \
		"s:PORT 10,0,1,2,8,174\\r\\n" r
	server_got "NOOP aaaaPORT 10,0,1,2,8,174"
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
}
c_port_from_server() {	# a PORT line from the server is text
	hclient "$L" "$H_IP" "${LOGIN[@]}" \
		"s:SITE SEND $(hex "200-x\r\nPORT 10,0,1,2,8,174\r\n200 ok\r\n")\\r\\n" r
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
}

# --- stream

c_overlong_line() {
	local pad
	pad=$(printf 'x%.0s' $(seq 700))
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:NOOP $pad\\r\\n" r \
		"s:PORT 10,0,1,2,8,174\\r\\n" r
	server_got "PORT 10,0,1,2,8,174"
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
	reason line_long
	logged "control line longer than the limit"
}
c_overlong_reply() {
	local pad
	pad=$(printf 'y%.0s' $(seq 700))
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "200 $pad\r\n")")" r "s:NOOP\\r\\n" r \
		"s:PASV\\r\\n" r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason line_long
}
c_nul_in_command() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:NOOP \\x00x\\r\\n" r \
		"s:PORT 10,0,1,2,8,174\\r\\n" r
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
	reason line_nul
	logged "NUL byte in a control line"
}
c_nul_in_reply() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "227 Entering Passive Mode (10,0,2,2,8,174)\x00\r\n")")" r \
		"s:PASV\\r\\n" r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason line_nul
}
c_bare_lf_command() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:NOOP\\nPORT 10,0,1,2,8,174\\r\\n" r r
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
	reason bare_lf
	logged "bare LF"
}
c_bare_lf_reply() {
	hclient "$O" "$WAN" "${LOGIN[@]}" \
		"$(dmz_next "$(hex "227 Entering Passive Mode (10,0,2,2,8,174)\n")")" r \
		"s:PASV\\r\\n" r
	no_hole - 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason bare_lf
}
c_bare_cr_command() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:NOOP\\rPORT 10,0,1,2,8,174\\r\\n" r
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
}

# --- raw packets

c_retrans_mismatch() {	# the same bytes of a line sent twice, differing
	raw "$L" "$FTPALG_LAN_IP" "$H_IP" "${RLOGIN[@]}" \
		"s:PORT 10,0,1,2," "retrans:14:PORT 10,0,2,2," pump:0.3 \
		"s:8,174\\r\\n" expect:200 ||
		err "raw client: $(tail -n 1 "$WORK/raw.out")"
	# the first bytes stand: the PORT names the client, and is rewritten
	server_got "PORT 203,0,113,1,8,174"
	no_hole 10.0.2.2 2222
	unreached "$S/$H_IP" "$WAN" 2222 "$LDMZ"
	reason retrans_mismatch
}
c_rst_fin_far_outside_window() {
	raw "$L" "$FTPALG_LAN_IP" "$H_IP" "${RLOGIN[@]}" \
		"s:PORT 10,0,1,2,39,16\\r\\n" expect:"200 ok" \
		rstfar:3000000 finfar:3000000 rstfar:-3000000 pump:0.5 \
		"s:PORT 10,0,1,2,39,17\\r\\n" "expect:200 ok\\r\\n200 ok" ||
		err "raw client: $(tail -n 1 "$WORK/raw.out")"
	# both PORTs rewritten: the session survived the RST and the FIN
	server_got "PORT 203,0,113,1,39,16"
	server_got "PORT 203,0,113,1,39,17"
	grep -q "rst=False" "$WORK/raw.out" || err "the connection was reset"
	note rst_window 3
}
c_sack_anywhere() {
	raw "$L" "$FTPALG_LAN_IP" "$H_IP" "${RLOGIN[@]}" \
		"s:PORT 10,0,1,2,39,18\\r\\n" expect:"200 ok" sack:200 \
		"s:XSACKCHECK\\r\\n" "expect:'XSACKCHECK'" ||
		err "raw client: $(tail -n 1 "$WORK/raw.out")"
	server_got "PORT 203,0,113,1,39,18"
}
c_malformed_headers() {	# truncated, inconsistent IP/TCP headers, bad options
	raw "$L" "$FTPALG_LAN_IP" "$H_IP" "${RLOGIN[@]}" junk pump:0.5 \
		"s:XJUNKCHECK\\r\\n" "expect:'XJUNKCHECK'" ||
		err "raw client: $(tail -n 1 "$WORK/raw.out")"
	# none of them carried a PORT to the server, none opened 10.0.1.2:2228
	no_hole - 2228
	if grep -qF "PORT 10,0,1,2,8,180" "$WORK/h.log"; then
		err "a malformed packet's PORT reached the server"
	fi
	reason malformed 0
}
c_bad_options_on_port_segment() {
	raw "$L" "$FTPALG_LAN_IP" "$H_IP" "${RLOGIN[@]}" \
		"sopt:0209:PORT 10,0,1,2,8,174\\r\\n" pump:0.5 ||
		err "raw client: $(tail -n 1 "$WORK/raw.out")"
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
}
c_malformed_syn_then_227() {	# the issue's class 2
	# the SYN's last option claims 9 bytes where 4 are left
	raw "$O" "$FTPALG_OCL_IP" "$WAN" syn:020405b401010309 expect:220 \
		"s:PASV\\r\\n" expect:227 pump:0.3 ||
		err "raw client: $(tail -n 1 "$WORK/raw.out")"
	grep -qF "(10,0,2,2,8,174)" "$WORK/raw.out" ||
		err "the 227 was rewritten: $(tail -n 1 "$WORK/raw.out")"
	no_hole 10.0.2.2 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason unsynced
	logged "session picked up mid-stream"
}
c_v6_ext_chain() {	# hop-by-hop + destination options + routing
	raw "$L" "$FTPALG_LAN_IP6" "$H_IP6" ext:hbh,dst,rt "${RLOGIN[@]}" \
		"s:EPRT |2|2001:db8:1::20|2222|\\r\\n" expect:"200 ok" \
		"s:EPRT |2|2001:db8:10::2|0|\\r\\n" "expect:200 ok\\r\\n200" ||
		err "raw client: $(tail -n 1 "$WORK/raw.out")"
	no_hole 2001:db8:1::20 2222
	no_hole - 0
	reason bounce
	reason malformed
}
c_v6_ext_chain_too_long() {	# nine headers: the parser gives up
	raw "$L" "$FTPALG_LAN_IP6" "$H_IP6" \
		ext:hbh,dst,dst,dst,dst,dst,dst,dst,rt "${RLOGIN[@]}" \
		"s:EPRT |2|2001:db8:10::2|2222|\\r\\n" pump:0.5
	no_hole - 2222
	blocked "$S/$H_IP6" "$FTPALG_LAN_IP6" 2222 "$WORK/listen-LAN6-2222"
}

# --- floods

c_pasv_flood() {
	# a neighbour holds a PASV pinhole meanwhile
	touch "$WORK/hold"
	nsx "$L" timeout 60 "$PY" "$HERE/ftpclient.py" --host "$FTPALG_SRV_IP" \
		--case hold --mode PORT --file small/f03.bin --hold-file "$WORK/hold" \
		--sums "$FTPALG_SUMS" >"$WORK/hold.out" 2>&1 &
	local hold=$!
	for _ in $(seq 100); do
		grep -q ready "$WORK/hold" 2>/dev/null && break
		sleep 0.1
	done
	rm -f "$WORK/hold-ctl.held"
	# sample the kernel's pin4 while the flood runs
	( max=0
	  while [ ! -e "$WORK/hold-ctl.held" ]; do
		n=$(nsx "$FTPALG_NS_RTR" nft list set inet ftp_alg pin4 |
			grep -o "$H_IP" | wc -l)
		[ "$n" -gt "$max" ] && max=$n && echo "$max" >"$WORK/flood.max"
		sleep 0.1
	  done ) &
	local sampler=$! max
	echo 0 >"$WORK/flood.max"
	hclient "$L" "$H_IP" "${LOGIN[@]}" pasv:1000
	wait "$sampler"
	max=$(cat "$WORK/flood.max")
	client_saw "1000 PASV"
	[ "$max" -le 1 ] || err "$max pinholes live at once for one session"
	[ "$max" -ge 1 ] || err "the flood's pinhole was never seen in pin4"
	note pin_replaced 900
	# the neighbour's pinhole survived the flood
	ctl pinholes --json | "$PY" -c '
import json, sys
l = json.load(sys.stdin)["pinholes"]
sys.exit(0 if any(e["peer"] == sys.argv[1] for e in l) else 1)' \
		"$FTPALG_SRV_IP" || err "the neighbour's pinhole is gone"
	rm -f "$WORK/hold"
	wait "$hold" || err "the holding neighbour failed: $(tail -n 2 "$WORK/hold.out")"
}
c_epsv_flood() {
	hclient "$L" "$H_IP" "${LOGIN[@]}" "s:$(printf 'EPSV\\r\\n%.0s' $(seq 20))" d
	local n
	n=$(nsx "$FTPALG_NS_RTR" nft list set inet ftp_alg pin4 | grep -o "$H_IP" | wc -l)
	[ "$n" -le 1 ] || err "$n pinholes live for one session"
	ctl sessions --json >/dev/null || err "sessions not answered"
	note pin_replaced 10
}
c_max_pinholes_two() {	# the limit follows a reload
	set_conf max_pinholes_per_session 2
	hclient "$L" "$H_IP" "${LOGIN[@]}" pasv:50
	local n
	n=$(nsx "$FTPALG_NS_RTR" nft list set inet ftp_alg pin4 | grep -o "$H_IP" | wc -l)
	[ "$n" = 2 ] || err "$n pinholes live for one session, want 2"
	note pin_replaced 48
	release
	set_conf max_pinholes_per_session 1
}
c_spoofed_rst_offpath() {	# the outside host spoofs the server's RSTs
	raw "$L" "$FTPALG_LAN_IP" "$H_IP" "${RLOGIN[@]}" \
		"s:PORT 10,0,1,2,39,20\r\n" expect:"200 ok" sleep:3 \
		"s:PORT 10,0,1,2,39,21\r\n" "expect:200 ok\r\n200 ok" &
	local rawpid=$! mport='' i
	for i in $(seq 20); do
		mport=$(nsx "$FTPALG_NS_RTR" conntrack -L -p tcp \
			--orig-port-src "$((RAW_PORT + 1))" 2>/dev/null |
			sed -n 's/.*src=203.0.113.12 dst=203.0.113.1 sport=21 dport=\([0-9]*\).*/\1/p' |
			head -n 1)
		[ -n "$mport" ] && break
		sleep 0.1
	done
	if [ -z "$mport" ]; then
		err "no conntrack entry for the raw session"
	else
		nsx "$O" "$PY" "$HPY" raw --gw-mac "$WAN_GW_MAC" --src "$H_IP" \
			--dst "$WAN" --sport 21 --dport "$mport" --keep \
			rstfar:0 rstfar:0 rstfar:0 finfar:0 >/dev/null 2>&1 ||
			err "the spoofer failed"
	fi
	wait "$rawpid" || err "raw client: $(tail -n 1 "$WORK/raw.out")"
	RAW_PORT=$((RAW_PORT + 1))
	server_got "PORT 203,0,113,1,39,20"
	server_got "PORT 203,0,113,1,39,21"
	grep -q "rst=False" "$WORK/raw.out" || err "the client was reset"
	note rst_window
}
c_syn_flood_one_address() {
	nsx "$L" "$PY" "$HPY" synflood --gw-mac "$LAN_GW_MAC" --src "$FLOOD_IP" \
		--dst "$H_IP" --count 3000 >"$WORK/flood.out" 2>&1 &
	local flood=$!
	neighbour PORT || err "a transfer during the flood failed"
	wait "$flood"
	sleep 0.5
	neighbour PORT || err "a transfer right after the flood failed"
	local n
	n=$(flood_sessions "$FLOOD_IP")
	[ "${n:-999}" -le 256 ] || err "$n sessions for $FLOOD_IP"
	[ "${n:-0}" -ge 200 ] || err "only ${n:-?} flood sessions tracked"
	reason client_limit 1000
	logged "(max_sessions_per_client): connection not tracked"
}
c_syn_flood_many_addresses() {	# the reserve keeps room for others
	nsx "$L" "$PY" "$HPY" synflood --gw-mac "$LAN_GW_MAC" \
		--src 10.0.1.100-250 --dst "$H_IP" --count 1510 \
		>"$WORK/flood.out" 2>&1
	sleep 0.5
	local n
	n=$(stat 's["sessions"]')
	[ "${n:-1000}" -lt 1000 ] || err "the table filled: ${n:-?} sessions"
	neighbour PORT || err "a transfer with the table nearly full failed" \
		"(sessions, table_reserve, table_full, client_limit:" \
		"$(stat 's["sessions"], s["refusals"]["table_reserve"], s["refusals"]["table_full"], s["refusals"]["client_limit"]');" \
		"sessions of $FTPALG_LAN_IP: $(flood_sessions "${FTPALG_LAN_IP//./\\.}"))"
	reason table_reserve 1
	[ ${#CASE_ERR[@]} = 0 ] || ctl sessions >"$WORK/sessions-at-failure"
}
c_half_open_expiry() {	# the floods' bare SYNs are forgotten
	sleep 6.5	# half_open_timeout = 5, judged once a second
	local n
	n=$(flood_sessions '10\.0\.1\.([3-9]|1[0-9][0-9]|2[0-9][0-9])')
	[ "$n" = 0 ] || err "$n flood sessions left after half_open_timeout"
	note half_open
}
# flood_sessions REGEX: how many sessions have a client matching REGEX
flood_sessions() {
	ctl sessions --json | "$PY" -c '
import json, re, sys
print(sum(1 for e in json.load(sys.stdin)["sessions"]
          if re.fullmatch(sys.argv[1], e["client"])))' "$1"
}

# --- violation_action = reset

c_reset_on_bounce() {
	set_conf violation_action reset
	hclient "$L" "$H_IP" --timeout 2 "${LOGIN[@]}" \
		"s:PORT 10,0,2,2,8,174\\r\\n" r
	grep -q "RESET" "$WORK/h.log" || err "the server was not reset"
	if grep -qF "PORT 10,0,2,2,8,174" <(tail -n 3 "$WORK/h.log"); then
		err "the bouncing PORT reached the server"
	fi
	no_hole 10.0.2.2 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LDMZ"
	reason bounce
	note reset_sent
	logged "control connection reset (violation_action = reset)"
}
c_reset_on_bare_lf() {
	set_conf violation_action reset
	hclient "$L" "$H_IP" --timeout 2 "${LOGIN[@]}" \
		"s:NOOP\nPORT 10,0,1,2,8,174\r\n" r r
	no_hole - 2222
	blocked "$S/$H_IP" "$WAN" 2222 "$LLAN"
	reason bare_lf
	note reset_sent
}
c_reset_on_unsolicited_227() {
	hclient "$O" "$WAN" --timeout 3 "${LOGIN[@]}" \
		"s:SITE SEND $(hex "200 ok\r\n") $(hex "$P227_DMZ")\\r\\n" r r
	client_saw "result reset"
	no_hole 10.0.2.2 2222
	blocked "$O" "$WAN" 2222 "$LDMZ"
	reason unpaired
	note reset_sent
	set_conf violation_action pass
}

PINS_BEFORE=0
for c in control_dmz_pasv control_lan_port \
	 port_third_party eprt_third_party lprt_third_party eprt6_third_party port_octet_256 port_zero port_low \
	 eprt_low 227_third_party 227_octet_300 227_port_zero 227_low_port \
	 229_low_port \
	 227_from_client 227_unsolicited 229_unsolicited 227_answers_noop \
	 227_twice_for_one_pasv 227_inside_feat 227_inside_help \
	 227_segment_start_midline slipstream_echo slipstream_bare_cr \
	 port_segment_start_midline port_from_server \
	 overlong_line overlong_reply nul_in_command nul_in_reply \
	 bare_lf_command bare_lf_reply bare_cr_command \
	 retrans_mismatch rst_fin_far_outside_window sack_anywhere \
	 malformed_headers bad_options_on_port_segment malformed_syn_then_227 \
	 v6_ext_chain v6_ext_chain_too_long \
	 pasv_flood epsv_flood max_pinholes_two spoofed_rst_offpath \
	 syn_flood_one_address syn_flood_many_addresses \
	 half_open_expiry reset_on_bounce reset_on_bare_lf \
	 reset_on_unsolicited_227; do
	# HOSTILE_CASES="a b": only those (while debugging)
	case " ${HOSTILE_CASES:-$c} " in *" $c "*) ;; *) continue ;; esac
	PINS_BEFORE=$(stat 's["pinholes"]["added"]')
	run "$c" "c_$c"
done
