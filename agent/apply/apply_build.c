/* What the apply engine sends: the LDAP operation of each action (with the
 * new passwords generated and hashed here, before anything is written) and
 * the role groups of phase 3 as adds and batched member modifies. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/apply/apply_internal.h"
#include "agent/base/hmap.h"
#include "agent/base/utf8.h"
#include "agent/text/filter.h"
#include "agent/text/template.h"

#define MEMBER_BATCH 1000 /* member values per modify of an existing group */

/* --- building operations ------------------------------------------------------- */

static struct op *new_op(struct engine *E, enum op_kind kind, size_t action, const char *dn, size_t n_mods)
{
	struct op *op = arena_calloc(&E->arena, 1, sizeof *op);

	if (!op)
		return NULL;
	op->kind = kind;
	op->action = action;
	op->dn = dn;
	op->mods = arena_calloc(&E->arena, n_mods ? n_mods : 1, sizeof *op->mods);
	return op->mods ? op : NULL;
}

static const char **one_value(struct engine *E, const char *v)
{
	const char **vals = arena_alloc(&E->arena, sizeof *vals);

	if (vals)
		vals[0] = v;
	return vals;
}

static void set_mod(struct op *op, enum dir_mod_op mop, const char *attr, const char **values, size_t n)
{
	struct dir_mod *m = &op->mods[op->n_mods++];

	m->op = mop;
	m->attr = attr;
	m->values = values;
	m->n = values ? n : 0;
	m->lens = NULL;
}

/* The action's password, generated (or the given one) into its slot. */
static const char *fill_password(struct engine *E, size_t i)
{
	char *pw = pwstore_slot(E->a->passwords, i);

	if (E->a->fixed_password)
		snprintf(pw, E->a->passwords->slot, "%s", E->a->fixed_password);
	else if (password_generate(&E->cfg->passwords, pw, E->a->passwords->slot, E->d) < 0)
		return NULL;
	return pw;
}

/* Generates the action's password into its slot and returns its hash. */
static const char *new_password(struct engine *E, size_t i)
{
	struct buf hash = BUF_INIT;
	const char *pw = fill_password(E, i), *h = NULL;

	if (!pw)
		return NULL;
	if (password_hash(E->cfg->passwords.hash, pw, strlen(pw), &hash, E->d) == 0)
		h = adup(E, buf_str(&hash));
	buf_release(&hash);
	return h;
}

/* Active Directory's unicodePwd: the password in double quotes, as
 * UTF-16LE, in the engine's secret arena. */
static int unicode_pwd(struct engine *E, const char *pw, struct dir_mod *m)
{
	size_t len = strlen(pw), i = 0, n = 0, k;
	unsigned char *v = arena_alloc(&E->secrets, 4 * (len + 2));
	const char **vals = arena_alloc(&E->arena, sizeof *vals);
	size_t *lens = arena_alloc(&E->arena, sizeof *lens);
	uint32_t cp, units[2];

	if (!v || !vals || !lens)
		return -1;
	v[n++] = '"', v[n++] = 0;
	while (i < len) {
		size_t used = utf8_decode(pw + i, len - i, &cp);
		if (!used)
			return -1; /* not UTF-8: refused before, never here */
		i += used;
		if (cp >= 0x10000) {
			units[0] = 0xd800 + ((cp - 0x10000) >> 10);
			units[1] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
		} else {
			units[0] = cp;
		}
		for (k = 0; k < (cp >= 0x10000 ? 2u : 1u); k++) {
			v[n++] = (unsigned char)(units[k] & 0xff);
			v[n++] = (unsigned char)(units[k] >> 8);
		}
	}
	v[n++] = '"', v[n++] = 0;
	vals[0] = (const char *)v;
	lens[0] = n;
	m->values = vals;
	m->n = 1;
	m->lens = lens;
	return 0;
}

/* The password attributes, in the same operation as the entry or change
 * they belong to: so no entry ever holds a password without the flag. */
static int add_password_mods(struct engine *E, struct op *op, size_t i, enum dir_mod_op mop)
{
	const struct flavour *f = E->cfg->directory.flavour;

	if (f->password_kind == PASSWORD_UNICODEPWD) {
		/* Cleartext over TLS; the server keeps it its own way and never
		 * shows it. */
		const char *pw = fill_password(E, i);
		if (!pw)
			return -1;
		op->hash = "";
		set_mod(op, mop == DIR_MOD_ADD ? DIR_MOD_ADD : DIR_MOD_REPLACE, f->password_attr, NULL, 0);
		if (unicode_pwd(E, pw, &op->mods[op->n_mods - 1]) < 0)
			return -1;
	} else {
		if (!(op->hash = new_password(E, i)))
			return -1;
		set_mod(op, mop, f->password_attr, one_value(E, op->hash), 1);
	}
	/* A flavour whose server sets the flag itself writes none. */
	if (E->cfg->passwords.must_change && f->must_change_attr)
		set_mod(op, mop, f->must_change_attr, one_value(E, f->must_change_value), 1);
	if (f->policy_subentry)
		set_mod(op, mop, "pwdPolicySubentry", one_value(E, E->cfg->directory.password_policy), 1);
	return 0;
}

/* "(&(cn=Old Name)(!(mail=*)))": the values an update replaces, which the
 * entry must still hold when the change arrives (RFC 4528). */
static const char *old_values_filter(struct engine *E, const struct plan_action *a)
{
	struct buf f = BUF_INIT;
	const char *s;
	size_t k, j;

	buf_adds(&f, "(&");
	for (k = 0; k < a->n_changes; k++) {
		const struct plan_change *c = &a->changes[k];
		if (!c->n_old)
			buf_printf(&f, "(!(%s=*))", c->attr);
		for (j = 0; j < c->n_old; j++) {
			buf_printf(&f, "(%s=", c->attr);
			filter_escape_value(&f, c->old[j], strlen(c->old[j]));
			buf_addc(&f, ')');
		}
	}
	buf_addc(&f, ')');
	s = adup(E, buf_str(&f));
	buf_release(&f);
	return s;
}

/* Whether the entry holds sync's note: 1, 0, or -1 when the entry was not
 * read (a saved plan's action). Only a change the entry needs is sent:
 * not every server honours the permissive modify control (389-ds answers
 * 16 to the delete of a value that is not there). */
static int has_note(struct engine *E, const struct plan_action *a)
{
	if (!a->entry)
		return -1;
	return entry_has_value(a->entry, E->cfg->people.note_attribute, SYNC_DISABLED_NOTE, 0);
}

/* The lock on (disable) or off (enable). Active Directory's is a bit of
 * userAccountControl, written back with the other bits as the entry had
 * them (a normal account when the entry was not read). */
static void set_lock(struct engine *E, struct op *op, const struct plan_action *a, int on)
{
	const struct flavour *f = E->cfg->directory.flavour;
	unsigned long uac;
	char num[24];

	if (f->lock_kind == LOCK_VALUE) {
		if (on)
			set_mod(op, DIR_MOD_REPLACE, f->lock_attr, one_value(E, f->lock_value), 1);
		else
			set_mod(op, DIR_MOD_REPLACE, f->lock_attr, NULL, 0);
		return;
	}
	uac = a->entry ? entry_uac(a->entry) : UAC_NORMAL_ACCOUNT;
	uac = on ? uac | UAC_ACCOUNTDISABLE : uac & ~UAC_ACCOUNTDISABLE;
	snprintf(num, sizeof num, "%lu", uac);
	set_mod(op, DIR_MOD_REPLACE, f->lock_attr, one_value(E, adup(E, num)), 1);
}

struct op *ap_build_op(struct engine *E, size_t i)
{
	static const char *const note[] = {SYNC_DISABLED_NOTE};
	const struct flavour *f = E->cfg->directory.flavour;
	const struct plan_action *a = act_of(E, i);
	struct op *op = NULL;
	size_t k;

	switch (a->op) {
	case OP_CREATE_ACCOUNT:
	case OP_CREATE_PERSON:
		if (!(op = new_op(E, K_ADD, i, a->dn, a->n_attrs + 3 + 4)))
			return NULL;
		for (k = 0; k < a->n_attrs; k++)
			set_mod(op, DIR_MOD_ADD, a->attrs[k].name, a->attrs[k].values, a->attrs[k].n);
		/* What the server needs of a new account (userAccountControl). */
		for (k = 0; a->op == OP_CREATE_PERSON && f->create_extra && f->create_extra[k] && k < 8; k += 2)
			set_mod(op, DIR_MOD_ADD, f->create_extra[k], one_value(E, f->create_extra[k + 1]), 1);
		if (a->op == OP_CREATE_PERSON && add_password_mods(E, op, i, DIR_MOD_ADD) < 0)
			return NULL;
		return op;
	case OP_ENABLE_PERSON:
	case OP_RESET_PASSWORD:
		if (!(op = new_op(E, K_MODIFY, i, a->dn, 6)))
			return NULL;
		/* Replacing with no value removes the lock whether or not it
		 * is there: safe to retry. (pwdFailureTime is the server's own
		 * and clears at the next good bind.) Sync's note goes with it,
		 * if it is there (permissive). */
		if (a->op == OP_ENABLE_PERSON) {
			set_lock(E, op, a, 0);
			if (has_note(E, a) != 0)
				set_mod(op, DIR_MOD_DELETE, E->cfg->people.note_attribute, (const char **)note, 1);
		}
		/* ppolicy removes the lock itself when an administrator sets a
		 * password; permissive, the two removals do not collide. */
		op->permissive = 1;
		if (add_password_mods(E, op, i, DIR_MOD_REPLACE) < 0)
			return NULL;
		return op;
	case OP_UPDATE_PERSON:
		if (!(op = new_op(E, K_MODIFY, i, a->dn, a->n_changes)))
			return NULL;
		for (k = 0; k < a->n_changes; k++) {
			const struct plan_change *c = &a->changes[k];
			set_mod(op, DIR_MOD_REPLACE, c->attr, c->value ? one_value(E, c->value) : NULL, 1);
		}
		if (E->cfg->directory.flavour->assertion_control)
			op->assertion = old_values_filter(E, a);
		return op;
	case OP_DISABLE_PERSON:
		if (!(op = new_op(E, K_MODIFY, i, a->dn, 2)))
			return NULL;
		set_lock(E, op, a, 1);
		/* Sync notes that it disabled the person, so that it may enable
		 * again; an administrator's disable takes the note away. */
		if (has_note(E, a) != a->by_sync)
			set_mod(op, a->by_sync ? DIR_MOD_ADD : DIR_MOD_DELETE, E->cfg->people.note_attribute,
				(const char **)note, 1);
		op->permissive = 1;
		return op;
	default:
		return NULL;
	}
}

int ap_opvec_push(struct opvec *o, struct op *op)
{
	if (o->n == o->alloc) {
		size_t na = o->alloc ? o->alloc * 2 : 256;
		struct op **t = realloc(o->v, na * sizeof *t);
		if (!t)
			return -1;
		o->v = t;
		o->alloc = na;
	}
	o->v[o->n++] = op;
	return 0;
}

/* --- phase 3: role groups --------------------------------------------------------- */

/* Who joins which group: people created in phase 2 with a role, and
 * add_to_role actions; each group once, in plan order. */
static int collect_groups(struct engine *E)
{
	struct hmap by_dn;
	struct group *g, *t;
	size_t i;
	int rc = 0;

	hmap_init(&by_dn, 0);
	for (i = 0; i < E->plan->n_actions && rc == 0; i++) {
		const struct plan_action *a = act_of(E, i);
		int member = (a->op == OP_CREATE_PERSON && E->a->outcome[i] == OUT_DONE) ||
			     (a->op == OP_ADD_TO_ROLE && E->a->outcome[i] != OUT_REFUSED);
		void *found;

		if ((!member && a->op != OP_CREATE_ROLE) || !a->role_dn)
			continue;
		if ((found = hmap_get(&by_dn, a->role_dn))) {
			g = &E->groups[(size_t)found - 1];
		} else {
			t = realloc(E->groups, (E->n_groups + 1) * sizeof *t);
			if (!t) {
				rc = -1;
				break;
			}
			E->groups = t;
			g = &E->groups[E->n_groups++];
			memset(g, 0, sizeof *g);
			g->dn = a->role_dn;
			g->create = NO_ACTION;
			if (hmap_insert(&by_dn, a->role_dn, (void *)E->n_groups, NULL) < 0) {
				rc = -1;
				break;
			}
		}
		if (a->op == OP_CREATE_ROLE) {
			if (E->a->outcome[i] != OUT_REFUSED)
				g->create = i;
			continue;
		}
		if (g->n == g->alloc) {
			size_t na = g->alloc ? g->alloc * 2 : 16, *v = realloc(g->members, na * sizeof *v);
			if (!v) {
				rc = -1;
				break;
			}
			g->members = v;
			g->alloc = na;
		}
		g->members[g->n++] = i;
	}
	hmap_release(&by_dn);
	return rc;
}

/* The operations of phase 3: a new group is one add with its first batch of
 * members; further members (and members of groups that exist) go in
 * permissive modifies of up to MEMBER_BATCH values. */
int ap_build_groups(struct engine *E, struct opvec *ops)
{
	const char *member = E->cfg->roles.member_attribute;
	size_t gi, k, j;

	if (collect_groups(E) < 0)
		return -1;
	for (gi = 0; gi < E->n_groups; gi++) {
		struct group *g = &E->groups[gi];
		const struct plan_action *c = g->create != NO_ACTION ? act_of(E, g->create) : NULL;

		/* groupOfNames needs a member: no one made it, no group (the
		 * engine settles its create as skipped). */
		if (!g->n)
			continue;
		for (k = 0; k < g->n; k += MEMBER_BATCH) {
			size_t n = g->n - k < MEMBER_BATCH ? g->n - k : MEMBER_BATCH;
			int adding = c && k == 0;
			const char **dns = arena_alloc(&E->arena, n * sizeof *dns);
			struct op *op = new_op(E, adding ? K_ADD : K_MODIFY, adding ? g->create : NO_ACTION, g->dn,
					       adding ? c->n_attrs + 1 : 1);

			if (!op || !dns)
				return -1;
			op->members = g->members + k;
			op->n_members = n;
			for (j = 0; j < n; j++)
				dns[j] = act_of(E, g->members[k + j])->dn;
			if (adding)
				for (j = 0; j < c->n_attrs; j++)
					set_mod(op, DIR_MOD_ADD, c->attrs[j].name, c->attrs[j].values, c->attrs[j].n);
			set_mod(op, DIR_MOD_ADD, member, dns, n);
			/* Adding a member who is already there is not an error. */
			op->permissive = !adding;
			if (ap_opvec_push(ops, op) < 0)
				return -1;
		}
	}
	return 0;
}
