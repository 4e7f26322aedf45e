/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The netlink socket to nf_tables that pinholes (pin.h) and the ruleset
 * checks and queue rules (ruleset.h) both go through.
 */
#ifndef FTP_ALG_FW_H
#define FTP_ALG_FW_H

struct fw_sock;

/* Open the netlink socket. NULL with errno on failure. */
struct fw_sock *fw_open(void);
void fw_close(struct fw_sock *fw);

#endif
