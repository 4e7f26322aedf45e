// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Each complete line, by direction: the client's commands are parsed and
 * queued; the server's replies are parsed and paired with the command
 * they answer (a 227/228/229 must answer a PASV/LPSV/EPSV when
 * strict_pairing is set; a 234 must answer an AUTH). Multi-line replies
 * count as one reply, and only their first endpoint line counts. What
 * passes goes to policy.c.
 *
 * Pairing cannot be switched off from outside:
 *   - only the client's lines are commands, only the server's replies;
 *   - a session whose pairing is unknown (picked up mid-stream, which is
 *     also what follows an unparseable first packet) opens nothing, in
 *     either direction, until the queue of commands we saw has drained:
 *     a command seen, and final replies up to the last of them. Until
 *     then PORT/EPRT/LPRT and 227/228/229 are refused (UNSYNCED);
 *   - more commands pipelined than the queue holds are counted, not
 *     forgotten: their replies answer "some other command" and open
 *     nothing, and the queue stays aligned.
 *
 * Bare LF: a line is ended by LF, with or without CR, as the FTP servers
 * we know parse it, but a server that frames on CRLF only reads
 * "NOOP\nPORT ..." as one line. So an address line that follows a bare
 * LF, or is ended by one, opens nothing (BARE_LF) until the peer has
 * shown it frames on bare LF: it answered a line ended by one before
 * anything followed it (a reply to such a command; a command after such
 * a reply).
 */
#include "engine_int.h"

static void cmdq_push(struct alg_session *s, enum ftp_kind k)
{
	s->cmd_pushed++;
	if (s->cmdq_len == ALG_CMDQ_LEN) {
		/* more pipelined than we track: kinds unknown, order kept */
		s->cmdq_extra++;
		return;
	}
	s->cmdq[(s->cmdq_head + s->cmdq_len++) % ALG_CMDQ_LEN] = k;
}

static enum ftp_kind cmdq_head(const struct alg_session *s)
{
	return s->cmdq_len ? s->cmdq[s->cmdq_head] : FTP_NONE;
}

static void cmdq_pop(struct alg_session *s)
{
	if (!s->cmdq_len)
		return;
	s->cmdq_head = (s->cmdq_head + 1) % ALG_CMDQ_LEN;
	s->cmdq_len--;
	s->cmd_popped++;
	if (s->cmdq_extra) {
		s->cmdq_extra--;
		s->cmd_pushed--;	/* counted once already */
		cmdq_push(s, FTP_CMD_OTHER);
	}
	/* an exchange completed: from here the queue is the server's */
	if (!s->cmdq_len)
		s->cmdq_lost = false;
}

static bool addr_line(enum ftp_kind k)
{
	return k == FTP_CMD_PORT || k == FTP_CMD_EPRT || k == FTP_CMD_LPRT ||
	       k == FTP_REPLY_227 || k == FTP_REPLY_228 ||
	       k == FTP_REPLY_229;
}

/* The other side answered dir's bare-LF line: dir may use bare LF. */
static void lf_answered(struct alg_session *s, enum alg_dir dir)
{
	struct alg_stream *st = &s->st[dir];

	if (st->after_lf && !st->llen)
		st->lf_ok = true;
}

static void refuse_line(struct line_ctx *c, enum alg_reason why,
			const struct ftp_msg *m, const char *detail,
			const char *line, size_t len)
{
	struct alg_event *ev = ev_new(c->r, c->s, ALG_EV_REFUSE, why, c->dir);

	if (!ev)
		return;
	ev->kind = m->kind;
	ev->value = (unsigned)m->code;
	ev->detail = detail;
	ev_line(&ev->line, line, len);
}

/* The session-wide rules before any address line may open anything. */
static bool may_open(struct line_ctx *c, const struct ftp_msg *m,
		     const char *line, size_t len)
{
	struct alg_stream *st = &c->s->st[c->dir];

	if (c->s->cmdq_lost) {
		refuse_line(c, ALG_R_UNSYNCED, m, NULL, line, len);
		return false;
	}
	if ((st->after_lf || !st->line_cr) && !st->lf_ok) {
		refuse_line(c, ALG_R_BARE_LF, m, NULL, line, len);
		return false;
	}
	return true;
}

static int client_line(struct line_ctx *c, const char *line, size_t len,
		       uint32_t line_seq)
{
	struct alg_session *s = c->s;
	const char *why = "malformed";
	struct ftp_msg m;

	if (ftp_parse_command(line, len, &m, &why) < 0) {
		refuse_line(c, ALG_R_MALFORMED, &m, why, line, len);
		cmdq_push(s, FTP_CMD_OTHER);
		return 0;
	}
	if (m.kind == FTP_NONE)
		return 0;
	lf_answered(s, ALG_DIR_REPLY);
	cmdq_push(s, m.kind);
	if (s->st[c->dir].tainted)
		return 0;	/* given up on while split; already reported */
	if (!addr_line(m.kind) || !may_open(c, &m, line, len))
		return 0;
	policy_active(c, &m, line, len, line_seq);
	return 0;
}

/* A 227/228/229 line: does it answer the command at the queue's head? */
static void passive_reply(struct line_ctx *c, const struct ftp_msg *m,
			  const char *line, size_t len, uint32_t line_seq)
{
	struct alg_session *s = c->s;
	struct alg_event *ev;

	s->ml_ep_done = true;
	if (!may_open(c, m, line, len))
		return;
	if (!c->t->pol.strict_pairing ||
	    cmdq_head(s) == ftp_reply_answers(m->kind)) {
		policy_passive(c, m, line, len, line_seq);
		return;
	}
	ev = ev_new(c->r, s, ALG_EV_REFUSE, ALG_R_UNPAIRED, c->dir);
	if (!ev)
		return;
	ev->kind = m->kind;
	ev->value = (unsigned)m->code;
	ev->awaited = cmdq_head(s);
	ev_line(&ev->line, line, len);
}

/*
 * active_on_reply: the final reply to the PORT/EPRT/LPRT whose pinhole
 * waits. 2xx opens it (the EXPECT comes before this reply's verdict);
 * anything else drops it.
 */
static void port_answered(struct line_ctx *c, const struct ftp_msg *m)
{
	struct alg_session *s = c->s;
	struct alg_expect exp;
	struct alg_event *ev;

	if (!s->port_pending || s->port_cmd != s->cmd_popped)
		return;
	s->port_pending = false;
	exp = s->pins->port_exp;	/* policy_expect() may move pins */
	if (m->code >= 200 && m->code < 300) {
		policy_expect(c, &exp);
		return;
	}
	ev = ev_new(c->r, s, ALG_EV_NOTE, ALG_R_PORT_REJECTED, c->dir);
	if (ev) {
		ev->kind = exp.via;
		ev->value = (unsigned)m->code;
		ev->exp = exp;
	}
}

static int server_line(struct line_ctx *c, const char *line, size_t len,
		       uint32_t line_seq)
{
	struct alg_session *s = c->s;
	const char *why = "malformed";
	bool final, bad, prose;
	struct ftp_msg m;
	int ret = 0;

	bad = ftp_parse_reply(line, len, &m, &why) < 0;
	if (!m.code)
		return 0;		/* text inside a multi-line reply */
	if (s->ml_code && m.code != s->ml_code)
		return 0;		/* ditto, starting with digits */
	if (!s->ml_code && m.sep == '-') {
		s->ml_code = m.code;
		s->ml_ep_done = false;
	}
	final = m.sep == ' ';
	/*
	 * Inside a multi-line reply, a line with no endpoint text (the
	 * "227-" prose, the closing "227 OK"), or any line once the reply
	 * has announced its port, is text, not a refusal.
	 */
	prose = bad && s->ml_code == m.code && (m.no_ep || s->ml_ep_done);

	if (prose) {
		/* nothing to act on, nothing refused */
	} else if (bad) {
		refuse_line(c, ALG_R_MALFORMED, &m, why, line, len);
	} else if (s->st[c->dir].tainted) {
		/* given up on while split; already reported */
	} else if ((m.kind == FTP_REPLY_227 || m.kind == FTP_REPLY_228 ||
		    m.kind == FTP_REPLY_229) && !s->ml_ep_done) {
		passive_reply(c, &m, line, len, line_seq);
	} else if (m.kind == FTP_REPLY_234 && final &&
		   cmdq_head(s) == ftp_reply_answers(m.kind)) {
		ret = tls_begin(c);	/* records followed from here */
	}
	if (final) {
		lf_answered(s, ALG_DIR_ORIG);
		if (m.code >= 200) {
			port_answered(c, &m);
			cmdq_pop(s);
		}
		s->ml_code = 0;
		s->ml_ep_done = false;
	}
	return ret;
}

/*
 * A complete line from stream_scan(). A split address rendered early
 * (rewrite.c) is closed first; a line whose first pieces already left
 * unchanged is "frozen" that far.
 */
int pairing_line(void *ctx, const char *line, size_t len, uint32_t seq)
{
	struct line_ctx *c = ctx;
	struct alg_stream *st = &c->s->st[c->dir];
	int ret;

	if (!line)
		return tls_resumed(c);	/* clear again after a CCC */
	c->s->cnt.lines[c->dir]++;
	/* half the room at most: a trace never crowds out an EXPECT */
	if (c->t->trace_lines && c->r->nev < ALG_MAX_EV / 2) {
		struct alg_event *ev = ev_new(c->r, c->s, ALG_EV_SEEN,
					      ALG_R_LINE_SEEN, c->dir);

		if (ev)
			ev_line(&ev->line, line, len);
	}
	rewrite_split_finish(c->s, c->dir, line, len,
			     st->line_cr ? '\r' : '\n');
	c->rewritten = st->early == ALG_EARLY_REWROTE;
	c->frozen = c->rewritten ? 0 : st->released;
	if (c->rewritten)
		rewrite_split_event(c, line, len);
	if (c->dir == ALG_DIR_ORIG)
		ret = client_line(c, line, len, seq);
	else
		ret = server_line(c, line, len, seq);
	st->early = ALG_EARLY_NONE;
	st->adj.keep_last = false;
	st->released = 0;
	c->rewritten = false;
	c->frozen = 0;
	return ret;
}
