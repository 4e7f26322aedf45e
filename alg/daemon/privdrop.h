/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Least privilege once set-up is done. Every later operation is netlink
 * to the netfilter subsystems (NFQUEUE verdicts, nftables batches and
 * the libnftables table rebuild, ctnetlink queries, updates and events),
 * which the kernel checks against CAP_NET_ADMIN, or a file we own (the
 * journal, the control socket, the configuration re-read on SIGHUP,
 * which is world-readable). So the daemon keeps CAP_NET_ADMIN and
 * nothing else: effective, permitted and bounding set; inheritable and
 * ambient empty; no_new_privs set. With a user (config key user,
 * --user), it first gives that user the state and control-socket
 * directories and files, then becomes it, keeping CAP_NET_ADMIN across
 * setresuid() with PR_SET_KEEPCAPS.
 *
 * By hand rather than with libcap: two syscalls (capget, capset) and a
 * prctl loop, one capability kept; libcap would add a runtime dependency
 * for text parsing we do not need.
 */
#ifndef FTP_ALG_PRIVDROP_H
#define FTP_ALG_PRIVDROP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct privdrop {
	bool have_user;		/* become uid/gid */
	uid_t uid;
	gid_t gid;
	bool have_ctl_gid;	/* chgrp the control socket */
	gid_t ctl_gid;
};

/*
 * Look up user (may be "": none) and ctl_group before any set-up, so a
 * typo stops the start at once. A missing ctl_group is an error unless
 * default_group says it is the default one, which may not exist (the
 * socket then keeps root's group). 0 or -errno, with the reason logged.
 */
int privdrop_resolve(struct privdrop *p, const char *user,
		     const char *ctl_group, bool default_group);

/*
 * Hand the directories of state_path and ctl_path (and what is in them
 * of ours) to the user, chgrp the socket, then drop to CAP_NET_ADMIN
 * alone (and the user). 0 or -errno, with the reason logged.
 */
int privdrop_apply(const struct privdrop *p, const char *state_path,
		   const char *ctl_path);

/* Only CAP_NET_ADMIN in the effective and permitted sets: 0 or -errno. */
int privdrop_caps(void);

#endif
