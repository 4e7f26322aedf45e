/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sessions of an earlier run that had another number of queues (park.c).
 * The kernel's queue hash uses a random initval (xt_NFQUEUE and nft_queue
 * draw it once, get_random_u32(), docs/kernel-facts.md 12a): which queue a
 * flow lands on cannot be computed, only seen. Such sessions wait here,
 * with their pinholes, until a packet of theirs arrives: the worker it
 * arrives at takes the session over before the engine sees the packet.
 */
#ifndef FTP_ALG_PARK_H
#define FTP_ALG_PARK_H

#include <stdbool.h>

#include "ftp-alg/packet.h"

struct daemon;

/* The parked pool of main daemon d (its table, no sockets). 0/-errno. */
int park_open(struct daemon *d, const char *state_file);
void park_close(struct daemon *d);
/* Its journal: state_file.parked (written while sessions wait). */
const char *park_journal_path(void);
/* Sessions waiting (0 without a pool). */
unsigned park_count(struct daemon *d);
/* The pool filled: claims start (count published to the workers). */
void park_publish(struct daemon *d);
/*
 * Worker w: p's session, if parked, moves into w's table, with its
 * pinholes (and into w's journal). Costs one atomic load while none wait.
 */
void park_claim(struct daemon *w, const struct pkt *p, uint64_t now);
/* Main thread, each turn: now and then, close those whose conntrack
 * entry is gone. */
void park_sweep(struct daemon *d, uint64_t now);

#endif
