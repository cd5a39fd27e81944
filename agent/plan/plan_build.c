/* What every planner shares (plan_internal.h): the builder that collects a
 * plan's actions, rejected rows and manual list; the facts about directory
 * entries; and the plan object itself (freeing, names, counts). */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/buf.h"
#include "agent/text/dn.h"
#include "agent/plan/plan_internal.h"
#include "agent/text/address.h"

int pb_init(struct plan_builder *b, const char *source)
{
	memset(b, 0, sizeof *b);
	if (!(b->p = calloc(1, sizeof *b->p)))
		return -1;
	arena_init(&b->p->arena);
	b->p->force_limits = -1;
	b->p->source = pb_strdup(b, source);
	if (b->oom) {
		plan_free(b->p);
		b->p = NULL;
		return -1;
	}
	return 0;
}

int pb_finish(struct plan_builder *b, struct plan **out)
{
	struct plan *p = b->p;
	size_t start[OP_COUNT] = {0}, i, op, *dest = NULL;

	*out = NULL;
	if (!b->oom) {
		for (i = 0; i < b->n_acts; i++)
			p->counts[b->acts[i].op]++;
		for (op = 1; op < OP_COUNT; op++)
			start[op] = start[op - 1] + p->counts[op - 1];
		if (!(dest = malloc((b->n_acts ? b->n_acts : 1) * sizeof *dest)))
			b->oom = 1;
	}
	if (!b->oom) {
		struct plan_action *shrunk;
		/* Where each action goes, then the moves done in place (a copy
		 * of a million actions would double the peak). */
		for (i = 0; i < b->n_acts; i++)
			dest[i] = start[b->acts[i].op]++;
		for (i = 0; i < b->n_acts; i++) {
			while (dest[i] != i) {
				size_t j = dest[i], t = dest[j];
				struct plan_action tmp = b->acts[j];
				b->acts[j] = b->acts[i];
				b->acts[i] = tmp;
				dest[i] = t;
				dest[j] = j;
			}
		}
		shrunk = b->n_acts ? realloc(b->acts, b->n_acts * sizeof *shrunk) : NULL;
		p->actions = shrunk ? shrunk : b->acts;
		p->n_actions = b->n_acts;
		b->acts = NULL;
		*out = p;
	} else {
		plan_free(p);
	}
	free(dest);
	free(b->acts);
	b->acts = NULL;
	b->p = NULL;
	return *out ? 0 : -1;
}

char *pb_strdup(struct plan_builder *b, const char *s)
{
	char *c = arena_strdup(&b->p->arena, s);

	if (s && !c)
		b->oom = 1;
	return c;
}

char *pb_printf(struct plan_builder *b, const char *fmt, ...)
{
	struct buf t = BUF_INIT;
	va_list ap;
	char *s;

	va_start(ap, fmt);
	buf_vprintf(&t, fmt, ap);
	va_end(ap);
	s = pb_strdup(b, buf_str(&t));
	buf_release(&t);
	return s;
}

const char *pb_canon(struct plan_builder *b, const char *dn)
{
	struct buf t = BUF_INIT;
	const char *s = NULL;
	int rc = dn_normalize(dn, &t);

	if (rc == 0)
		s = pb_strdup(b, buf_str(&t));
	else if (rc == -2)
		b->oom = 1;
	buf_release(&t);
	return s;
}

struct plan_action *pb_action(struct plan_builder *b, enum plan_op op)
{
	struct plan_action *act;

	if (b->n_acts == b->alloc_acts) {
		size_t na = b->alloc_acts ? b->alloc_acts * 2 : 256;
		struct plan_action *t = realloc(b->acts, na * sizeof *t);
		if (!t) {
			b->oom = 1;
			return NULL;
		}
		b->acts = t;
		b->alloc_acts = na;
	}
	act = &b->acts[b->n_acts++];
	memset(act, 0, sizeof *act);
	act->op = op;
	return act;
}

void pb_reject(struct plan_builder *b, unsigned line, const char *key, const char *reason)
{
	struct plan *p = b->p;

	if (p->n_rejected == b->alloc_rejected) {
		size_t na = b->alloc_rejected ? b->alloc_rejected * 2 : 64;
		struct plan_reject *t = realloc(p->rejected, na * sizeof *t);
		if (!t) {
			b->oom = 1;
			return;
		}
		p->rejected = t;
		b->alloc_rejected = na;
	}
	p->rejected[p->n_rejected].line = line;
	p->rejected[p->n_rejected].key = key && *key ? pb_strdup(b, key) : NULL;
	p->rejected[p->n_rejected].reason = reason;
	p->n_rejected++;
}

void pb_manual(struct plan_builder *b, const struct plan_action *act, const char *reason)
{
	struct plan *p = b->p;

	if (p->n_manual == b->alloc_manual) {
		size_t na = b->alloc_manual ? b->alloc_manual * 2 : 64;
		struct plan_manual *t = realloc(p->manual, na * sizeof *t);
		if (!t) {
			b->oom = 1;
			return;
		}
		p->manual = t;
		b->alloc_manual = na;
	}
	p->manual[p->n_manual].line = act->line;
	p->manual[p->n_manual].key = act->key;
	p->manual[p->n_manual].dn = act->dn;
	p->manual[p->n_manual].reason = reason;
	p->n_manual++;
}

void pb_left_disabled(struct plan_builder *b, unsigned line, const char *key, const char *dn)
{
	struct plan *p = b->p;

	if (p->n_left_disabled == b->alloc_left_disabled) {
		size_t na = b->alloc_left_disabled ? b->alloc_left_disabled * 2 : 16;
		struct plan_manual *t = realloc(p->left_disabled, na * sizeof *t);
		if (!t) {
			b->oom = 1;
			return;
		}
		p->left_disabled = t;
		b->alloc_left_disabled = na;
	}
	p->left_disabled[p->n_left_disabled].line = line;
	p->left_disabled[p->n_left_disabled].key = key;
	p->left_disabled[p->n_left_disabled].dn = dn;
	p->left_disabled[p->n_left_disabled].reason = "disabled by an administrator";
	p->n_left_disabled++;
}

void pb_messages(struct plan_builder *b, const struct config *cfg, struct plan_action *act,
		 const enum msg_kind *kinds, size_t n)
{
	const char *why;

	if (!cfg->notify.enabled) {
		pb_manual(b, act, "notifications are not configured");
		return;
	}
	if (!act->email) {
		pb_manual(b, act, "no email address");
		return;
	}
	/* An address from the directory (the admin jobs) was never checked
	 * the way a source row's is: one that is not plain gets no mail. */
	if (email_check(act->email, &why) < 0) {
		pb_manual(b, act, pb_printf(b, "the address %s is not one plain address (%s)", act->email, why));
		act->email = NULL;
		return;
	}
	for (size_t i = 0; i < n && i < MSG_KINDS; i++)
		act->messages[i] = (unsigned char)kinds[i];
	act->n_messages = (unsigned char)(n < MSG_KINDS ? n : MSG_KINDS);
	b->p->n_messages += n;
}

int entry_is_person(const struct config *cfg, const struct entry *e)
{
	size_t i;

	for (i = 0; i < cfg->people.object_classes.n; i++)
		if (!entry_has_value(e, "objectClass", cfg->people.object_classes.items[i], 1))
			return 0;
	return cfg->people.key_attr && entry_first(e, cfg->people.key_attr);
}

int entry_is_disabled(const struct config *cfg, const struct entry *e)
{
	const struct flavour *f = cfg->directory.flavour;

	if (f->lock_kind == LOCK_UAC_BIT)
		return (entry_uac(e) & UAC_ACCOUNTDISABLE) != 0;
	return entry_has_value(e, f->lock_attr, f->lock_value, 1);
}

unsigned long entry_uac(const struct entry *e)
{
	const char *v = entry_first(e, "userAccountControl");
	char *end;
	unsigned long n;

	if (!v || !*v)
		return UAC_NORMAL_ACCOUNT;
	n = strtoul(v, &end, 10);
	return *end ? UAC_NORMAL_ACCOUNT : n;
}

int plan_record_active(const struct config *cfg, const struct record *rec, struct buf *scratch)
{
	struct tmpl_env env = {0};
	struct tmpl_error err;
	const char *v;
	size_t len;

	if (!cfg->people.active)
		return 1;
	env.fields = rec->fields;
	env.n_fields = cfg->columns.n;
	buf_reset(scratch);
	if (tmpl_render(cfg->people.active, &env, scratch, &err) < 0)
		return 1;
	v = buf_str(scratch);
	while (*v == ' ')
		v++;
	len = strlen(v);
	while (len && v[len - 1] == ' ')
		len--;
	/* Inactive: empty, false, 0 or no (as Data Loader and LDAP write it). */
	return !(len == 0 || (len == 5 && strncasecmp(v, "false", 5) == 0) || (len == 1 && v[0] == '0') ||
		 (len == 2 && strncasecmp(v, "no", 2) == 0));
}

int entry_disabled_by_sync(const struct config *cfg, const struct entry *e)
{
	return entry_is_disabled(cfg, e) && cfg->people.note_attribute &&
	       entry_has_value(e, cfg->people.note_attribute, SYNC_DISABLED_NOTE, 0);
}

const char *config_mail_attr(const struct config *cfg)
{
	size_t i;

	for (i = 0; i < cfg->people.n_attrs; i++)
		if (strcasecmp(cfg->people.attrs[i].name, "mail") == 0)
			return cfg->people.attrs[i].name;
	return NULL;
}

size_t plan_count_managed(const struct config *cfg, const struct entry *entries, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		count += entry_is_person(cfg, &entries[i]) != 0;
	return count;
}

/* --- the plan object ------------------------------------------------------ */

void plan_free(struct plan *p)
{
	if (!p)
		return;
	free(p->actions);
	free(p->rejected);
	free(p->manual);
	free(p->left_disabled);
	arena_release(&p->arena);
	free(p);
}

int plan_has_changes(const struct plan *p)
{
	return p->n_actions > 0;
}

const char *plan_op_name(enum plan_op op)
{
	static const char *const names[OP_COUNT] = {
		[OP_CREATE_ACCOUNT] = "create_account", [OP_CREATE_PERSON] = "create_person",
		[OP_ENABLE_PERSON] = "enable_person",   [OP_UPDATE_PERSON] = "update_person",
		[OP_DISABLE_PERSON] = "disable_person", [OP_RESET_PASSWORD] = "reset_password",
		[OP_CREATE_ROLE] = "create_role",       [OP_ADD_TO_ROLE] = "add_to_role",
	};
	return op < OP_COUNT ? names[op] : "?";
}

const char *role_origin_name(enum role_origin o)
{
	switch (o) {
	case ROLE_COLUMN: return "column";
	case ROLE_MAP: return "map";
	case ROLE_DEFAULT: return "default";
	default: return NULL;
	}
}

const char *outcome_name(enum outcome o)
{
	static const char *const names[] = {"none", "done", "failed", "skipped", "unknown", "refused"};
	return names[o];
}
