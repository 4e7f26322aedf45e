// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ftp-algd: the FTP application-layer gateway daemon. main() reads the
 * command line and the configuration, opens everything in order, runs the
 * loop (loop.c) and closes everything through one ladder, whichever way
 * it ends. The data path is in the files daemon.h lists.
 *
 * The daemon never forks. It logs to stderr (journald takes it under
 * systemd; the time is prefixed elsewhere), or to syslog with --syslog;
 * --log-stderr and the old --foreground (-f) say the default. Startup
 * refusals always go to stderr as one line, exit status 1. Under
 * systemd Type=notify it says READY=1 once the table, the queue rules
 * and the state are in place, and sends watchdog keep-alives from the
 * loop (sdnotify.c). After set-up it keeps CAP_NET_ADMIN alone and, with
 * --user or the key user, runs as that user (privdrop.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>
#include <sys/random.h>

#include "conntrack.h"
#include "ctl.h"
#include "ctl_cmds.h"
#include "ctl_stats.h"
#include "metrics_http.h"
#include "daemon.h"
#include "park.h"
#include "queue_range.h"
#include "workers.h"
#include "queue.h"
#include "rulewatch.h"
#include "ftp-alg/fw.h"
#include "ftp-alg/ruleset.h"

/* long options without a short one */
enum { OPT_STATE_FILE = 256, OPT_CLEANUP, OPT_SYSLOG, OPT_USER, OPT_QUEUES };

struct args {
	bool syslog;
	const char *user;	/* --user NAME */
	bool cleanup;
	const char *config;
	const char *state_file;
	const char *check;	/* --check-config FILE */
	bool have_queue;
	uint16_t queue, queues;		/* --queue N[-M] */
	const char *nqueues;		/* --queues N */
};

static struct daemon D = {
	.ctl_path = CTL_SOCKET_DEFAULT,
	.ep = -1,
	.sfd = -1,
	.rl_malformed = LOG_RL_INIT(10000, 10),
	.rl_verdict = LOG_RL_INIT(10000, 10),
	.rl_journal = LOG_RL_INIT(10000, 5),
	.jr.fd = -1,
	.jr.lock_fd = -1,
	.sd.fd = -1,
};

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ftp-algd [--log-stderr|--syslog] [--config FILE] "
		"[--queue N[-M]] [--queues N]\n"
		"                [--ctl-socket PATH] [--state-file PATH] "
		"[--user NAME]\n"
		"       ftp-algd --cleanup [--config FILE] [--state-file PATH]\n"
		"       ftp-algd --check-config FILE\n"
		"  --log-stderr      log to stderr, the default (the daemon never\n"
		"                    forks); -f, --foreground: the old spelling\n"
		"  --syslog          log to syslog instead\n"
		"  --user NAME       run as NAME after set-up, keeping\n"
		"                    CAP_NET_ADMIN (overrides the config)\n"
		"  --config FILE     key = value settings (default: none);\n"
		"                    SIGHUP reads it again\n"
		"  --check-config FILE\n"
		"                    print every error in FILE (exit 1),\n"
		"                    or 'FILE: ok' (exit 0)\n"
		"  --queue N[-M]     NFQUEUE number, or a range: one worker\n"
		"                    thread per queue (overrides the config)\n"
		"  --queues N        N queues from the first one (--queue's or\n"
		"                    the config's): N workers\n"
		"  --ctl-socket PATH control socket (default %s)\n"
		"  --state-file PATH restart journal (default %s)\n"
		"  --cleanup         remove the queue rules, every pinhole and\n"
		"                    the journal, then exit (a stop for good)\n",
		CTL_SOCKET_DEFAULT, CONFIG_STATE_FILE);
}

/* -1: run; otherwise the exit status (--help, --version, a bad flag). */
static int parse_args(int argc, char **argv, struct args *a,
		      struct daemon *d)
{
	static const struct option opts[] = {
		{ "log-stderr", no_argument, NULL, 'f' },
		{ "foreground", no_argument, NULL, 'f' },	/* alias */
		{ "syslog", no_argument, NULL, OPT_SYSLOG },
		{ "user", required_argument, NULL, OPT_USER },
		{ "config", required_argument, NULL, 'c' },
		{ "check-config", required_argument, NULL, 'C' },
		{ "queue", required_argument, NULL, 'q' },
		{ "queues", required_argument, NULL, OPT_QUEUES },
		{ "ctl-socket", required_argument, NULL, 's' },
		{ "state-file", required_argument, NULL, OPT_STATE_FILE },
		{ "cleanup", no_argument, NULL, OPT_CLEANUP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	char why[128];
	int c;

	while ((c = getopt_long(argc, argv, "fc:C:q:s:hV", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			a->syslog = false;
			break;
		case OPT_SYSLOG:
			a->syslog = true;
			break;
		case OPT_USER:
			a->user = optarg;
			break;
		case 'c':
			a->config = optarg;
			break;
		case 'C':
			a->check = optarg;
			break;
		case 'q':
			if (!queue_range_parse(optarg, &a->queue, &a->queues,
					       why, sizeof(why))) {
				fprintf(stderr, "ftp-algd: bad --queue: %s\n",
					why);
				return 1;
			}
			a->have_queue = true;
			break;
		case OPT_QUEUES:
			a->nqueues = optarg;
			break;
		case 's':
			d->ctl_path = optarg;
			break;
		case OPT_STATE_FILE:
			a->state_file = optarg;
			break;
		case OPT_CLEANUP:
			a->cleanup = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("ftp-algd %s\n", FTP_ALG_VERSION);
			return 0;
		default:
			usage(stderr);
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ftp-algd: unexpected argument '%s'\n",
			argv[optind]);
		return 1;
	}
	return -1;
}

static void print_error(void *arg, const char *msg)
{
	(void)arg;
	fprintf(stderr, "%s\n", msg);
}

/* --check-config: the file alone, no root, no kernel object touched. */
static int check_config(const char *path)
{
	struct alg_config c;

	config_default(&c);
	if (config_load_all(&c, path, print_error, NULL))
		return 1;
	printf("%s: ok\n", path);
	return 0;
}

/* Logging, then the configuration file, then the flags over it. */
static int configure(struct daemon *d, const struct args *a)
{
	char err[CONFIG_ERR_LEN];

	log_init("ftp-algd", !a->syslog);
	config_default(&d->cfg);
	if (a->config && config_load(&d->cfg, a->config, err, sizeof(err))) {
		log_fatal("%s", err);
		return -EINVAL;
	}
	if (a->user && strlen(a->user) >= sizeof(d->cfg.user)) {
		log_fatal("--user %s: name too long", a->user);
		return -EINVAL;
	}
	if (a->user)
		snprintf(d->cfg.user, sizeof(d->cfg.user), "%s",
			 strcmp(a->user, "root") ? a->user : "");
	if (a->have_queue) {
		d->cfg.queue = a->queue;
		d->cfg.queues = a->queues;
	}
	if (a->nqueues && !queue_count_parse(a->nqueues, d->cfg.queue,
					     &d->cfg.queues, err,
					     sizeof(err))) {
		log_fatal("bad --queues: %s", err);
		return -EINVAL;
	}
	if (a->state_file)
		snprintf(d->cfg.state_file, sizeof(d->cfg.state_file), "%s",
			 a->state_file);
	d->jr.path = d->cfg.state_file;
	d->config_path = a->config;
	d->queue_flag = a->have_queue || a->nqueues;
	d->state_flag = a->state_file != NULL;
	d->user_flag = a->user != NULL;
	log_set_level(d->cfg.log_level);
	return privdrop_resolve(&d->priv, d->cfg.user, d->cfg.ctl_group,
				!strcmp(d->cfg.ctl_group, CONFIG_CTL_GROUP));
}

static int open_firewall(struct daemon *d)
{
	d->fw = fw_open();
	if (!d->fw) {
		log_fatal("cannot open nftables netlink socket: %s",
			  strerror(errno));
		return -errno;
	}
	return 0;
}

/* where the include file is, packaged and in the source tree */
#define FTP_ALG_NFT_HINT \
	"/usr/share/ftp-alg/ftp-alg.nft (deploy/ftp-alg.nft in the source)"

/* The table deploy/ftp-alg.nft loads must be there, complete. */
static int check_table(struct daemon *d)
{
	const char *what = NULL;
	int ret;

	ret = ruleset_check_table(d->fw, &what);
	if (!ret)
		return 0;
	if (what && strncmp(what, "table", 5))
		log_fatal("table inet %s is incomplete: %s: %s; load "
			  FTP_ALG_NFT_HINT " first", PIN_TABLE, what,
			  ret == -ENOENT ? "missing" : strerror(-ret));
	else
		log_fatal("table inet %s is missing (%s); load "
			  FTP_ALG_NFT_HINT " first", PIN_TABLE,
			  strerror(-ret));
	return ret;
}

/* A session hash nobody outside can predict: no chains to flood. */
static int seed_hash(struct alg_policy *pol)
{
	ssize_t n;

	do
		n = getrandom(&pol->hash_seed, sizeof(pol->hash_seed), 0);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(pol->hash_seed))
		return 0;
	if (n >= 0)
		errno = EIO;
	log_fatal("cannot seed the session hash: getrandom: %s",
		  strerror(errno));
	return -errno;
}

/*
 * The workers: each its table (made with its worker id), its queue
 * claimed, its conntrack and nftables sockets. Claimed before touching
 * the table: a second ftp-algd stops here (EBUSY) without wiping the
 * first one's rules and pinholes. Packets that rules left by a crashed
 * run queue meanwhile are passed (see queue.c).
 */
static int open_workers(struct daemon *d)
{
	int ret;

	if (seed_hash(&d->cfg.pol))
		return -EIO;
	ret = workers_open(d);
	if (ret) {
		if (ret == -ENOMEM)
			log_fatal("cannot set up the workers: %s",
				  strerror(-ret));
		return ret;
	}
	config_log_clamped(&d->cfg.pol, alg_table_policy(d->w[0]->tab));
	return 0;
}

static int claim_ctl(struct daemon *d)
{
	d->ctl = ctl_open(d->ctl_path, ctl_request, d);
	if (!d->ctl) {
		log_fatal("cannot listen on %s: %s%s", d->ctl_path,
			  strerror(errno), errno == EADDRINUSE ?
			  " (is another ftp-algd running?)" : "");
		return -errno;
	}
	return 0;
}

/*
 * --cleanup: everything an earlier run left, for good: its queue rules,
 * its pinholes and mappings, its journal.
 */
static int cleanup(struct daemon *d)
{
	char lock[PATH_MAX + 8], path[PATH_MAX];
	unsigned i;
	int ret;

	ret = ruleset_queue_remove(d->fw);
	if (!ret) {
		/* where there */
		ruleset_catch_install(d->fw, 0, false, false);
		ruleset_peerq_flush(d->fw);
		ruleset_catch_workers_remove(d->fw);
	}
	if (!ret)
		ret = pin_sweep(d->fw);
	if (ret == -ENOENT)
		ret = 0;	/* no table: nothing of ours is left there */
	if (ret) {
		log_fatal("cannot remove queue rules/pinholes: %s",
			  strerror(-ret));
		return 1;
	}
	/* every worker's journal, whatever number of queues left them */
	for (i = 0; i <= QUEUE_WORKERS_MAX; i++) {
		if (i < QUEUE_WORKERS_MAX)
			ret = worker_journal_path(d->jr.path, i, path,
						  sizeof(path));
		else
			ret = snprintf(path, sizeof(path), "%s.parked",
				       d->jr.path) >= (int)sizeof(path);
		if (ret)
			continue;
		if (unlink(path) < 0 && errno != ENOENT) {
			log_fatal("cannot remove %s: %s", path,
				  strerror(errno));
			return 1;
		}
		snprintf(lock, sizeof(lock), "%s.lock", path);
		unlink(lock);
	}
	log_info("queue rules, pinholes and %s removed", d->jr.path);
	return 0;
}

/*
 * Destroy semantics for pinhole removal where the kernel has them (Linux
 * >= 6.3): a removal batch can then never fail on an element the packet
 * path already consumed. Otherwise the older path leaves such elements
 * out and retries (pin_del_gone()).
 */
static void probe_destroy(struct daemon *d)
{
	int ret = pin_destroy_probe(d->fw);
	unsigned i;

	d->pin_destroy = ret == 1;
	/* a session end asks map usedp4 for its pinholes' connections */
	d->used_get = ruleset_has_usedp4(d->fw) == 1;
	if (!d->used_get)
		log_info("no map usedp4 (an older %s): a session's end looks "
			 "its pinholes' connections up in a dump of used4",
			 FTP_ALG_NFT_HINT);
	for (i = 0; i < d->nw; i++) {
		d->w[i]->pin_destroy = d->pin_destroy;
		d->w[i]->used_get = d->used_get;
	}
	if (ret == 1)
		log_info("pinhole removal: destroy (a gone element is no "
			 "error)");
	else
		log_info("pinhole removal: delete, leaving out elements seen "
			 "gone (the kernel %s NFT_MSG_DESTROYSETELEM%s%s)",
			 ret ? "could not be asked about" : "does not take",
			 ret ? ": " : "", ret ? strerror(-ret) : "");
}

/*
 * Announcements before their pinholes' transactions (pin_async.h): with
 * destroy semantics and the catch objects in the table (one queue: sets
 * peer4/peer6 and chain catch_queue; several: maps peerq4/peerq6 and a
 * chain catch_q<i> per worker). Off, those chains are emptied (an
 * earlier run's rule would queue SYNs nobody expects).
 */
static int async_objects(struct daemon *d, bool on, const char **what)
{
	const char *mq_what = NULL;
	int mq = ruleset_check_catch_mq(d->fw, &mq_what);
	unsigned i;
	int ret = 0;

	/* an earlier run's elements jump to its own workers' chains */
	if (!mq)
		ruleset_peerq_flush(d->fw);
	if (d->nw == 1) {
		if (on)
			ret = ruleset_check_catch(d->fw, what);
		if (on && !ret)
			ret = ruleset_catch_install(d->fw, d->cfg.queue,
						    d->native_queue, true);
		if (!on || ret)
			ruleset_catch_install(d->fw, d->cfg.queue,
					      d->native_queue, false);
	} else {
		if (on) {
			ret = mq;
			*what = mq_what;
		}
		for (i = 0; i < d->nw && on && !ret; i++) {
			*what = "chain catch_q<N>";
			ret = ruleset_catch_worker(d->fw, i,
						   (uint16_t)(d->cfg.queue + i),
						   d->native_queue, true);
		}
		ruleset_catch_install(d->fw, d->cfg.queue, d->native_queue,
				      false);
	}
	if (d->nw == 1 || !on || ret)
		ruleset_catch_workers_off(d->fw, d->native_queue);
	if (!ret)
		*what = NULL;
	return on ? ret : 0;
}

static void setup_async(struct daemon *d)
{
	bool on = d->cfg.async_pinholes && d->pin_destroy;
	const char *what = NULL, *why = "";
	unsigned i;
	int ret;

	ret = async_objects(d, on, &what);
	if (on && ret)
		log_msg(LOG_NOTICE, "announcements wait for their pinholes: %s %s "
			   "(%s); load " FTP_ALG_NFT_HINT " again",
			   what ? what : "catch queue rule",
			   ret == -ENOENT ? "missing" : "unusable",
			   strerror(-ret));
	on = on && !ret;
	for (i = 0; i < d->nw; i++)
		if (!pin_async_setup(d->w[i], on,
				     d->nw > 1 ? (uint16_t)(i + 1) : 0))
			on = false;
	if (!on)
		for (i = 0; i < d->nw; i++)
			pin_async_setup(d->w[i], false, 0);
	if (!d->cfg.async_pinholes)
		why = " (async_pinholes no)";
	else if (!d->pin_destroy)
		why = " (no destroy semantics)";
	else if (d->nw > 1 && on)
		why = " (several queues: a pair's SYNs go to its worker's "
		      "catch_q chain)";
	log_info("pinholes: %s%s", on ? "announcements leave before their "
		 "transaction; chain pin_catch holds early data connections" :
		 "every announcement waits for its transaction", why);
}

/*
 * pure_ack_bypass: the queue rules let the segments without payload of
 * unshifted sessions go on when the table has sets pure_ack4/pure_ack6
 * (nft/pure_ack.c); the workers' idle timers then ask conntrack (idle.c).
 */
static void setup_pure_acks(struct daemon *d)
{
	const char *what = NULL;
	unsigned i;
	int ret = 0;

	d->pure_acks = false;
	if (d->cfg.pure_ack_bypass) {
		ret = ruleset_check_pure_ack(d->fw, &what);
		d->pure_acks = !ret;
	}
	if (ret)
		log_msg(LOG_NOTICE, "every packet of a control connection is "
			"queued: %s %s (%s); load " FTP_ALG_NFT_HINT " again",
			what ? what : "pure_ack sets",
			ret == -ENOENT ? "missing" : "unusable", strerror(-ret));
	else
		log_info("pure ACKs: %s", d->pure_acks ?
			 "those of sessions whose stream is not shifted go on "
			 "unqueued" : "all queued (pure_ack_bypass no)");
	for (i = 0; i < d->nw; i++)
		alg_table_set_idle_check(d->w[i]->tab, d->pure_acks);
}

static int install_rules(struct daemon *d)
{
	int ret;

	setup_pure_acks(d);
	ret = ruleset_queue_install_mode(d->fw, d->cfg.queue, d->cfg.queues,
					 d->cfg.fail_open, d->pure_acks,
					 &d->native_queue);
	if (ret)
		log_fatal("cannot install queue rules in chain %s %s: %s",
			  PIN_TABLE, PIN_QUEUE_CHAIN, strerror(-ret));
	/* control_ports is the one setting: the set follows it */
	if (!ret)
		ret = rulewatch_push_ports(d);
	if (!ret)
		setup_async(d);
	return ret;
}

static void ports_str(const struct alg_policy *pol, char *buf, size_t len)
{
	size_t off = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < ALG_MAX_CTL_PORTS && pol->ctl_ports[i]; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%u",
					i ? "," : "", pol->ctl_ports[i]);
}

static unsigned sessions_count(struct daemon *d)
{
	unsigned i, n = park_count(d);

	for (i = 0; i < d->nw; i++)
		n += alg_table_count(d->w[i]->tab);
	return n;
}

static void log_started(struct daemon *d)
{
	char ports[64], qs[16];
	unsigned i;

	d->start_ms = now_ms();
	for (i = 0; i < d->nw; i++)
		d->w[i]->start_ms = d->start_ms;
	ports_str(&d->cfg.pol, ports, sizeof(ports));
	queue_range_str(d->cfg.queue, d->cfg.queues, qs, sizeof(qs));
	log_info("ftp-algd %s started: queue %s, %u worker%s (%s), control "
		 "ports %s, pinhole timeout %us, max %u sessions, ctl %s",
		 FTP_ALG_VERSION, qs, d->nw, d->nw == 1 ? "" : "s",
		 d->native_queue ? "native nft queue"
				 : "xt NFQUEUE via nft_compat: no nft_queue",
		 ports, d->cfg.pinhole_timeout_s, d->cfg.pol.max_sessions,
		 d->ctl_path);
}

/* systemd: ready only now, with the table, queue rules and state set. */
static void notify_ready(struct daemon *d)
{
	char msg[128];
	int ret;

	snprintf(msg, sizeof(msg), "READY=1\nSTATUS=queue %u, %u workers, "
		 "%u sessions taken over", d->cfg.queue, d->nw,
		 sessions_count(d));
	ret = sdnotify_send(&d->sd, msg);
	if (ret)
		log_warn("sd_notify READY=1: %s", strerror(-ret));
}

int main(int argc, char **argv)
{
	struct daemon *d = &D;
	struct args a = { 0 };
	int status = 1;

	status = parse_args(argc, argv, &a, d);
	if (status >= 0)
		return status;
	if (a.check)
		return check_config(a.check);
	status = 1;
	if (configure(d, &a) || open_firewall(d))
		goto out;
	if (!a.cleanup) {
		int ret = sdnotify_open(&d->sd, getpid());

		if (ret)
			log_warn("NOTIFY_SOCKET %s unusable: %s",
				 getenv("NOTIFY_SOCKET"), strerror(-ret));
	}
	if (a.cleanup) {
		status = cleanup(d);
		goto out_fw;
	}
	if (check_table(d) || open_workers(d))
		goto out_workers;
	if (claim_ctl(d))
		goto out_workers;
	probe_destroy(d);
	if (metrics_listen_open(d))
		goto out_ctl;
	if (restore_state(d))
		goto out_ctl;
	if (install_rules(d) || loop_open(d))
		goto out_rules;
	/* before the threads: capset changes the calling thread alone */
	if (privdrop_apply(&d->priv, d->jr.path, d->ctl_path) ||
	    workers_start(d)) {
		workers_stop(d);
		loop_close(d);
		goto out_rules;
	}
	d->started = true;

	log_started(d);
	notify_ready(d);
	status = loop_run(d);
	sdnotify_send(&d->sd, "STOPPING=1");
	loop_close(d);
	workers_stop(d);
out_rules:
	/* the state handed over to the next start (nothing on a failed one) */
	if (loop_finish(d))
		status = 1;
	if (d->started)
		log_info("ftp-algd stopped");
out_ctl:
	metrics_http_close(d->mh);
	ctl_close(d->ctl);
out_workers:
	park_close(d);
	workers_close(d);
out_fw:
	fw_close(d->fw);
out:
	sdnotify_close(&d->sd);
	return status;
}
