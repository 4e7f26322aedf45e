/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Engine-internal: stream assembly and the held-packet list. */
#ifndef FTP_ALG_STREAM_H
#define FTP_ALG_STREAM_H

#include "ftp-alg/engine.h"

/* A packet whose verdict is deferred. */
struct alg_held {
	struct alg_held *next;
	uint32_t id;		/* caller's packet id */
	uint8_t *data;		/* the packet (IP header first) */
	size_t len, cap;
	bool borrowed;		/* data is the caller's buffer (this call) */
	bool scanned;		/* its new bytes went through the scanner */
	bool on_list;		/* on its stream's held list */
	uint32_t seq;		/* original TCP seq */
	uint32_t paylen;
	uint64_t since_ms;
};

typedef int (*stream_line_fn)(void *ctx, const char *line, size_t len,
			      uint32_t line_seq);

int stream_init(struct alg_stream *st, unsigned max_line);
void stream_free(struct alg_stream *st);
void stream_sync(struct alg_stream *st, uint32_t nxt, bool at_line_start);
int stream_scan(struct alg_stream *st, uint32_t seq, const uint8_t *p,
		size_t n, unsigned max_line, stream_line_fn fn, void *ctx,
		const char **why);
void stream_hold(struct alg_stream *st, struct alg_held *h);
void stream_unhold(struct alg_stream *st, struct alg_held *h);
void held_free(struct alg_held *h);

/* session.c internals shared with engine.c */
/* room for a rendered payload: every correction may grow it */
#define ALG_SCRATCH_LEN	(65535 + SEQADJ_MAX * FTP_FIELD_MAX)

struct alg_table {
	struct alg_policy pol;
	uint16_t worker;
	uint64_t next_id;
	unsigned nbuckets;
	unsigned count;
	struct alg_session **buckets;
	struct alg_session *all;	/* list of every session */
	/* released packets whose buffers back this call's verdicts */
	struct alg_held *graveyard;
	uint8_t *scratch;		/* one rendered payload */
};

void session_free(struct alg_table *t, struct alg_session *s);
void table_gc(struct alg_table *t);

#endif
