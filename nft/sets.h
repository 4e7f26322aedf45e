/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to nft/: the named sets and maps of table inet ftp_alg, as
 * pin.c (pin4, pin6, dnat4, snat4) and ruleset.c (ctl_ports) both address them.
 * Defined in pin.c.
 */
#ifndef FTP_ALG_NFT_SETS_H
#define FTP_ALG_NFT_SETS_H

#include <stddef.h>
#include <stdint.h>
#include <libnftnl/set.h>

/* An nftnl_set naming set $name of table inet ftp_alg; NULL on ENOMEM. */
struct nftnl_set *sets_alloc(const char *name);
/*
 * flush set inet ftp_alg $name: one DELSETELEM without elements appended
 * to buf. Its length, or -ENOSPC / -ENOMEM.
 */
int sets_build_flush(char *buf, size_t len, uint32_t seq, const char *name);

/* One element of a set or map: its key, data (dlen 0: none), timeout. */
struct sets_elem {
	const void *key;
	uint32_t klen;
	const void *data;
	uint32_t dlen;
	uint64_t timeout_ms;	/* 0: none */
	const char *jump;	/* a verdict map's: "jump $jump"; else NULL */
};
/*
 * One element message of type (NEWSETELEM carries data and timeout, the
 * others the key alone) for set $set into buf: its length, or -ENOSPC /
 * -ENOMEM (pin.c).
 */
int sets_build_elem(char *buf, size_t len, uint16_t type, uint16_t flags,
		    uint32_t seq, const char *set, const struct sets_elem *e);

struct batch;
struct pin_peer;
/*
 * For each of p[0..n): destroy its peer4/peer6 element, then add it
 * again (a fresh timeout), appended to b (peer.c). 0 or -errno.
 */
int sets_fill_peers(struct batch *b, const struct pin_peer *p, unsigned n);

#endif
