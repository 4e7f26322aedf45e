// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * An encrypted control connection (AUTH TLS/SSL answered by 234, RFC 4217)
 * followed record by record, so that a CCC ("Clear Command Channel")
 * brings inspection back. CCC and its 200 are themselves encrypted, and
 * TLS 1.3 hides the alert type of a close_notify, so nothing inside the
 * records is read: only their framing.
 *
 *   record: type(1) version(2) length(2) body(length)
 *           type 20..24, version 0x03 0x00..0x04, length <= 2^14 + 2048
 *
 * Each direction is walked from its first encrypted byte: the client's
 * from the byte after its AUTH line, the server's from the byte after the
 * 234 line. At a record boundary a byte that cannot start a record (no
 * FTP text begins with 0x14..0x18) ends the encrypted part when it looks
 * like FTP text: a command's letter from the client, a reply's digit
 * from the server. Line inspection resumes there, at a line start, with
 * nothing pending: the encrypted exchanges are unknown, so a reply seen
 * in clear pairs only with a command seen in clear, and a peer that
 * "resumes" early gains nothing it could not have in a plaintext session.
 * Anything else at a boundary ends inspection (ALG_R_TLS_GARBAGE).
 */
#include <errno.h>
#include <string.h>

#include "engine_int.h"

#define TLS_TYPE_MIN	20	/* change_cipher_spec */
#define TLS_TYPE_MAX	24	/* heartbeat */
#define TLS_LEN_MAX	(16384 + 2048)

/* Could c begin the clear text of this direction? */
static bool ftp_text_start(bool client, uint8_t c)
{
	if (client)
		return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
	return c >= '1' && c <= '5';
}

/* One byte of a record header; false: not a header. */
static bool header_byte(struct tls_walk *w, uint8_t c)
{
	w->hdr[w->hlen++] = c;
	switch (w->hlen) {
	case 2:
		return c == 0x03;
	case 3:
		return c <= 0x04;
	case 5:
		w->left = (uint16_t)(w->hdr[3] << 8 | w->hdr[4]);
		w->hlen = 0;
		if (w->left > TLS_LEN_MAX)
			return false;
		w->records++;
		return true;
	default:
		return true;
	}
}

size_t tls_walk(struct tls_walk *w, bool client, const uint8_t *p,
		size_t n, enum tls_walk_res *res)
{
	size_t i = 0;

	*res = TLS_WALK_MORE;
	while (i < n) {
		if (w->left) {
			size_t k = n - i < w->left ? n - i : w->left;

			w->left -= (uint16_t)k;
			i += k;
			continue;
		}
		if (!w->hlen && (p[i] < TLS_TYPE_MIN || p[i] > TLS_TYPE_MAX)) {
			*res = ftp_text_start(client, p[i]) ? TLS_WALK_CLEAR :
							      TLS_WALK_BAD;
			return i;
		}
		if (!header_byte(w, p[i])) {
			*res = TLS_WALK_BAD;
			return i;
		}
		i++;
	}
	return n;
}

/* Start walking st from its next byte. */
static void walk_start(struct alg_stream *st, bool client)
{
	st->tls = true;
	st->tls_client = client;
	memset(&st->tw, 0, sizeof(st->tw));
	st->llen = 0;
	st->pending = false;
	st->tainted = false;
}

/*
 * Nothing pending: the encrypted exchanges are unknown. The command queue
 * starts over when the client's side does (commands); an open multi-line
 * reply is forgotten either way.
 */
static void pairing_fresh(struct alg_session *s, bool commands)
{
	if (commands) {
		s->cmdq_head = 0;
		s->cmdq_len = 0;
		s->cmdq_lost = false;
	}
	s->ml_code = 0;
	s->ml_ep_done = false;
}

int tls_begin(struct line_ctx *c)
{
	struct alg_session *s = c->s;
	struct alg_stream *cli = &s->st[ALG_DIR_ORIG];

	s->tls = true;
	ev_new(c->r, s, ALG_EV_TLS, ALG_R_AUTH_TLS, c->dir);
	/*
	 * The client's first encrypted byte must be its next one: it waits
	 * for the 234 before its ClientHello. A client with a line still
	 * open (or held) cannot be followed: inspection ends, as before.
	 */
	if (!cli->synced || !cli->at_line_start || cli->llen ||
	    cli->pending || cli->tls)
		return LINE_STOP_TLS;
	walk_start(cli, true);
	walk_start(&s->st[ALG_DIR_REPLY], false);
	pairing_fresh(s, true);
	return 0;
}

int tls_scan(struct alg_stream *st, const uint8_t *p, size_t n,
	     size_t *used, enum alg_reason *why)
{
	enum tls_walk_res res;

	*used = tls_walk(&st->tw, st->tls_client, p, n, &res);
	st->nxt += (uint32_t)*used;
	if (res == TLS_WALK_BAD) {
		*why = ALG_R_TLS_GARBAGE;
		return -EPROTO;
	}
	if (res == TLS_WALK_CLEAR) {
		st->tls = false;
		st->at_line_start = true;
		st->line_seq = st->nxt;
		st->llen = 0;
	}
	return 0;
}

int tls_resumed(struct line_ctx *c)
{
	struct alg_session *s = c->s;
	struct alg_stream *st = &s->st[c->dir];
	struct alg_event *ev;

	/* a command seen from here on is the first the pairing knows */
	pairing_fresh(s, c->dir == ALG_DIR_ORIG);
	if (!s->st[!c->dir].tls)
		s->tls = false;
	ev = ev_new(c->r, s, ALG_EV_TLS, ALG_R_TLS_CLEAR, c->dir);
	if (ev)
		ev->value = st->tw.records;
	return 0;
}
