/* The planner. Pure: it reads config, records and entries, and writes a
 * plan; it never touches a network, a file or the clock.
 *
 * Shape: index the directory (DN -> entry, key -> person), then take each
 * source row in order (validate, render, compare), then finish with the
 * people absent from the source and the containers and groups the rows need.
 * Every lookup is a hash table; nothing is quadratic in the number of rows.
 *
 * A session does the same while the directory is read (plan_session_*):
 * each time entries arrive they are indexed, and the rows are planned in
 * order as far as their people have arrived. What only the whole directory
 * can say waits for the end: whether a role group exists and who is in it
 * (such rows are "deferred" and their membership settled then), and
 * whether a row's key belongs to one person only (when a second person with
 * the key of a row already planned arrives, the session plans again from
 * the start at the end). The plan is the same either way. */
#include "agent/plan/plan.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/text/address.h"
#include "agent/base/buf.h"
#include "agent/text/dn.h"
#include "agent/base/hmap.h"
#include "agent/base/oom.h"
#include "agent/base/sindex.h"
#include "agent/plan/plan_internal.h"
#include "agent/text/template.h"

/* A role group the plan touches. */
struct group {
	const char *dn, *ndn, *role;
	const struct entry *entry; /* NULL: the group is created */
	uint32_t number;           /* 1-based, in the order the plan meets groups */
	int members_marked;        /* its members are marked on their entries */
	size_t joining;            /* people the plan adds */
	const char *account;       /* the account of the first person joining (for the text) */
};

/* A set of (entry, group) pairs, open addressing; 0 is an empty slot. */
struct pairs {
	uint64_t *slots;
	size_t cap, size;
};

/* A row's account and role, and the group it joins. */
struct account_role {
	const char *account_dn, *account_ndn, *account;
	const char *role, *role_dn, *role_ndn;
	enum role_origin origin;
	struct group *group; /* the role group (NULL when memory ran out) */
};

/* What a row's account and role come to, for the values of the columns
 * they are made of. Rows of one account and role are many; the memo is a
 * hash table of the combinations, one place each, up to MEMO_MAX of them
 * (rows of others are worked out each time). */
enum { MEMO_SLOTS = 4, MEMO_MAX = 16384 };

struct memo {
	const char *fields[MEMO_SLOTS];
	int used;
	struct account_role ar;
};

struct planner {
	const struct config *cfg;
	struct plan_builder B;
	struct plan *p;      /* B.p */
	struct arena *a;     /* its arena */
	/* The directory's entries by DN, and its people by key, without ASCII
	 * case: positions in the entries, whose keys are ndn[] (the entry's own
	 * DN when plain, else a canonical copy) and key[]. */
	struct sindex by_dn, by_key;
	const char **ndn, **key;
	unsigned char *mark;   /* per entry: MATCHED, AMBIGUOUS */
	/* Role groups' members, marked on their entries as each group is first
	 * asked about: the number of the first group an entry is a member of,
	 * and (entry, group) pairs for its other groups. */
	uint32_t *member_of;
	struct pairs other_groups;
	struct hmap keys_seen; /* key (no case) -> first line, as (void *)(uintptr_t) */
	/* Per entry: the line of the row that named it (duplicate keys of
	 * people the directory holds are found here; keys_seen keeps only the
	 * others, so an hourly run with few new people keeps a small table). */
	unsigned *first_line;
	struct hmap groups;    /* canonical DN -> struct group */
	struct group **group_list;
	size_t n_groups;
	struct hmap accounts;  /* canonical DN -> DN, for containers the plan creates */
	struct buf fatal;      /* plan-wide problems, one per line */
	struct hmap fatal_seen;
	const char *mail_attr; /* the people attribute holding the address */
	int *update_attr;      /* per people.update name: its index in people.attributes, or -1 */
	/* Per people.attributes template: the column it is exactly, or -1;
	 * the earlier attribute with the same template, or -1. */
	int *attr_column, *attr_same_as;
	/* Strings that repeat across rows (accounts, roles, their DNs,
	 * locales) are stored once; a row's own canonical DNs live only
	 * while the row is planned. A million-row plan stays compact. */
	struct hmap interned;
	struct buf scratch, row_ndn, parent_ndn;
	/* What a row renders (its DN, its attribute values and lists) lives
	 * here while the row is planned, and moves to the plan only when an
	 * action keeps it (persist_row): a run where little changes keeps
	 * nothing per unchanged person. */
	struct arena row;
	int memo_slots[MEMO_SLOTS];
	size_t n_memo_slots;   /* 0: no memo (more columns than MEMO_SLOTS) */
	struct memo *memo;
	size_t memo_cap, memo_size;
	unsigned long oom_before;
	/* The input, with the entries so far while the directory is read;
	 * how far the entries are indexed (and the room in the per-entry
	 * arrays) and the rows planned. */
	struct plan_input input;
	size_t n_indexed, alloc_indexed;
	size_t next_row;
	int early;     /* rows are planned while the directory is read */
	int replan;    /* a person arrived with the key of a row planned early */
	int replaying; /* a deferred row read again: it is not a duplicate of itself */
	/* Rows planned early whose role membership waits for the end: the row,
	 * its person's entry, its group's number (| UNCHANGED: the row had no
	 * action so far). */
	struct deferred {
		uint32_t row, entry, group;
	} *deferred;
	size_t n_deferred, alloc_deferred;
	/* Actions planned early that name an entry, by position: the array of
	 * entries moves while the read makes it longer. */
	struct moved {
		size_t action, entry;
	} *moved;
	size_t n_moved, alloc_moved;
};

struct plan_session {
	struct planner P;
};

#define UNCHANGED 0x80000000u

static const char ambiguous;

enum {
	MATCHED = 1,  /* a row names the person */
	AMBIGUOUS = 2 /* the first of several people with the same key */
};

/* --- small helpers (see plan_internal.h) ---------------------------------- */

#define fmt(P, ...) pb_printf(&(P)->B, __VA_ARGS__)
#define adup(P, s) pb_strdup(&(P)->B, s)
#define canon(P, dn) pb_canon(&(P)->B, dn)
#define new_action(P, op) pb_action(&(P)->B, op)
#define has_all_classes(e, classes) entry_has_classes(e, classes)
#define is_disabled(e) entry_is_disabled(P->cfg, e)

/* One stored copy of s for the whole plan. */
static const char *intern(struct planner *P, const char *s)
{
	const char *c = hmap_get(&P->interned, s);

	if (c)
		return c;
	if ((c = adup(P, s)) && hmap_insert(&P->interned, c, (void *)c, NULL) < 0)
		P->B.oom = 1;
	return c;
}

/* The canonical form of dn in b (overwritten), or NULL when dn is not one
 * (or memory ran out: the plan then fails as a whole). */
static const char *canon_in(struct planner *P, struct buf *b, const char *dn)
{
	int rc;

	buf_reset(b);
	if ((rc = dn_normalize(dn, b)) == 0 && !b->failed)
		return buf_str(b);
	if (rc == -2 || b->failed)
		P->B.oom = 1;
	return NULL;
}

/* The canonical form of a DN that repeats across rows, stored once. */
static const char *canon_interned(struct planner *P, const char *dn)
{
	const char *n = canon_in(P, &P->scratch, dn);

	return n ? intern(P, n) : NULL;
}

static void add_fatal(struct planner *P, const char *msg)
{
	char *key = adup(P, msg);

	/* Many rows may hit the same problem; say it once. */
	if (key && hmap_insert(&P->fatal_seen, key, key, NULL) == 1) {
		if (P->fatal.len)
			buf_addc(&P->fatal, '\n');
		buf_adds(&P->fatal, msg);
	}
}

/* Rejects the row; returns -1, for the callers that stop there. */
static int reject(struct planner *P, const struct record *r, const char *key, const char *reason)
{
	pb_reject(&P->B, r->line, key, reason);
	return -1;
}

static int entry_has_classes(const struct entry *e, const struct strlist *classes)
{
	size_t i;

	for (i = 0; i < classes->n; i++)
		if (!entry_has_value(e, "objectClass", classes->items[i], 1))
			return 0;
	return 1;
}

/* --- indexing the directory --------------------------------------------- */

/* Room for n entries in an array of elements of size bytes, the new part
 * zeroed. */
static int grow_zeroed(void *pp, size_t size, size_t old, size_t n)
{
	void *t = realloc(*(void **)pp, n * size);

	if (!t)
		return -1;
	memset((char *)t + old * size, 0, (n - old) * size);
	*(void **)pp = t;
	return 0;
}

/* Indexes the entries that arrived since the last time. */
static int index_entries(struct planner *P)
{
	const struct config *cfg = P->cfg;
	size_t i, n = P->input.n_entries, first;

	if (n > P->alloc_indexed || !P->mark) {
		/* Half as much again while entries arrive (a million people
		 * keep 21 bytes each here); exactly n at once. */
		size_t na = n > P->alloc_indexed + P->alloc_indexed / 2 ? n : P->alloc_indexed + P->alloc_indexed / 2;
		if (!na)
			na = 1;
		if (grow_zeroed(&P->mark, 1, P->alloc_indexed, na) < 0 ||
		    grow_zeroed(&P->first_line, sizeof *P->first_line, P->alloc_indexed, na) < 0 ||
		    grow_zeroed(&P->ndn, sizeof *P->ndn, P->alloc_indexed, na) < 0 ||
		    grow_zeroed(&P->key, sizeof *P->key, P->alloc_indexed, na) < 0)
			return -1;
		P->alloc_indexed = na;
	}
	if (sindex_reserve(&P->by_dn, n) < 0 || sindex_reserve(&P->by_key, n) < 0)
		return -1;
	for (i = P->n_indexed; i < n; i++) {
		const struct entry *e = &P->input.entries[i];

		/* A plain DN (nearly every one) is its own key, no canonical
		 * copy. */
		if (!(P->ndn[i] = dn_is_plain(e->dn) ? e->dn : canon(P, e->dn)))
			continue; /* the server sent something we cannot read: not ours to manage */
		if (sindex_add(&P->by_dn, P->ndn, i, NULL) < 0)
			return -1;
		if (!cfg->people.key_attr || !has_all_classes(e, &cfg->people.object_classes))
			continue;
		if (!(P->key[i] = entry_first(e, cfg->people.key_attr)))
			continue;
		P->p->n_managed++;
		switch (sindex_add(&P->by_key, P->key, i, &first)) {
		case -1:
			return -1;
		case 0:
			/* A row planned early took the first for the only one. */
			if (P->mark[first] & MATCHED)
				P->replan = 1;
			P->mark[first] |= AMBIGUOUS;
			break;
		}
	}
	P->n_indexed = n;
	return 0;
}

static size_t entry_index(const struct planner *P, const struct entry *e)
{
	return (size_t)(e - P->input.entries);
}

/* The entry at a DN (plain or canonical), or NULL. */
static const struct entry *entry_at(const struct planner *P, const char *ndn)
{
	size_t i = sindex_find(&P->by_dn, P->ndn, ndn);

	return i == SINDEX_NONE ? NULL : &P->input.entries[i];
}

/* The person with that key, &ambiguous when several have it, or NULL. */
static const struct entry *person_with_key(const struct planner *P, const char *key)
{
	size_t i = sindex_find(&P->by_key, P->key, key);

	if (i == SINDEX_NONE)
		return NULL;
	return P->mark[i] & AMBIGUOUS ? (const struct entry *)(const void *)&ambiguous : &P->input.entries[i];
}

/* The person a row's key names: the entry, &ambiguous, or NULL (no key,
 * or nobody with it). */
static const struct entry *row_person(const struct planner *P, const struct record *rec)
{
	int slot = P->cfg->source.key_slot;
	const char *key = slot >= 0 && (size_t)slot < P->cfg->columns.n ? rec->fields[slot] : NULL;

	return key && *key ? person_with_key(P, key) : NULL;
}

/* --- groups and containers ------------------------------------------------ */

static struct group *group_for(struct planner *P, const char *dn, const char *ndn, const char *role)
{
	struct group *g = hmap_get(&P->groups, ndn), **list;

	if (g)
		return g;
	list = realloc(P->group_list, (P->n_groups + 1) * sizeof *list);
	if (list)
		P->group_list = list;
	g = arena_calloc(P->a, 1, sizeof *g);
	if (!g || !list) {
		P->B.oom = 1;
		return NULL;
	}
	g->dn = dn;
	g->ndn = ndn;
	g->role = role;
	/* Whether it exists, only the whole directory says. */
	g->entry = P->early ? NULL : entry_at(P, ndn);
	if (hmap_insert(&P->groups, ndn, g, NULL) < 0) {
		P->B.oom = 1;
		return NULL;
	}
	P->group_list[P->n_groups++] = g;
	g->number = (uint32_t)P->n_groups;
	return g;
}

static uint64_t pair_of(size_t entry, const struct group *g)
{
	return ((uint64_t)(entry + 1) << 32) | g->number;
}

/* The slot of k, or the empty one where it goes. */
static uint64_t *pairs_slot(const struct pairs *s, uint64_t k)
{
	size_t mask = s->cap - 1, i = (size_t)((k * 0x9e3779b97f4a7c15ULL) >> 20) & mask;

	while (s->slots[i] && s->slots[i] != k)
		i = (i + 1) & mask;
	return &s->slots[i];
}

static int pairs_add(struct pairs *s, uint64_t k)
{
	uint64_t *slot;

	if ((s->size + 1) * 2 > s->cap) {
		struct pairs n = {calloc(s->cap ? s->cap * 2 : 64, sizeof *n.slots), s->cap ? s->cap * 2 : 64, s->size};
		size_t i;
		if (!n.slots)
			return -1;
		for (i = 0; i < s->cap; i++)
			if (s->slots[i])
				*pairs_slot(&n, s->slots[i]) = s->slots[i];
		free(s->slots);
		*s = n;
	}
	if (!*(slot = pairs_slot(s, k))) {
		*slot = k;
		s->size++;
	}
	return 0;
}

static int pairs_has(const struct pairs *s, uint64_t k)
{
	return s->size && *pairs_slot(s, k) == k;
}

/* Whether the person (entry number i) is a member of g. On the first
 * question about g, each member value is found among the entries (a value
 * and the DN it names are most often one string) and marked there: no
 * table of member DNs, and one lookup per member in all. */
static int is_member(struct planner *P, struct group *g, size_t person)
{
	struct entry_attr m;
	size_t i, at;

	if (!g->entry)
		return 0;
	if (!P->member_of && !(P->member_of = calloc(P->input.n_entries ? P->input.n_entries : 1, sizeof *P->member_of))) {
		P->B.oom = 1;
		return 0;
	}
	if (!g->members_marked) {
		g->members_marked = 1;
		m = entry_attr(g->entry, P->cfg->roles.member_attribute);
		for (i = 0; i < m.n; i++) {
			const char *n = dn_is_plain(m.values[i]) ? m.values[i] : canon(P, m.values[i]);
			if (!n || (at = sindex_find(&P->by_dn, P->ndn, n)) == SINDEX_NONE)
				continue; /* not an entry of the read: not one of the people asked about */
			if (!P->member_of[at])
				P->member_of[at] = g->number;
			else if (P->member_of[at] != g->number && pairs_add(&P->other_groups, pair_of(at, g)) < 0)
				P->B.oom = 1;
		}
	}
	return P->member_of[person] == g->number || pairs_has(&P->other_groups, pair_of(person, g));
}

/* True when dn exists or the plan creates it (or, offline, may exist). */
static int dn_available(struct planner *P, const char *ndn)
{
	return P->input.offline || entry_at(P, ndn) || hmap_get(&P->accounts, ndn);
}

/* --- one row ---------------------------------------------------------------- */

struct row {
	const struct record *rec;
	struct tmpl_env env;
	const char *key;
	struct account_role ar;
	const char *dn, *ndn;
	struct plan_attr *attrs;
	size_t n_attrs;
	const char **values;   /* rendered people.attributes, by index ("" = empty) */
	const struct entry *ent; /* by_key's answer for the key: the person, &ambiguous or NULL */
	int active;
	int persisted;         /* dn, values and attrs are in the plan's arena */
};

static const char *field(const struct row *r, int slot)
{
	return slot >= 0 && (size_t)slot < r->env.n_fields ? r->env.fields[slot] : NULL;
}

/* Renders t into P->scratch (overwritten); *why gets the reason on
 * failure. */
static const char *render_scratch(struct planner *P, const struct tmpl *t, const struct tmpl_env *env,
				  const char **why)
{
	struct tmpl_error err;

	buf_reset(&P->scratch);
	if (tmpl_render(t, env, &P->scratch, &err) < 0) {
		*why = fmt(P, "%s", err.msg);
		return NULL;
	}
	return buf_str(&P->scratch);
}

static const char *render_interned(struct planner *P, const struct tmpl *t, const struct tmpl_env *env,
				   const char **why)
{
	const char *s = render_scratch(P, t, env, why);

	return s ? intern(P, s) : NULL;
}

/* Renders t into a copy in the row's arena. */
static const char *render_row(struct planner *P, const struct tmpl *t, const struct tmpl_env *env, const char **why)
{
	const char *s = render_scratch(P, t, env, why);
	char *c = s ? arena_strdup(&P->row, s) : NULL;

	if (s && !c)
		P->B.oom = 1;
	return c;
}

/* s where it stays for the plan: a copy when it is the row's. */
static const char *keep_str(struct planner *P, const char *s)
{
	return s && arena_owns(&P->row, s) ? adup(P, s) : s;
}

/* Moves what the row rendered into the plan's arena, once: an action is
 * about to keep it. Returns 0, or -1 when memory ran out. */
static int persist_row(struct planner *P, struct row *r)
{
	size_t n_values = P->cfg->people.n_attrs + 1, i, k;
	const char **values;
	struct plan_attr *attrs;

	if (r->persisted)
		return 0;
	r->persisted = 1;
	r->dn = keep_str(P, r->dn);
	values = arena_calloc(P->a, n_values, sizeof *values);
	attrs = arena_calloc(P->a, r->n_attrs ? r->n_attrs : 1, sizeof *attrs);
	if (!values || !attrs || !r->dn)
		return P->B.oom = 1, -1;
	for (i = 0; i < n_values; i++)
		values[i] = keep_str(P, r->values[i]);
	for (k = 0; k < r->n_attrs; k++) {
		const struct plan_attr *a = &r->attrs[k];
		attrs[k] = *a;
		if (a->values >= r->values && a->values < r->values + n_values) {
			attrs[k].values = values + (a->values - r->values);
		} else if (arena_owns(&P->row, a->values)) {
			const char **v = arena_alloc(P->a, (a->n ? a->n : 1) * sizeof *v);
			if (!v)
				return P->B.oom = 1, -1;
			for (i = 0; i < a->n; i++)
				v[i] = keep_str(P, a->values[i]);
			attrs[k].values = v;
		}
	}
	r->values = values;
	r->attrs = attrs;
	return P->B.oom ? -1 : 0;
}

static const char *check_key(struct planner *P, const char *key)
{
	const unsigned char *p;

	if (!key || !*key)
		return fmt(P, "missing key %s", P->cfg->source.key);
	for (p = (const unsigned char *)key; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '@')
			continue; /* nearly all of a login name */
		if (*p < 0x21 || *p == 0x7f)
			return fmt(P, "%s contains a %s", P->cfg->source.key,
				   *p == '\n' || *p == '\r' ? "line break" : *p == ' ' ? "space" : "control character");
		if (*p >= 0x80)
			return fmt(P, "%s contains non-ASCII characters (not accepted in a login name)",
				   P->cfg->source.key);
		if (strchr("*()\\\"<>,;=", *p))
			return fmt(P, "%s contains '%c', which is not accepted in a login name", P->cfg->source.key,
				   *p);
	}
	return NULL;
}

/* The values the row is made of must be single lines: they end up in DNs,
 * mail headers and messages. */
static const char *check_fields(struct planner *P, const struct row *r)
{
	size_t slot;

	for (slot = 0; slot < r->env.n_fields; slot++) {
		const char *v = r->env.fields[slot];
		if (v && strpbrk(v, "\r\n"))
			return fmt(P, "line break in %s", P->cfg->columns.items[slot]);
	}
	return NULL;
}

/* Decides the row's role: the column as written, translated by roles.map,
 * or roles.default. Returns a reject reason or NULL. */
static const char *decide_role(struct planner *P, struct row *r)
{
	const struct cfg_roles *roles = &P->cfg->roles;
	const struct tmpl *t = NULL;
	const char *v = field(r, roles->column_slot), *why = NULL, *trimmed;
	struct group *g;
	size_t i, len;

	if (!v)
		v = "";
	while (*v == ' ')
		v++;
	len = strlen(v);
	while (len && v[len - 1] == ' ')
		len--;
	buf_reset(&P->scratch);
	buf_add(&P->scratch, v, len);
	if (!(trimmed = intern(P, buf_str(&P->scratch))))
		return NULL;
	if (!*trimmed) {
		t = roles->default_role;
		r->ar.origin = ROLE_DEFAULT;
		if (!t)
			return fmt(P, "no role, and roles.default is not set");
	} else if (roles->has_map) {
		for (i = 0; i < roles->n_map; i++)
			if (strcmp(roles->map[i].from, trimmed) == 0) {
				t = roles->map[i].to;
				r->ar.origin = ROLE_MAP;
				break;
			}
		if (!t) {
			if (roles->unknown == UNKNOWN_REJECT || !roles->default_role)
				return fmt(P, "unknown role '%s' (not in roles.map)", trimmed);
			t = roles->default_role;
			r->ar.origin = ROLE_DEFAULT;
		}
	} else {
		r->ar.role = trimmed;
		r->ar.origin = ROLE_COLUMN;
	}
	if (t && !(r->ar.role = render_interned(P, t, &r->env, &why)))
		return why;
	if (!*r->ar.role)
		return fmt(P, "the role name is empty");
	r->env.builtins[TB_ROLE] = r->ar.role;
	if (!(r->ar.role_dn = render_interned(P, roles->dn, &r->env, &why)))
		return fmt(P, "role '%s': %s", r->ar.role, why);
	if (!(r->ar.role_ndn = canon_interned(P, r->ar.role_dn)))
		return fmt(P, "role '%s' gives an invalid DN", r->ar.role);
	/* Everyone in one group names it the same way. */
	if ((g = group_for(P, r->ar.role_dn, r->ar.role_ndn, r->ar.role)))
		r->ar.role_dn = g->dn;
	r->ar.group = g;
	return NULL;
}

/* A rendered value to keep: the source field itself when the value is
 * that field as written, a value the row already has, or a copy. */
static const char *keep_value(struct planner *P, const struct row *r, const struct tmpl *t, const char *v, size_t n)
{
	int slot = t ? tmpl_single_column(t) : -1;
	const char *f = field(r, slot);
	size_t i;

	if (f && strcmp(f, v) == 0)
		return f;
	for (i = 0; i < n; i++)
		if (r->values[i] && strcmp(r->values[i], v) == 0)
			return r->values[i];
	if (!(f = arena_strdup(&P->row, v)))
		P->B.oom = 1;
	return f;
}

/* Renders people.attributes; returns a reject reason or NULL. */
static const char *render_attributes(struct planner *P, struct row *r)
{
	const struct cfg_people *pp = &P->cfg->people;
	const char *why = NULL, *rdn_value;
	size_t i, n = 0;
	int rdn_found = 0;

	/* values[i] is attribute i's value, and also the one-value list the
	 * entry's attribute points at: no list of its own per value. */
	r->values = arena_calloc(&P->row, pp->n_attrs + 1, sizeof *r->values);
	r->attrs = arena_calloc(&P->row, pp->n_attrs + 2, sizeof *r->attrs);
	if (!r->values || !r->attrs)
		return P->B.oom = 1, NULL;
	r->attrs[n].name = "objectClass";
	r->attrs[n].values = (const char **)pp->object_classes.items;
	r->attrs[n++].n = pp->object_classes.n;
	for (i = 0; i < pp->n_attrs; i++) {
		const char *v;
		/* What needs no rendering: a column as it is, or what an
		 * earlier attribute of the same template rendered. */
		if (P->attr_same_as[i] >= 0) {
			r->values[i] = r->values[P->attr_same_as[i]];
			continue;
		}
		if (P->attr_column[i] >= 0) {
			v = field(r, P->attr_column[i]);
			r->values[i] = v ? v : "";
			continue;
		}
		if (!(v = render_scratch(P, pp->attrs[i].value, &r->env, &why)))
			return why;
		if (!(r->values[i] = keep_value(P, r, pp->attrs[i].value, v, i)))
			return NULL;
	}
	buf_reset(&P->scratch);
	tmpl_render_first_value(pp->dn, &r->env, &P->scratch);
	if (!(rdn_value = keep_value(P, r, NULL, buf_str(&P->scratch), pp->n_attrs)))
		return NULL;
	for (i = 0; i < pp->n_attrs; i++) {
		const char *v = r->values[i];
		if (!*v)
			continue;
		r->attrs[n].name = pp->attrs[i].name;
		if (pp->rdn_attr && strcasecmp(pp->attrs[i].name, pp->rdn_attr) == 0) {
			rdn_found = 1;
			if (strcasecmp(v, rdn_value) != 0) {
				/* The naming value must be in the entry too. */
				const char **two = arena_alloc(&P->row, 2 * sizeof *two);
				if (!two)
					return P->B.oom = 1, NULL;
				two[0] = v;
				two[1] = rdn_value;
				r->attrs[n].values = two;
				r->attrs[n++].n = 2;
				continue;
			}
		}
		r->attrs[n].values = &r->values[i];
		r->attrs[n++].n = 1;
	}
	if (pp->rdn_attr && !rdn_found) {
		r->values[pp->n_attrs] = rdn_value;
		r->attrs[n].name = pp->rdn_attr;
		r->attrs[n].values = &r->values[pp->n_attrs];
		r->attrs[n++].n = 1;
	}
	r->n_attrs = n;
	return NULL;
}

static const char *attr_value(const struct planner *P, const struct row *r, const char *name)
{
	size_t i;

	for (i = 0; i < P->cfg->people.n_attrs; i++)
		if ((P->cfg->people.attrs[i].name[0] | 0x20) == (name[0] | 0x20) &&
		    strcasecmp(P->cfg->people.attrs[i].name, name) == 0)
			return r->values[i] && *r->values[i] ? r->values[i] : NULL;
	return NULL;
}

/* Whether a login name is one that no row may take (people.reserved). */
static int is_reserved(const struct planner *P, const char *name)
{
	const struct strlist *l = &P->cfg->people.reserved;
	size_t i;

	for (i = 0; name && i < l->n; i++)
		if ((l->items[i][0] | 0x20) == (name[0] | 0x20) && strcasecmp(l->items[i], name) == 0)
			return 1;
	return 0;
}

static int is_active(struct planner *P, struct row *r)
{
	return plan_record_active(P->cfg, r->rec, &P->scratch);
}

/* Fills the fields every action on this person shares. */
static void person_action(struct planner *P, struct plan_action *act, struct row *r)
{
	if (persist_row(P, r) < 0)
		return;
	act->dn = r->dn;
	act->key = r->key;
	act->line = r->rec->line;
	act->role = r->ar.role;
	act->role_dn = r->ar.role_dn;
	act->role_origin = r->ar.origin;
	act->rec = r->rec;
	act->account = r->ar.account;
	act->first_name = attr_value(P, r, "givenName");
	act->last_name = attr_value(P, r, "sn");
	act->username = attr_value(P, r, "uid");
	if (!act->username)
		act->username = r->key;
	act->email = P->mail_attr ? attr_value(P, r, P->mail_attr) : NULL;
	if (P->cfg->notify.locale) {
		const char *why;
		struct tmpl_env env = r->env;
		act->locale = render_interned(P, P->cfg->notify.locale, &env, &why);
	}
}

/* A person who gets a generated password gets the configured messages, or
 * goes to the manual list. */
static void plan_messages(struct planner *P, struct plan_action *act)
{
	pb_messages(&P->B, P->cfg, act, P->cfg->notify.messages, P->cfg->notify.n_messages);
}

static void plan_update(struct planner *P, struct row *r, const struct entry *e)
{
	const struct cfg_people *pp = &P->cfg->people;
	struct plan_change *ch, *kept;
	struct plan_action *act;
	size_t i, n = 0;

	ch = arena_calloc(&P->row, pp->update.n ? pp->update.n : 1, sizeof *ch);
	if (!ch) {
		P->B.oom = 1;
		return;
	}
	for (i = 0; i < pp->update.n; i++) {
		const char *name = pp->update.items[i];
		const char *v = P->update_attr[i] >= 0 ? r->values[P->update_attr[i]] : NULL;
		struct entry_attr old = entry_attr(e, name);
		size_t n_old = old.n;

		if (v && !*v)
			v = NULL;
		if (!v && !n_old)
			continue;
		if (v && n_old == 1 && strcmp(old.values[0], v) == 0)
			continue;
		ch[n].attr = name;
		ch[n].old = n_old ? old.values : NULL;
		ch[n].n_old = n_old;
		ch[n].value = v;
		n++;
	}
	if (!n)
		return;
	if (!(kept = arena_calloc(P->a, n, sizeof *kept)))
		return (void)(P->B.oom = 1);
	for (i = 0; i < n; i++) {
		kept[i] = ch[i];
		kept[i].value = keep_str(P, ch[i].value);
	}
	if (!(act = new_action(P, OP_UPDATE_PERSON)))
		return;
	person_action(P, act, r);
	act->entry = e;
	act->changes = kept;
	act->n_changes = n;
	act->reason = "attributes differ from the source";
}

/* The role group the row's person belongs in, or NULL (no roles, no role,
 * or memory ran out). */
static struct group *role_group(const struct planner *P, const struct row *r)
{
	return P->cfg->roles.enabled && r->ar.role_dn ? r->ar.group : NULL;
}

/* Joins the person to their role group when not a member yet. */
static void plan_membership(struct planner *P, struct row *r, int existing)
{
	struct group *g;
	struct plan_action *act;

	if (!(g = role_group(P, r)))
		return;
	if (existing && is_member(P, g, entry_index(P, r->ent)))
		return;
	if (!g->joining++)
		g->account = r->ar.account;
	P->p->n_memberships++;
	if (!existing)
		return; /* a new person's membership travels with create_person */
	if (!(act = new_action(P, OP_ADD_TO_ROLE)))
		return;
	person_action(P, act, r);
	act->reason = g->entry ? "not a member of the role group" : "the role group is created";
}

/* The entry of a container or group the plan creates: its object classes
 * and the naming attribute with the value from its DN (the server requires
 * the RDN's value in the entry). Members of a group are added at apply time. */
static void container_attrs(struct planner *P, struct plan_action *act, const struct strlist *classes)
{
	struct plan_attr *at = arena_calloc(P->a, 2, sizeof *at);
	const char *type_end = strchr(act->dn, '=');
	struct buf v = BUF_INIT;

	if (!at || !type_end || dn_first_value(act->dn, &v) < 0) {
		P->B.oom = !at;
		buf_release(&v);
		return;
	}
	at[0].name = "objectClass";
	at[0].values = (const char **)classes->items;
	at[0].n = classes->n;
	at[1].name = arena_strndup(P->a, act->dn, (size_t)(type_end - act->dn));
	at[1].values = arena_alloc(P->a, sizeof(char *));
	if (!at[1].name || !at[1].values) {
		P->B.oom = 1;
	} else {
		at[1].values[0] = adup(P, buf_str(&v));
		at[1].n = 1;
	}
	act->attrs = at;
	act->n_attrs = 2;
	buf_release(&v);
}

static void add_memo_slot(void *arg, int slot)
{
	struct planner *P = arg;
	size_t i;

	for (i = 0; i < P->n_memo_slots && i < MEMO_SLOTS; i++)
		if (P->memo_slots[i] == slot)
			return;
	if (P->n_memo_slots < MEMO_SLOTS + 1) {
		if (P->n_memo_slots < MEMO_SLOTS)
			P->memo_slots[P->n_memo_slots] = slot;
		P->n_memo_slots++;
	}
}

/* The columns a row's account and role are made of; no memo when they
 * are more than MEMO_SLOTS. */
static void memo_init(struct planner *P)
{
	const struct config *cfg = P->cfg;
	size_t i;

	if (cfg->accounts.enabled)
		tmpl_each_slot(cfg->accounts.dn, add_memo_slot, P);
	if (cfg->roles.enabled) {
		if (cfg->roles.column_slot >= 0)
			add_memo_slot(P, cfg->roles.column_slot);
		tmpl_each_slot(cfg->roles.dn, add_memo_slot, P);
		if (cfg->roles.default_role)
			tmpl_each_slot(cfg->roles.default_role, add_memo_slot, P);
		for (i = 0; i < cfg->roles.n_map; i++)
			tmpl_each_slot(cfg->roles.map[i].to, add_memo_slot, P);
	}
	P->memo_cap = 256;
	if (P->n_memo_slots > MEMO_SLOTS || !(P->memo = calloc(P->memo_cap, sizeof *P->memo)))
		P->n_memo_slots = 0;
}

static int same_field(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* The slot of these fields (a memo's key, compared by their text): where
 * they are, or the empty one where they would go. */
static struct memo *memo_slot(struct memo *tab, size_t cap, size_t n, const char *const *fields)
{
	uint64_t h = 0;
	size_t i, at;

	for (i = 0; i < n; i++)
		h = (h ^ (fields[i] ? hmap_hash(fields[i], 0) : 0)) * 0x9e3779b97f4a7c15ULL + i;
	for (at = (size_t)(h >> 32) & (cap - 1);; at = (at + 1) & (cap - 1)) {
		if (!tab[at].used)
			return &tab[at];
		for (i = 0; i < n && same_field(tab[at].fields[i], fields[i]); i++)
			;
		if (i == n)
			return &tab[at];
	}
}

/* The row's key: its fields at the memo's columns. */
static void memo_key(const struct planner *P, const struct row *r, const char **fields)
{
	size_t i;

	for (i = 0; i < P->n_memo_slots; i++)
		fields[i] = field(r, P->memo_slots[i]);
}

/* An empty place for a new combination, the table grown (at half full)
 * when needed; NULL when the memo is full or memory ran out (the row's
 * combination is then not kept). */
static struct memo *memo_place(struct planner *P, const char *const *fields)
{
	if (P->memo_size == MEMO_MAX)
		return NULL;
	if ((P->memo_size + 1) * 2 > P->memo_cap) {
		size_t cap = P->memo_cap * 2, i;
		struct memo *t = calloc(cap, sizeof *t);
		if (!t)
			return NULL;
		for (i = 0; i < P->memo_cap; i++)
			if (P->memo[i].used)
				*memo_slot(t, cap, P->n_memo_slots, P->memo[i].fields) = P->memo[i];
		free(P->memo);
		P->memo = t;
		P->memo_cap = cap;
	}
	P->memo_size++;
	return memo_slot(P->memo, P->memo_cap, P->n_memo_slots, fields);
}

/* The row's account and role: from the memo, or worked out (and kept
 * there). Returns 0, or -1 when the row was rejected. */
static int account_and_role(struct planner *P, struct row *r)
{
	const struct config *cfg = P->cfg;
	const char *key[MEMO_SLOTS];
	struct memo *m = NULL;
	const char *why = NULL;
	size_t i;

	if (P->n_memo_slots) {
		memo_key(P, r, key);
		m = memo_slot(P->memo, P->memo_cap, P->n_memo_slots, key);
	}
	if (m && m->used) {
		r->ar = m->ar;
		r->env.builtins[TB_ACCOUNT] = r->ar.account;
		r->env.builtins[TB_ROLE] = r->ar.role;
		return 0;
	}
	if (cfg->accounts.enabled) {
		if (!(r->ar.account_dn = render_interned(P, cfg->accounts.dn, &r->env, &why)))
			return reject(P, r->rec, r->key, fmt(P, "account: %s", why));
		buf_reset(&P->scratch);
		tmpl_render_first_value(cfg->accounts.dn, &r->env, &P->scratch);
		if (!(r->ar.account = intern(P, buf_str(&P->scratch))))
			return -1;
		if (!(r->ar.account_ndn = canon_interned(P, r->ar.account_dn)))
			return reject(P, r->rec, r->key, fmt(P, "the account gives an invalid DN"));
		r->env.builtins[TB_ACCOUNT] = r->ar.account;
	}
	if (cfg->roles.enabled && (why = decide_role(P, r)))
		return reject(P, r->rec, r->key, why);
	if (P->B.oom || !m)
		return P->B.oom ? -1 : 0;
	if (!(m = memo_place(P, key)))
		return 0;
	for (i = 0; i < P->n_memo_slots; i++)
		m->fields[i] = key[i];
	m->used = 1;
	m->ar = r->ar;
	return 0;
}

/* The checks and the rendering of a row, up to the person it describes.
 * Returns 0, or -1 when the row was rejected (or memory ran out). */
static int read_row(struct planner *P, const struct record *rec, const struct entry *ent, struct row *r)
{
	const struct config *cfg = P->cfg;
	const char *why = NULL, *e;
	size_t i;
	void *first;

	memset(r, 0, sizeof *r);
	r->rec = rec;
	r->env.fields = rec->fields;
	r->env.n_fields = cfg->columns.n;
	r->env.builtins[TB_BASE] = cfg->directory.base;
	r->key = field(r, cfg->source.key_slot);

	/* Whoever a row names is in the source, even when the row is then
	 * rejected: a broken row must never make its person "absent". */
	r->ent = ent;
	if (ent && ent != (const void *)&ambiguous)
		P->mark[entry_index(P, ent)] |= MATCHED;
	if (rec->error)
		return reject(P, rec, r->key, rec->error);
	if ((why = check_key(P, r->key)))
		return reject(P, rec, r->key, why);
	if (r->ent && r->ent != (const void *)&ambiguous) {
		unsigned *seen = &P->first_line[entry_index(P, r->ent)];
		if (*seen && !P->replaying) {
			reject(P, rec, r->key, fmt(P, "duplicate key, first seen on line %u", *seen));
			return -1;
		}
		*seen = rec->line;
	} else {
		switch (hmap_insert(&P->keys_seen, r->key, (void *)(uintptr_t)rec->line, &first)) {
		case -1:
			P->B.oom = 1;
			return -1;
		case 0:
			reject(P, rec, r->key, fmt(P, "duplicate key, first seen on line %u", (unsigned)(uintptr_t)first));
			return -1;
		}
	}
	for (i = 0; i < cfg->people.required.n; i++) {
		const char *v = field(r, cfg->people.required_slots[i]);
		if (!v || !*v)
			return reject(P, rec, r->key, fmt(P, "missing required value %s", cfg->people.required.items[i]));
	}
	if ((why = check_fields(P, r)))
		return reject(P, rec, r->key, why);
	if (account_and_role(P, r) < 0)
		return -1;
	if (!(r->dn = render_row(P, cfg->people.dn, &r->env, &why)))
		return reject(P, rec, r->key, why);
	/* Like the entries' DNs: a plain DN is its own key. */
	if (!(r->ndn = dn_is_plain(r->dn) ? r->dn : canon_in(P, &P->row_ndn, r->dn)))
		return reject(P, rec, r->key, fmt(P, "the row gives an invalid DN"));
	r->env.builtins[TB_DN] = r->dn;
	if ((why = render_attributes(P, r)))
		return reject(P, rec, r->key, why);
	{
		const char *login = attr_value(P, r, "uid");
		const char *taken = is_reserved(P, r->key) ? r->key : is_reserved(P, login) ? login : NULL;
		if (taken)
			return reject(P, rec, r->key, fmt(P, "'%s' is a reserved name (people.reserved)", taken));
	}
	if (P->mail_attr && (e = attr_value(P, r, P->mail_attr)) && email_check(e, &why) < 0)
		return reject(P, rec, r->key, fmt(P, "invalid email address '%s': %s", e, why));
	r->active = is_active(P, r);
	return 0;
}

/* Whether a person planned early is in their role group waits for the
 * end of the read. */
static void defer_membership(struct planner *P, const struct row *r, const struct entry *ent, int unchanged)
{
	struct deferred *f;

	if (P->n_deferred == P->alloc_deferred) {
		/* No more than one a row. */
		size_t na = P->alloc_deferred ? P->alloc_deferred + P->alloc_deferred / 2 : 1024;
		struct deferred *t;

		if (na > P->input.n_records)
			na = P->input.n_records;
		if (!(t = realloc(P->deferred, na * sizeof *t))) {
			P->B.oom = 1;
			return;
		}
		P->deferred = t;
		P->alloc_deferred = na;
	}
	f = &P->deferred[P->n_deferred++];
	f->row = (uint32_t)P->next_row;
	f->entry = (uint32_t)entry_index(P, ent);
	f->group = role_group(P, r)->number | (unchanged ? UNCHANGED : 0);
}

/* A person the directory holds already: disable, enable, send again,
 * update, join the role; or nothing. */
static void plan_existing(struct planner *P, struct row *r, const struct entry *ent)
{
	size_t before = P->B.n_acts;
	struct plan_action *act;
	int left = 0;

	/* Both are plain DNs or canonical ones: equal without ASCII case when
	 * they name the same entry. */
	if (strcasecmp(P->ndn[entry_index(P, ent)], r->ndn) != 0) {
		reject(P, r->rec, r->key, fmt(P, "already in the directory as %s, not %s (moving entries is not supported)",
					      ent->dn, r->dn));
		return;
	}
	/* Act on the entry as the directory names it. */
	r->dn = ent->dn;
	if (!r->active && !is_disabled(ent)) {
		if ((act = new_action(P, OP_DISABLE_PERSON))) {
			person_action(P, act, r);
			act->entry = ent;
			act->by_sync = 1;
			act->reason = "inactive in the source";
		}
	} else if (r->active && entry_disabled_by_sync(P->cfg, ent)) {
		if ((act = new_action(P, OP_ENABLE_PERSON))) {
			person_action(P, act, r);
			act->entry = ent;
			act->reason = "disabled by sync, active in the source again";
			plan_messages(P, act);
		}
	} else if (r->active && is_disabled(ent)) {
		/* Whoever an administrator disabled stays so until
		 * ldapenroll enable. */
		pb_left_disabled(&P->B, r->rec->line, r->key, ent->dn);
		left = 1;
	}
	/* Someone whose messages an earlier run could not confirm gets a
	 * fresh password and the messages again. */
	if (r->active && !is_disabled(ent) && P->input.pending) {
		const char *job = hmap_get(P->input.pending, r->key);
		if (job && (act = new_action(P, OP_RESET_PASSWORD))) {
			person_action(P, act, r);
			act->entry = ent;
			act->resend = 1;
			act->reason = fmt(P, "messages never confirmed, job %s", job);
			plan_messages(P, act);
		}
	}
	plan_update(P, r, ent);
	if (P->early && role_group(P, r)) {
		defer_membership(P, r, ent, P->B.n_acts == before && !left);
		return;
	}
	plan_membership(P, r, 1);
	if (P->B.n_acts == before && !left)
		P->p->n_unchanged++;
}

/* The account container a new person needs, when neither the directory
 * nor the plan has it. Returns 0, or -1 when the run cannot go on. */
static int plan_account(struct planner *P, const struct row *r)
{
	const struct config *cfg = P->cfg;
	struct plan_action *act;

	if (!cfg->accounts.enabled || entry_at(P, r->ar.account_ndn) || hmap_get(&P->accounts, r->ar.account_ndn))
		return 0;
	if (!cfg->accounts.create_missing && !P->input.offline) {
		add_fatal(P, fmt(P, "account container %s does not exist and accounts.create_missing is false",
				 r->ar.account_dn));
		return -1;
	}
	if (hmap_insert(&P->accounts, r->ar.account_ndn, (void *)r->ar.account_dn, NULL) < 0) {
		P->B.oom = 1;
		return -1;
	}
	if ((act = new_action(P, OP_CREATE_ACCOUNT))) {
		act->dn = r->ar.account_dn;
		act->reason = fmt(P, "needed by line %u", r->rec->line);
		act->account = r->ar.account;
		container_attrs(P, act, &cfg->accounts.object_classes);
	}
	return 0;
}

/* A person the directory does not hold: created, with the account
 * container and the role membership it needs, when active. */
static void plan_new_person(struct planner *P, struct row *r)
{
	const char *parent, *nparent;
	struct plan_action *act;

	if (!r->active) {
		P->p->n_inactive++;
		return;
	}
	if (entry_at(P, r->ndn)) {
		reject(P, r->rec, r->key, fmt(P, "an entry already exists at %s and is not a managed person with %s=%s",
					      r->dn, P->cfg->people.key_attr, r->key));
		return;
	}
	if (plan_account(P, r) < 0)
		return;
	parent = dn_parent(r->dn);
	nparent = parent ? canon_in(P, &P->parent_ndn, parent) : NULL;
	if (nparent && !dn_available(P, nparent)) {
		reject(P, r->rec, r->key, fmt(P, "the parent entry %s does not exist", parent));
		return;
	}
	if (!(act = new_action(P, OP_CREATE_PERSON)))
		return;
	person_action(P, act, r);
	if (!r->persisted)
		return; /* out of memory */
	act->attrs = r->attrs;
	act->n_attrs = r->n_attrs;
	act->reason = "not in the directory";
	plan_messages(P, act);
	plan_membership(P, r, 0);
}

/* A row whose key names ent (row_person). */
static void plan_row(struct planner *P, const struct record *rec, const struct entry *ent)
{
	struct row r;

	arena_reset(&P->row);
	if (read_row(P, rec, ent, &r) < 0)
		return;
	if (ent == (const void *)&ambiguous)
		reject(P, rec, r.key, fmt(P, "several entries in the directory have %s=%s", P->cfg->people.key_attr, r.key));
	else if (ent)
		plan_existing(P, &r, ent);
	else
		plan_new_person(P, &r);
}

/* --- after the rows ----------------------------------------------------------- */

static void plan_absent(struct planner *P)
{
	size_t i;

	if (P->cfg->people.absent != ABSENT_DISABLE)
		return;
	for (i = 0; i < P->input.n_entries; i++) {
		const struct entry *e = &P->input.entries[i];
		const char *key = P->key[i];
		struct plan_action *act;

		/* key[] is set for the people index_entries found. */
		if ((P->mark[i] & MATCHED) || !key || is_disabled(e))
			continue;
		if (person_with_key(P, key) == (const void *)&ambiguous)
			continue;
		if (!(act = new_action(P, OP_DISABLE_PERSON)))
			return;
		act->dn = e->dn;
		act->key = key;
		act->entry = e;
		act->by_sync = 1;
		act->reason = "absent from the source";
	}
}

static void plan_groups(struct planner *P)
{
	size_t i;

	for (i = 0; i < P->n_groups; i++) {
		struct group *g = P->group_list[i];
		const char *parent, *nparent;
		struct plan_action *act;

		if (g->entry || !g->joining)
			continue;
		if (!P->cfg->roles.create_missing && !P->input.offline) {
			add_fatal(P, fmt(P, "role group %s does not exist and roles.create_missing is false", g->dn));
			continue;
		}
		parent = dn_parent(g->dn);
		nparent = parent ? canon(P, parent) : NULL;
		if (nparent && !dn_available(P, nparent)) {
			add_fatal(P, fmt(P, "the role container %s does not exist; create it, or change roles.dn", parent));
			continue;
		}
		if (!(act = new_action(P, OP_CREATE_ROLE)))
			return;
		act->dn = g->dn;
		act->role = g->role;
		act->role_dn = g->dn;
		act->n_members = g->joining;
		act->account = g->account; /* shown with the account's people */
		act->reason = "a role that people need";
		container_attrs(P, act, &P->cfg->roles.object_classes);
	}
}

/* --- the planner, whole or as the directory is read ----------------------- */

static int planner_init(struct planner *P, const struct plan_input *in)
{
	size_t i;

	memset(P, 0, sizeof *P);
	P->oom_before = oom_count();
	if (pb_init(&P->B, in->source) < 0)
		return -1;
	P->input = *in;
	P->cfg = in->cfg;
	P->p = P->B.p;
	P->a = &P->B.p->arena;
	P->mail_attr = config_mail_attr(in->cfg);
	if (!(P->update_attr = calloc(in->cfg->people.update.n + 1, sizeof *P->update_attr)))
		P->B.oom = 1;
	P->attr_column = calloc(in->cfg->people.n_attrs + 1, sizeof *P->attr_column);
	P->attr_same_as = calloc(in->cfg->people.n_attrs + 1, sizeof *P->attr_same_as);
	if (!P->attr_column || !P->attr_same_as)
		P->B.oom = 1;
	for (i = 0; P->attr_column && P->attr_same_as && i < in->cfg->people.n_attrs; i++) {
		const struct tmpl *t = in->cfg->people.attrs[i].value;
		size_t j;
		P->attr_column[i] = tmpl_column(t);
		P->attr_same_as[i] = -1;
		for (j = 0; j < i && P->attr_same_as[i] < 0; j++)
			if (strcmp(tmpl_source(in->cfg->people.attrs[j].value), tmpl_source(t)) == 0)
				P->attr_same_as[i] = (int)j;
	}
	for (i = 0; P->update_attr && i < in->cfg->people.update.n; i++) {
		size_t j;
		P->update_attr[i] = -1;
		for (j = 0; j < in->cfg->people.n_attrs; j++)
			if (strcasecmp(in->cfg->people.attrs[j].name, in->cfg->people.update.items[i]) == 0)
				P->update_attr[i] = (int)j;
	}
	sindex_init(&P->by_dn, HMAP_ICASE);
	sindex_init(&P->by_key, HMAP_ICASE);
	hmap_init(&P->keys_seen, HMAP_ICASE);
	hmap_init(&P->groups, 0);
	hmap_init(&P->accounts, 0);
	hmap_init(&P->fatal_seen, 0);
	hmap_init(&P->interned, 0);
	arena_init(&P->row);
	memo_init(P);
	P->p->n_records = in->n_records;
	return 0;
}

/* Frees what the planner holds but the plan (see planner_finish). */
static void planner_release(struct planner *P)
{
	free(P->group_list);
	free(P->update_attr);
	free(P->member_of);
	free(P->other_groups.slots);
	free(P->attr_column);
	free(P->attr_same_as);
	free(P->memo);
	free(P->mark);
	free(P->first_line);
	free(P->ndn);
	free(P->key);
	free(P->deferred);
	free(P->moved);
	sindex_release(&P->by_dn);
	sindex_release(&P->by_key);
	hmap_release(&P->keys_seen);
	hmap_release(&P->groups);
	hmap_release(&P->accounts);
	hmap_release(&P->fatal_seen);
	hmap_release(&P->interned);
	arena_release(&P->row);
	buf_release(&P->fatal);
	buf_release(&P->scratch);
	buf_release(&P->row_ndn);
	buf_release(&P->parent_ndn);
}

/* The plan so far thrown away, with the planner. */
static void planner_discard(struct planner *P)
{
	struct plan *p;

	P->B.oom = 1;
	pb_finish(&P->B, &p);
	planner_release(P);
}

/* The rows from next_row on; while the directory is read, as far as their
 * people have arrived (the first whose has not stops them: new, or to come). */
static void plan_rows(struct planner *P)
{
	for (; P->next_row < P->input.n_records && !P->B.oom; P->next_row++) {
		const struct record *rec = P->input.records[P->next_row];
		const struct entry *ent = row_person(P, rec);
		if (P->early && !ent)
			break;
		plan_row(P, rec, ent);
	}
}

/* Notes where the entries of the actions planned since the action number
 * first lie, as positions. */
static void note_moved(struct planner *P, size_t first)
{
	size_t i;

	for (i = first; i < P->B.n_acts && !P->B.oom; i++) {
		if (!P->B.acts[i].entry)
			continue;
		if (P->n_moved == P->alloc_moved) {
			size_t na = P->alloc_moved ? P->alloc_moved * 2 : 256;
			struct moved *t = realloc(P->moved, na * sizeof *t);
			if (!t) {
				P->B.oom = 1;
				return;
			}
			P->moved = t;
			P->alloc_moved = na;
		}
		P->moved[P->n_moved].action = i;
		P->moved[P->n_moved++].entry = (size_t)(P->B.acts[i].entry - P->input.entries);
	}
}

/* The whole directory is read: what the rows planned early waited for. */
static void settle_early(struct planner *P)
{
	size_t i;

	P->early = 0;
	for (i = 0; i < P->n_moved; i++)
		P->B.acts[P->moved[i].action].entry = &P->input.entries[P->moved[i].entry];
	for (i = 0; i < P->n_groups; i++)
		P->group_list[i]->entry = entry_at(P, P->group_list[i]->ndn);
	/* Their memberships in row order, before the rows after them. */
	for (i = 0; i < P->n_deferred && !P->B.oom; i++) {
		const struct deferred *f = &P->deferred[i];
		struct group *g = P->group_list[(f->group & ~UNCHANGED) - 1];
		struct row r;
		int ok;

		if (is_member(P, g, f->entry)) {
			if (f->group & UNCHANGED)
				P->p->n_unchanged++;
			continue;
		}
		/* Not a member: the row again, for the action's fields. */
		arena_reset(&P->row);
		P->replaying = 1;
		ok = read_row(P, P->input.records[f->row], &P->input.entries[f->entry], &r) == 0;
		P->replaying = 0;
		if (!ok)
			continue; /* memory ran out (the plan then fails) */
		r.dn = r.ent->dn;
		plan_membership(P, &r, 1);
	}
}

/* The people absent, the groups to create, and the plan. Frees the
 * planner. */
static int planner_finish(struct planner *P, struct plan **out, struct diag *d)
{
	struct plan *p;
	int rc = ST_OK;

	if (!P->B.oom) {
		plan_absent(P);
		plan_groups(P);
	}
	if (oom_count() != P->oom_before) /* some text or entry may be missing */
		P->B.oom = 1;
	if (P->fatal.len && !P->B.oom)
		rc = diag_set(d, ST_INPUT, "%s", buf_str(&P->fatal));
	if (pb_finish(&P->B, &p) < 0)
		rc = diag_set(d, ST_FAIL, "out of memory while planning");
	else if (rc < 0)
		plan_free(p);
	else
		*out = p;
	planner_release(P);
	return rc;
}

struct plan_session *plan_session_new(const struct plan_input *in)
{
	struct plan_session *s = calloc(1, sizeof *s);

	if (s && planner_init(&s->P, in) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

void plan_session_feed(struct plan_session *s, const struct entry *entries, size_t n_entries)
{
	struct planner *P = &s->P;
	size_t first = P->B.n_acts;

	if (P->B.oom || P->replan)
		return;
	P->input.entries = entries;
	P->input.n_entries = n_entries;
	P->early = 1;
	if (index_entries(P) < 0) {
		P->B.oom = 1;
		return;
	}
	if (P->replan)
		return;
	plan_rows(P);
	note_moved(P, first);
}

int plan_session_finish(struct plan_session *s, const struct plan_input *in, struct plan **out, struct diag *d)
{
	struct planner *P = &s->P;
	int rc;

	*out = NULL;
	P->input.entries = in->entries;
	P->input.n_entries = in->n_entries;
	if (!P->B.oom && index_entries(P) < 0)
		P->B.oom = 1;
	if (P->replan) {
		planner_discard(P);
		if (planner_init(P, in) < 0) {
			planner_release(P);
			free(s);
			return diag_set(d, ST_FAIL, "out of memory");
		}
		if (index_entries(P) < 0)
			P->B.oom = 1;
	}
	if (P->early && !P->B.oom)
		settle_early(P);
	P->early = 0;
	plan_rows(P);
	rc = planner_finish(P, out, d);
	free(s);
	return rc;
}

void plan_session_free(struct plan_session *s)
{
	if (s) {
		planner_discard(&s->P);
		free(s);
	}
}

int plan_build(const struct plan_input *in, struct plan **out, struct diag *d)
{
	struct plan_session *s = plan_session_new(in);

	*out = NULL;
	if (!s)
		return diag_set(d, ST_FAIL, "out of memory");
	return plan_session_finish(s, in, out, d);
}
