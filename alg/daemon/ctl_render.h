/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ftp-algctl's answers are tables of fields. A field has its JSON key,
 * its place in the text (line, "label:", the words around the value) and
 * where its value comes from; the text and the JSON renderers walk the
 * same table, so a field is added, renamed or dropped in one place. A
 * field without a key is shown in the text only; one on line NO_TEXT in
 * the JSON only.
 */
#ifndef FTP_ALG_CTL_RENDER_H
#define FTP_ALG_CTL_RENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl.h"
#include "evlog.h"

#define NO_TEXT		(-1)

enum ctl_field_type {
	FT_UINT,	/* unsigned, 2, 4 or 8 bytes */
	FT_BOOL,	/* text: pre and post, only when true */
	FT_PAIR,	/* uint64_t[2]: text "a/b", JSON [a,b] */
	FT_STR,
	FT_OPT_STR,	/* text: left out when empty */
	FT_ENDS,	/* text "a -> b" or "?"; JSON {sub a, sub b} or null */
};

struct ctl_value {
	uint64_t n[2];
	bool b;
	bool none;			/* FT_ENDS: no value (null) */
	const char *s[2];
	char buf[2][EVLOG_EP_LEN];
};

struct ctl_field {
	const char *key;
	int line;
	const char *label;
	const char *pre, *post;
	enum ctl_field_type type;
	/* the value: a member of the record, or get() */
	size_t off, size;
	void (*get)(const void *rec, struct ctl_value *v);
	const char *sub[2];		/* FT_ENDS: JSON keys of a and b */
};

#define MEMBER(type, m) \
	.off = offsetof(type, m), .size = sizeof(((type *)0)->m)

#define NFIELDS(t)	(sizeof(t) / sizeof((t)[0]))

/* Line by line, each field of a line in table order; "\n" ends each. */
void ctl_fields_text(struct ctl_buf *o, const struct ctl_field *fs, size_t n,
		     const void *rec);
/* The same without the braces around (for an object that goes on). */
void ctl_fields_json_members(struct ctl_buf *o, const struct ctl_field *fs,
			     size_t n, const void *rec);
/* One JSON object: the fields with a key, in table order. */
void ctl_fields_json(struct ctl_buf *o, const struct ctl_field *fs, size_t n,
		     const void *rec);

/* A list: JSON {"name":[obj,...]}; text: the records' lines. */
struct ctl_list {
	struct ctl_buf *o;
	bool json;
	unsigned n;
};

void ctl_list_begin(struct ctl_list *l, struct ctl_buf *o, const char *name,
		    bool json);
void ctl_list_record(struct ctl_list *l, const struct ctl_field *fs, size_t n,
		     const void *rec);
void ctl_list_end(struct ctl_list *l);

#endif
