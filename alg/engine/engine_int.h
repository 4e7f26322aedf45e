/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What only the engine sees: session and stream state, the held-packet
 * list, and the prototypes its files share. The daemon includes
 * ftp-alg/engine.h only.
 *
 * Files, in data-path order:
 *   session.c   the table: tuple -> session, create, free, snapshots
 *   stream.c    one direction as a byte stream, cut into lines
 *   hold.c      held packets: scan in order, decide, release
 *   tls.c       an encrypted direction walked record by record
 *   pairing.c   each line by direction: command/reply pairing
 *   policy.c    announced endpoints: allowed?, expectation
 *   rewrite.c   the new address text: whole lines and split lines
 *   render.c    the packet that leaves, and its verdict
 *   events.c    events as data
 *   engine.c    the entry points: alg_process, alg_tick, close, flush
 */
#ifndef FTP_ALG_ENGINE_INT_H
#define FTP_ALG_ENGINE_INT_H

#include "ftp-alg/engine.h"
#include "seqadj.h"

_Static_assert(FTP_FIELD_MAX <= SEQADJ_REPL_MAX,
	       "a formatted field must fit a correction");

/* room for a rendered payload: every correction may grow it */
#define ALG_SCRATCH_LEN	(65535 + SEQADJ_MAX * SEQADJ_REPL_MAX)

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

/* How far a split address has been rendered early (rewrite.c). */
enum {
	ALG_EARLY_NONE,		/* nothing known yet */
	ALG_EARLY_OPEN,		/* address arriving: open correction */
	ALG_EARLY_REWROTE,	/* address ended: correction kept */
	ALG_EARLY_NEVER,	/* not a line we rewrite early */
};

/* Where a direction's TLS record walk is (tls.c). */
struct tls_walk {
	uint8_t hdr[5];		/* the next record's header so far */
	uint8_t hlen;
	uint16_t left;		/* body bytes left of the current record */
	uint32_t records;	/* headers walked */
};

enum tls_walk_res {
	TLS_WALK_MORE,		/* every byte was TLS: still encrypted */
	TLS_WALK_CLEAR,		/* FTP text starts at the returned offset */
	TLS_WALK_BAD,		/* neither TLS nor FTP text there */
};

struct alg_stream {
	bool synced;		/* nxt is meaningful */
	bool tls;		/* encrypted: bytes walked, not cut into lines */
	bool tls_client;	/* the client's direction (the walk's text) */
	struct tls_walk tw;
	bool at_line_start;	/* false after a mid-stream pick-up */
	uint32_t nxt;		/* next original seq to scan */
	bool fin;
	/* the line being assembled (no terminator) */
	uint32_t line_seq;	/* original seq of its first byte */
	unsigned llen;
	bool line_cr;		/* the line just ended with "\r\n" */
	bool after_lf;		/* the line being assembled follows a bare
				 * LF (pairing.c: bare-LF rule) */
	bool lf_ok;		/* the peer answered a bare-LF line: it
				 * frames on LF too */
	uint32_t seen_max;	/* past the highest byte seen (RST window) */
	/*
	 * The line's bytes: buf while it is incomplete at a segment's end,
	 * the segment itself while a line that lies whole in one is handed
	 * on, "" between lines.
	 */
	const char *line;
	char *buf;		/* line_max bytes, only while incomplete */
	/*
	 * The longest line this stream inspects: max_line when the session
	 * was created. The buffer is sized by it, so a max_line changed
	 * later (alg_table_set_policy()) cannot overrun an open session's
	 * line, nor cut one already longer than the new limit.
	 */
	unsigned line_max;
	bool pending;		/* line may need rewriting: hold it */
	/* a split PORT/EPRT/227 whose address is rewritten as it arrives */
	uint8_t early;		/* ALG_EARLY_* */
	uint16_t early_start;	/* offset of the address in the line */
	char early_delim;	/* EPRT delimiter */
	enum ftp_kind early_kind;
	bool tainted;		/* line given up on: pass it unrewritten */
	unsigned released;	/* bytes of this line that left unchanged */
	uint64_t hold_since_ms;
	struct alg_held *held;	/* held packets, sorted by seq */
	unsigned nheld;
	size_t held_bytes;
	struct seqadj adj;
};

/* A session's announced pinholes (policy.c), allocated on first use. */
struct alg_pins {
	struct alg_expect port_exp;	/* active_on_reply: waits for 2xx */
	unsigned n, cap;		/* v: oldest first */
	struct alg_expect v[];
};

struct alg_session {
	uint64_t id;
	struct alg_tuple tu;
	struct alg_nat nat;
	enum alg_sess_state state;
	bool midstream;		/* picked up without seeing the SYN */
	bool inspect;		/* false after TLS, a stop, or a bad line */
	bool tls;
	bool close_reported;
	bool adjust_reported;	/* ALG_EV_ADJUST sent */
	enum alg_reason stop_reason;
	uint64_t created_ms, last_ms, closed_ms;
	struct alg_stream st[2];
	/* command/reply pairing */
	enum ftp_kind cmdq[ALG_CMDQ_LEN];
	unsigned cmdq_head, cmdq_len;
	/*
	 * Pairing unknown (mid-stream pick-up, an unparseable packet
	 * before): nothing opens until a command we saw got its final
	 * reply. Never "accept anything".
	 */
	bool cmdq_lost;
	unsigned cmdq_extra;	/* commands past the queue (their kinds
				 * unknown: answers to them open nothing) */
	uint32_t cmd_pushed, cmd_popped;	/* commands seen, answered */
	uint32_t port_cmd;	/* port_exp: cmd_pushed of its PORT */
	int ml_code;		/* code of an open multi-line reply, or 0 */
	bool ml_ep_done;	/* that reply already announced its port */
	/*
	 * The pinholes announced and a PORT's waiting for its 2xx: only
	 * once the session announces one (an idle session carries none).
	 */
	struct alg_pins *pins;
	bool port_pending;	/* pins->port_exp waits (active_on_reply) */
	/* violation_action = reset */
	enum alg_reason violation;	/* the first, or NONE */
	enum alg_dir violation_dir;
	bool reset_sent;
	struct alg_client *client;	/* its address's session count */
	struct alg_counters cnt;
	struct alg_session *hnext;	/* hash chain */
	struct alg_session *lnext, *lprev;	/* all sessions */
};

/* Sessions per client address (clients.c). */
struct alg_client {
	struct alg_client *next;
	int family;
	union alg_addr addr;
	unsigned n;		/* sessions in the table (the entry's life) */
	unsigned live;		/* of those, not closed: what limits count */
};

struct alg_table {
	struct alg_policy pol;
	struct alg_client **clients;	/* ncbuckets chains */
	unsigned ncbuckets, nclients;
	uint16_t worker;
	uint64_t next_id;
	unsigned nbuckets;
	unsigned count;
	struct alg_session **buckets;
	struct alg_session *all;	/* list of every session */
	/* released packets whose buffers back this call's verdicts */
	struct alg_held *graveyard;
	uint8_t *scratch;		/* one rendered payload */
	bool trace_lines;		/* LINE events wanted */
	bool idle_check;		/* alg_table_set_idle_check() */
};

/* One line being handled: who, which way, where results go. */
struct line_ctx {
	struct alg_table *t;
	struct alg_session *s;
	enum alg_dir dir;
	struct alg_result *r;
	bool rewritten;		/* this line's address was rendered early */
	unsigned frozen;	/* bytes of the line already left unchanged */
};

/* A stream_line_fn return value: stop, TLS follows and cannot be walked. */
#define LINE_STOP_TLS	1

/* session.c */
#define ALG_SID_SEQ_MASK	((1ull << 48) - 1)	/* below the worker id */
struct alg_session *session_alloc(const struct alg_table *t);
void session_discard(struct alg_session *s);
int session_insert(struct alg_table *t, struct alg_session *s);
void session_free(struct alg_table *t, struct alg_session *s);
/* The side's address as the other side sees it (after NAT). */
const union alg_addr *session_pub(const struct alg_session *s,
				  enum alg_dir dir);
void table_gc(struct alg_table *t);

/* clients.c */
struct alg_client *client_get(struct alg_table *t, int family,
			      const union alg_addr *a, bool create);
void client_put(struct alg_table *t, struct alg_client *c);
/* One of c's sessions closed (it lingers, but no longer counts). */
void client_closed(struct alg_client *c);
/* 0, or the refusal (ALG_R_CLIENT_LIMIT / ALG_R_TABLE_RESERVE). */
enum alg_reason client_admit(const struct alg_table *t,
			     const struct alg_client *c);
int clients_rehash(struct alg_table *t, unsigned n);

/* violation.c */
/* The first violation among r's events from ev0 on is s's. */
void violation_scan(struct alg_session *s, const struct alg_result *r,
		    unsigned ev0);
/* violation_action = reset: o (h rendered) becomes an RST or a drop. */
void violation_render(struct alg_table *t, struct alg_session *s,
		      enum alg_dir dir, struct alg_held *h,
		      struct alg_out *o, struct alg_result *r);
/* After the reset: true when p was dealt with (dropped or released). */
bool violation_after(struct alg_table *t, struct alg_session *s,
		     enum alg_dir dir, struct pkt *p, uint32_t id,
		     uint64_t now, struct alg_result *r);

/* stream.c */
typedef int (*stream_line_fn)(void *ctx, const char *line, size_t len,
			      uint32_t line_seq);
int stream_init(struct alg_stream *st, unsigned max_line);
void stream_free(struct alg_stream *st);
void stream_sync(struct alg_stream *st, uint32_t nxt, bool at_line_start);
int stream_line_append(struct alg_stream *st, const void *b, size_t n);
int stream_scan(struct alg_stream *st, uint32_t seq, const uint8_t *p,
		size_t n, stream_line_fn fn, void *ctx, enum alg_reason *why);

/* hold.c */
struct alg_held *held_new(uint32_t id, struct pkt *p, uint64_t now);
int held_own(struct alg_held *h, size_t need);
void held_free(struct alg_held *h);
void held_free_list(struct alg_held *h);
void stream_hold(struct alg_stream *st, struct alg_held *h);
void stream_unhold(struct alg_stream *st, struct alg_held *h);
void hold_drain(struct alg_table *t, struct alg_session *s,
		enum alg_dir dir, uint64_t now, struct alg_result *r);
void hold_give_up(struct alg_table *t, struct alg_session *s,
		  enum alg_dir dir, enum alg_reason why, uint64_t now,
		  struct alg_result *r);

/* tls.c */
/*
 * Walk p[0..n) of a TLS stream; returns how many bytes are TLS (all of
 * them with TLS_WALK_MORE). Pure: the fuzz target's and the tests' entry.
 */
size_t tls_walk(struct tls_walk *w, bool client, const uint8_t *p,
		size_t n, enum tls_walk_res *res);
/* A 234 answered AUTH: both directions walked from here (or LINE_STOP_TLS) */
int tls_begin(struct line_ctx *c);
/* stream_scan() on an encrypted stream: st->nxt moves by *used. */
int tls_scan(struct alg_stream *st, const uint8_t *p, size_t n,
	     size_t *used, enum alg_reason *why);
/* stream_scan() said "clear again" (a NULL line): pairing starts afresh */
int tls_resumed(struct line_ctx *c);

/* pairing.c: the stream_line_fn for complete lines (ctx: line_ctx) */
int pairing_line(void *ctx, const char *line, size_t len, uint32_t seq);

/* policy.c */
void policy_active(struct line_ctx *c, const struct ftp_msg *m,
		   const char *line, size_t len, uint32_t line_seq);
/* Announce exp (EXPECT), replacing the oldest past the session's limit. */
void policy_expect(struct line_ctx *c, const struct alg_expect *exp);
struct alg_pins *policy_pins(struct alg_session *s, unsigned max);
void policy_passive(struct line_ctx *c, const struct ftp_msg *m,
		    const char *line, size_t len, uint32_t line_seq);

/* rewrite.c */
int rewrite_line(struct line_ctx *c, const struct ftp_msg *m,
		 const char *line, size_t len, uint32_t line_seq,
		 const struct alg_endpoint *ep);
void rewrite_split_update(struct line_ctx *c);
void rewrite_split_finish(struct alg_session *s, enum alg_dir dir,
			  const char *l, size_t n, int next);
void rewrite_split_event(struct line_ctx *c, const char *line, size_t len);

/* render.c */
struct alg_out *out_add(struct alg_result *r, uint32_t id);
void render_release(struct alg_table *t, struct alg_session *s,
		    enum alg_dir dir, struct alg_held *h,
		    struct alg_result *r);
void render_drop(struct alg_table *t, struct alg_session *s,
		 struct alg_held *h, struct alg_result *r);

/* events.c */
struct alg_event *ev_new(struct alg_result *r, struct alg_session *s,
			 enum alg_ev_type type, enum alg_reason why,
			 enum alg_dir dir);
void ev_line(struct alg_ev_line *l, const char *b, size_t n);
/* The stream is about to change length: say so once, before it does. */
void ev_adjust(struct alg_result *r, struct alg_session *s,
	       enum alg_dir dir);

/* engine.c */
void engine_stop(struct alg_table *t, struct alg_session *s,
		 enum alg_dir dir, enum alg_reason why,
		 struct alg_result *r);

#endif
