/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One worker thread per queue (workers.c). A worker is a whole struct
 * daemon of its own: engine table made with its worker id, NFQUEUE,
 * ctnetlink and nftables sockets, pinhole list, journal file, counters.
 * Its packet path takes no lock another worker takes; the main thread
 * reads or changes a worker's state only under that worker's mutex,
 * which the worker holds while it handles one wakeup.
 */
#ifndef FTP_ALG_WORKERS_H
#define FTP_ALG_WORKERS_H

#include <stdbool.h>
#include <stdint.h>

struct daemon;
struct ctl_buf;

/*
 * The workers of d (d->cfg.queues of them, queues d->cfg.queue on), each
 * with its table and sockets open, no thread yet. 0 or -errno (logged;
 * what was opened is closed by workers_close()).
 */
int workers_open(struct daemon *d);
/* The threads (after privileges are dropped: capset is per thread). */
int workers_start(struct daemon *d);
/*
 * The workers' conntrack event filters (ct_filter.c) for every control
 * port configured since the start (one a reload dropped may still have
 * sessions, whose ends must still reach us), up to CT_FILTER_PORTS: past
 * that, the current ones. Again after each reload.
 */
void workers_ct_filter(struct daemon *d);
/* Stop the threads and wait for them (the state stays for journals). */
void workers_stop(struct daemon *d);
void workers_close(struct daemon *d);

void worker_lock(struct daemon *w);
void worker_unlock(struct daemon *w);

/* Worker i's journal: state_file for worker 0, state_file.i after. */
int worker_journal_path(const char *state_file, unsigned i, char *buf,
			size_t len);

/* Every worker's loop turned within max_ms of now (the watchdog's). */
bool workers_alive(const struct daemon *d, uint64_t now, uint64_t max_ms);

/* The main thread's wakeup for trace lines workers queued, or -1. */
int workers_trace_fd(const struct daemon *d);
/* A worker's trace line, for the main thread to publish (takes them). */
void workers_trace_push(struct daemon *w, uint64_t sid, char *text,
			char *json);
/* Main thread: publish what the workers queued. */
void workers_trace_drain(struct daemon *d);

#endif
