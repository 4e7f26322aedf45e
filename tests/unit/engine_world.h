/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A simulated control connection for engine tests: segments go in as real
 * packets, what the engine releases is checked (checksums, no overlap
 * disagreement) and reassembled into the two output streams the peers
 * would receive.
 */
#ifndef FTP_ALG_ENGINE_WORLD_H
#define FTP_ALG_ENGINE_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include "ftp-alg/engine.h"

#define W_STREAM	65536
#define W_SENT		4096
#define W_EV		1024

struct w_sent {
	uint8_t buf[2048];
	size_t len;
	int dir;
	bool used;
};

struct world {
	struct alg_table *t;
	struct alg_policy pol;
	struct alg_session *s;
	int family;
	char caddr[64], saddr[64];
	uint16_t cport, sport;
	uint32_t isn[2];
	struct alg_nat nat;
	bool set_nat;
	unsigned ip4_optlen;	/* IPv4 options on every packet */
	bool ip6_hbh;		/* IPv6 hop-by-hop header on every packet */
	uint64_t now;
	uint32_t next_id;
	struct w_sent sent[W_SENT];
	/* output streams, by offset from isn + 1 */
	uint8_t out[2][W_STREAM];
	bool have[2][W_STREAM];
	size_t contig[2];	/* bytes received in order */
	uint32_t max_ack_out[2];	/* highest ack released, per dir */
	unsigned released, dropped, held_now;
	unsigned rst_out[2];	/* released packets carrying RST, per dir */
	struct alg_event ev[W_EV];
	unsigned nev;
	struct alg_result r;
};

/*
 * A world with the handshake done. nat_cpub/nat_spub may be NULL (no NAT
 * for that side). isn_c/isn_s are the initial sequence numbers.
 */
struct world *w_new(int family, const char *caddr, const char *saddr,
		    const char *nat_cpub, const char *nat_spub,
		    uint32_t isn_c, uint32_t isn_s,
		    const struct alg_policy *pol);
/*
 * Another control connection into the same table, from client port
 * cport, handshake done: w->s is its session, the earlier one stays in
 * the table; the output streams and offsets start over.
 */
void w_connect(struct world *w, uint16_t cport);
/*
 * Another control connection from client port cport with no handshake:
 * its first packet makes a session picked up mid-stream.
 */
void w_connect_midstream(struct world *w, uint16_t cport);
/* Default IPv4 masquerade world: 10.0.1.2 -> 198.51.100.10, pub 203.0.113.1 */
struct world *w_masq(void);
void w_free(struct world *w);

/*
 * Send payload at stream offset off (from isn + 1) in direction dir with
 * an ACK of everything dir has received in order. Returns the id.
 */
uint32_t w_send(struct world *w, int dir, uint32_t off, const void *p,
		size_t n);
/* Same with explicit flags (TCPF_*) and SACK blocks in OUTPUT space of
 * the other direction (the peer's view). */
uint32_t w_send_x(struct world *w, int dir, uint32_t off, const void *p,
		  size_t n, uint8_t flags, const uint32_t *sack,
		  unsigned nsack);
/* Send the string s as one segment after everything sent so far. */
uint32_t w_line(struct world *w, int dir, const char *s);
void w_tick(struct world *w, uint64_t advance_ms);

/* The stream dir's peer received so far, in order, as a C string. */
const char *w_out(struct world *w, int dir);
/* Events of a type, counted; the n-th one. */
unsigned w_count(const struct world *w, enum alg_ev_type t);
const struct alg_event *w_ev(const struct world *w, enum alg_ev_type t,
			     unsigned n);

/*
 * A restart: the session's state exported, the table freed, a new table
 * (policy pol, or the world's) and the state imported into it. Returns
 * what alg_state_import() returned.
 */
int w_restart(struct world *w, const struct alg_policy *pol);

/* The original bytes sent so far in dir (for the next offset). */
uint32_t w_sent_len(const struct world *w, int dir);

#endif
