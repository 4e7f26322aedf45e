// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The socket filter of a worker's conntrack event socket: the kernel
 * sends it the destroy event of every connection the router forgets
 * (every data connection, every other protocol's), and a session is
 * only ever a control connection. The filter lets through an event
 * whose reply tuple's source port (the server's port: sessions are keyed
 * by it, after DNAT) is a control port, and drops the rest in the kernel:
 * they no longer wake the worker, and with several queues no longer wake
 * every worker. An event it cannot read (no reply tuple, no ports) goes
 * through: userspace decides, as it did without the filter.
 *
 * The attributes are found with the kernel's netlink extensions to
 * classic BPF (SKF_AD_NLATTR, SKF_AD_NLATTR_NEST: the offset of an
 * attribute of type X from offset A, 0 when none).
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netlink.h>

#include "conntrack.h"

int ct_filter_build(struct sock_filter *f, unsigned max,
		    const uint16_t *ports, unsigned n)
{
	/* the instructions before the port comparisons, and the two rets */
	enum { HEAD = 12, TAIL = 2 };
	unsigned acc = HEAD + n + 1, i = 0, k;

#define PUT(x) (f[i++] = (struct sock_filter)x)
#define TO_ACCEPT(at) ((uint8_t)(acc - (at) - 1))
	if (!n && max) {
		/* nobody reads this socket: nothing for it */
		PUT(BPF_STMT(BPF_RET | BPF_K, 0));
		return (int)i;
	}
	if (HEAD + n + TAIL > max || n > 200)
		return -E2BIG;
	/* A = the first attribute, after nlmsghdr and nfgenmsg */
	PUT(BPF_STMT(BPF_LD | BPF_IMM,
		     NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg))));
	PUT(BPF_STMT(BPF_LDX | BPF_IMM, CTA_TUPLE_REPLY));
	PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_NLATTR));
	PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, TO_ACCEPT(3), 0));
	PUT(BPF_STMT(BPF_LDX | BPF_IMM, CTA_TUPLE_PROTO));
	PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     SKF_AD_OFF + SKF_AD_NLATTR_NEST));
	PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, TO_ACCEPT(6), 0));
	PUT(BPF_STMT(BPF_LDX | BPF_IMM, CTA_PROTO_SRC_PORT));
	PUT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		     SKF_AD_OFF + SKF_AD_NLATTR_NEST));
	PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, TO_ACCEPT(9), 0));
	/* A = the port, after the attribute's 4-byte header (BPF loads in
	 * network order: the number itself) */
	PUT(BPF_STMT(BPF_MISC | BPF_TAX, 0));
	PUT(BPF_STMT(BPF_LD | BPF_H | BPF_IND, NLA_HDRLEN));
	for (k = 0; k < n; k++)
		PUT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ports[k],
			     TO_ACCEPT(HEAD + k), 0));
	PUT(BPF_STMT(BPF_RET | BPF_K, 0));		/* drop */
	PUT(BPF_STMT(BPF_RET | BPF_K, 0xffffffffu));	/* accept */
#undef PUT
#undef TO_ACCEPT
	return (int)i;
}
