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

size_t entry_n_attrs(const struct entry *e)
{
	return e->shape ? e->shape->n_attrs : 0;
}

struct entry_attr entry_attr_at(const struct entry *e, size_t i)
{
	struct entry_attr a;

	a.name = e->shape->names[i];
	a.n = e->shape->counts[i];
	a.values = a.n == 1 ? &e->slots[i].one : e->slots[i].many;
	return a;
}

struct entry_attr entry_attr(const struct entry *e, const char *name)
{
	struct entry_attr none = {NULL, NULL, 0};
	size_t i, n = entry_n_attrs(e);

	/* Names nearly always differ in their first letter: that, without
	 * case, before the whole compare. */
	for (i = 0; i < n; i++)
		if ((e->shape->names[i][0] | 0x20) == (name[0] | 0x20) && strcasecmp(e->shape->names[i], name) == 0)
			return entry_attr_at(e, i);
	return none;
}

const char *entry_first(const struct entry *e, const char *name)
{
	struct entry_attr a = entry_attr(e, name);

	return a.n ? a.values[0] : NULL;
}

int entry_has_value(const struct entry *e, const char *name, const char *value, int icase)
{
	struct entry_attr a = entry_attr(e, name);
	size_t i;

	for (i = 0; i < a.n; i++)
		if (icase ? strcasecmp(a.values[i], value) == 0 : strcmp(a.values[i], value) == 0)
			return 1;
	return 0;
}

void entry_list_init(struct entry_list *l, struct arena *a)
{
	memset(l, 0, sizeof *l);
	l->arena = a;
}

void entry_list_release(struct entry_list *l)
{
	/* The shapes, slots and strings are in the arena. */
	entry_list_share_dns(l, 0);
	free(l->v);
	l->v = NULL;
	l->n = l->alloc = 0;
	memset(l->recent, 0, sizeof l->recent);
}

void entry_list_share_dns(struct entry_list *l, int on)
{
	if (on && !l->sharing)
		sindex_init(&l->dns, 0);
	if (!on && l->sharing) {
		sindex_release(&l->dns);
		free(l->dn_strings);
		l->dn_strings = NULL;
		l->n_dn_strings = l->alloc_dn_strings = 0;
	}
	l->sharing = on;
}

/* The len bytes at s (no NUL among them) as a string of the list: the one
 * kept already when sharing finds it, else a copy, which sharing keeps.
 * When the index cannot grow, the copy is simply not shared. */
static const char *keep_dn(struct entry_list *l, const char *s, size_t len)
{
	size_t at;
	char *c;

	if (!l->sharing)
		return arena_strndup(l->arena, s, len);
	if ((at = sindex_find_n(&l->dns, l->dn_strings, s, len)) != SINDEX_NONE)
		return l->dn_strings[at];
	if (!(c = arena_strndup(l->arena, s, len)))
		return NULL;
	if (l->n_dn_strings == l->alloc_dn_strings) {
		size_t na = l->alloc_dn_strings ? l->alloc_dn_strings * 2 : 1024;
		const char **t = realloc(l->dn_strings, na * sizeof *t);
		if (!t)
			return c;
		l->dn_strings = t;
		l->alloc_dn_strings = na;
	}
	l->dn_strings[l->n_dn_strings] = c;
	if (sindex_add(&l->dns, l->dn_strings, l->n_dn_strings, NULL) == 1)
		l->n_dn_strings++;
	return c;
}

/* A value's string: shared with the other DNs when it is one. */
static const char *keep_value(struct entry_list *l, const char *v, size_t len)
{
	return memchr(v, '=', len) ? keep_dn(l, v, len) : arena_strndup(l->arena, v, len);
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
	e->dn = keep_dn(l, dn, strnlen(dn, len));
	e->shape = NULL;
	e->slots = NULL;
	if (!e->dn)
		return NULL;
	l->n++;
	return e;
}

/* A new shape of n attributes (names and counts to be filled), kept as
 * the newest of the recent ones. */
static struct entry_shape *new_shape(struct entry_list *l, size_t n)
{
	struct entry_shape *s = arena_alloc(l->arena, sizeof *s);

	if (!s)
		return NULL;
	s->n_attrs = n;
	s->names = arena_alloc(l->arena, (n ? n : 1) * sizeof *s->names);
	s->counts = arena_alloc(l->arena, (n ? n : 1) * sizeof *s->counts);
	if (!s->names || !s->counts)
		return NULL;
	memmove(&l->recent[1], &l->recent[0], (ENTRY_RECENT_SHAPES - 1) * sizeof l->recent[0]);
	l->recent[0] = s;
	l->n_shapes++;
	return s;
}

int entry_add_attr(struct entry_list *l, struct entry *e, const char *name, const char *const *values,
		   size_t n)
{
	/* Rare (post-read entries, tests): a shape and slots of its own. */
	size_t old = entry_n_attrs(e), i;
	struct entry_shape *s = new_shape(l, old + 1);
	union entry_slot *slots = arena_alloc(l->arena, (old + 1) * sizeof *slots);
	const char **v = arena_alloc(l->arena, (n ? n : 1) * sizeof *v);

	if (!s || !slots || !v)
		return -1;
	if (old) {
		memcpy(s->names, e->shape->names, old * sizeof *s->names);
		memcpy(s->counts, e->shape->counts, old * sizeof *s->counts);
		memcpy(slots, e->slots, old * sizeof *slots);
	}
	if (!(s->names[old] = arena_strdup(l->arena, name)))
		return -1;
	s->counts[old] = n;
	for (i = 0; i < n; i++)
		if (!(v[i] = arena_strdup(l->arena, values[i])))
			return -1;
	if (n == 1)
		slots[old].one = v[0];
	else
		slots[old].many = n ? v : NULL;
	e->shape = s;
	e->slots = slots;
	return 0;
}

/* kept (a C string) equals the len bytes at s, which hold no NUL. */
static int same(const char *kept, const char *s, size_t len)
{
	return strncmp(kept, s, len) == 0 && kept[len] == '\0';
}

/* A recent shape with these names and counts, or NULL. */
static const struct entry_shape *recent_shape(const struct entry_list *l, const struct entry_attr_in *in,
					      const size_t *name_lens, size_t n)
{
	size_t r, i;

	for (r = 0; r < ENTRY_RECENT_SHAPES && l->recent[r]; r++) {
		const struct entry_shape *s = l->recent[r];
		if (s->n_attrs != n)
			continue;
		for (i = 0; i < n; i++)
			if (s->counts[i] != in[i].n || !same(s->names[i], in[i].name, name_lens[i]))
				break;
		if (i == n)
			return s;
	}
	return NULL;
}

/* A name as a recent shape spells it, or a copy. */
static const char *shape_name(struct entry_list *l, const char *name, size_t len)
{
	size_t r, i;

	for (r = 0; r < ENTRY_RECENT_SHAPES && l->recent[r]; r++)
		for (i = 0; i < l->recent[r]->n_attrs; i++)
			if (same(l->recent[r]->names[i], name, len))
				return l->recent[r]->names[i];
	return arena_strndup(l->arena, name, len);
}

/* The attribute of the previous entry of that name, at index i or
 * elsewhere; .name is NULL when it has none. */
static struct entry_attr previous_attr(const struct entry *prev, size_t i, const char *name)
{
	struct entry_attr none = {NULL, NULL, 0};
	size_t k, n = prev ? entry_n_attrs(prev) : 0;

	if (i < n && prev->shape->names[i] == name)
		return entry_attr_at(prev, i);
	for (k = 0; k < n; k++)
		if (prev->shape->names[k] == name)
			return entry_attr_at(prev, k);
	return none;
}

int entry_set_attrs(struct entry_list *l, struct entry *e, const struct entry_attr_in *in, size_t n)
{
	const struct entry *prev = e > l->v ? e - 1 : NULL;
	union entry_slot *slots = arena_alloc(l->arena, (n ? n : 1) * sizeof *slots);
	const struct entry_shape *shape;
	size_t name_lens[64], i, k;

	if (!slots || n > sizeof name_lens / sizeof name_lens[0])
		return -1;
	for (i = 0; i < n; i++)
		name_lens[i] = strnlen(in[i].name, in[i].name_len);
	if (!(shape = recent_shape(l, in, name_lens, n))) {
		struct entry_shape *s = NULL;
		const char *names[64];
		/* The names first: making the shape moves the recent list. */
		for (i = 0; i < n; i++)
			if (!(names[i] = shape_name(l, in[i].name, name_lens[i])))
				return -1;
		if (!(s = new_shape(l, n)))
			return -1;
		for (i = 0; i < n; i++) {
			s->names[i] = names[i];
			s->counts[i] = in[i].n;
		}
		shape = s;
	}
	for (i = 0; i < n; i++) {
		struct entry_attr p = previous_attr(prev, i, shape->names[i]);
		int all = p.name && p.n == in[i].n;

		for (k = 0; all && k < in[i].n; k++)
			all = same(p.values[k], in[i].values[k], strnlen(in[i].values[k], in[i].lens[k]));
		if (all && in[i].n) {
			/* The same values as the entry before: shared. */
			if (in[i].n == 1)
				slots[i].one = p.values[0];
			else
				slots[i].many = p.values;
			l->shared += in[i].n;
			continue;
		}
		if (in[i].n == 1) {
			if (!(slots[i].one = keep_value(l, in[i].values[0], strnlen(in[i].values[0], in[i].lens[0]))))
				return -1;
			continue;
		}
		if (!in[i].n) {
			slots[i].many = NULL;
			continue;
		}
		if (!(slots[i].many = arena_alloc(l->arena, in[i].n * sizeof *slots[i].many)))
			return -1;
		for (k = 0; k < in[i].n; k++) {
			const char *pv = p.name && k < p.n ? p.values[k] : NULL;
			size_t len = strnlen(in[i].values[k], in[i].lens[k]);
			if (pv && same(pv, in[i].values[k], len)) {
				slots[i].many[k] = pv;
				l->shared++;
			} else if (!(slots[i].many[k] = keep_value(l, in[i].values[k], len))) {
				return -1;
			}
		}
	}
	e->shape = shape;
	e->slots = slots;
	return 0;
}
