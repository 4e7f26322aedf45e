/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Packet view: an IPv4 or IPv6 packet carrying TCP, as handed to us by
 * NFQUEUE (starting at the IP header). Parsing never reads outside
 * [data, data + len) and says what was wrong with a PKT_ERR_* code.
 * Setters keep the IPv4 header checksum and the TCP checksum correct by
 * incremental update (RFC 1624).
 */
#ifndef FTP_ALG_PACKET_H
#define FTP_ALG_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ftp-alg/addr.h"

enum pkt_err {
	PKT_OK = 0,
	PKT_ERR_EMPTY,		/* zero-length buffer */
	PKT_ERR_VERSION,	/* IP version is neither 4 nor 6 */
	PKT_ERR_IP_TRUNC,	/* buffer shorter than the IP header */
	PKT_ERR_IHL,		/* IPv4 IHL < 5 or beyond the buffer */
	PKT_ERR_IP_LEN,		/* IP total/payload length inconsistent */
	PKT_ERR_FRAGMENT,	/* a fragment (conntrack should defragment) */
	PKT_ERR_EXTHDR,		/* IPv6 extension header chain bad/truncated */
	PKT_ERR_NOT_TCP,	/* transport is not TCP */
	PKT_ERR_TCP_TRUNC,	/* shorter than a TCP header */
	PKT_ERR_TCP_DOFF,	/* data offset < 5 or beyond the packet */
	PKT_ERR_TCP_OPT,	/* malformed TCP option list */
	PKT_ERR_MAX
};

const char *pkt_strerror(int err);

#define PKT_MAX_SACK	4

/* TCP flags (byte 13 of the header) */
#define TCPF_FIN	0x01
#define TCPF_SYN	0x02
#define TCPF_RST	0x04
#define TCPF_PSH	0x08
#define TCPF_ACK	0x10

struct pkt {
	uint8_t *data;		/* IP header starts here */
	size_t len;		/* IP total length (trailing bytes trimmed) */
	int family;		/* AF_INET or AF_INET6 */
	uint16_t l4off;		/* TCP header offset */
	uint16_t payoff;	/* TCP payload offset */
	uint16_t paylen;	/* TCP payload length */
	union alg_addr saddr, daddr;
	uint16_t sport, dport;	/* host order */
	uint32_t seq, ack;	/* host order */
	uint8_t flags;		/* TCPF_* */
	uint8_t nsack;		/* SACK blocks present */
	uint16_t sackoff;	/* offset of first SACK block (from data) */
};

/*
 * Parse data[0..len) in place. len may exceed the IP length (trailing
 * bytes are ignored and p->len is the IP length); returns PKT_OK or a
 * PKT_ERR_* code, leaving *p unusable on error.
 */
int pkt_parse(struct pkt *p, uint8_t *data, size_t len);

/*
 * Only the addresses and ports of a packet pkt_parse() may refuse (bad
 * lengths, TCP header or options): family, saddr, daddr, l4off, sport
 * and dport are set when the IP headers and the first 4 bytes of TCP are
 * inside data[0..len); everything else is zero. IP length fields are not
 * checked; a non-first IPv4 fragment or an IPv6 fragment header has no
 * ports (PKT_ERR_FRAGMENT). PKT_OK or a PKT_ERR_* code.
 */
int pkt_parse_ports(struct pkt *p, const uint8_t *data, size_t len);

static inline const uint8_t *pkt_payload(const struct pkt *p)
{
	return p->data + p->payoff;
}

/* Setters: update the field and the TCP checksum incrementally. */
void pkt_set_seq(struct pkt *p, uint32_t seq);
void pkt_set_ack(struct pkt *p, uint32_t ack);
/* SACK block i (0 <= i < nsack), edges in host order; out of range: get
 * returns 0/0, set does nothing. */
void pkt_get_sack(const struct pkt *p, unsigned i, uint32_t *left,
		  uint32_t *right);
void pkt_set_sack(struct pkt *p, unsigned i, uint32_t left, uint32_t right);

/*
 * Replace the whole TCP payload with pay[0..n). The buffer behind p->data
 * must hold cap bytes. Updates IPv4 total length + header checksum (or the
 * IPv6 payload length) and the TCP checksum incrementally, and p->len and
 * p->paylen.
 * Returns 0, or -ENOSPC if the packet would not fit in cap, or -EMSGSIZE
 * if it would exceed 65535 bytes. pay must not overlap the packet buffer.
 */
int pkt_set_payload(struct pkt *p, size_t cap, const uint8_t *pay, size_t n);

/*
 * From-scratch checksums, for tests and for validating input: network-order
 * values ready to memcpy into the header (pkt_ip4_csum_full returns 0 for
 * IPv6). An IPv6 routing header with segments left is not followed for the
 * pseudo-header, so pkt_csum_ok may call such a packet bad; rewriting is
 * incremental and unaffected.
 */
uint16_t pkt_ip4_csum_full(const struct pkt *p);
uint16_t pkt_tcp_csum_full(const struct pkt *p);
/* True when both checksums in the packet are what they should be. */
bool pkt_csum_ok(const struct pkt *p);

#endif
