// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A table of fields (ctl_render.h) rendered as text or as JSON: the one
 * place that knows how either form looks.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ctl_render.h"

#define LABEL_WIDTH	14	/* "uptime:        123s" */

static void field_load(const struct ctl_field *f, const void *rec,
		       struct ctl_value *v)
{
	const char *p = (const char *)rec + f->off;
	uint16_t u16;
	uint32_t u32;

	memset(v, 0, sizeof(*v));
	if (f->get) {
		f->get(rec, v);
		return;
	}
	if (f->type == FT_BOOL) {
		memcpy(&v->b, p, sizeof(v->b));
	} else if (f->size == sizeof(u16)) {
		memcpy(&u16, p, sizeof(u16));
		v->n[0] = u16;
	} else if (f->size == sizeof(u32)) {
		memcpy(&u32, p, sizeof(u32));
		v->n[0] = u32;
	} else {
		memcpy(v->n, p, f->size > sizeof(v->n) ? sizeof(v->n)
						       : f->size);
	}
}

static void field_text(struct ctl_buf *o, const struct ctl_field *f,
		       const void *rec)
{
	const char *pre = f->pre ? f->pre : "", *post = f->post ? f->post : "";
	struct ctl_value v;

	field_load(f, rec, &v);
	if (f->label)
		ctl_printf(o, "%-*s ", LABEL_WIDTH, f->label);
	switch (f->type) {
	case FT_UINT:
		ctl_printf(o, "%s%" PRIu64 "%s", pre, v.n[0], post);
		break;
	case FT_BOOL:
		if (v.b)
			ctl_printf(o, "%s%s", pre, post);
		break;
	case FT_PAIR:
		ctl_printf(o, "%s%" PRIu64 "/%" PRIu64 "%s", pre, v.n[0],
			   v.n[1], post);
		break;
	case FT_OPT_STR:
		if (!v.s[0][0])
			break;
		/* fall through */
	case FT_STR:
		ctl_printf(o, "%s%s%s", pre, v.s[0], post);
		break;
	case FT_ENDS:
		if (v.none)
			ctl_printf(o, "%s?%s", pre, post);
		else
			ctl_printf(o, "%s%s -> %s%s", pre, v.s[0], v.s[1],
				   post);
		break;
	}
}

static void field_json(struct ctl_buf *o, const struct ctl_field *f,
		       const void *rec)
{
	struct ctl_value v;

	field_load(f, rec, &v);
	ctl_printf(o, "\"%s\":", f->key);
	switch (f->type) {
	case FT_UINT:
		ctl_printf(o, "%" PRIu64, v.n[0]);
		break;
	case FT_BOOL:
		ctl_printf(o, "%s", v.b ? "true" : "false");
		break;
	case FT_PAIR:
		ctl_printf(o, "[%" PRIu64 ",%" PRIu64 "]", v.n[0], v.n[1]);
		break;
	case FT_STR:
	case FT_OPT_STR:
		ctl_json_str(o, v.s[0]);
		break;
	case FT_ENDS:
		if (v.none) {
			ctl_printf(o, "null");
			break;
		}
		ctl_printf(o, "{\"%s\":", f->sub[0]);
		ctl_json_str(o, v.s[0]);
		ctl_printf(o, ",\"%s\":", f->sub[1]);
		ctl_json_str(o, v.s[1]);
		ctl_printf(o, "}");
		break;
	}
}

/* Line by line, each field of a line in table order; "\n" ends each. */
void ctl_fields_text(struct ctl_buf *o, const struct ctl_field *fs, size_t n,
		     const void *rec)
{
	int line, last = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (fs[i].line > last)
			last = fs[i].line;
	for (line = 0; line <= last; line++) {
		for (i = 0; i < n; i++)
			if (fs[i].line == line)
				field_text(o, &fs[i], rec);
		ctl_printf(o, "\n");
	}
}

/* The members of one JSON object: the fields with a key, in order. */
void ctl_fields_json_members(struct ctl_buf *o, const struct ctl_field *fs,
			     size_t n, const void *rec)
{
	bool first = true;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!fs[i].key)
			continue;
		if (!first)
			ctl_printf(o, ",");
		field_json(o, &fs[i], rec);
		first = false;
	}
}

/* One JSON object: the fields with a key, in table order. */
void ctl_fields_json(struct ctl_buf *o, const struct ctl_field *fs, size_t n,
		     const void *rec)
{
	ctl_printf(o, "{");
	ctl_fields_json_members(o, fs, n, rec);
	ctl_printf(o, "}");
}

/* ---- lists ---- */

/* JSON: {"name":[ ... ]}; text: one line per record, nothing around. */
void ctl_list_begin(struct ctl_list *l, struct ctl_buf *o, const char *name,
		    bool json)
{
	*l = (struct ctl_list){ .o = o, .json = json };
	if (json)
		ctl_printf(o, "{\"%s\":[", name);
}

void ctl_list_record(struct ctl_list *l, const struct ctl_field *fs, size_t n,
		     const void *rec)
{
	if (!l->json) {
		ctl_fields_text(l->o, fs, n, rec);
		return;
	}
	if (l->n++)
		ctl_printf(l->o, ",");
	ctl_fields_json(l->o, fs, n, rec);
}

void ctl_list_end(struct ctl_list *l)
{
	if (l->json)
		ctl_printf(l->o, "]}\n");
}
