#include "agent/plan/plan_load.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/buf.h"
#include "agent/text/dn.h"
#include "agent/base/hmap.h"
#include "agent/base/json.h"
#include "agent/base/oom.h"
#include "agent/plan/plan_internal.h"
#include "agent/text/address.h"

/* A saved plan is read like any input from outside: someone may have
 * edited it between the preview and the apply. Every action must be one
 * this config could have planned: its DNs in the subtrees the config
 * manages, its attributes those the config sets (no userPassword, no
 * pwdReset), its addresses plain ones, its numbers in range. */
struct loader {
	struct plan_builder B;
	const struct config *cfg;
	const char *name;
	struct diag *d;
	int bad;
	/* where the config's entries live: the base, and the fixed part of
	 * roles.dn and accounts.dn when it lies elsewhere */
	struct buf roles_base, accounts_base;
};

static int bad(struct loader *L, size_t i, const char *what)
{
	if (!L->bad)
		diag_set(L->d, ST_INPUT, "%s: action %zu: %s; the plan is not used", L->name, i + 1,
			 what ? what : "out of memory");
	L->bad = 1;
	return -1;
}

static const char *str(struct loader *L, const struct json *o, const char *key)
{
	return pb_strdup(&L->B, json_get_str(o, key));
}

/* True when dn is a DN in a subtree the config manages. */
static int managed_dn(struct loader *L, const char *dn)
{
	struct buf n = BUF_INIT;
	int ok = dn_normalize(dn, &n) == 0;

	buf_release(&n);
	return ok && (dn_is_under(dn, L->cfg->directory.base) ||
		      (L->roles_base.len && dn_is_under(dn, buf_str(&L->roles_base))) ||
		      (L->accounts_base.len && dn_is_under(dn, buf_str(&L->accounts_base))));
}

static int in_list(const struct strlist *l, const char *name)
{
	return strlist_contains(l, name, 1);
}

/* Whether an attribute of an entry to create is one the config sets for
 * that kind of entry. */
static int allowed_attr(struct loader *L, enum plan_op op, const char *name)
{
	const struct config *c = L->cfg;
	const char *rdn;
	size_t k;

	if (strcasecmp(name, "objectClass") == 0)
		return 1;
	switch (op) {
	case OP_CREATE_PERSON:
		for (k = 0; k < c->people.n_attrs; k++)
			if (strcasecmp(c->people.attrs[k].name, name) == 0)
				return 1;
		return c->people.rdn_attr && strcasecmp(c->people.rdn_attr, name) == 0;
	case OP_CREATE_ACCOUNT:
		return c->accounts.enabled && (rdn = tmpl_dn_first_type(c->accounts.dn)) && strcasecmp(rdn, name) == 0;
	case OP_CREATE_ROLE:
		return c->roles.enabled && (rdn = tmpl_dn_first_type(c->roles.dn)) && strcasecmp(rdn, name) == 0;
	default:
		return 0;
	}
}

/* The object classes the config gives that kind of entry. */
static const struct strlist *classes_of(const struct config *c, enum plan_op op)
{
	return op == OP_CREATE_PERSON ? &c->people.object_classes
	       : op == OP_CREATE_ACCOUNT ? &c->accounts.object_classes
					 : &c->roles.object_classes;
}

/* A JSON array of strings as an arena array; *n gets its length. */
static const char **strings(struct loader *L, const struct json *a, size_t *n)
{
	const char **v;
	size_t k;

	*n = 0;
	if (!a || a->type != JSON_ARRAY)
		return NULL;
	v = arena_calloc(&L->B.p->arena, a->n ? a->n : 1, sizeof *v);
	if (!v) {
		L->B.oom = 1;
		return NULL;
	}
	for (k = 0; k < a->n; k++) {
		if (a->items[k]->type != JSON_STRING)
			return NULL;
		v[k] = pb_strdup(&L->B, a->items[k]->string);
	}
	*n = a->n;
	return v;
}

static int op_of(const char *name)
{
	int op;

	for (op = 0; name && op < OP_COUNT; op++)
		if (strcmp(name, plan_op_name((enum plan_op)op)) == 0)
			return op;
	return -1;
}

static int load_attributes(struct loader *L, struct plan_action *a, const struct json *o, size_t i)
{
	size_t k;

	if (!o || o->type != JSON_OBJECT)
		return bad(L, i, "no attributes for the entry to create");
	a->attrs = arena_calloc(&L->B.p->arena, o->n ? o->n : 1, sizeof *a->attrs);
	if (!a->attrs)
		return L->B.oom = 1, -1;
	for (k = 0; k < o->n; k++) {
		size_t j;
		if (!allowed_attr(L, a->op, o->keys[k]))
			return bad(L, i, pb_printf(&L->B, "attribute '%s' is not one the config sets", o->keys[k]));
		a->attrs[k].name = pb_strdup(&L->B, o->keys[k]);
		a->attrs[k].values = strings(L, o->items[k], &a->attrs[k].n);
		if (!a->attrs[k].values)
			return bad(L, i, "an attribute is not a list of strings");
		if (strcasecmp(o->keys[k], "objectClass") == 0)
			for (j = 0; j < a->attrs[k].n; j++)
				if (!in_list(classes_of(L->cfg, a->op), a->attrs[k].values[j]))
					return bad(L, i, pb_printf(&L->B, "object class '%s' is not one the config gives",
								   a->attrs[k].values[j]));
	}
	a->n_attrs = o->n;
	return 0;
}

static int load_changes(struct loader *L, struct plan_action *a, const struct json *o, size_t i)
{
	size_t k;

	if (!o || o->type != JSON_OBJECT || !o->n)
		return bad(L, i, "an update without changes");
	a->changes = arena_calloc(&L->B.p->arena, o->n, sizeof *a->changes);
	if (!a->changes)
		return L->B.oom = 1, -1;
	for (k = 0; k < o->n; k++) {
		struct plan_change *c = &a->changes[k];
		const struct json *old = json_get(o->items[k], "old"), *nv = json_get(o->items[k], "new");
		if (!in_list(&L->cfg->people.update, o->keys[k]))
			return bad(L, i, pb_printf(&L->B, "attribute '%s' is not in people.update", o->keys[k]));
		c->attr = pb_strdup(&L->B, o->keys[k]);
		c->old = strings(L, old, &c->n_old);
		if (!c->old && old && old->n)
			return bad(L, i, "old values are not a list of strings");
		if (!nv || (nv->type != JSON_NULL && nv->type != JSON_STRING))
			return bad(L, i, "a change without a new value (a string or null)");
		c->value = nv->type == JSON_STRING ? pb_strdup(&L->B, nv->string) : NULL;
	}
	a->n_changes = o->n;
	return 0;
}

/* The person's built-ins and row, for their messages. */
static void load_person(struct loader *L, struct plan_action *a, const struct json *o)
{
	const struct json *cols = json_get(o, "columns");
	struct record *rec;
	size_t k, slot;

	a->username = str(L, o, "username");
	a->first_name = str(L, o, "first_name");
	a->last_name = str(L, o, "last_name");
	a->account = str(L, o, "account");
	a->locale = str(L, o, "locale");
	if (!(rec = record_new(&L->B.p->arena, L->cfg->columns.n))) {
		L->B.oom = 1;
		return;
	}
	for (k = 0; cols && cols->type == JSON_OBJECT && k < cols->n; k++)
		for (slot = 0; slot < L->cfg->columns.n; slot++)
			if (strcmp(L->cfg->columns.items[slot], cols->keys[k]) == 0 && cols->items[k]->type == JSON_STRING)
				rec->fields[slot] = pb_strdup(&L->B, cols->items[k]->string);
	a->rec = rec;
}

static int load_messages(struct loader *L, struct plan_action *a, const struct json *m, size_t i)
{
	size_t k;
	int kind;

	if (!m)
		return 0;
	if (m->type != JSON_ARRAY || m->n > MSG_KINDS)
		return bad(L, i, "messages is not a list of welcome, username, password");
	for (k = 0; k < m->n; k++) {
		for (kind = 0; kind < MSG_KINDS; kind++)
			if (m->items[k]->type == JSON_STRING && strcmp(m->items[k]->string, msg_kind_name((enum msg_kind)kind)) == 0)
				break;
		if (kind == MSG_KINDS)
			return bad(L, i, "an unknown message kind");
		a->messages[k] = (enum msg_kind)kind;
	}
	a->n_messages = m->n;
	L->B.p->n_messages += m->n;
	return 0;
}

static int load_action(struct loader *L, const struct json *o, size_t i)
{
	const char *origin = json_get_str(o, "role_origin"), *why;
	struct plan_action *a;
	int op = op_of(json_get_str(o, "op"));
	long n;

	if (o->type != JSON_OBJECT || op < 0)
		return bad(L, i, "not an action with a known op");
	if (!(a = pb_action(&L->B, (enum plan_op)op)))
		return -1;
	a->dn = str(L, o, "dn");
	if (!a->dn)
		return bad(L, i, "no dn");
	if (!managed_dn(L, a->dn))
		return bad(L, i, pb_printf(&L->B, "%s is not a DN under %s", a->dn, L->cfg->directory.base));
	a->key = str(L, o, "key");
	n = 0;
	if (json_get_int(o, "line", 0, UINT_MAX, &n) < 0)
		return bad(L, i, "line is not a line number");
	a->line = (unsigned)n;
	a->reason = str(L, o, "reason");
	a->resend = op == OP_RESET_PASSWORD && json_get(o, "resend") && json_get(o, "resend")->type == JSON_BOOL &&
		    json_get(o, "resend")->boolean;
	a->by_sync = op == OP_DISABLE_PERSON && json_get(o, "by_sync") && json_get(o, "by_sync")->type == JSON_BOOL &&
		     json_get(o, "by_sync")->boolean;
	a->role = str(L, o, "role");
	a->role_dn = str(L, o, "role_dn");
	if (a->role_dn && !managed_dn(L, a->role_dn))
		return bad(L, i, pb_printf(&L->B, "role_dn %s is not a DN the config manages", a->role_dn));
	if (origin && strcmp(origin, "column") != 0 && strcmp(origin, "map") != 0 && strcmp(origin, "default") != 0)
		return bad(L, i, "role_origin is not column, map or default");
	a->role_origin = !origin ? ROLE_NONE
			 : strcmp(origin, "column") == 0 ? ROLE_COLUMN
			 : strcmp(origin, "map") == 0	  ? ROLE_MAP
							  : ROLE_DEFAULT;
	a->email = str(L, o, "email");
	if (a->email && email_check(a->email, &why) < 0)
		return bad(L, i, pb_printf(&L->B, "email '%s': %s", a->email, why));
	n = 0;
	if (json_get_int(o, "members", 0, LONG_MAX, &n) < 0)
		return bad(L, i, "members is not a count");
	a->n_members = (size_t)n;
	if (json_get(o, "person"))
		load_person(L, a, json_get(o, "person"));
	if (load_messages(L, a, json_get(o, "messages"), i) < 0)
		return -1;
	switch (a->op) {
	case OP_CREATE_ACCOUNT:
	case OP_CREATE_ROLE:
	case OP_CREATE_PERSON:
		return load_attributes(L, a, json_get(o, "attributes"), i);
	case OP_UPDATE_PERSON:
		return load_changes(L, a, json_get(o, "changes"), i);
	case OP_ADD_TO_ROLE:
		return a->role_dn ? 0 : bad(L, i, "add_to_role without role_dn");
	default:
		return 0;
	}
}

int plan_load(const char *text, size_t len, const struct config *cfg, const char *name, struct plan **out,
	      const char **command, struct diag *d)
{
	struct loader L = {.cfg = cfg, .name = name, .d = d};
	const struct json *actions, *list, *summary;
	char err[160];
	unsigned long oom_before = oom_count();
	struct json *doc = json_parse(text, len, err, sizeof err);
	const char *digest, *cmd;
	size_t i;
	int rc = 0;

	*out = NULL;
	if (!doc && oom_count() != oom_before)
		return diag_set(d, ST_FAIL, "out of memory reading %s", name);
	if (!doc)
		return diag_set(d, ST_INPUT, "%s: not a plan: %s", name, err);
	digest = json_get_str(doc, "config_sha256");
	cmd = json_get_str(doc, "command");
	actions = json_get(doc, "actions");
	if (json_get_int_or(doc, "version", 0, 1000, 0) != 1 || !cmd || !actions || actions->type != JSON_ARRAY) {
		rc = diag_set(d, ST_INPUT, "%s: not a version 1 plan (save one with sync --format json --output FILE)", name);
		goto out;
	}
	if (!digest || strcmp(digest, cfg->digest) != 0) {
		rc = diag_set(d, ST_INPUT,
			      "%s: the plan was made with another config (%.12s, the config is now %.12s); make a new plan",
			      name, digest ? digest : "none recorded", cfg->digest);
		goto out;
	}
	if (pb_init(&L.B, json_get_str(doc, "source")) < 0) {
		rc = diag_set(d, ST_FAIL, "out of memory");
		goto out;
	}
	{
		struct tmpl_env env = {0};
		env.builtins[TB_BASE] = cfg->directory.base;
		if (cfg->roles.enabled)
			tmpl_dn_fixed_suffix(cfg->roles.dn, &env, &L.roles_base);
		if (cfg->accounts.enabled)
			tmpl_dn_fixed_suffix(cfg->accounts.dn, &env, &L.accounts_base);
	}
	for (i = 0; i < actions->n && !L.bad && !L.B.oom; i++)
		load_action(&L, actions->items[i], i);
	list = json_get(doc, "rejected");
	for (i = 0; list && list->type == JSON_ARRAY && i < list->n; i++)
		pb_reject(&L.B, (unsigned)json_get_int_or(list->items[i], "line", 0, UINT_MAX, 0),
			  json_get_str(list->items[i], "key"), pb_strdup(&L.B, json_get_str(list->items[i], "reason")));
	if ((summary = json_get(doc, "summary"))) {
		L.B.p->n_records = (size_t)json_get_int_or(summary, "rows", 0, LONG_MAX, 0);
		L.B.p->n_unchanged = (size_t)json_get_int_or(summary, "unchanged", 0, LONG_MAX, 0);
		L.B.p->n_memberships = (size_t)json_get_int_or(summary, "memberships", 0, LONG_MAX, 0);
	}
	*command = pb_strdup(&L.B, cmd);
	if (L.bad) {
		struct plan *p;
		L.B.oom = 1; /* discard */
		pb_finish(&L.B, &p);
		rc = ST_INPUT;
	} else {
		/* A value cut short would be a different action. */
		if (oom_count() != oom_before)
			L.B.oom = 1;
		if (pb_finish(&L.B, out) < 0)
			rc = diag_set(d, ST_FAIL, "out of memory reading %s", name);
	}
out:
	buf_release(&L.roles_base);
	buf_release(&L.accounts_base);
	json_free(doc);
	return rc;
}

/* --- preconditions ------------------------------------------------------------- */

struct checker {
	struct plan *p;
	const struct config *cfg;
	struct plan_builder B; /* only for its string helpers on p's arena */
	struct hmap by_dn;     /* canonical DN -> entry */
	struct hmap groups;    /* canonical group DN -> hmap of canonical members */
	struct hmap created;   /* canonical DNs the plan creates */
};

static const struct entry *lookup(struct checker *C, const char *dn)
{
	const char *n = pb_canon(&C->B, dn);

	return n ? hmap_get(&C->by_dn, n) : NULL;
}

static int same_values(struct entry_attr at, const char *const *v, size_t n)
{
	size_t i, j;

	if (at.n != n)
		return 0;
	for (i = 0; i < n; i++) {
		for (j = 0; j < n && strcmp(at.values[j], v[i]) != 0; j++)
			;
		if (j == n)
			return 0;
	}
	return 1;
}

static int is_member(struct checker *C, const struct entry *group, const char *person_dn)
{
	const char *gn = pb_canon(&C->B, group->dn), *pn = pb_canon(&C->B, person_dn);
	struct hmap *m;
	size_t k;

	if (!gn || !pn)
		return 0;
	if (!(m = hmap_get(&C->groups, gn))) {
		struct entry_attr at = entry_attr(group, C->cfg->roles.member_attribute);
		m = arena_calloc(&C->p->arena, 1, sizeof *m);
		if (!m)
			return 0;
		hmap_init(m, 0);
		for (k = 0; k < at.n; k++) {
			const char *n = pb_canon(&C->B, at.values[k]);
			if (n)
				hmap_insert(m, n, (void *)n, NULL);
		}
		hmap_insert(&C->groups, gn, m, NULL);
	}
	return hmap_get(m, pn) != NULL;
}

static const char *verdict(struct checker *C, const struct plan_action *a)
{
	const struct entry *e = lookup(C, a->dn), *g;
	size_t k;

	switch (a->op) {
	case OP_CREATE_ACCOUNT:
	case OP_CREATE_ROLE:
	case OP_CREATE_PERSON:
		return e ? "refused: the entry exists now" : NULL;
	case OP_ENABLE_PERSON:
		return !e ? "refused: the entry is gone" : !entry_is_disabled(C->cfg, e) ? "refused: it is not disabled any more" : NULL;
	case OP_DISABLE_PERSON:
		return !e ? "refused: the entry is gone" : entry_is_disabled(C->cfg, e) ? "refused: it is disabled already" : NULL;
	case OP_RESET_PASSWORD:
		return !e ? "refused: the entry is gone" : entry_is_disabled(C->cfg, e) ? "refused: it is disabled now" : NULL;
	case OP_UPDATE_PERSON:
		if (!e)
			return "refused: the entry is gone";
		for (k = 0; k < a->n_changes; k++)
			if (!same_values(entry_attr(e, a->changes[k].attr), a->changes[k].old, a->changes[k].n_old))
				return pb_printf(&C->B, "refused: its %s changed since the plan was made", a->changes[k].attr);
		return NULL;
	case OP_ADD_TO_ROLE:
		if (!e)
			return "refused: the person is gone";
		if ((g = lookup(C, a->role_dn)))
			return is_member(C, g, a->dn) ? "refused: already a member" : NULL;
		{
			const char *n = pb_canon(&C->B, a->role_dn);
			return n && hmap_get(&C->created, n) ? NULL : "refused: the role group is gone";
		}
	default:
		return NULL;
	}
}

size_t plan_check_preconditions(struct plan *p, const struct config *cfg, const struct entry *entries,
				size_t n_entries, const char **refused)
{
	struct checker C = {.p = p, .cfg = cfg};
	size_t i, n = 0, pos = 0;
	void *m;

	C.B.p = p;
	hmap_init(&C.by_dn, 0);
	hmap_init(&C.groups, 0);
	hmap_init(&C.created, 0);
	for (i = 0; i < n_entries; i++) {
		const char *dn = pb_canon(&C.B, entries[i].dn);
		if (dn)
			hmap_insert(&C.by_dn, dn, (void *)&entries[i], NULL);
	}
	for (i = 0; i < p->n_actions; i++) {
		const char *dn;
		if (p->actions[i].op == OP_CREATE_ROLE && (dn = pb_canon(&C.B, p->actions[i].dn)))
			hmap_insert(&C.created, dn, (void *)dn, NULL);
	}
	for (i = 0; i < p->n_actions; i++)
		if ((refused[i] = verdict(&C, &p->actions[i])))
			n++;
	while (hmap_next(&C.groups, &pos, NULL, &m))
		hmap_release(m);
	hmap_release(&C.by_dn);
	hmap_release(&C.groups);
	hmap_release(&C.created);
	return n;
}
