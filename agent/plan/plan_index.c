/* The sync planner's index of the directory (plan_sync.h): the entries by
 * DN and the people by key, filled as entries arrive; the role groups the
 * plan meets and who is in them; and the small helpers every part uses. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/buf.h"
#include "agent/base/hmap.h"
#include "agent/base/sindex.h"
#include "agent/plan/plan_sync.h"
#include "agent/text/dn.h"

/* --- small helpers (see plan_internal.h) ---------------------------------- */

const char planner_ambiguous;

#define has_all_classes(e, classes) entry_has_classes(e, classes)

/* One stored copy of s for the whole plan. */
const char *intern(struct planner *P, const char *s)
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
const char *canon_in(struct planner *P, struct buf *b, const char *dn)
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
const char *canon_interned(struct planner *P, const char *dn)
{
	const char *n = canon_in(P, &P->scratch, dn);

	return n ? intern(P, n) : NULL;
}

void add_fatal(struct planner *P, const char *msg)
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
int reject(struct planner *P, const struct record *r, const char *key, const char *reason)
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
int index_entries(struct planner *P)
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

size_t entry_index(const struct planner *P, const struct entry *e)
{
	return (size_t)(e - P->input.entries);
}

/* The entry at a DN (plain or canonical), or NULL. */
const struct entry *entry_at(const struct planner *P, const char *ndn)
{
	size_t i = sindex_find(&P->by_dn, P->ndn, ndn);

	return i == SINDEX_NONE ? NULL : &P->input.entries[i];
}

/* The person with that key, &planner_ambiguous when several have it, or NULL. */
const struct entry *person_with_key(const struct planner *P, const char *key)
{
	size_t i = sindex_find(&P->by_key, P->key, key);

	if (i == SINDEX_NONE)
		return NULL;
	return P->mark[i] & AMBIGUOUS ? (const struct entry *)(const void *)&planner_ambiguous : &P->input.entries[i];
}

/* The person a row's key names: the entry, &planner_ambiguous, or NULL (no key,
 * or nobody with it). */
const struct entry *row_person(const struct planner *P, const struct record *rec)
{
	int slot = P->cfg->source.key_slot;
	const char *key = slot >= 0 && (size_t)slot < P->cfg->columns.n ? rec->fields[slot] : NULL;

	return key && *key ? person_with_key(P, key) : NULL;
}

/* --- groups and containers ------------------------------------------------ */

struct group *group_for(struct planner *P, const char *dn, const char *ndn, const char *role)
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
int is_member(struct planner *P, struct group *g, size_t person)
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
int dn_available(struct planner *P, const char *ndn)
{
	return P->input.offline || entry_at(P, ndn) || hmap_get(&P->accounts, ndn);
}

