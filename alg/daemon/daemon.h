/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ftp-algd's shared state and the rooms that work on it. A queued packet
 * goes, file by file:
 *
 *   queue.c      NFQUEUE: packets in, verdicts out
 *   inspect.c    parse, find the session, run the engine
 *   nat.c        once per session: its NAT, from conntrack.c
 *   pinholes.c   EXPECT events: pinholes in nftables, before any verdict
 *   liberal.c    REWRITE/ADJUST: conntrack stops checking its windows
 *   verdict.c    the result applied: pinholes, events, then verdicts
 *
 * workers.c runs one thread per queue, each waiting on its queue and
 * conntrack events and running its timers; loop.c (the main thread)
 * waits on nftables events (rulewatch.c), the control socket (ctl.c,
 * ctl_cmds.c) and signals (signals.c: reload.c, report.c), and reaches
 * each worker under its mutex.
 */
#ifndef FTP_ALG_DAEMON_H
#define FTP_ALG_DAEMON_H

#include <stdbool.h>
#include <stdint.h>

#include "ftp-alg/engine.h"
#include "config.h"
#include "journal.h"
#include "log.h"
#include "pinholes.h"
#include "pin_async.h"
#include "privdrop.h"
#include "sdnotify.h"
#include "stats.h"

#ifndef FTP_ALG_VERSION
#define FTP_ALG_VERSION	"0.1.0"
#endif

/* the largest IP packet and room for the engine to grow it in place */
#define PKT_BUF_LEN	(65535 + 4096)
#define LIBERAL_BUCKETS	256

struct queue;
struct ct_ctx;
struct ct_tuple;
struct fw_sock;
struct ctl_server;
struct liberal_node;
struct rulewatch;
struct metrics_http;
struct worker;

struct daemon_stats {
	uint64_t malformed;
	uint64_t untracked;	/* not a control connection: passed */
	uint64_t nat_queries, nat_fail;
	uint64_t liberal, liberal_fail;
	uint64_t pin_added, pin_used, pin_expired, pin_removed, pin_fail;
	uint64_t pin_unestablished;	/* consumed, no data connection */
	uint64_t rs_restores, rs_restore_fail;	/* rulewatch.c */
	uint64_t admin_warnings;	/* chains warned about, in total */
	unsigned admin_missing;		/* chains lacking it, last check */
	uint64_t ev_lost;
	uint64_t verdict_fail;
	uint64_t idle_kept;	/* idle checks: the connection is there */
	uint64_t idle_gone;	/* ... gone: the session closed (idle.c) */
	uint64_t idle_unasked;	/* more at once than IDLE_ASK_MAX */
	uint64_t ct_destroyed;	/* destroy events that closed a session */
	uint64_t ct_destroy_stale;	/* about an earlier connection on the
					 * tuple of a session: ignored */
	uint64_t journal_records, journal_fail, journal_compactions;
	uint64_t journal_restored;	/* sessions taken over at start-up */
	uint64_t pin_adopted;		/* pinholes taken over at start-up */
	uint64_t pin_replaced;		/* max_pinholes_per_session */
	/* pin_async.c: announcements released before their transaction */
	uint64_t pin_async;		/* pinholes added that way */
	uint64_t catch_repeat;		/* a caught SYN sent through again */
	uint64_t catch_pass;		/* a caught SYN that was not ours */
	uint64_t catch_loop;		/* caught again: let go untouched */
	/* several queues: its pair is another worker's (peer_owner.h) */
	uint64_t pair_elsewhere;
	/* every engine event by its reason (alg_reason_name() names them) */
};

/* The restart journal's file (journal.c). */
struct journal_file {
	const char *path;
	int fd;				/* -1: not open */
	int lock_fd;			/* path.lock, held while we run */
	uint64_t size;			/* bytes in it now */
	uint64_t compacted;		/* bytes after the last compaction */
	bool torn;			/* a failed write left a torn tail */
	size_t pending;			/* bytes gathered in buf */
	unsigned pending_recs;		/* records in them */
	uint8_t buf[JOURNAL_BUF_LEN];	/* records not written yet */
};

/*
 * One struct daemon per worker (workers.c: a thread per queue, with its
 * own table, sockets, pinholes and journal), and one for the main
 * thread, which holds the workers and the rest (ctl, signals, the
 * ruleset watcher, metrics, systemd). Fields say whose they are.
 */
#define CT_FILTER_PORTS	32	/* ports the destroy events' filter knows */
_Static_assert(ALG_MAX_CTL_PORTS <= CT_FILTER_PORTS,
	       "the current control ports always fit the filter");

#define IDLE_ASK_MAX	256	/* idle checks per tick (idle.c) */

struct daemon {
	struct alg_config cfg;
	/* workers.c */
	struct daemon *boss;		/* a worker's: the main daemon */
	struct worker *wk;		/* a worker's: thread, lock, trace */
	struct daemon **w;		/* the main daemon's: its workers */
	unsigned nw;
	/* the main daemon's: the ports its workers' destroy events pass */
	uint16_t ct_ports[CT_FILTER_PORTS];
	unsigned nct_ports;
	struct daemon *parked;		/* main: sessions waiting for a
					 * worker (park.c), or NULL */
	uint16_t wid;			/* a worker's: its queue - first */
	const char *config_path;	/* --config, read again on SIGHUP */
	bool queue_flag;		/* --queue given: it beats the file */
	bool state_flag;		/* --state-file given: likewise */
	bool user_flag;			/* --user given: likewise */
	const char *ctl_path;
	struct alg_table *tab;
	struct queue *q;
	struct ct_ctx *ct;
	struct fw_sock *fw;
	struct ctl_server *ctl;
	struct rulewatch *rw;		/* rulewatch.c: ruleset changes */
	struct metrics_http *mh;	/* metrics_listen, or NULL */
	int ep, sfd;			/* epoll set, signalfd */
	bool native_queue;
	bool pin_destroy;		/* kernel takes NFT_MSG_DESTROYSETELEM */
	bool used_get;			/* the table has map usedp4 */
	bool pure_acks;			/* main: the queue rules let pure ACKs
					 * of unshifted sessions go on */
	bool started;			/* the loop ran */
	uint64_t start_ms;
	uint64_t last_pkt_ms;
	uint64_t next_tick_ms;
	uint64_t next_pin_ms;
	struct pinholes pins;
	struct pin_async as;		/* a worker's: pin_async.c */
	/* sessions whose conntrack entry we already made liberal */
	struct liberal_node *liberal[LIBERAL_BUCKETS];
	struct daemon_stats st;
	struct alg_stats ws;		/* this worker's (stats.h) */
	bool tracing;			/* a trace subscriber (trace.c) */
	struct log_rl rl_malformed;
	struct log_rl rl_verdict;
	struct log_rl rl_journal;
	/* limits a peer can hit per packet: one per reason (so a flood
	 * of one does not hide the others' lines) */
	struct log_rl rl_limit[ALG_R_MAX];
	struct journal_file jr;
	struct sdnotify sd;		/* systemd notify, watchdog */
	struct privdrop priv;		/* who we become after set-up */
	struct alg_result res;
	/* idle.c: sessions to ask conntrack about after this tick */
	uint64_t idle_ask[IDLE_ASK_MAX];
	unsigned nidle;
	uint8_t buf[PKT_BUF_LEN] __attribute__((aligned(8)));
};

/* loop.c */
uint64_t now_ms(void);
int loop_open(struct daemon *d);
int loop_run(struct daemon *d);
void loop_close(struct daemon *d);
int loop_finish(struct daemon *d);

/* reload.c: SIGHUP */
struct reload_result {
	unsigned changed;	/* CONFIG_BIT()s of the keys now changed */
	unsigned kept;		/* in the file, but only at a restart */
};
/*
 * Read the --config file again and apply what can change live: 0, or
 * -errno with nothing applied (every error logged).
 */
int reload_apply(struct daemon *d, struct reload_result *res);
/* reload_apply(), then what its result asks of the kernel. */
void reload_run(struct daemon *d);
void config_log_clamped(const struct alg_policy *asked,
			const struct alg_policy *used);

/* report.c: SIGUSR1, the state in three log lines */
void report_state(struct daemon *d, uint64_t now);

/* inspect.c: a queue_cb */
void inspect_packet(uint32_t id, uint8_t hook, const uint8_t *data,
		    size_t len, bool truncated, void *arg);

/* nat.c */
void session_ct_tuple(const struct alg_session *s, struct ct_tuple *t);
void nat_learn(struct daemon *d, struct alg_session *s);

/* idle.c */
void idle_note(struct daemon *d, uint64_t sid);
void idle_run(struct daemon *d);

/* liberal.c */
void liberal_mark(struct daemon *d, uint64_t sid, struct alg_session *s);
void liberal_forget(struct daemon *d, uint64_t sid);
void liberal_free(struct daemon *d);

/* restore.c: the previous run's state taken over at start-up */
int restore_state(struct daemon *d);

/* verdict.c */
void results_apply(struct daemon *d, struct alg_result *r,
		   struct alg_session *s);
bool result_has_verdict(const struct alg_result *r, uint32_t id);
void verdict_send(struct daemon *d, uint32_t id, int verdict,
		  const uint8_t *data, size_t len);
/* Send the verdicts verdict_send() gathered (before blocking, too). */
void verdicts_flush(struct daemon *d);
void verdict_malformed(struct daemon *d, uint32_t id, const uint8_t *data,
		       size_t len, int err, uint64_t now);

#endif
