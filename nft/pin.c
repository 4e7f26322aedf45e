/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Pinholes and NAT mappings: elements of pin4, pin6, dnat4 and snat4 in
 * table inet ftp_alg, sent through batch.c.
 *
 * A concatenated key is laid out like the registers the rules load it
 * into: every field starts on a 4-byte boundary, a port takes the first
 * two bytes of its slot in network order and the other two are zero.
 *   pin4   peer(4) . addr(4) . port(2+2)	= 12 bytes
 *   pin6   peer(16) . addr(16) . port(2+2)	= 36 bytes
 *   dnat4  key as pin4, data addr(4) . port(2+2) = 8 bytes
 *   snat4  key as pin4, data addr(4)
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>

#include "ftp-alg/pin.h"
#include "batch.h"
#include "sets.h"

/* Largest concatenation: peer(16) . addr(16) . port(4). */
#define PIN_KEY_MAX		36

/* ---- pinhole elements ------------------------------------------------ */

struct pin_data {
	uint8_t b[PIN_KEY_MAX];
	uint32_t len;
};

static void pin_cat_addr(struct pin_data *d, int family,
			 const union alg_addr *a)
{
	size_t n = family == AF_INET ? 4 : 16;

	memcpy(d->b + d->len, a->b, n);
	d->len += n;
}

/* A port fills the first half of its 4-byte slot; d starts zeroed. */
static void pin_cat_port(struct pin_data *d, uint16_t port)
{
	uint16_t be = htons(port);

	memcpy(d->b + d->len, &be, sizeof(be));
	d->len += 4;
}

static const char *pin_set_of(const struct pin_entry *e)
{
	return e->family == AF_INET ? PIN_SET4 : PIN_SET6;
}

/*
 * Every entry valid, before anything is sent: 0 or the first error. IPv6
 * has no NAT map: such an entry would open a pinhole that no translation
 * leads to.
 */
static int pin_entries_ok(const struct pin_entry *e, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		if (e[i].family != AF_INET && e[i].family != AF_INET6)
			return -EAFNOSUPPORT;
		if (e[i].family == AF_INET6 && pin_needs_nat(&e[i]))
			return -EAFNOSUPPORT;
	}
	return 0;
}

/*
 * Element j of e (0 its pinhole, 1 its dnat4 mapping, 2 its snat4
 * mapping): the set it is in, or NULL when e needs none.
 */
static const char *pin_elem_set(const struct pin_entry *e, unsigned j)
{
	switch (j) {
	case 0:
		return pin_set_of(e);
	case 1:
		return pin_needs_nat(e) ? PIN_MAP4 : NULL;
	case 2:
		return pin_needs_snat(e) ? PIN_SNAT4 : NULL;
	default:
		return NULL;
	}
}

unsigned pin_elem_sets(const struct pin_entry *e,
		       const char *sets[PIN_ELEMS_MAX])
{
	unsigned j, n = 0;

	for (j = 0; j < PIN_ELEMS_MAX; j++)
		if (pin_elem_set(e, j))
			sets[n++] = pin_elem_set(e, j);
	return n;
}

/* The key (and map data) of e in set; false if set does not hold e. */
static bool pin_elem_fields(const char *set, const struct pin_entry *e,
			    struct pin_data *key, struct pin_data *data)
{
	const struct alg_endpoint *k = &e->target;

	memset(key, 0, sizeof(*key));
	memset(data, 0, sizeof(*data));
	if (!strcmp(set, PIN_MAP4)) {
		if (e->family != AF_INET)
			return false;
		k = &e->wire;
		pin_cat_addr(data, AF_INET, &e->target.addr);
		pin_cat_port(data, e->target.port);
	} else if (!strcmp(set, PIN_SNAT4)) {
		/* keyed as the pinhole: postrouting sees the target */
		if (e->family != AF_INET)
			return false;
		pin_cat_addr(data, AF_INET, &e->peer_pub);
	} else if (strcmp(set, pin_set_of(e)) ||
		   (e->family != AF_INET && e->family != AF_INET6)) {
		return false;
	}
	pin_cat_addr(key, e->family, &e->peer);
	pin_cat_addr(key, e->family, &k->addr);
	pin_cat_port(key, k->port);
	return true;
}

/* The netlink flags of an element message of type; 0: not one we send. */
static uint16_t pin_elem_flags(uint16_t type)
{
	switch (type) {
	case NFT_MSG_NEWSETELEM:
		/* no NLM_F_EXCL: adding an existing pinhole is no error */
		return NLM_F_CREATE | NLM_F_ACK;
	case NFT_MSG_DELSETELEM:
	case PIN_MSG_DESTROYSETELEM:
	case NFT_MSG_GETSETELEM:
		return NLM_F_ACK;
	default:
		return 0;
	}
}

struct nftnl_set *sets_alloc(const char *name)
{
	struct nftnl_set *s;

	s = nftnl_set_alloc();
	if (!s)
		return NULL;
	if (nftnl_set_set_str(s, NFTNL_SET_TABLE, PIN_TABLE) < 0 ||
	    nftnl_set_set_str(s, NFTNL_SET_NAME, name) < 0) {
		nftnl_set_free(s);
		return NULL;
	}
	return s;
}

int sets_build_elem(char *buf, size_t len, uint16_t type, uint16_t flags,
		    uint32_t seq, const char *set, const struct sets_elem *e)
{
	struct nftnl_set_elem *el;
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	union batch_msg m;
	int ret = -ENOMEM;

	s = sets_alloc(set);
	if (!s)
		return -ENOMEM;
	el = nftnl_set_elem_alloc();
	if (!el)
		goto err_set;
	nftnl_set_elem_add(s, el);
	if (nftnl_set_elem_set(el, NFTNL_SET_ELEM_KEY, e->key, e->klen) < 0)
		goto err_set;
	if (type == NFT_MSG_NEWSETELEM) {
		if (e->dlen && nftnl_set_elem_set(el, NFTNL_SET_ELEM_DATA,
						  e->data, e->dlen) < 0)
			goto err_set;
		if (e->jump) {
			nftnl_set_elem_set_u32(el, NFTNL_SET_ELEM_VERDICT,
					       (uint32_t)NFT_JUMP);
			if (nftnl_set_elem_set_str(el, NFTNL_SET_ELEM_CHAIN,
						   e->jump) < 0)
				goto err_set;
		}
		/* no timeout: the element stays until deleted */
		if (e->timeout_ms)
			nftnl_set_elem_set_u64(el, NFTNL_SET_ELEM_TIMEOUT,
					       e->timeout_ms);
	}
	nlh = nftnl_nlmsg_build_hdr(m.b, type, NFPROTO_INET, flags, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	ret = batch_msg_copy(buf, len, nlh);
err_set:
	nftnl_set_free(s);
	return ret;
}

int pin_build_elem(char *buf, size_t len, uint16_t type, uint32_t seq,
		   const char *set, const struct pin_entry *e)
{
	struct pin_data key, data;
	uint16_t flags;

	flags = pin_elem_flags(type);
	if (!flags || !pin_elem_fields(set, e, &key, &data))
		return -EINVAL;
	/*
	 * add element inet ftp_alg pin4 { peer . addr . port timeout T }
	 * add element inet ftp_alg dnat4 { peer . wire_addr . wire_port
	 *	timeout T : addr . port }
	 * add element inet ftp_alg snat4 { peer . addr . port
	 *	timeout T : peer_pub }
	 * delete element / get element: the key alone
	 */
	return sets_build_elem(buf, len, type, flags, seq, set,
			       &(struct sets_elem){
				.key = key.b, .klen = key.len,
				.data = data.b, .dlen = data.len,
				.timeout_ms = e->timeout_ms,
			});
}

/* flush set inet ftp_alg $set */
int sets_build_flush(char *buf, size_t len, uint32_t seq, const char *set)
{
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	union batch_msg m;
	int ret;

	s = sets_alloc(set);
	if (!s)
		return -ENOMEM;
	/* DELSETELEM without a list of elements flushes the set */
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_DELSETELEM, NFPROTO_INET,
				    NLM_F_ACK, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	ret = batch_msg_copy(buf, len, nlh);
	nftnl_set_free(s);
	return ret;
}

/* Append one element message for e in set to b. */
static int pin_batch_elem(struct batch *b, uint16_t type,
			  const char *set, const struct pin_entry *e)
{
	union batch_msg m;
	int len;

	len = pin_build_elem(m.b, sizeof(m), type, batch_seq(b), set, e);
	if (len < 0)
		return len;
	return batch_append(b, &m.h);
}

/* Messages of type for every element of e[0..n) (pin_elem_sets()) into b. */
static int pin_fill_entries(struct batch *b, uint16_t type,
			    const struct pin_entry *e, unsigned n)
{
	const char *sets[PIN_ELEMS_MAX];
	unsigned i, j, ns;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		ns = pin_elem_sets(&e[i], sets);
		for (j = 0; j < ns && !err; j++)
			err = pin_batch_elem(b, type, sets[j], &e[i]);
	}
	return err;
}

/*
 * One batch: message type2 for every element of e2[0..n2), then type for
 * every element of e[0..n): each entry's pinhole and the mappings it
 * carries (pin_elem_sets()), in that order.
 */
static int pin_batch_two(struct fw_sock *fw, uint16_t type2,
			 const struct pin_entry *e2, unsigned n2,
			 uint16_t type, const struct pin_entry *e, unsigned n)
{
	struct batch b;
	int err;

	err = pin_entries_ok(e2, n2);
	if (!err)
		err = pin_entries_ok(e, n);
	if (err || (!n && !n2))
		return err;
	err = batch_begin(fw, &b);
	if (err)
		return err;
	err = pin_fill_entries(&b, type2, e2, n2);
	if (!err)
		err = pin_fill_entries(&b, type, e, n);
	if (!err)
		err = batch_commit(&b);
	batch_free(&b);
	return err;
}

static int pin_batch_entries(struct fw_sock *fw, uint16_t type,
			     const struct pin_entry *e, unsigned n)
{
	return pin_batch_two(fw, type, NULL, 0, type, e, n);
}

int pin_replace(struct fw_sock *fw, const struct pin_entry *old,
		unsigned nold, const struct pin_entry *e, unsigned n)
{
	/* destroy element ... (old); add element ... (e): one transaction */
	return pin_batch_two(fw, PIN_MSG_DESTROYSETELEM, old, nold,
			     NFT_MSG_NEWSETELEM, e, n);
}

int pin_change(struct fw_sock *fw, const struct pin_change *c)
{
	struct batch b;
	int err;

	err = pin_entries_ok(c->old, c->nold);
	if (!err)
		err = pin_entries_ok(c->add, c->nadd);
	if (err || (!c->nold && !c->npeer && !c->nadd))
		return err;
	err = batch_begin(fw, &b);
	if (err)
		return err;
	err = pin_fill_entries(&b, PIN_MSG_DESTROYSETELEM, c->old, c->nold);
	if (!err)
		err = sets_fill_peers(&b, c->peer, c->npeer);
	if (!err)
		err = pin_fill_entries(&b, NFT_MSG_NEWSETELEM, c->add, c->nadd);
	if (!err)
		err = batch_commit(&b);
	batch_free(&b);
	return err;
}

int pin_add(struct fw_sock *fw, const struct pin_entry *e, unsigned n)
{
	/*
	 * add element inet ftp_alg pin4 { peer . addr . port }
	 * add element inet ftp_alg dnat4 { peer . wire : target }
	 * add element inet ftp_alg snat4 { peer . addr . port : peer_pub }
	 */
	return pin_batch_entries(fw, NFT_MSG_NEWSETELEM, e, n);
}

/*
 * pin_del's message k deletes element k % PIN_ELEMS_MAX of e[k /
 * PIN_ELEMS_MAX] (pin_elem_set()). Append one for every k not gone yet;
 * idx[i] is the k of the batch's message i.
 */
static int pin_del_fill(struct batch *b, const struct pin_entry *e,
			unsigned n, const bool *gone, unsigned *idx)
{
	const struct pin_entry *ek;
	unsigned k;
	int err = 0;

	for (k = 0; k < PIN_ELEMS_MAX * n && !err; k++) {
		if (gone[k])
			continue;
		idx[b->n] = k;
		ek = &e[k / PIN_ELEMS_MAX];
		/* delete element inet ftp_alg pin4|dnat4|snat4 { key } */
		err = pin_batch_elem(b, NFT_MSG_DELSETELEM,
				     pin_elem_set(ek, k % PIN_ELEMS_MAX), ek);
	}
	return err;
}

/*
 * After a batch refused with ENOENT: mark what the kernel reported
 * missing as gone. 0 if it named any, -ENOENT if none, or the first other
 * error it gave a message.
 */
static int pin_del_missing(const struct batch *b, const unsigned *idx,
			   bool *gone)
{
	bool progress = false;
	unsigned i;

	for (i = 0; i < b->n; i++) {
		if (b->err[i] == -ENOENT) {
			gone[idx[i]] = true;
			progress = true;
		} else if (b->err[i] < 0) {
			return b->err[i];
		}
	}
	return progress ? 0 : -ENOENT;
}

/*
 * One missing element fails (and so aborts) the whole batch: a pinhole
 * is usually gone, consumed by its data connection, while its mapping
 * stays. So drop what the kernel reports as missing and send the rest
 * again; every round drops at least one message.
 */
int pin_del(struct fw_sock *fw, const struct pin_entry *e, unsigned n)
{
	return pin_del_gone(fw, e, n, NULL);
}

int pin_del_gone(struct fw_sock *fw, const struct pin_entry *e, unsigned n,
		 const bool *elem_gone)
{
	struct batch b = { .buf = NULL };
	unsigned k, *idx;
	bool *gone;
	int err;

	err = pin_entries_ok(e, n);
	if (err || !n)
		return err;
	gone = calloc(PIN_ELEMS_MAX * (size_t)n, sizeof(*gone));
	idx = calloc(PIN_ELEMS_MAX * (size_t)n, sizeof(*idx));
	err = -ENOMEM;
	if (!gone || !idx)
		goto err_free;
	/*
	 * A pinhole without NAT has no mapping to delete; an element the
	 * caller saw gone is not named (a batch that names a missing
	 * element aborts, and the abort costs milliseconds).
	 */
	for (k = 0; k < PIN_ELEMS_MAX * n; k++)
		gone[k] = k % PIN_ELEMS_MAX ?
			  !pin_elem_set(&e[k / PIN_ELEMS_MAX],
					k % PIN_ELEMS_MAX) :
			  elem_gone && elem_gone[k / PIN_ELEMS_MAX];

	for (;;) {
		err = batch_begin(fw, &b);
		if (!err)
			err = pin_del_fill(&b, e, n, gone, idx);
		if (err || !b.n)
			break;
		err = batch_commit(&b);
		if (err != -ENOENT)
			break;
		err = pin_del_missing(&b, idx, gone);
		if (err)
			break;
		batch_free(&b);
	}
err_free:
	batch_free(&b);
	free(idx);
	free(gone);
	return err;
}

int pin_destroy(struct fw_sock *fw, const struct pin_entry *e, unsigned n)
{
	/*
	 * destroy element inet ftp_alg pin4 { peer . addr . port }, and its
	 * mappings: dnat4 { peer . wire }, snat4 { key }
	 */
	return pin_batch_entries(fw, PIN_MSG_DESTROYSETELEM, e, n);
}

int pin_destroy_probe(struct fw_sock *fw)
{
	/* no rule or peer ever adds this key: a port of 0 is never announced */
	const struct pin_entry none = {
		.family = AF_INET,
		.wire.family = AF_INET, .target.family = AF_INET,
	};
	int err;

	/* destroy element inet ftp_alg pin4 { 0.0.0.0 . 0.0.0.0 . 0 } */
	err = pin_destroy(fw, &none, 1);
	if (!err)
		return 1;
	/*
	 * A kernel before 6.3 does not know the message type: nfnetlink
	 * refuses it with EOPNOTSUPP (or EINVAL in some versions); ENOENT
	 * would be a kernel that treats it as a plain delete.
	 */
	if (err == -EOPNOTSUPP || err == -EINVAL || err == -ENOENT)
		return 0;
	return err;
}

/* get element inet ftp_alg $set { key }: 1 there, 0 gone, <0 error */
static int pin_elem_present(struct fw_sock *fw, const char *set,
			    const struct pin_entry *e)
{
	union batch_msg m;
	int err;

	err = pin_entries_ok(e, 1);
	if (err)
		return err;
	err = pin_build_elem(m.b, sizeof(m), NFT_MSG_GETSETELEM,
			     fw_next_seq(fw), set, e);
	if (err < 0)
		return err;
	/* the kernel answers ENOENT for a missing or expired element */
	err = fw_request(fw, &m.h, NULL, NULL);
	if (err == -ENOENT)
		return 0;
	return err < 0 ? err : 1;
}

int pin_present(struct fw_sock *fw, const struct pin_entry *e)
{
	/* get element inet ftp_alg pin4 { $peer . $addr . $port } */
	return pin_elem_present(fw, pin_set_of(e), e);
}

int pin_map_present(struct fw_sock *fw, const struct pin_entry *e)
{
	int ret = 1;

	if (!pin_has_maps(e))
		return -EINVAL;
	/* get element inet ftp_alg dnat4 { $peer . $wire_addr . $port } */
	if (pin_needs_nat(e))
		ret = pin_elem_present(fw, PIN_MAP4, e);
	/* get element inet ftp_alg snat4 { $peer . $addr . $port } */
	if (ret == 1 && pin_needs_snat(e))
		ret = pin_elem_present(fw, PIN_SNAT4, e);
	return ret;
}

int pin_sweep(struct fw_sock *fw)
{
	static const char *const sets[] = {
		PIN_SET4, PIN_SET6, PIN_MAP4, PIN_SNAT4
	};
	union batch_msg m;
	struct batch b;
	size_t i;
	int err;

	err = batch_begin(fw, &b);
	if (err)
		return err;
	for (i = 0; i < sizeof(sets) / sizeof(sets[0]); i++) {
		/* flush set inet ftp_alg pin4 (pin6, dnat4, snat4) */
		err = sets_build_flush(m.b, sizeof(m), batch_seq(&b), sets[i]);
		if (err < 0)
			goto err_free;
		err = batch_append(&b, &m.h);
		if (err)
			goto err_free;
	}
	err = batch_commit(&b);
err_free:
	batch_free(&b);
	return err;
}

/* ---- dump ------------------------------------------------------------ */

struct pin_dump_state {
	int family;
	bool map;		/* dnat4 */
	bool snat;		/* snat4 */
	bool used;		/* used4/used6: a source port after the key */
	pin_dump_fn fn;
	pin_used_fn used_fn;
	void *arg;
	int err;
};

/* Inverse of pin_elem_fields(); -EBADMSG if the lengths do not fit. */
static int pin_decode(const struct pin_dump_state *st,
		      struct nftnl_set_elem *el, struct pin_entry *e,
		      uint32_t *expires_ms)
{
	size_t alen = st->family == AF_INET ? 4 : 16;
	struct alg_endpoint *k;
	const uint8_t *key, *data = NULL;
	uint32_t klen, dlen;
	uint16_t port;

	memset(e, 0, sizeof(*e));
	e->family = st->family;
	e->wire.family = e->target.family = st->family;
	key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);
	if (!key || klen != 2 * alen + (st->used ? 8 : 4))
		return -EBADMSG;
	k = st->map ? &e->wire : &e->target;
	memcpy(e->peer.b, key, alen);
	memcpy(k->addr.b, key + alen, alen);
	memcpy(&port, key + 2 * alen, sizeof(port));
	k->port = ntohs(port);
	if (st->map || st->snat) {
		if (!nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_DATA))
			return -EBADMSG;
		data = nftnl_set_elem_get(el, NFTNL_SET_ELEM_DATA, &dlen);
		if (!data || dlen != alen + (st->map ? 4 : 0))
			return -EBADMSG;
	}
	if (st->map) {
		memcpy(e->target.addr.b, data, alen);
		memcpy(&port, data + alen, sizeof(port));
		e->target.port = ntohs(port);
	} else {
		e->wire = e->target;
	}
	if (st->snat)
		memcpy(e->peer_pub.b, data, alen);
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_TIMEOUT))
		e->timeout_ms = (uint32_t)nftnl_set_elem_get_u64(el,
						NFTNL_SET_ELEM_TIMEOUT);
	*expires_ms = 0;
	if (nftnl_set_elem_is_set(el, NFTNL_SET_ELEM_EXPIRATION))
		*expires_ms = (uint32_t)nftnl_set_elem_get_u64(el,
						NFTNL_SET_ELEM_EXPIRATION);
	return 0;
}

static int pin_dump_elem(struct nftnl_set_elem *el, void *arg)
{
	struct pin_dump_state *st = arg;
	const uint8_t *key;
	struct pin_entry e;
	uint32_t expires, klen;
	uint16_t sport;
	int err;

	err = pin_decode(st, el, &e, &expires);
	if (!err && st->used) {
		/* the source port: the fourth field, after addr . port */
		key = nftnl_set_elem_get(el, NFTNL_SET_ELEM_KEY, &klen);
		memcpy(&sport, key + klen - 4, sizeof(sport));
		err = st->used_fn(&e, ntohs(sport), st->arg);
	} else if (!err) {
		err = st->fn(&e, expires, st->arg);
	}
	if (err < 0) {
		st->err = err;
		return err;
	}
	return 0;
}

static int pin_dump_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct pin_dump_state *st = arg;
	struct nftnl_set *s;
	int ret = MNL_CB_ERROR;

	s = nftnl_set_alloc();
	if (!s) {
		st->err = -ENOMEM;
		goto out;
	}
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0) {
		st->err = -EBADMSG;
		goto err_set;
	}
	if (nftnl_set_elem_foreach(s, pin_dump_elem, st) < 0)
		goto err_set;
	ret = MNL_CB_OK;
err_set:
	nftnl_set_free(s);
out:
	errno = -st->err;
	return ret;
}

static int pin_dump_set(struct fw_sock *fw, const char *set,
			struct pin_dump_state *st);

int pin_dump(struct fw_sock *fw, const char *set, pin_dump_fn fn, void *arg)
{
	struct pin_dump_state st = { .fn = fn, .arg = arg };

	if (!strcmp(set, PIN_SET4) || !strcmp(set, PIN_MAP4) ||
	    !strcmp(set, PIN_SNAT4))
		st.family = AF_INET;
	else if (!strcmp(set, PIN_SET6))
		st.family = AF_INET6;
	else
		return -EINVAL;
	st.map = !strcmp(set, PIN_MAP4);
	st.snat = !strcmp(set, PIN_SNAT4);
	return pin_dump_set(fw, set, &st);
}

int pin_dump_used(struct fw_sock *fw, int family, pin_used_fn fn, void *arg)
{
	struct pin_dump_state st = {
		.family = family, .used = true, .used_fn = fn, .arg = arg,
	};

	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	return pin_dump_set(fw, family == AF_INET ? PIN_USED4 : PIN_USED6,
			    &st);
}

static int pin_dump_set(struct fw_sock *fw, const char *set,
			struct pin_dump_state *st)
{
	struct nlmsghdr *nlh;
	struct nftnl_set *s;
	union batch_msg m;
	int err;

	s = sets_alloc(set);
	if (!s)
		return -ENOMEM;
	/* list set inet ftp_alg $set */
	nlh = nftnl_nlmsg_build_hdr(m.b, NFT_MSG_GETSETELEM, NFPROTO_INET,
				    NLM_F_DUMP, fw_next_seq(fw));
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	err = fw_request(fw, nlh, pin_dump_cb, st);
	if (st->err)
		err = st->err;
	nftnl_set_free(s);
	return err;
}
