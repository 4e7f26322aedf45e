/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control-connection engine: everything that decides what happens to
 * a packet of an FTP control connection, as pure code over buffers and
 * state structs. No sockets, no netlink, no logging, no clock: the caller
 * passes the time and turns the returned verdicts and events (data: a
 * type, a reason and fields, never text) into NFQUEUE verdicts, nftables
 * pinholes, counters and log lines.
 *
 * One struct alg_table belongs to one worker (one queue); nothing in it is
 * shared or locked. Sessions are opaque: the caller reads them through
 * alg_session_id(), alg_session_tuple() and the alg_session_info()
 * snapshot.
 *
 * Data path, in the order the code runs:
 *   alg_track()    packet -> session (found, or created on a SYN or
 *                  mid-stream)
 *   [caller]       alg_session_set_nat() from conntrack, once per session
 *   alg_process()  stream/lines -> FTP parse -> pairing/policy -> rewrite +
 *                  seqadj -> render -> verdicts (possibly for earlier, held
 *                  packets) + events (EXPECT: install a pinhole BEFORE the
 *                  verdicts)
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

#define ALG_MAX_LINE_DEFAULT	512
#define ALG_MAX_LINE_LIMIT	8192	/* the most max_line can be */
#define ALG_CTL_PORT_DEFAULT	21
#define ALG_MAX_CTL_PORTS	8
#define ALG_CMDQ_LEN		16	/* commands awaiting a reply */
#define ALG_MAX_HOLD_PKTS	320	/* held packets per direction, at most */
/* verdicts one call may return: both directions' held packets + one */
#define ALG_MAX_OUT		(2 * ALG_MAX_HOLD_PKTS + 16)
#define ALG_MAX_EV		64	/* events one call may return */
#define ALG_EV_LINE		160	/* bytes of a line an event carries */
#define ALG_MAX_PIN_PER_SESS	16	/* most max_pinholes_per_session */
/*
 * An RST or FIN is acted on only when its sequence number lies from the
 * next byte we expect of its sender up to this far past the highest byte
 * we saw it send (docs/security.md: why not an exact match).
 */
#define ALG_RST_WINDOW		65535u
/* In the last reserve_pct of the table, a client holding this many
 * sessions already gets no more: room kept for the others. */
#define ALG_RESERVE_SHARE	2

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
	/* docs/security.md explains each of these */
	unsigned max_pinholes_per_session; /* a new one replaces the oldest;
					    * 0: no limit */
	unsigned max_sessions_per_client; /* by client address; 0: none */
	unsigned reserve_pct;		/* of max_sessions, kept for clients
					 * under ALG_RESERVE_SHARE sessions */
	unsigned half_open_ms;		/* SYN only, or nothing exchanged */
	bool active_on_reply;		/* PORT's pinhole on the server's 2xx */
	bool violation_reset;		/* reset the control connection on a
					 * violation instead of passing */
	uint32_t hash_seed;		/* random per daemon: no chain flooding */
	uint16_t ctl_ports[ALG_MAX_CTL_PORTS];	/* server ports, 0-ended */
};

void alg_policy_default(struct alg_policy *pol);

enum alg_dir {
	ALG_DIR_ORIG = 0,	/* client -> server */
	ALG_DIR_REPLY = 1,	/* server -> client */
};

/* A control connection as seen at our hook (forward: after DNAT). */
struct alg_tuple {
	int family;
	union alg_addr caddr, saddr;	/* client, server */
	uint16_t cport, sport;
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

enum alg_inspect {
	ALG_INSPECTING,
	ALG_INSPECT_TLS,	/* encrypted (AUTH + 234) until a CCC clears it */
	ALG_INSPECT_STOPPED,	/* a line we could not follow: see reason */
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

/*
 * Why something happened. Every event carries one; the fields it uses
 * are named here. alg_reason_name() gives a stable token for counters
 * and JSON; the daemon writes the sentences.
 */
enum alg_reason {
	ALG_R_NONE = 0,
	/* OPEN: tuple */
	ALG_R_OPEN_SYN,		/* from its SYN */
	ALG_R_OPEN_MIDSTREAM,	/* picked up mid-stream */
	/* REFUSE: the line passes unrewritten, nothing is opened */
	ALG_R_MALFORMED,	/* kind, detail (the parser's why), line */
	ALG_R_BOUNCE,		/* kind, ep (announced), addr (the client) */
	ALG_R_LOW_PORT,		/* kind, ep */
	ALG_R_FAMILY,		/* kind, ep (its family differs) */
	ALG_R_UNPAIRED,		/* kind, value (code), awaited, line */
	ALG_R_FORMAT,		/* kind, value (errno): no new text */
	ALG_R_SPLIT_UNUSUAL,	/* kind: split in a form only the parser
				 * knows, a piece already left unchanged */
	ALG_R_SPLIT_NOROOM,	/* kind: split, no room for its rewrite */
	ALG_R_TOO_MANY_REWRITES, /* kind: correction list full */
	ALG_R_NOMEM,		/* kind */
	ALG_R_OVERLAP,		/* kind: rewrite overlaps an earlier one */
	ALG_R_HOLD_SEGMENTS,	/* line: held in too many segments */
	ALG_R_HOLD_TIMEOUT,	/* line, value (hold_ms) */
	ALG_R_TABLE_FULL,	/* value (max_sessions); sid 0 */
	ALG_R_CLIENT_LIMIT,	/* value (max_sessions_per_client), addr
				 * (the client); sid 0 */
	ALG_R_TABLE_RESERVE,	/* value (sessions the client holds), addr;
				 * sid 0: the rest of the table is kept */
	ALG_R_UNSYNCED,		/* kind, line: pairing not established yet
				 * (mid-stream, or after an overflow) */
	ALG_R_BARE_LF,		/* kind, line: after or ended by a bare LF
				 * the peer has not shown it accepts */
	ALG_R_PORT_REJECTED,	/* kind (PORT...), value (the reply's code):
				 * the server did not accept it */
	ALG_R_RETRANS_MISMATCH,	/* a retransmission disagreeing with bytes
				 * already seen: dropped */
	ALG_R_RESET_SENT,	/* kind, value (the violation, an
				 * alg_reason): violation_action = reset */
	/* STOP */
	ALG_R_LINE_NUL,		/* a NUL byte in a control line */
	ALG_R_LINE_LONG,	/* a line over max_line */
	/* TLS */
	ALG_R_AUTH_TLS,		/* AUTH answered by 234 */
	/* NOTE */
	ALG_R_FOREIGN_ADDR,	/* kind, ep (announced), addr (the server):
				 * the client is sent to the server */
	ALG_R_PIN_REPLACED,	/* kind, exp (the pinhole replaced, see
				 * EXPECT): max_pinholes_per_session */
	ALG_R_RST_WINDOW,	/* value (seq), addr unused: an RST or FIN
				 * outside the window changed nothing */
	/* REWRITE: kind, line, line_new */
	ALG_R_REWRITE_LINE,	/* a complete line */
	ALG_R_REWRITE_SPLIT,	/* rendered piece by piece as it arrived */
	/* EXPECT: kind, exp */
	ALG_R_DATA_PORT,
	/* ADJUST */
	ALG_R_SEQ_SHIFT,	/* seq/ack of this session change from here */
	/* CLOSE (also the caller's reason for alg_session_close()) */
	ALG_R_CLOSE_RST,
	ALG_R_CLOSE_FIN,	/* FIN both ways */
	ALG_R_CLOSE_IDLE,
	ALG_R_CLOSE_CONNTRACK,	/* conntrack entry destroyed */
	ALG_R_CLOSE_SHUTDOWN,
	ALG_R_CLOSE_HALF_OPEN,	/* no handshake or nothing exchanged in
				 * half_open_ms */
	/* SEEN: line, dir */
	ALG_R_LINE_SEEN,
	/*
	 * FTPS (tls.c). Kept after the others: journals store reasons by
	 * number. TLS: AUTH_TLS (encrypted, records followed), TLS_CLEAR
	 * (dir is clear again after a CCC: value = TLS records walked);
	 * STOP: TLS_GARBAGE (neither a TLS record nor FTP text),
	 * TLS_UNFOLLOWED (the client's first TLS byte is unknown: it sent
	 * part of another line after AUTH).
	 */
	ALG_R_TLS_CLEAR,
	ALG_R_TLS_GARBAGE,
	ALG_R_TLS_UNFOLLOWED,
	/*
	 * NOTE: idle_timeout passed, but this session's segments without
	 * payload go on without us (alg_table_set_idle_check()): the caller
	 * asks conntrack and closes it (alg_session_close()) when the
	 * connection is gone. The engine asks again after another
	 * idle_timeout.
	 */
	ALG_R_IDLE_CHECK,
	ALG_R_MAX
};

const char *alg_reason_name(enum alg_reason r);

/* A snapshot of one session, for ctl and logs. */
struct alg_session_info {
	uint64_t id;
	struct alg_tuple tuple;
	struct alg_nat nat;
	enum alg_sess_state state;
	enum alg_inspect inspect;
	enum alg_reason stop_reason;	/* STOPPED: why (also TLS, once stopped) */
	bool midstream;			/* picked up without its SYN */
	uint64_t created_ms, last_ms;
	struct alg_counters cnt;
};

struct alg_session;

uint64_t alg_session_id(const struct alg_session *s);
enum alg_sess_state alg_session_state(const struct alg_session *s);
const struct alg_tuple *alg_session_tuple(const struct alg_session *s);
bool alg_session_nat_known(const struct alg_session *s);
void alg_session_info(const struct alg_session *s,
		      struct alg_session_info *out);

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
	ALG_EV_REWRITE,		/* a line left rewritten */
	ALG_EV_EXPECT,		/* open a pinhole (exp), before verdicts */
	ALG_EV_REFUSE,		/* a line refused: nothing opened */
	ALG_EV_TLS,		/* AUTH accepted (encrypted), or clear again */
	ALG_EV_STOP,		/* inspection stopped */
	ALG_EV_NOTE,		/* anything else worth a log line */
	/*
	 * Once per session, before the first packet whose length or
	 * sequence numbers we change leaves: conntrack must stop checking
	 * the peers' windows against what it saw (docs/kernel-facts.md).
	 */
	ALG_EV_ADJUST,
	/*
	 * A complete control line as inspected (line, dir), produced only
	 * while alg_table_set_trace_lines() is on and the result has room
	 * to spare: for live tracing, never needed to act.
	 */
	ALG_EV_SEEN,
};

const char *alg_ev_name(enum alg_ev_type t);

struct alg_expect {
	int family;
	union alg_addr peer;		/* who may connect */
	/*
	 * The peer as the other end saw it on the control connection: its
	 * data connection must leave the router from there (a server in a
	 * DMZ behind a port forward, a client behind masquerade).
	 */
	union alg_addr peer_pub;
	struct alg_endpoint wire;	/* what they connect to, on the wire */
	struct alg_endpoint target;	/* where it goes after NAT */
	enum ftp_kind via;		/* the line that announced it */
};

/* Raw bytes of a control line, as they were: not terminated or escaped. */
struct alg_ev_line {
	uint16_t len;
	bool cut;			/* the line was longer */
	char b[ALG_EV_LINE];
};

struct alg_event {
	enum alg_ev_type type;
	enum alg_reason reason;
	uint64_t sid;
	enum alg_dir dir;
	int family;			/* of ep, addr */
	enum ftp_kind kind;		/* the line concerned */
	enum ftp_kind awaited;		/* UNPAIRED: command awaiting reply */
	unsigned value;			/* see enum alg_reason */
	const char *detail;		/* MALFORMED: static text, or NULL */
	struct alg_endpoint ep;		/* an announced endpoint */
	union alg_addr addr;		/* see enum alg_reason */
	struct alg_tuple tuple;		/* OPEN */
	struct alg_expect exp;		/* EXPECT */
	struct alg_ev_line line;	/* the line as it came */
	struct alg_ev_line line_new;	/* REWRITE: the line as it left */
};

struct alg_result {
	unsigned nout, nev;
	unsigned ev_lost;		/* events that did not fit */
	struct alg_out out[ALG_MAX_OUT];
	struct alg_event ev[ALG_MAX_EV];
};

struct alg_table;

/* max_sessions etc. come from pol, clamped to what the engine can carry
 * (alg_table_policy() tells the values in force); worker_id goes in the
 * top 16 bits of session ids so ids stay unique across workers. */
struct alg_table *alg_table_new(const struct alg_policy *pol,
				uint16_t worker_id);
void alg_table_free(struct alg_table *t);
/*
 * New session ids continue from at least first (its low 48 bits): the
 * daemon passes the wall-clock time in milliseconds, so a restart never
 * hands out an id an earlier run used (unless that run opened more than
 * a session per millisecond on average). Never lowers the next id.
 */
void alg_table_seed_ids(struct alg_table *t, uint64_t first);
const struct alg_policy *alg_table_policy(const struct alg_table *t);
/*
 * Change t's policy while it runs (a configuration reload): clamped as
 * alg_table_new() clamps it, hash_seed ignored. Open sessions keep their
 * state and their line limit; the rest applies from the next packet or
 * tick (session.c says which limit does what). 0, or -ENOMEM with t
 * unchanged.
 */
int alg_table_set_policy(struct alg_table *t, const struct alg_policy *pol);
unsigned alg_table_count(const struct alg_table *t);
/* LINE events on (a trace is watching) or off (the default). */
void alg_table_set_trace_lines(struct alg_table *t, bool on);
/* Visit every session (for ftp-algctl); stop when fn returns non-zero. */
int alg_table_walk(const struct alg_table *t,
		   int (*fn)(const struct alg_session *s, void *arg),
		   void *arg);

/*
 * Find the session of p and its direction, creating one on a client SYN
 * to a control port, or mid-stream for a data-carrying packet of an
 * unknown connection involving a control port. Returns 0, -ENOENT (not a
 * control connection, or a stray packet we need not track), -ENOSPC
 * (table full; r gets a REFUSE event) or -ENOMEM.
 */
int alg_track(struct alg_table *t, const struct pkt *p, uint64_t now_ms,
	      struct alg_session **s, enum alg_dir *dir,
	      struct alg_result *r);
/* Find, never create: by tuple (client -> server), or by session id. */
struct alg_session *alg_find(struct alg_table *t,
			     const struct alg_tuple *tuple);
struct alg_session *alg_find_id(struct alg_table *t, uint64_t sid);

void alg_session_set_nat(struct alg_session *s, const struct alg_nat *nat);

/*
 * Process one queued packet of session s, parsed into p by the caller;
 * id is the caller's packet id. The packet may be modified in place
 * (same length); a packet that grows, or must wait, is copied into the
 * engine's own memory. Fills r with verdicts (for this packet and/or
 * earlier held ones; a held packet gets none yet) and events. Reset r
 * with alg_result_reset() before alg_track(); events from both calls
 * may share it. Pointers in r stay valid until the next call on t.
 */
void alg_process(struct alg_table *t, struct alg_session *s,
		 enum alg_dir dir, struct pkt *p, uint32_t id,
		 uint64_t now_ms, struct alg_result *r);

/*
 * Take s out of t and free it, without events (it lives on elsewhere: a
 * copy imported into another table with alg_state_import()).
 */
void alg_session_forget(struct alg_table *t, struct alg_session *s);

/* The connection is gone (why: an ALG_R_CLOSE_*): CLOSE, release holds. */
void alg_session_close(struct alg_table *t, struct alg_session *s,
		       enum alg_reason why, uint64_t now_ms,
		       struct alg_result *r);

/*
 * Timers: give up holds older than hold_ms, close idle sessions, free
 * sessions whose linger expired. Returns ms until the next deadline
 * (capped at 1000).
 */
unsigned alg_tick(struct alg_table *t, uint64_t now_ms, struct alg_result *r);

/*
 * on: the segments without payload of a session whose sequence numbers we
 * never shifted are not queued (the daemon's pure-ACK rules), so a TCP
 * keepalive, say, never reaches us: such a session past idle_timeout is
 * not closed but reported (NOTE, ALG_R_IDLE_CHECK). A shifted session
 * sees every packet: idle_timeout closes it, as with off (the default).
 */
void alg_table_set_idle_check(struct alg_table *t, bool on);

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
