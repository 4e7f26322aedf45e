/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Elements of sets peer4/peer6: the address pairs between which the
 * daemon announces data ports before their pinholes' transactions
 * (chain pin_catch queues a first SYN between such a pair that finds no
 * pinhole yet). Built like pin.c's elements; pin_change() sends them.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "ftp-alg/pin.h"
#include "ftp-alg/ruleset.h"
#include "batch.h"
#include "sets.h"

int pin_build_peer(char *buf, size_t len, uint16_t type, uint32_t seq,
		   const struct pin_peer *p)
{
	size_t alen = p->family == AF_INET ? 4 : 16;
	char chain[RULESET_CATCH_NAME_LEN];
	const char *set;
	uint8_t key[32];
	uint16_t flags;

	if (p->family != AF_INET && p->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (type == NFT_MSG_NEWSETELEM)
		flags = NLM_F_CREATE | NLM_F_ACK;
	else if (type == PIN_MSG_DESTROYSETELEM)
		flags = NLM_F_ACK;
	else
		return -EINVAL;
	memcpy(key, p->peer.b, alen);
	memcpy(key + alen, p->addr.b, alen);
	if (p->chain) {
		if (p->chain > RULESET_CATCH_CHAINS)
			return -EINVAL;
		ruleset_catch_name(p->chain - 1, chain, sizeof(chain));
		set = p->family == AF_INET ? PIN_PEERQ4 : PIN_PEERQ6;
	} else {
		set = p->family == AF_INET ? PIN_PEER4 : PIN_PEER6;
	}
	/*
	 * add element inet ftp_alg peer4 { peer . addr timeout T }
	 * add element inet ftp_alg peerq4 { peer . addr timeout T :
	 *	jump catch_q<N> }
	 * destroy element inet ftp_alg peer4 { peer . addr } (or peerq4)
	 */
	return sets_build_elem(buf, len, type, flags, seq, set,
			       &(struct sets_elem){
				.key = key, .klen = (uint32_t)(2 * alen),
				.timeout_ms = p->timeout_ms,
				.jump = p->chain ? chain : NULL,
			});
}

int sets_fill_peers(struct batch *b, const struct pin_peer *p, unsigned n)
{
	union batch_msg m;
	unsigned i;
	int len, err = 0;

	for (i = 0; i < n && !err; i++) {
		len = pin_build_peer(m.b, sizeof(m), PIN_MSG_DESTROYSETELEM,
				     batch_seq(b), &p[i]);
		err = len < 0 ? len : batch_append(b, &m.h);
		if (err)
			break;
		len = pin_build_peer(m.b, sizeof(m), NFT_MSG_NEWSETELEM,
				     batch_seq(b), &p[i]);
		err = len < 0 ? len : batch_append(b, &m.h);
	}
	return err;
}
