// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * SIGHUP: the --config file read again and applied without a restart.
 * All or nothing: a file with any error changes nothing (each error is
 * logged as FILE:LINE, then one line says the running configuration
 * stays). What cannot change live (the queue number) keeps its value
 * with a line saying a restart is needed.
 *
 *   log_level           at once
 *   pinhole_timeout     pinholes opened from now on
 *   max_line            sessions opened from now on
 *   the other limits, control_ports
 *                       alg_table_set_policy(): from the next packet or
 *                       tick; nft set ctl_ports follows (reload_ctl_ports)
 *   queue, state_file, metrics_listen
 *                       at the next start
 */
#include <errno.h>
#include <string.h>

#include "daemon.h"
#include "workers.h"
#include "rulewatch.h"
#include "ftp-alg/ruleset.h"

void config_log_clamped(const struct alg_policy *asked,
			const struct alg_policy *used)
{
	struct config_clamp c[8];
	unsigned i, n;

	n = config_clamped(asked, used, c, 8);
	for (i = 0; i < n && i < 8; i++)
		log_warn("policy %s %u is beyond what the engine supports: "
			 "using %u", c[i].name, c[i].asked, c[i].used);
}

static void log_config_error(void *arg, const char *msg)
{
	(void)arg;
	log_err("%s", msg);
}

/*
 * The one place a reload's control ports reach the kernel: the engine
 * tracks them already; set inet ftp_alg ctl_ports decides which
 * connections are queued to it.
 */
static void reload_ctl_ports(struct daemon *d)
{
	char list[CONFIG_VALUE_LEN];

	config_value(&d->cfg, CONFIG_K_CONTROL_PORTS, list, sizeof(list));
	workers_ct_filter(d);
	if (!rulewatch_push_ports(d))
		log_info("set inet %s %s now holds %s", PIN_TABLE,
			 PIN_CTL_PORTS, list);
}

/* The summary at the most verbose of the old and new level. */
static void log_changes(int old_level, int new_level, const char *diff)
{
	log_set_level(new_level > old_level ? new_level : old_level);
	if (*diff)
		log_info("configuration reloaded: %s", diff);
	else
		log_info("configuration reloaded: nothing changed");
	log_set_level(new_level);
}

/* The queue rules again, with or without bypass for the rest. */
static void reload_fail_open(struct daemon *d)
{
	bool native;
	int ret;

	ret = ruleset_queue_install_mode(d->fw, d->cfg.queue, d->cfg.queues,
					 d->cfg.fail_open, d->pure_acks,
					 &native);
	if (ret)
		log_err("cannot install the queue rules for fail_open %s: %s",
			d->cfg.fail_open ? "yes" : "no", strerror(-ret));
}

/*
 * next into every worker, each under its lock: the limits into its
 * table, then the settings; each keeps its own queue. A refusal
 * (-ENOMEM) stops there, logged by the caller.
 */
static int reload_workers(struct daemon *d, const struct alg_config *next)
{
	struct daemon *w;
	unsigned i;
	int ret = 0;

	if (!d->nw && d->tab)	/* a daemon without workers (tests) */
		return alg_table_set_policy(d->tab, &next->pol);
	for (i = 0; i < d->nw && !ret; i++) {
		w = d->w[i];
		worker_lock(w);
		ret = alg_table_set_policy(w->tab, &next->pol);
		if (!ret) {
			w->cfg = *next;
			w->cfg.queue = (uint16_t)(next->queue + i);
			w->cfg.queues = 1;
		}
		worker_unlock(w);
	}
	return ret;
}

int reload_apply(struct daemon *d, struct reload_result *res)
{
	const unsigned restart = CONFIG_BIT(CONFIG_K_QUEUE) |
				 CONFIG_BIT(CONFIG_K_STATE_FILE) |
				 CONFIG_BIT(CONFIG_K_USER) |
				 CONFIG_BIT(CONFIG_K_CTL_GROUP) |
				 CONFIG_BIT(CONFIG_K_METRICS_LISTEN) |
				 CONFIG_BIT(CONFIG_K_ASYNC_PINHOLES) |
				 CONFIG_BIT(CONFIG_K_PURE_ACK_BYPASS);
	const unsigned live = CONFIG_ALL_KEYS & ~restart;
	char diff[CONFIG_DIFF_LEN];
	struct alg_config next;
	int ret;

	memset(res, 0, sizeof(*res));
	if (!d->config_path) {
		log_info("configuration not reloaded: started without "
			 "--config");
		return -ENOENT;
	}
	config_default(&next);
	ret = config_load_all(&next, d->config_path, log_config_error, NULL);
	if (ret)
		goto err;
	/* --queue wins over the file, as it did at start */
	if (d->queue_flag) {
		next.queue = d->cfg.queue;
		next.queues = d->cfg.queues;
	}
	/* --state-file too */
	if (d->state_flag)
		memcpy(next.state_file, d->cfg.state_file,
		       sizeof(next.state_file));
	/* --user too */
	if (d->user_flag)
		memcpy(next.user, d->cfg.user, sizeof(next.user));
	res->kept = config_diff(&d->cfg, &next, restart, diff, sizeof(diff));
	if (res->kept)
		log_warn("configuration: %s needs a restart: keeping queue %u, "
			 "state_file %s and metrics_listen %s", diff,
			 d->cfg.queue, d->cfg.state_file,
			 d->cfg.metrics_listen[0] ? d->cfg.metrics_listen
						  : "off");
	next.queue = d->cfg.queue;
	next.queues = d->cfg.queues;
	/* privileges are dropped once, at start: kept as they are */
	memcpy(next.user, d->cfg.user, sizeof(next.user));
	memcpy(next.ctl_group, d->cfg.ctl_group, sizeof(next.ctl_group));
	memcpy(next.metrics_listen, d->cfg.metrics_listen,
	       sizeof(next.metrics_listen));
	/* d->jr.path points at this very buffer */
	memcpy(next.state_file, d->cfg.state_file, sizeof(next.state_file));
	next.pol.hash_seed = d->cfg.pol.hash_seed;
	ret = reload_workers(d, &next);
	if (ret) {
		log_err("cannot apply the new limits: %s", strerror(-ret));
		goto err;
	}
	res->changed = config_diff(&d->cfg, &next, live, diff, sizeof(diff));
	log_changes(d->cfg.log_level, next.log_level, diff);
	d->cfg = next;
	if (d->nw || d->tab)
		config_log_clamped(&d->cfg.pol, alg_table_policy(
					   d->nw ? d->w[0]->tab : d->tab));
	return 0;
err:
	log_err("configuration not reloaded: keeping the running one");
	return ret;
}

void reload_run(struct daemon *d)
{
	struct reload_result res;

	if (reload_apply(d, &res))
		return;
	if (res.changed & CONFIG_BIT(CONFIG_K_CONTROL_PORTS))
		reload_ctl_ports(d);
	if (res.changed & CONFIG_BIT(CONFIG_K_FAIL_OPEN))
		reload_fail_open(d);
}
