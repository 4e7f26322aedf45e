/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ftp-algctl's requests, answered from the daemon's state.
 */
#ifndef FTP_ALG_CTL_CMDS_H
#define FTP_ALG_CTL_CMDS_H

#include "ctl.h"

/* A ctl_handler; arg is the struct daemon. */
void ctl_request(const char *req, struct ctl_buf *out, void *arg);

#endif
