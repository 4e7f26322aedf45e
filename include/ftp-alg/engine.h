/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control-connection engine: everything that decides what happens to
 * a packet of an FTP control connection, as pure code over buffers and
 * state structs. No sockets, no netlink, no logging, no clock: the caller
 * passes the time and turns the returned verdicts and events into
 * NFQUEUE verdicts, nftables pinholes and log lines.
 *
 * One struct alg_table belongs to one worker (one queue); nothing in it is
 * shared or locked.
 *
 * Data path, in the order the code runs:
 *   alg_lookup()   packet -> session (created on SYN or mid-stream)
 *   [caller]       alg_session_set_nat() from conntrack, once per session
 *   alg_process()  stream/lines -> FTP parse -> policy -> rewrite + seqadj
 *                  -> verdicts (possibly for earlier, held packets)
 *                  + events (EXPECT: install a pinhole BEFORE the verdicts)
 *   alg_tick()     hold and idle timers
 */
#ifndef FTP_ALG_ENGINE_H
#define FTP_ALG_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "ftp-alg/addr.h"
#include "ftp-alg/ftp.h"
#include "ftp-alg/packet.h"
#include "ftp-alg/seqadj.h"

#define ALG_MAX_LINE_DEFAULT	512
#define ALG_MAX_CTL_PORTS	8
#define ALG_CMDQ_LEN		16	/* commands awaiting a reply */
#define ALG_MAX_HOLD_PKTS	320	/* held packets per direction, at most */
/* verdicts one call may return: both directions' held packets + one */
#define ALG_MAX_OUT		(2 * ALG_MAX_HOLD_PKTS + 16)
#define ALG_MAX_EV		64	/* events one call may return */
#define ALG_EV_TEXT		256

struct alg_policy {
	unsigned max_line;		/* longest line inspected (bytes) */
	unsigned hold_ms;		/* how long a split line may be held */
	unsigned max_hold_pkts;		/* held packets per direction */
	unsigned max_hold_bytes;	/* held payload bytes per direction */
	unsigned idle_timeout_ms;	/* session without packets */
	unsigned linger_ms;		/* kept after close for the last ACKs */
	unsigned max_sessions;
	bool strict_pairing;		/* 227/228/229 only answering PASV... */
	bool allow_low_data_port;	/* data ports below 1024 */
	uint32_t hash_seed;		/* random per daemon: no chain flooding */
	uint16_t ctl_ports[ALG_MAX_CTL_PORTS];	/* server ports, 0-ended */
};

void alg_policy_default(struct alg_policy *pol);

enum alg_dir {
	ALG_DIR_ORIG = 0,	/* client -> server */
	ALG_DIR_REPLY = 1,	/* server -> client */
};

/* What conntrack says about NAT of the control connection. */
struct alg_nat {
	bool known;
	union alg_addr client_pub;	/* client as the server sees it */
	union alg_addr server_pub;	/* server as the client sees it */
};

enum alg_sess_state {
	ALG_S_SYN,		/* SYN seen, waiting for SYN-ACK */
	ALG_S_OPEN,
	ALG_S_CLOSED,		/* FIN both ways or RST: lingering */
};

struct alg_held;

enum {
	ALG_EARLY_NONE,		/* nothing known yet */
	ALG_EARLY_OPEN,		/* address arriving: open correction */
	ALG_EARLY_REWROTE,	/* address ended: correction kept */
	ALG_EARLY_NEVER,	/* not a line we rewrite early */
};

struct alg_stream {
	bool synced;		/* nxt is meaningful */
	bool at_line_start;	/* false after a mid-stream pick-up */
	uint32_t nxt;		/* next original seq to scan */
	bool fin;
	/* the line being assembled (no terminator) */
	uint32_t line_seq;	/* original seq of its first byte */
	unsigned llen;
	bool line_cr;		/* the line just ended with "\r\n" */
	char *line;		/* policy.max_line + 1 bytes */
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

struct alg_counters {
	uint64_t pkts[2];
	uint64_t bytes[2];
	uint64_t lines[2];
	uint64_t rewrites;
	uint64_t expects;
	uint64_t refused;
	uint64_t held;
	uint64_t dropped;
	uint64_t retrans;
};

struct alg_session {
	uint64_t id;
	int family;
	/* the control connection as seen at our hook (forward) */
	union alg_addr caddr, saddr;
	uint16_t cport, sport;
	struct alg_nat nat;
	enum alg_sess_state state;
	bool midstream;		/* picked up without seeing the SYN */
	bool inspect;		/* false after TLS, a stop, or a bad line */
	bool tls;
	bool close_reported;
	bool adjust_reported;	/* ALG_EV_ADJUST sent */
	char stop_reason[96];
	uint64_t created_ms, last_ms, closed_ms;
	struct alg_stream st[2];
	/* command/reply pairing */
	enum ftp_kind cmdq[ALG_CMDQ_LEN];
	unsigned cmdq_head, cmdq_len;
	bool cmdq_lost;		/* overflowed or mid-stream: be lenient */
	int ml_code;		/* code of an open multi-line reply, or 0 */
	bool ml_ep_done;	/* that reply already announced its port */
	struct alg_counters cnt;
	struct alg_session *hnext;	/* hash chain */
	struct alg_session *lnext, *lprev;	/* all sessions */
};

enum alg_verdict {
	ALG_V_ACCEPT,
	ALG_V_DROP,
};

struct alg_out {
	uint32_t id;		/* the caller's packet id */
	enum alg_verdict verdict;
	const uint8_t *data;	/* NULL: unmodified; else the new packet */
	size_t len;
};

enum alg_ev_type {
	ALG_EV_OPEN,		/* session created */
	ALG_EV_CLOSE,		/* session ended: remove its pinholes */
	ALG_EV_REWRITE,		/* text: "old line -> new line" */
	ALG_EV_EXPECT,		/* open a pinhole (exp), before verdicts */
	ALG_EV_REFUSE,		/* text: what was refused and why */
	ALG_EV_TLS,		/* AUTH accepted: nothing more to inspect */
	ALG_EV_STOP,		/* inspection stopped: text says why */
	ALG_EV_NOTE,		/* anything else worth a log line */
	/*
	 * Once per session, before the first packet whose length or
	 * sequence numbers we change leaves: conntrack must stop checking
	 * the peers' windows against what it saw (docs/kernel-facts.md).
	 */
	ALG_EV_ADJUST,
};

const char *alg_ev_name(enum alg_ev_type t);

struct alg_expect {
	int family;
	union alg_addr peer;		/* who may connect */
	struct alg_endpoint wire;	/* what they connect to, on the wire */
	struct alg_endpoint target;	/* where it goes after NAT */
	enum ftp_kind via;		/* the line that announced it */
};

struct alg_event {
	enum alg_ev_type type;
	uint64_t sid;
	enum alg_dir dir;
	struct alg_expect exp;		/* ALG_EV_EXPECT */
	char text[ALG_EV_TEXT];
};

struct alg_result {
	unsigned nout, nev;
	unsigned ev_lost;		/* events that did not fit */
	struct alg_out out[ALG_MAX_OUT];
	struct alg_event ev[ALG_MAX_EV];
};

struct alg_table;

/* max_sessions etc. come from pol; worker_id goes in the top 16 bits of
 * session ids so ids stay unique across workers. */
struct alg_table *alg_table_new(const struct alg_policy *pol,
				uint16_t worker_id);
void alg_table_free(struct alg_table *t);
const struct alg_policy *alg_table_policy(const struct alg_table *t);
unsigned alg_table_count(const struct alg_table *t);
/* Iterate all sessions (for ftp-algctl); stop when fn returns non-zero. */
int alg_table_walk(struct alg_table *t,
		   int (*fn)(struct alg_session *s, void *arg), void *arg);

/*
 * Find the session of p and its direction, creating one on a client SYN
 * to a control port, or mid-stream for a data-carrying packet of an
 * unknown connection involving a control port. Returns 0, -ENOENT (not a
 * control connection, or a stray packet we need not track), or -ENOSPC
 * (table full; r gets a REFUSE event).
 */
int alg_lookup(struct alg_table *t, const struct pkt *p, uint64_t now_ms,
	       struct alg_session **s, enum alg_dir *dir,
	       struct alg_result *r);
/* Find by tuple in the original direction (conntrack events). */
struct alg_session *alg_find(struct alg_table *t, int family,
			     const union alg_addr *caddr, uint16_t cport,
			     const union alg_addr *saddr, uint16_t sport);

void alg_session_set_nat(struct alg_session *s, const struct alg_nat *nat);

/*
 * Process one queued packet of session s, parsed into p by the caller;
 * id is the caller's packet id. The packet may be modified in place
 * (same length); a packet that grows, or must wait, is copied into the
 * engine's own memory. Fills r with verdicts (for this packet and/or
 * earlier held ones; a held packet gets none yet) and events. Reset r
 * with alg_result_reset() before alg_lookup(); events from both calls
 * may share it. Pointers in r stay valid until the next call on t.
 */
void alg_process(struct alg_table *t, struct alg_session *s,
		 enum alg_dir dir, struct pkt *p, uint32_t id,
		 uint64_t now_ms, struct alg_result *r);

/* Conntrack said the connection is gone: emit CLOSE, release holds. */
void alg_session_close(struct alg_table *t, struct alg_session *s,
		       const char *why, uint64_t now_ms, struct alg_result *r);

/*
 * Timers: give up holds older than hold_ms, close idle sessions, free
 * sessions whose linger expired. Returns ms until the next deadline
 * (capped at 1000).
 */
unsigned alg_tick(struct alg_table *t, uint64_t now_ms, struct alg_result *r);

/*
 * Drop every session (shutdown): verdicts for held packets, CLOSE events.
 * Returns the sessions left because r filled up: call again with a fresh r.
 */
unsigned alg_table_flush(struct alg_table *t, uint64_t now_ms,
			 struct alg_result *r);

static inline void alg_result_reset(struct alg_result *r)
{
	r->nout = 0;
	r->nev = 0;
	r->ev_lost = 0;
}

#endif
