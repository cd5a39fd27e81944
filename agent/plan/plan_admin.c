#include "agent/plan/plan_admin.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/buf.h"
#include "agent/text/dn.h"
#include "agent/base/hmap.h"
#include "agent/base/oom.h"
#include "agent/plan/plan_internal.h"
#include "agent/text/template.h"

struct admin {
	const struct admin_input *in;
	const struct config *cfg;
	struct plan_builder B;
	struct hmap by_key;  /* key (no case) -> person entry */
	struct hmap by_dn;   /* canonical DN -> person entry */
	struct hmap members; /* canonical DNs of everyone in a role group */
	struct hmap listed;  /* keys listed (no case), against duplicates */
	const char *mail_attr;
	struct buf unknown;  /* all-except: listed keys not in the directory */
	size_t n_unknown;
};

/* A record made from the entry: every column that a people attribute
 * takes as it is ({FirstName} -> givenName) reads that attribute back. */
static struct record *record_from_entry(struct admin *A, const struct entry *e, const char *key)
{
	const struct config *cfg = A->cfg;
	struct record *rec = record_new(&A->B.p->arena, cfg->columns.n);
	size_t i;

	if (!rec) {
		A->B.oom = 1;
		return NULL;
	}
	for (i = 0; i < cfg->people.n_attrs; i++) {
		int slot = tmpl_single_column(cfg->people.attrs[i].value);
		if (slot >= 0 && !rec->fields[slot])
			rec->fields[slot] = entry_first(e, cfg->people.attrs[i].name);
	}
	if (cfg->source.key_slot >= 0)
		rec->fields[cfg->source.key_slot] = key;
	return rec;
}

/* Fills an action on the person of entry e. */
static void person(struct admin *A, struct plan_action *act, const struct entry *e, unsigned line)
{
	const struct config *cfg = A->cfg;
	const char *key = entry_first(e, cfg->people.key_attr), *parent;
	struct buf b = BUF_INIT;

	act->dn = e->dn;
	act->key = key;
	act->line = line;
	act->entry = e;
	act->username = entry_first(e, "uid");
	if (!act->username)
		act->username = key;
	act->first_name = entry_first(e, "givenName");
	act->last_name = entry_first(e, "sn");
	act->email = A->mail_attr ? entry_first(e, A->mail_attr) : NULL;
	if (cfg->accounts.enabled && (parent = dn_parent(e->dn)) && dn_first_value(parent, &b) == 0)
		act->account = pb_strdup(&A->B, buf_str(&b));
	act->rec = record_from_entry(A, e, key);
	if (cfg->notify.locale && act->rec) {
		struct tmpl_env env = {act->rec->fields, cfg->columns.n, {NULL}};
		struct tmpl_error err;
		buf_reset(&b);
		if (tmpl_render(cfg->notify.locale, &env, &b, &err) == 0)
			act->locale = pb_strdup(&A->B, buf_str(&b));
	}
	buf_release(&b);
}

static int index_entries(struct admin *A)
{
	const struct config *cfg = A->cfg;
	struct tmpl_env env = {0};
	struct buf container = BUF_INIT;
	const char *ncontainer = NULL;
	size_t i, k;

	if (cfg->roles.enabled) {
		/* Role groups are the groups under the container of roles.dn. */
		env.builtins[TB_BASE] = cfg->directory.base;
		tmpl_dn_fixed_suffix(cfg->roles.dn, &env, &container);
		ncontainer = container.len ? pb_canon(&A->B, buf_str(&container)) : NULL;
	}
	for (i = 0; i < A->in->n_entries; i++) {
		const struct entry *e = &A->in->entries[i];
		struct entry_attr m;

		if (entry_is_person(cfg, e)) {
			const char *ndn = pb_canon(&A->B, e->dn);
			if (hmap_insert(&A->by_key, entry_first(e, cfg->people.key_attr), (void *)e, NULL) < 0 ||
			    (ndn && hmap_insert(&A->by_dn, ndn, (void *)e, NULL) < 0))
				A->B.oom = 1;
			A->B.p->n_managed++;
			continue;
		}
		if (!cfg->roles.enabled || !entry_has_value(e, "objectClass", cfg->roles.object_classes.items[0], 1))
			continue;
		if (ncontainer && !dn_is_under(e->dn, ncontainer))
			continue;
		m = entry_attr(e, cfg->roles.member_attribute);
		for (k = 0; k < m.n; k++) {
			const char *n = pb_canon(&A->B, m.values[k]);
			if (n && hmap_insert(&A->members, n, (void *)n, NULL) < 0)
				A->B.oom = 1;
		}
	}
	buf_release(&container);
	return A->B.oom ? -1 : 0;
}

/* The entry of a listed key, or NULL after rejecting the line. Repeated
 * keys are taken once. */
static const struct entry *find_listed(struct admin *A, const struct listed *l, int *repeated)
{
	const struct entry *e = NULL;
	const char *ndn;

	*repeated = 0;
	if (hmap_insert(&A->listed, l->key ? l->key : l->dn, (void *)l, NULL) == 0) {
		*repeated = 1;
		return NULL;
	}
	if (l->key)
		e = hmap_get(&A->by_key, l->key);
	if (!e && l->dn && (ndn = pb_canon(&A->B, l->dn)))
		e = hmap_get(&A->by_dn, ndn);
	if (!e)
		pb_reject(&A->B, l->line, l->key,
			  pb_printf(&A->B, "not in the directory: no managed person with %s=%s", A->cfg->people.key_attr,
				    l->key));
	return e;
}

static void add_reset(struct admin *A, const struct entry *e, unsigned line, const char *reason)
{
	static const enum msg_kind password_only[] = {MSG_PASSWORD};
	struct plan_action *act;

	if (entry_is_disabled(A->cfg, e)) {
		A->B.p->n_unchanged++; /* a disabled person is enabled, not reset */
		return;
	}
	if (!(act = pb_action(&A->B, OP_RESET_PASSWORD)))
		return;
	person(A, act, e, line);
	act->reason = reason;
	if (A->in->kind == ADMIN_NOTIFY)
		pb_messages(&A->B, A->cfg, act, A->cfg->notify.messages, A->cfg->notify.n_messages);
	else if (!A->in->default_password)
		pb_messages(&A->B, A->cfg, act, password_only, 1);
	else
		pb_manual(&A->B, act, GIVEN_PASSWORD_REASON);
}

static void plan_listed(struct admin *A)
{
	const struct admin_input *in = A->in;
	const char *from = pb_printf(&A->B, "listed in %s", in->source);
	size_t i;

	for (i = 0; i < in->n_listed; i++) {
		const struct listed *l = &in->listed[i];
		const struct entry *e;
		struct plan_action *act;
		int repeated;

		if (!(e = find_listed(A, l, &repeated)))
			continue;
		if (in->kind == ADMIN_RESET) {
			add_reset(A, e, l->line, from);
			continue;
		}
		if (in->kind == ADMIN_NOTIFY) {
			/* Who changed the password knows it: left alone, unless
			 * --all or their messages never arrived. */
			if (!in->all && !l->unconfirmed &&
			    !entry_has_value(e, A->cfg->directory.flavour->verify_attr, A->cfg->directory.flavour->verify_value, 1)) {
				A->B.p->n_unchanged++;
				continue;
			}
			add_reset(A, e, 0, pb_printf(&A->B, "re-sending the messages of job %s", l->job ? l->job : in->job));
			continue;
		}
		/* Someone sync disabled is disabled again by an administrator:
		 * sync's note goes, so that sync leaves them disabled. */
		if ((in->kind == ADMIN_ENABLE) == entry_is_disabled(A->cfg, e) ||
		    (in->kind == ADMIN_DISABLE && entry_disabled_by_sync(A->cfg, e))) {
			if (!(act = pb_action(&A->B, in->kind == ADMIN_ENABLE ? OP_ENABLE_PERSON : OP_DISABLE_PERSON)))
				return;
			person(A, act, e, l->line);
			act->reason = in->kind == ADMIN_DISABLE && entry_is_disabled(A->cfg, e)
					      ? pb_printf(&A->B, "%s; disabled by sync until now, from now on by an administrator", from)
					      : from;
			if (in->kind == ADMIN_ENABLE)
				pb_messages(&A->B, A->cfg, act, A->cfg->notify.messages, A->cfg->notify.n_messages);
		} else {
			A->B.p->n_unchanged++; /* already as asked */
		}
	}
}

/* reset-passwords by scope over every managed person (in directory order). */
static void plan_scope(struct admin *A)
{
	const struct admin_input *in = A->in;
	const char *reason = in->scope == RESET_ALL	     ? "--scope all"
			     : in->scope == RESET_ALL_EXCEPT ? "--scope all-except"
							     : "--scope without-role: in no role group";
	struct hmap except;
	size_t i;

	hmap_init(&except, HMAP_ICASE);
	if (in->scope == RESET_ALL_EXCEPT) {
		/* The listed must exist: a typo must not reset the very person
		 * meant to be spared, so one unknown key refuses the run. */
		for (i = 0; i < in->n_listed; i++) {
			const struct listed *l = &in->listed[i];
			int repeated;
			const struct entry *e = find_listed(A, l, &repeated);
			if (!e && !repeated && A->n_unknown++ < 5)
				buf_printf(&A->unknown, "%sline %u: %s", A->n_unknown > 1 ? ", " : "", l->line, l->key);
			if (e && hmap_insert(&except, entry_first(e, A->cfg->people.key_attr), (void *)e, NULL) < 0)
				A->B.oom = 1;
		}

	}
	for (i = 0; i < in->n_entries && !A->B.oom && !A->n_unknown; i++) {
		const struct entry *e = &in->entries[i];
		const char *ndn;

		if (!entry_is_person(A->cfg, e))
			continue;
		if (in->scope == RESET_ALL_EXCEPT && hmap_get(&except, entry_first(e, A->cfg->people.key_attr))) {
			A->B.p->n_unchanged++;
			continue;
		}
		if (in->scope == RESET_WITHOUT_ROLE && (ndn = pb_canon(&A->B, e->dn)) && hmap_get(&A->members, ndn))
			continue;
		add_reset(A, e, 0, reason);
	}
	hmap_release(&except);
}

int plan_admin(const struct admin_input *in, struct plan **out, struct diag *d)
{
	struct admin A;
	int rc = 0;
	unsigned long oom_before = oom_count();

	*out = NULL;
	memset(&A, 0, sizeof A);
	A.in = in;
	A.cfg = in->cfg;
	A.mail_attr = config_mail_attr(in->cfg);
	if (pb_init(&A.B, in->source) < 0)
		return diag_set(d, ST_FAIL, "out of memory");
	hmap_init(&A.by_key, HMAP_ICASE);
	hmap_init(&A.by_dn, 0);
	hmap_init(&A.members, 0);
	hmap_init(&A.listed, HMAP_ICASE);
	if (index_entries(&A) == 0) {
		A.B.p->n_records = in->n_listed;
		if (in->kind == ADMIN_RESET && (in->scope == RESET_ALL || in->scope == RESET_ALL_EXCEPT ||
						in->scope == RESET_WITHOUT_ROLE))
			plan_scope(&A);
		else
			plan_listed(&A);
	}
	if (oom_count() != oom_before) /* some text or entry may be missing */
		A.B.oom = 1;
	if (pb_finish(&A.B, out) < 0) {
		rc = diag_set(d, ST_FAIL, "out of memory while planning");
	} else if (A.n_unknown) {
		rc = diag_set(d, ST_INPUT,
			      "%s: %zu of the people to spare %s not in the directory (%s%s); a misspelled key would reset the very person meant to be spared, so nothing is done",
			      in->source, A.n_unknown, A.n_unknown == 1 ? "is" : "are", buf_str(&A.unknown),
			      A.n_unknown > 5 ? ", ..." : "");
		plan_free(*out);
		*out = NULL;
	}
	buf_release(&A.unknown);
	hmap_release(&A.by_key);
	hmap_release(&A.by_dn);
	hmap_release(&A.members);
	hmap_release(&A.listed);
	return rc;
}
