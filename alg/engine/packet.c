/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * IPv4/IPv6 + TCP packets: parse in place, edit in place.
 *
 * Each length field is checked against the bytes that are really there
 * before anything behind it is read, so hostile input can only be
 * rejected, never make us read past the buffer.
 * Multi-byte fields are read byte by byte because NFQUEUE promises no
 * alignment. Edits patch the checksums incrementally (RFC 1624) rather
 * than recomputing them, so a segment that arrived with a bad checksum
 * leaves with a bad checksum and the receiver still drops it.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>

#include "csum.h"
#include "ftp-alg/packet.h"

#define IP4_HLEN	20
#define IP6_HLEN	40
#define TCP_HLEN	20
#define IP_MAXLEN	65535	/* IPv4 total length, IPv6 payload length */

/*
 * A chain needs at most HBH, DST, RH, AH, DST (RFC 8200 4.1 order); a
 * few more are tolerated, an endless one costs us nothing but a reject.
 */
#define IP6_MAX_EXTHDR	8

/* IPv4 header fields (byte offsets) */
#define IP4_TOTLEN	2
#define IP4_FRAG	6
#define IP4_PROTO	9
#define IP4_CHECK	10
#define IP4_SADDR	12
#define IP4_DADDR	16
#define IP4_MF		0x2000
#define IP4_OFFMASK	0x1fff

/* IPv6 header fields */
#define IP6_PLEN	4
#define IP6_NEXTHDR	6
#define IP6_SADDR	8
#define IP6_DADDR	24

/* TCP header fields */
#define TCPH_SPORT	0
#define TCPH_DPORT	2
#define TCPH_SEQ	4
#define TCPH_ACK	8
#define TCPH_DOFF	12
#define TCPH_FLAGS	13
#define TCPH_CHECK	16

#define TCPO_EOL	0
#define TCPO_NOP	1
#define TCPO_SACK	5
#define TCPO_SACK_BLOCK	8

static const char *const pkt_errstr[PKT_ERR_MAX] = {
	[PKT_OK]		= "ok",
	[PKT_ERR_EMPTY]		= "empty packet",
	[PKT_ERR_VERSION]	= "IP version neither 4 nor 6",
	[PKT_ERR_IP_TRUNC]	= "shorter than an IP header",
	[PKT_ERR_IHL]		= "bad IPv4 header length",
	[PKT_ERR_IP_LEN]	= "IP length disagrees with packet size",
	[PKT_ERR_FRAGMENT]	= "IP fragment",
	[PKT_ERR_EXTHDR]	= "bad IPv6 extension header chain",
	[PKT_ERR_NOT_TCP]	= "not TCP",
	[PKT_ERR_TCP_TRUNC]	= "shorter than a TCP header",
	[PKT_ERR_TCP_DOFF]	= "bad TCP data offset",
	[PKT_ERR_TCP_OPT]	= "malformed TCP options",
};

const char *pkt_strerror(int err)
{
	if (err < 0 || err >= PKT_ERR_MAX)
		return "unknown packet error";
	return pkt_errstr[err];
}

static uint16_t get16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static uint32_t get32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

/*
 * The IP header(s) of d[0..len): family, addresses, l4off (where TCP
 * starts) and in *end the IP length. whole: the packet must be one we may
 * inspect, with lengths that agree with the buffer and not a fragment;
 * otherwise only the headers in front of TCP must be there (*end = len).
 */
static int pkt_parse_ip4(struct pkt *p, const uint8_t *d, size_t len,
			 bool whole, size_t *end)
{
	uint16_t frag;
	size_t ihl, tot;

	if (len < IP4_HLEN)
		return PKT_ERR_IP_TRUNC;
	ihl = (size_t)(d[0] & 0x0f) * 4;
	if (ihl < IP4_HLEN || ihl > len)
		return PKT_ERR_IHL;
	tot = whole ? get16(d + IP4_TOTLEN) : len;
	if (tot < ihl || tot > len)
		return PKT_ERR_IP_LEN;
	/*
	 * conntrack reassembles before NFQUEUE; a fragment here is not ours.
	 * Only a first fragment has the ports.
	 */
	frag = get16(d + IP4_FRAG);
	if (frag & (whole ? IP4_MF | IP4_OFFMASK : IP4_OFFMASK))
		return PKT_ERR_FRAGMENT;
	if (d[IP4_PROTO] != IPPROTO_TCP)
		return PKT_ERR_NOT_TCP;

	p->family = AF_INET;
	memcpy(&p->saddr.v4, d + IP4_SADDR, 4);
	memcpy(&p->daddr.v4, d + IP4_DADDR, 4);
	p->l4off = (uint16_t)ihl;
	*end = tot;
	return PKT_OK;
}

static int pkt_parse_ip6(struct pkt *p, const uint8_t *d, size_t len,
			 bool whole, size_t *end)
{
	size_t off = IP6_HLEN, last;
	unsigned n;
	uint8_t nh;

	if (len < IP6_HLEN)
		return PKT_ERR_IP_TRUNC;
	/*
	 * A zero payload length announces a jumbogram; it has no room for
	 * the Jumbo option, let alone TCP, and ends up rejected below.
	 */
	last = whole ? IP6_HLEN + (size_t)get16(d + IP6_PLEN) : len;
	if (last > len)
		return PKT_ERR_IP_LEN;

	nh = d[IP6_NEXTHDR];
	for (n = 0; nh != IPPROTO_TCP; n++) {
		size_t hlen;

		if (n == IP6_MAX_EXTHDR)
			return PKT_ERR_EXTHDR;
		switch (nh) {
		case IPPROTO_HOPOPTS:
			/* RFC 8200 4.1: only straight after the IPv6 header */
			if (off != IP6_HLEN)
				return PKT_ERR_EXTHDR;
			/* fall through */
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
			if (last - off < 2)
				return PKT_ERR_EXTHDR;
			hlen = ((size_t)d[off + 1] + 1) * 8;
			break;
		case IPPROTO_AH:
			/* RFC 4302: length in 4-byte units, minus 2 */
			if (last - off < 2)
				return PKT_ERR_EXTHDR;
			hlen = ((size_t)d[off + 1] + 2) * 4;
			break;
		case IPPROTO_FRAGMENT:
			return PKT_ERR_FRAGMENT;
		default:
			/* ESP, no next header, UDP, ...: nothing for us */
			return PKT_ERR_NOT_TCP;
		}
		if (hlen > last - off)
			return PKT_ERR_EXTHDR;
		nh = d[off];
		off += hlen;
	}
	/* struct pkt keeps offsets in 16 bits, TCP header included */
	if (off > UINT16_MAX - 60)
		return PKT_ERR_EXTHDR;

	p->family = AF_INET6;
	memcpy(&p->saddr.v6, d + IP6_SADDR, 16);
	memcpy(&p->daddr.v6, d + IP6_DADDR, 16);
	p->l4off = (uint16_t)off;
	*end = last;
	return PKT_OK;
}

/* Options live in [off, stop); stop is the end of the TCP header. */
static int pkt_parse_tcp_opts(struct pkt *p, size_t off, size_t stop)
{
	const uint8_t *d = p->data;

	while (off < stop) {
		size_t olen, n;

		if (d[off] == TCPO_EOL)
			break;
		if (d[off] == TCPO_NOP) {
			off++;
			continue;
		}
		if (stop - off < 2)
			return PKT_ERR_TCP_OPT;
		olen = d[off + 1];
		if (olen < 2 || olen > stop - off)
			return PKT_ERR_TCP_OPT;
		if (d[off] == TCPO_SACK) {
			n = (olen - 2) / TCPO_SACK_BLOCK;
			if (!n || (olen - 2) % TCPO_SACK_BLOCK ||
			    n > PKT_MAX_SACK)
				return PKT_ERR_TCP_OPT;
			/*
			 * Two SACK lists are meaningless, and the seq
			 * adjuster could only keep one of them right.
			 */
			if (p->nsack)
				return PKT_ERR_TCP_OPT;
			p->sackoff = (uint16_t)(off + 2);
			p->nsack = (uint8_t)n;
		}
		off += olen;
	}
	return PKT_OK;
}

static int pkt_parse_tcp(struct pkt *p, size_t end)
{
	const uint8_t *th = p->data + p->l4off;
	size_t doff;

	if (end - p->l4off < TCP_HLEN)
		return PKT_ERR_TCP_TRUNC;
	doff = (size_t)(th[TCPH_DOFF] >> 4) * 4;
	if (doff < TCP_HLEN || doff > end - p->l4off)
		return PKT_ERR_TCP_DOFF;

	p->sport = get16(th + TCPH_SPORT);
	p->dport = get16(th + TCPH_DPORT);
	p->seq = get32(th + TCPH_SEQ);
	p->ack = get32(th + TCPH_ACK);
	p->flags = th[TCPH_FLAGS];
	p->payoff = (uint16_t)(p->l4off + doff);
	p->paylen = (uint16_t)(end - p->payoff);
	return pkt_parse_tcp_opts(p, p->l4off + TCP_HLEN, p->payoff);
}

static int pkt_parse_ip(struct pkt *p, const uint8_t *data, size_t len,
			bool whole, size_t *end)
{
	if (!len)
		return PKT_ERR_EMPTY;
	switch (data[0] >> 4) {
	case 4:
		return pkt_parse_ip4(p, data, len, whole, end);
	case 6:
		return pkt_parse_ip6(p, data, len, whole, end);
	default:
		return PKT_ERR_VERSION;
	}
}

int pkt_parse(struct pkt *p, uint8_t *data, size_t len)
{
	size_t end = 0;
	int err;

	memset(p, 0, sizeof(*p));
	p->data = data;
	err = pkt_parse_ip(p, data, len, true, &end);
	if (err)
		return err;
	err = pkt_parse_tcp(p, end);
	if (err)
		return err;
	p->len = end;
	return PKT_OK;
}

int pkt_parse_ports(struct pkt *p, const uint8_t *data, size_t len)
{
	size_t end = 0;
	int err;

	memset(p, 0, sizeof(*p));
	err = pkt_parse_ip(p, data, len, false, &end);
	if (err)
		return err;
	if (end - p->l4off < 4)
		return PKT_ERR_TCP_TRUNC;
	p->sport = get16(data + p->l4off + TCPH_SPORT);
	p->dport = get16(data + p->l4off + TCPH_DPORT);
	return PKT_OK;
}

/*
 * Store a 32-bit TCP header field and patch the checksum. RFC 1624 on the
 * value alone is only right when the field sits on a checksum word
 * boundary; a SACK block after a single NOP does not, so there the
 * enclosing aligned words are summed before and after the store.
 * (l4off is always even: IPv4 IHL and IPv6 header lengths are multiples
 * of 4.)
 */
static void pkt_tcp_store32(struct pkt *p, size_t off, uint32_t v)
{
	uint8_t *check = p->data + p->l4off + TCPH_CHECK;
	uint32_t nv = htonl(v), ov, before;
	uint16_t c;

	memcpy(&c, check, 2);
	if (!((off - p->l4off) & 1)) {
		memcpy(&ov, p->data + off, 4);
		c = csum_replace4(c, ov, nv);
		memcpy(p->data + off, &nv, 4);
	} else {
		/* bytes off-1 .. off+4 are three whole checksum words */
		before = csum_partial(p->data + off - 1, 6, 0);
		memcpy(p->data + off, &nv, 4);
		c = csum_replace_sum(c, before,
				     csum_partial(p->data + off - 1, 6, 0));
	}
	memcpy(check, &c, 2);
}

void pkt_set_seq(struct pkt *p, uint32_t seq)
{
	pkt_tcp_store32(p, (size_t)p->l4off + TCPH_SEQ, seq);
	p->seq = seq;
}

void pkt_set_ack(struct pkt *p, uint32_t ack)
{
	pkt_tcp_store32(p, (size_t)p->l4off + TCPH_ACK, ack);
	p->ack = ack;
}

void pkt_get_sack(const struct pkt *p, unsigned i, uint32_t *left,
		  uint32_t *right)
{
	const uint8_t *b;

	/* a caller's bad index must not become a read past the options */
	if (i >= p->nsack) {
		*left = *right = 0;
		return;
	}
	b = p->data + p->sackoff + (size_t)i * TCPO_SACK_BLOCK;
	*left = get32(b);
	*right = get32(b + 4);
}

void pkt_set_sack(struct pkt *p, unsigned i, uint32_t left, uint32_t right)
{
	size_t off = p->sackoff + (size_t)i * TCPO_SACK_BLOCK;

	if (i >= p->nsack)
		return;
	pkt_tcp_store32(p, off, left);
	pkt_tcp_store32(p, off + 4, right);
}

/*
 * A length as it enters the pseudo-header sum: 16 bits for IPv4, 32 bits
 * (two words) for IPv6; the high word is simply zero for IPv4.
 */
static uint32_t pkt_len_sum(size_t len)
{
	return (uint32_t)(len >> 16) + (uint32_t)(len & 0xffff);
}

int pkt_set_payload(struct pkt *p, size_t cap, const uint8_t *pay, size_t n)
{
	uint8_t *d = p->data, *tcheck = d + p->l4off + TCPH_CHECK;
	size_t newlen, iplen;
	uint32_t oldsum, newsum;
	uint16_t c, oldf, newf;

	if (n > IP_MAXLEN)
		return -EMSGSIZE;
	newlen = p->payoff + n;
	iplen = p->family == AF_INET ? newlen : newlen - IP6_HLEN;
	if (iplen > IP_MAXLEN)
		return -EMSGSIZE;
	if (newlen > cap)
		return -ENOSPC;

	/*
	 * The payload starts a multiple of 4 bytes into the TCP header, so
	 * its sum lines up with the checksum words on its own; an odd
	 * length is zero padded by csum_partial() exactly as in a full sum.
	 * The pseudo-header TCP length changes along with the payload.
	 */
	oldsum = csum_partial(d + p->payoff, p->paylen,
			      pkt_len_sum(p->len - p->l4off));
	newsum = csum_partial(pay, n, pkt_len_sum(newlen - p->l4off));
	memcpy(&c, tcheck, 2);
	c = csum_replace_sum(c, oldsum, newsum);
	memcpy(tcheck, &c, 2);
	memcpy(d + p->payoff, pay, n);

	if (p->family == AF_INET) {
		memcpy(&oldf, d + IP4_TOTLEN, 2);
		put16(d + IP4_TOTLEN, (uint16_t)iplen);
		memcpy(&newf, d + IP4_TOTLEN, 2);
		memcpy(&c, d + IP4_CHECK, 2);
		c = csum_replace2(c, oldf, newf);
		memcpy(d + IP4_CHECK, &c, 2);
	} else {
		put16(d + IP6_PLEN, (uint16_t)iplen);
	}

	/* only the lengths moved; headers and offsets are as parsed */
	p->len = newlen;
	p->paylen = (uint16_t)n;
	return 0;
}

uint16_t pkt_ip4_csum_full(const struct pkt *p)
{
	uint32_t sum;

	if (p->family != AF_INET)
		return 0;
	/* l4off is the IPv4 header length; skip the checksum field */
	sum = csum_partial(p->data, IP4_CHECK, 0);
	sum = csum_partial(p->data + IP4_CHECK + 2,
			   p->l4off - IP4_CHECK - 2, sum);
	return csum_fold(sum);
}

/*
 * RFC 793 / RFC 8200 8.1 pseudo-header. With a Routing header that still
 * has segments left, IPv6 wants the final destination here instead; we
 * never rewrite such packets' addresses, so the from-scratch check is
 * merely pessimistic for them.
 */
static uint32_t pkt_pseudo_sum(const struct pkt *p)
{
	size_t alen = p->family == AF_INET ? 4 : 16;
	uint32_t sum;

	sum = csum_partial(p->saddr.b, alen, 0);
	sum = csum_partial(p->daddr.b, alen, sum);
	return sum + IPPROTO_TCP + pkt_len_sum(p->len - p->l4off);
}

uint16_t pkt_tcp_csum_full(const struct pkt *p)
{
	const uint8_t *th = p->data + p->l4off;
	uint32_t sum = pkt_pseudo_sum(p);

	sum = csum_partial(th, TCPH_CHECK, sum);
	sum = csum_partial(th + TCPH_CHECK + 2,
			   p->len - p->l4off - TCPH_CHECK - 2, sum);
	return csum_fold(sum);
}

/*
 * Verify the way a receiver does (sum including the checksum field folds
 * to -0), which accepts both encodings of a zero checksum.
 */
bool pkt_csum_ok(const struct pkt *p)
{
	uint32_t sum;

	if (p->family == AF_INET &&
	    csum_fold(csum_partial(p->data, p->l4off, 0)) != 0)
		return false;
	sum = csum_partial(p->data + p->l4off, p->len - p->l4off,
			   pkt_pseudo_sum(p));
	return csum_fold(sum) == 0;
}
