/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control-socket protocol between ftp-algd and ftp-algctl (AF_UNIX,
 * stream): the client sends one request line ("status", "sessions json",
 * ...), the daemon answers "ok\n" and a text or JSON document, or one
 * line "error: ...", and closes the connection.
 */
#ifndef FTP_ALG_CTL_PROTO_H
#define FTP_ALG_CTL_PROTO_H

#define CTL_SOCKET_DEFAULT	"/run/ftp-alg/ctl.sock"
#define CTL_REQ_MAX		256		/* request line */
#define CTL_RESP_MAX		(8u << 20)	/* response */

#endif
