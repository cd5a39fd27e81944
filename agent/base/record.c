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
}

void entry_list_release(struct entry_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i].attrs);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
}

struct entry *entry_list_add(struct entry_list *l, const char *dn)
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
	e->dn = arena_strdup(l->arena, dn);
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
	struct entry_attr *t = realloc(e->attrs, (e->n_attrs + 1) * sizeof *t), *a;
	size_t i;

	if (!t)
		return -1;
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
