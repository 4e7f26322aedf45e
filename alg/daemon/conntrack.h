/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conntrack through ctnetlink (libmnl only): the NAT mapping of a control
 * connection (the kernel gives queued packets no NFQA_CT here), the
 * be-liberal flag on one entry after a length-changing rewrite, and
 * destroy events.
 *
 * Message builders and the parser are exposed so tests can build a
 * message and parse it back without a kernel.
 */
#ifndef FTP_ALG_CONNTRACK_H
#define FTP_ALG_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include "ftp-alg/addr.h"

struct ct_tuple {
	int family;		/* AF_INET or AF_INET6 */
	uint8_t proto;		/* IPPROTO_TCP */
	union alg_addr src, dst;
	uint16_t sport, dport;	/* host order */
};

/* What we read from a conntrack message. */
struct ct_entry {
	uint16_t msg;		/* IPCTNL_MSG_CT_NEW / _DELETE */
	bool has_orig, has_reply;
	struct ct_tuple orig, reply;
	uint32_t status;	/* IPS_*, 0 if not given */
	uint32_t mark;		/* ct mark, 0 if not given */
};

/*
 * Append to buf one message (0 if it does not fit: -ENOSPC) and return
 * its length. which is CTA_TUPLE_ORIG or CTA_TUPLE_REPLY: the tuple the
 * kernel looks the entry up by.
 */
int ct_build_get(char *buf, size_t len, uint32_t seq, uint16_t which,
		 const struct ct_tuple *t);
/* IPCTNL_MSG_CT_NEW (update only) setting IP_CT_TCP_FLAG_BE_LIBERAL. */
int ct_build_liberal(char *buf, size_t len, uint32_t seq, uint16_t which,
		     const struct ct_tuple *t);
/*
 * IPCTNL_MSG_CT_GET dump of the entries whose (ct mark & mask) == mark:
 * the kernel filters, we only read what matched.
 */
int ct_build_dump_marked(char *buf, size_t len, uint32_t seq, uint32_t mark,
			 uint32_t mask);
/* Parse a ctnetlink conntrack message: 0 or -EINVAL. */
int ct_parse(const struct nlmsghdr *nlh, struct ct_entry *e);

struct ct_ctx;

/* A query socket and a socket subscribed to destroy events. */
struct ct_ctx *ct_open(void);
void ct_close(struct ct_ctx *c);

/*
 * Look up the entry of the connection seen at our hook as t (client ->
 * server): as its original tuple (masquerade/SNAT) and as the reverse of
 * its reply tuple (DNAT), the one that answered last time first.
 * 0, -ENOENT, or -errno.
 */
int ct_query(struct ct_ctx *c, const struct ct_tuple *t, struct ct_entry *e);
/* The entry whose original tuple is exactly t: 0, -ENOENT, or -errno. */
int ct_get_orig(struct ct_ctx *c, const struct ct_tuple *t,
		struct ct_entry *e);
/*
 * The same for n tuples, CT_MANY_CHUNK requests per send: res[i] is
 * t[i]'s answer (0 with e[i] filled, -ENOENT, or -errno). 0, or -errno
 * when the exchange itself failed (res then incomplete).
 */
#define CT_MANY_CHUNK	64
int ct_get_orig_many(struct ct_ctx *c, const struct ct_tuple *t, unsigned n,
		     struct ct_entry *e, int *res);
/* Set be-liberal both ways on that entry, found the same way. */
int ct_set_liberal(struct ct_ctx *c, const struct ct_tuple *t);

/*
 * One dump of the TCP entries with (ct mark & mask) == mark, both
 * families: fn for each. 0 or -errno.
 */
int ct_dump_marked(struct ct_ctx *c, uint32_t mark, uint32_t mask,
		   void (*fn)(const struct ct_entry *e, void *arg), void *arg);

int ct_events_fd(const struct ct_ctx *c);
/*
 * Read pending destroy events, calling fn for each TCP entry. Returns the
 * number of events, or -errno; ENOBUFS (events lost) is counted and is
 * not an error.
 */
int ct_events_read(struct ct_ctx *c,
		   void (*fn)(const struct ct_entry *e, void *arg), void *arg);
uint64_t ct_events_enobufs(const struct ct_ctx *c);
/* Destroy events read from the socket (what its filter let through). */
uint64_t ct_events_count(const struct ct_ctx *c);

struct sock_filter;
/*
 * The event socket's filter (ct_filter.c) into f[0..max): only events
 * whose reply source port is one of ports[0..n) pass; n == 0: none (a
 * socket nobody reads). The number of instructions, or -E2BIG.
 */
int ct_filter_build(struct sock_filter *f, unsigned max,
		    const uint16_t *ports, unsigned n);
/* Attach that filter to c's event socket: 0 or -errno (then every event
 * still comes, as without one). */
int ct_events_filter(struct ct_ctx *c, const uint16_t *ports, unsigned n);
/*
 * The part of ct_events_read() after recv: call fn for each destroy event
 * of a TCP entry in buf[0..len); skip anything else. Returns the count.
 */
int ct_events_dispatch(const void *buf, size_t len,
		       void (*fn)(const struct ct_entry *e, void *arg),
		       void *arg);

/* The reversed tuple (reply direction as it would be without NAT). */
void ct_tuple_reverse(const struct ct_tuple *t, struct ct_tuple *r);

#endif
