/* The planner. Pure: it reads config, records and entries, and writes a
 * plan; it never touches a network, a file or the clock.
 *
 * Shape: index the directory (plan_index.c: DN -> entry, key -> person),
 * then take each source row in order (plan_row.c: validate, render,
 * compare), then finish here with the people absent from the source and
 * the containers and groups the rows need. Every lookup is a hash table;
 * nothing is quadratic in the number of rows. The state the parts share is
 * in plan_sync.h.
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

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/buf.h"
#include "agent/base/hmap.h"
#include "agent/base/oom.h"
#include "agent/base/sindex.h"
#include "agent/plan/plan_sync.h"
#include "agent/text/dn.h"
#include "agent/text/template.h"

struct plan_session {
	struct planner P;
};

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
		if (person_with_key(P, key) == (const void *)&planner_ambiguous)
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
