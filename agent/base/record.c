#include "agent/base/record.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/arena.h"

struct record *record_new(struct arena *a, size_t n_slots)
{
	struct record *r = arena_alloc(a, sizeof *r + n_slots * sizeof r->fields[0]);

	if (r) {
		r->line = 0;
		r->error = NULL;
		memset((void *)r->fields, 0, n_slots * sizeof r->fields[0]);
	}
	return r;
}

const struct entry_attr *entry_attr(const struct entry *e, const char *name)
{
	size_t i;

	for (i = 0; i < e->n_attrs; i++)
		if (strcasecmp(e->attrs[i].name, name) == 0)
			return &e->attrs[i];
	return NULL;
}

const char *entry_first(const struct entry *e, const char *name)
{
	const struct entry_attr *a = entry_attr(e, name);

	return a && a->n ? a->values[0] : NULL;
}

int entry_has_value(const struct entry *e, const char *name, const char *value, int icase)
{
	const struct entry_attr *a = entry_attr(e, name);
	size_t i;

	if (!a)
		return 0;
	for (i = 0; i < a->n; i++)
		if (icase ? strcasecmp(a->values[i], value) == 0 : strcmp(a->values[i], value) == 0)
			return 1;
	return 0;
}

void entry_list_init(struct entry_list *l, struct arena *a)
{
	l->v = NULL;
	l->n = l->alloc = 0;
	l->arena = a;
	l->shared = 0;
}

void entry_list_release(struct entry_list *l)
{
	/* The attribute arrays are in the arena. */
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

struct entry *entry_list_add(struct entry_list *l, const char *dn)
{
	return entry_list_add_n(l, dn, strlen(dn));
}

struct entry *entry_list_add_n(struct entry_list *l, const char *dn, size_t len)
{
	struct entry *e;

	if (l->n == l->alloc) {
		size_t na = l->alloc ? l->alloc * 2 : 256;
		struct entry *t = realloc(l->v, na * sizeof *t);
		if (!t)
			return NULL;
		l->v = t;
		l->alloc = na;
	}
	e = &l->v[l->n];
	e->dn = arena_strndup(l->arena, dn, len);
	e->attrs = NULL;
	e->n_attrs = 0;
	if (!e->dn)
		return NULL;
	l->n++;
	return e;
}

int entry_add_attr(struct entry_list *l, struct entry *e, const char *name, const char *const *values,
		   size_t n)
{
	/* Rare (post-read entries, tests): a new array each time. */
	struct entry_attr *t = arena_alloc(l->arena, (e->n_attrs + 1) * sizeof *t), *a;
	size_t i;

	if (!t)
		return -1;
	if (e->n_attrs)
		memcpy(t, e->attrs, e->n_attrs * sizeof *t);
	e->attrs = t;
	a = &t[e->n_attrs];
	a->name = arena_strdup(l->arena, name);
	a->values = arena_alloc(l->arena, (n ? n : 1) * sizeof *a->values);
	a->n = n;
	if (!a->name || !a->values)
		return -1;
	for (i = 0; i < n; i++)
		if (!(a->values[i] = arena_strdup(l->arena, values[i])))
			return -1;
	e->n_attrs++;
	return 0;
}

/* kept (a C string) equals the len bytes at s, which hold no NUL. */
static int same(const char *kept, const char *s, size_t len)
{
	return strncmp(kept, s, len) == 0 && kept[len] == '\0';
}

/* The previous entry's attribute of that name, at index i or elsewhere. */
static const struct entry_attr *previous_attr(const struct entry *prev, size_t i, const char *name, size_t len)
{
	size_t k;

	if (!prev)
		return NULL;
	if (i < prev->n_attrs && same(prev->attrs[i].name, name, len))
		return &prev->attrs[i];
	for (k = 0; k < prev->n_attrs; k++)
		if (same(prev->attrs[k].name, name, len))
			return &prev->attrs[k];
	return NULL;
}

int entry_set_attrs(struct entry_list *l, struct entry *e, const struct entry_attr_in *in, size_t n)
{
	const struct entry *prev = e > l->v ? e - 1 : NULL;
	struct entry_attr *t = arena_alloc(l->arena, (n ? n : 1) * sizeof *t);
	size_t i, k;

	if (!t)
		return -1;
	e->attrs = t;
	e->n_attrs = 0;
	for (i = 0; i < n; i++) {
		size_t name_len = strnlen(in[i].name, in[i].name_len);
		const struct entry_attr *p = previous_attr(prev, i, in[i].name, name_len);
		struct entry_attr *a = &t[i];
		int all = p && p->n == in[i].n;

		a->name = p ? p->name : arena_strndup(l->arena, in[i].name, name_len);
		a->n = in[i].n;
		for (k = 0; all && k < in[i].n; k++)
			all = same(p->values[k], in[i].values[k], strnlen(in[i].values[k], in[i].lens[k]));
		if (all) {
			/* The same values as the entry before: the same array. */
			a->values = p->values;
			l->shared += a->n;
		} else {
			a->values = arena_alloc(l->arena, (in[i].n ? in[i].n : 1) * sizeof *a->values);
			for (k = 0; a->values && k < in[i].n; k++) {
				const char *pv = p && k < p->n ? p->values[k] : NULL;
				size_t len = strnlen(in[i].values[k], in[i].lens[k]);
				if (pv && same(pv, in[i].values[k], len)) {
					a->values[k] = pv;
					l->shared++;
				} else if (!(a->values[k] = arena_strndup(l->arena, in[i].values[k], len))) {
					return -1;
				}
			}
		}
		if (!a->name || !a->values)
			return -1;
		e->n_attrs++;
	}
	return 0;
}
