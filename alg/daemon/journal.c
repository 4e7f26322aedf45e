// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The restart journal (journal.h). One record:
 *
 *	+-----+------+-----------+-------------------+-----------+
 *	| 'J' | type | length(4) | payload (length)  | crc32(4)  |
 *	+-----+------+-----------+-------------------+-----------+
 *
 * big-endian, the CRC-32 (IEEE, crc32.c) over type, length and payload,
 * so a record cut short by a crash in the middle of write() is found and
 * the replay stops there.
 *
 * Records are gathered in d->jr.buf and written to the O_APPEND file in
 * one write() by journal_flush(): before every send of verdicts (queue.c
 * calls it through its pre-send hook, also when its own buffer fills),
 * after every wakeup of the worker, before anything that reads or
 * replaces the file (compaction, replay, close), and sooner when the
 * next record would not fit. So the file holds a session's state before
 * any verdict for its packet leaves, and the write of many records can
 * tear only as one record did: a crash in the middle of it leaves whole
 * records and one torn tail, all of them written for verdicts that had
 * not left yet, and the replay goes on from a state no older than what
 * the peers saw. A write that fails half way is cut back to the last
 * whole record (ftruncate), so later records stay readable.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "crc32.h"
#include "daemon.h"
#include "journal.h"
#include "paths.h"

static const char journal_magic[] = "ftp-alg journal";

/* ---- the codec (pure) ---- */

static void be_put(uint8_t *p, uint64_t v, unsigned n)
{
	while (n--) {
		p[n] = (uint8_t)v;
		v >>= 8;
	}
}

static uint64_t be_get(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

size_t journal_frame(uint8_t *out, enum journal_type type, const void *p,
		     size_t n)
{
	out[0] = 'J';
	out[1] = (uint8_t)type;
	be_put(out + 2, n, 4);
	memmove(out + JOURNAL_HEAD, p, n);
	be_put(out + JOURNAL_HEAD + n, crc32_ieee(out + 1, 5 + n), 4);
	return JOURNAL_HDR + n;
}

size_t journal_encode_header(uint8_t *out)
{
	uint8_t p[sizeof(journal_magic)];

	memcpy(p, journal_magic, sizeof(journal_magic) - 1);
	p[sizeof(journal_magic) - 1] = JOURNAL_VERSION;
	return journal_frame(out, JR_HEADER, p, sizeof(p));
}

size_t journal_encode_end(uint8_t *out, uint64_t sid)
{
	uint8_t p[8];

	be_put(p, sid, 8);
	return journal_frame(out, JR_END, p, sizeof(p));
}

/* sid(8) family(1) peer(16) wire: family(1) addr(16) port(2), target
 * the same, timeout_ms(4) added_ms(8), then peer_pub(16) */
#define JOURNAL_PIN_V1_LEN	(8 + 1 + 16 + 2 * 19 + 4 + 8)
#define JOURNAL_PIN_LEN		(JOURNAL_PIN_V1_LEN + 16)

static uint8_t *put_ep(uint8_t *p, const struct alg_endpoint *ep)
{
	*p++ = (uint8_t)ep->family;
	memcpy(p, ep->addr.b, 16);
	be_put(p + 16, ep->port, 2);
	return p + 18;
}

static const uint8_t *get_ep(const uint8_t *p, struct alg_endpoint *ep)
{
	ep->family = *p++;
	memcpy(ep->addr.b, p, 16);
	ep->port = (uint16_t)be_get(p + 16, 2);
	return p + 18;
}

/* type: JR_PIN or JR_UNPIN */
size_t journal_encode_pin(uint8_t *out, enum journal_type type,
			  const struct journal_pin *jp)
{
	uint8_t p[JOURNAL_PIN_LEN], *q = p;

	be_put(q, jp->sid, 8);
	q += 8;
	*q++ = (uint8_t)jp->e.family;
	memcpy(q, jp->e.peer.b, 16);
	q = put_ep(q + 16, &jp->e.wire);
	q = put_ep(q, &jp->e.target);
	be_put(q, jp->e.timeout_ms, 4);
	be_put(q + 4, jp->added_ms, 8);
	memcpy(q + 12, jp->e.peer_pub.b, 16);
	return journal_frame(out, type, p, sizeof(p));
}

static bool family_ok(int f)
{
	return f == AF_INET || f == AF_INET6;
}

/*
 * A record without peer_pub (JOURNAL_PIN_V1_LEN, written before snat4
 * existed) is a pinhole without a source mapping: peer_pub stays zero.
 */
static int decode_pin(const uint8_t *p, size_t n, struct journal_pin *jp)
{
	if (n != JOURNAL_PIN_LEN && n != JOURNAL_PIN_V1_LEN)
		return -EINVAL;
	memset(jp, 0, sizeof(*jp));
	jp->sid = be_get(p, 8);
	jp->e.family = p[8];
	memcpy(jp->e.peer.b, p + 9, 16);
	p = get_ep(p + 25, &jp->e.wire);
	p = get_ep(p, &jp->e.target);
	jp->e.timeout_ms = (uint32_t)be_get(p, 4);
	jp->added_ms = be_get(p + 4, 8);
	if (n == JOURNAL_PIN_LEN)
		memcpy(jp->e.peer_pub.b, p + 12, 16);
	if (!jp->sid || !family_ok(jp->e.family) ||
	    jp->e.wire.family != jp->e.family ||
	    jp->e.target.family != jp->e.family || !jp->e.wire.port ||
	    !jp->e.target.port)
		return -EINVAL;
	return 0;
}

int journal_decode(const uint8_t *buf, size_t len, size_t *off,
		   struct journal_rec *r)
{
	const uint8_t *h = buf + *off;
	size_t n;

	if (*off == len)
		return 0;
	if (len - *off < JOURNAL_HDR || h[0] != 'J')
		return -EINVAL;
	n = (size_t)be_get(h + 2, 4);
	if (n > len - *off - JOURNAL_HDR || n > ALG_STATE_MAX ||
	    crc32_ieee(h + 1, 5 + n) != be_get(h + JOURNAL_HEAD + n, 4))
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	r->type = (enum journal_type)h[1];
	r->data = h + JOURNAL_HEAD;
	r->len = n;
	switch (r->type) {
	case JR_HEADER:
		if (n != sizeof(journal_magic) ||
		    memcmp(r->data, journal_magic, n - 1) ||
		    r->data[n - 1] != JOURNAL_VERSION)
			return -EINVAL;
		break;
	case JR_SESSION:
		if (!alg_state_id(r->data, n))
			return -EINVAL;
		r->sid = alg_state_id(r->data, n);
		break;
	case JR_END:
		if (n != 8)
			return -EINVAL;
		r->sid = be_get(r->data, 8);
		break;
	case JR_PIN:
	case JR_UNPIN:
		if (decode_pin(r->data, n, &r->pin))
			return -EINVAL;
		r->sid = r->pin.sid;
		break;
	default:
		return -EINVAL;
	}
	*off += JOURNAL_HDR + n;
	return 1;
}

/* ---- the file ---- */

static void journal_failed(struct daemon *d, const char *what, int err)
{
	unsigned missed;

	d->st.journal_fail++;
	if (log_rl_ok(&d->rl_journal, now_ms(), &missed))
		log_err("journal %s: %s: %s (%u more suppressed): a restart "
			"now loses what was not written", d->jr.path, what,
			strerror(err), missed);
}

/*
 * Write what is gathered, in one write() (more only after a short one).
 * A failure loses the gathered records, and cuts the file back to its
 * last whole record so the ones after are found by the replay.
 */
void journal_flush(struct daemon *d)
{
	struct journal_file *j = &d->jr;
	size_t off = 0;
	ssize_t w;
	int err = 0;

	if (!j->pending)
		return;
	while (j->fd >= 0 && off < j->pending) {
		w = write(j->fd, j->buf + off, j->pending - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			err = w < 0 ? errno : ENOSPC;
			break;
		}
		off += (size_t)w;
	}
	if (!err) {
		j->size += j->pending;
		d->st.journal_records += j->pending_recs;
	} else {
		if (off && ftruncate(j->fd, (off_t)j->size) < 0)
			j->torn = true;	/* journal_tick() rewrites it */
		journal_failed(d, "append", err);
	}
	j->pending = 0;
	j->pending_recs = 0;
}

void journal_flush_hook(void *d)
{
	journal_flush(d);
}

/*
 * Where the next record of up to n payload bytes is built: the gathered
 * ones are written first when it would not fit after them.
 */
static uint8_t *journal_room(struct daemon *d, size_t n)
{
	if (d->jr.pending + JOURNAL_HDR + n > sizeof(d->jr.buf))
		journal_flush(d);
	return d->jr.buf + d->jr.pending;
}

/* The record of n bytes built at journal_room() joins the gathered. */
static void journal_gathered(struct daemon *d, size_t n)
{
	d->jr.pending += n;
	d->jr.pending_recs++;
}

void journal_session(struct daemon *d, const struct alg_session *s)
{
	uint8_t *b;
	int n;

	if (d->jr.fd < 0)
		return;
	b = journal_room(d, ALG_STATE_MAX);
	n = alg_state_export(s, now_ms(), b + JOURNAL_HEAD, ALG_STATE_MAX);
	if (n < 0) {
		journal_failed(d, "export", -n);
		return;
	}
	journal_gathered(d, journal_frame(b, JR_SESSION, b + JOURNAL_HEAD,
					  (size_t)n));
}

void journal_end(struct daemon *d, uint64_t sid)
{
	if (d->jr.fd >= 0)
		journal_gathered(d, journal_encode_end(journal_room(d, 8),
						       sid));
}

static void journal_put_pin(struct daemon *d, enum journal_type type,
			    const struct journal_pin *p)
{
	if (d->jr.fd >= 0)
		journal_gathered(d, journal_encode_pin(
			journal_room(d, JOURNAL_PIN_LEN), type, p));
}

void journal_pin(struct daemon *d, const struct journal_pin *p)
{
	journal_put_pin(d, JR_PIN, p);
}

void journal_unpin(struct daemon *d, const struct journal_pin *p)
{
	journal_put_pin(d, JR_UNPIN, p);
}

/* Buffered writes of a fresh journal. */
struct jwriter {
	int fd;
	int err;
	size_t n, total;
	uint8_t b[64 << 10];
};

static void jw_flush(struct jwriter *w)
{
	size_t off = 0;
	ssize_t r;

	while (!w->err && off < w->n) {
		r = write(w->fd, w->b + off, w->n - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			w->err = r < 0 ? errno : ENOSPC;
		else
			off += (size_t)r;
	}
	w->total += w->n;
	w->n = 0;
}

/* Room for one record of up to n payload bytes at w->b + w->n. */
static uint8_t *jw_room(struct jwriter *w, size_t n)
{
	if (w->n + JOURNAL_HDR + n > sizeof(w->b))
		jw_flush(w);
	return w->b + w->n;
}

struct compact_arg {
	struct jwriter *w;
	uint64_t now;
};

static int compact_session(const struct alg_session *s, void *arg)
{
	struct compact_arg *a = arg;
	uint8_t *b = jw_room(a->w, ALG_STATE_MAX);
	int n;

	n = alg_state_export(s, a->now, b + JOURNAL_HEAD, ALG_STATE_MAX);
	if (n < 0) {
		a->w->err = -n;
		return n;
	}
	a->w->n += journal_frame(b, JR_SESSION, b + JOURNAL_HEAD, (size_t)n);
	return 0;
}

/*
 * Everything live into path.new, then rename() over path: a crash in
 * between leaves the old journal whole. The new file is the append fd.
 */
int journal_compact(struct daemon *d)
{
	struct jwriter *w = calloc(1, sizeof(*w));
	struct compact_arg a = { .w = w, .now = now_ms() };
	char tmp[PATH_MAX];
	unsigned i;
	int fd, err;

	if (!w)
		return -ENOMEM;
	journal_flush(d);	/* the old file whole, should this fail */
	err = path_mkdirs(d->jr.path, 0750);
	if (!err && snprintf(tmp, sizeof(tmp), "%s.new", d->jr.path) >=
		    (int)sizeof(tmp))
		err = -ENAMETOOLONG;
	if (err)
		goto err_free;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		err = -errno;
		goto err_free;
	}
	w->fd = fd;
	w->n = journal_encode_header(w->b);
	alg_table_walk(d->tab, compact_session, &a);
	for (i = 0; i < d->pins.n && !w->err; i++) {
		const struct pinhole *p = &d->pins.v[i];
		const struct journal_pin jp = {
			.sid = p->sid, .e = p->e, .added_ms = p->added_ms,
		};

		w->n += journal_encode_pin(jw_room(w, JOURNAL_PIN_LEN), JR_PIN,
					   &jp);
	}
	jw_flush(w);
	if (w->err || rename(tmp, d->jr.path) < 0) {
		err = w->err ? -w->err : -errno;
		close(fd);
		unlink(tmp);
		goto err_free;
	}
	if (d->jr.fd >= 0)
		close(d->jr.fd);
	d->jr.fd = fd;
	d->jr.size = d->jr.compacted = w->total;
	d->jr.torn = false;
	d->st.journal_compactions++;
	free(w);
	return 0;
err_free:
	free(w);
	journal_failed(d, "compaction", -err);
	return err;
}

void journal_tick(struct daemon *d)
{
	journal_flush(d);
	if (d->jr.fd >= 0 && (d->jr.torn ||
	    (d->jr.size > JOURNAL_COMPACT_MIN &&
	     d->jr.size > 4 * d->jr.compacted)))
		journal_compact(d);
}

void journal_close(struct daemon *d)
{
	journal_flush(d);
	if (d->jr.fd >= 0)
		close(d->jr.fd);
	d->jr.fd = -1;
	if (d->jr.lock_fd >= 0)
		close(d->jr.lock_fd);	/* and with it the lock */
	d->jr.lock_fd = -1;
}

/* ---- replay ---- */

/* The pinhole u left our table: forget its latest PIN record. */
static void unpin(struct journal_pin *p, unsigned *n,
		  const struct journal_pin *u)
{
	unsigned i = *n;

	while (i--) {
		if (p[i].sid == u->sid && p[i].added_ms == u->added_ms &&
		    !memcmp(&p[i].e, &u->e, sizeof(u->e))) {
			p[i] = p[--*n];
			return;
		}
	}
}

/* A session's records in file order: the last one counts. */
struct replay_sess {
	uint64_t sid;
	size_t seq;		/* record number */
	const uint8_t *rec;	/* NULL: ended */
	size_t len;
};

static int by_sid_then_seq(const void *a, const void *b)
{
	const struct replay_sess *x = a, *y = b;

	if (x->sid != y->sid)
		return x->sid < y->sid ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int read_all(const char *path, uint8_t **buf, size_t *len)
{
	struct stat st;
	size_t off = 0;
	ssize_t r;
	int fd;

	*buf = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	if (fstat(fd, &st) < 0 || st.st_size > JOURNAL_READ_MAX) {
		r = st.st_size > JOURNAL_READ_MAX ? -EFBIG : -errno;
		close(fd);
		return (int)r;
	}
	*buf = malloc((size_t)st.st_size + 1);
	if (!*buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		r = read(fd, *buf + off, (size_t)st.st_size - off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		off += (size_t)r;
	}
	close(fd);
	*len = off;
	return 0;
}

/* Import the last state of each session that did not end. */
static unsigned replay_import(struct daemon *d, struct replay_sess *v,
			      size_t n, uint64_t now)
{
	struct alg_session *s;
	unsigned ok = 0;
	size_t i;
	int ret;

	qsort(v, n, sizeof(*v), by_sid_then_seq);
	for (i = 0; i < n; i++) {
		if (i + 1 < n && v[i + 1].sid == v[i].sid)
			continue;	/* a later record of it follows */
		if (!v[i].rec)
			continue;	/* it ended */
		ret = alg_state_import(d->tab, v[i].rec, v[i].len, now, &s);
		if (ret) {
			log_sess(LOG_WARNING, v[i].sid, "journal: session not "
				 "restored: %s", ret == -EINVAL ?
				 "its state does not fit this configuration "
				 "or is damaged" : strerror(-ret));
			continue;
		}
		ok++;
	}
	return ok;
}

/* Pinholes of sessions that were restored; the rest are dropped. */
static unsigned replay_pins(struct daemon *d, struct journal_pin *p,
			    unsigned n)
{
	unsigned i, k = 0;

	for (i = 0; i < n; i++)
		if (alg_find_id(d->tab, p[i].sid))
			p[k++] = p[i];
	return k;
}

int journal_replay(struct daemon *d, struct journal_pin **pins,
		   unsigned *npins)
{
	struct replay_sess *v = NULL, *nv;
	size_t len, off = 0, n = 0, cap = 0, nrec = 0;
	struct journal_pin *p = NULL, *np;
	unsigned pn = 0, pcap = 0, restored;
	struct journal_rec r;
	uint8_t *buf;
	int ret;

	*pins = NULL;
	*npins = 0;
	journal_flush(d);	/* what we gathered is part of it */
	ret = read_all(d->jr.path, &buf, &len);
	if (ret)
		return ret;
	if (!len) {
		free(buf);
		return 0;
	}
	if (journal_decode(buf, len, &off, &r) != 1 || r.type != JR_HEADER) {
		log_warn("journal %s: not a journal of this version: ignored",
			 d->jr.path);
		free(buf);
		return 0;
	}
	while ((ret = journal_decode(buf, len, &off, &r)) == 1) {
		nrec++;
		if (r.type == JR_UNPIN) {
			unpin(p, &pn, &r.pin);
			continue;
		}
		if (r.type == JR_PIN) {
			if (pn == pcap) {
				pcap = pcap ? 2 * pcap : 64;
				np = realloc(p, pcap * sizeof(*p));
				if (!np)
					break;
				p = np;
			}
			p[pn++] = r.pin;
			continue;
		}
		if (r.type != JR_SESSION && r.type != JR_END)
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv)
				break;
			v = nv;
		}
		v[n++] = (struct replay_sess){
			.sid = r.sid, .seq = nrec,
			.rec = r.type == JR_SESSION ? r.data : NULL,
			.len = r.len,
		};
	}
	if (ret < 0)
		log_warn("journal %s: damaged or torn record at byte %zu of "
			 "%zu: the rest is ignored", d->jr.path, off, len);
	restored = replay_import(d, v, n, now_ms());
	pn = replay_pins(d, p, pn);
	log_info("journal %s: %zu records, %u sessions and %u pinholes "
		 "restored", d->jr.path, nrec, restored, pn);
	d->st.journal_restored = restored;
	free(v);
	free(buf);
	*pins = p;
	*npins = pn;
	return 0;
}
