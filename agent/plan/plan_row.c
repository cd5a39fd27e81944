/* The sync planner's half that takes one source row (plan_sync.h): checks
 * its key and required fields, works out its account and role (through a
 * memo of the combinations), renders its DN and attributes, and plans what
 * the row asks for against the person the directory holds: a create, an
 * update, an enable, a membership, or nothing. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/oom.h"
#include "agent/plan/plan_sync.h"
#include "agent/text/address.h"
#include "agent/text/dn.h"

/* --- one row ---------------------------------------------------------------- */


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
void plan_membership(struct planner *P, struct row *r, int existing)
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
void container_attrs(struct planner *P, struct plan_action *act, const struct strlist *classes)
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
void memo_init(struct planner *P)
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
int read_row(struct planner *P, const struct record *rec, const struct entry *ent, struct row *r)
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
	if (ent && ent != (const void *)&planner_ambiguous)
		P->mark[entry_index(P, ent)] |= MATCHED;
	if (rec->error)
		return reject(P, rec, r->key, rec->error);
	if ((why = check_key(P, r->key)))
		return reject(P, rec, r->key, why);
	if (r->ent && r->ent != (const void *)&planner_ambiguous) {
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
void plan_row(struct planner *P, const struct record *rec, const struct entry *ent)
{
	struct row r;

	arena_reset(&P->row);
	if (read_row(P, rec, ent, &r) < 0)
		return;
	if (ent == (const void *)&planner_ambiguous)
		reject(P, rec, r.key, fmt(P, "several entries in the directory have %s=%s", P->cfg->people.key_attr, r.key));
	else if (ent)
		plan_existing(P, &r, ent);
	else
		plan_new_person(P, &r);
}

