#include "agent/plan/plan_format.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/text/ldif.h"
#include "agent/base/buf.h"
#include "agent/base/hmap.h"
#include "agent/base/json.h"
#include "agent/base/oom.h"
#include "agent/plan/plan_limits.h"

/* Output is built in a buffer and written out in large pieces, so that a
 * plan of a million actions never sits in memory twice. */
struct out {
	FILE *f;
	struct buf b;
	int failed;
};

/* Writes what is buffered once it reaches threshold. Once anything failed
 * (the write, or the buffer that could not grow and so lost text), nothing
 * more is written: the output stops short, and the caller reports it. */
static void flush_if(struct out *o, size_t threshold)
{
	if (o->b.failed)
		o->failed = 1;
	if (o->b.len >= threshold) {
		if (!o->failed && fwrite(buf_str(&o->b), 1, o->b.len, o->f) != o->b.len)
			o->failed = 1;
		buf_reset(&o->b);
	}
}

static void pl_count(struct buf *b, size_t n, const char *one, const char *many)
{
	buf_printf(b, "%zu %s", n, n == 1 ? one : many);
}

/* --- text --------------------------------------------------------------------- */

/* How an action reads, as planned and as done. */
static const struct {
	const char *planned, *done;
} verbs[OP_COUNT] = {
	[OP_CREATE_ACCOUNT] = {"create account", "Created account"},
	[OP_CREATE_PERSON] = {"create", "Created"},
	[OP_ENABLE_PERSON] = {"enable", "Enabled"},
	[OP_UPDATE_PERSON] = {"update", "Updated"},
	[OP_DISABLE_PERSON] = {"disable", "Disabled"},
	[OP_RESET_PASSWORD] = {"reset the password of", "Reset the password of"},
	[OP_CREATE_ROLE] = {"create role group", "Created role group"},
	[OP_ADD_TO_ROLE] = {"add", "Added"},
};

/* "uid=x,... (role R, default)": what follows the verb. */
static void text_object(struct buf *b, const struct plan_action *a)
{
	size_t i, j;

	buf_adds(b, a->dn);
	switch (a->op) {
	case OP_CREATE_ROLE:
		buf_printf(b, " (role %s, ", a->role);
		pl_count(b, a->n_members, "member)", "members)");
		break;
	case OP_CREATE_PERSON:
		if (a->role)
			buf_printf(b, " (role %s, %s)", a->role, role_origin_name(a->role_origin));
		break;
	case OP_ENABLE_PERSON:
		buf_printf(b, " (line %u: %s)", a->line, a->reason);
		break;
	case OP_DISABLE_PERSON:
		if (a->line)
			buf_printf(b, " (line %u: %s)", a->line, a->reason);
		else
			buf_printf(b, " (%s)", a->reason);
		break;
	case OP_UPDATE_PERSON:
		buf_printf(b, " (line %u):", a->line);
		for (i = 0; i < a->n_changes; i++) {
			const struct plan_change *c = &a->changes[i];
			buf_printf(b, "%s %s ", i ? "," : "", c->attr);
			if (!c->n_old)
				buf_adds(b, "(none)");
			for (j = 0; j < c->n_old; j++)
				buf_printf(b, "%s\"%s\"", j ? "+" : "", c->old[j]);
			if (c->value)
				buf_printf(b, " -> \"%s\"", c->value);
			else
				buf_adds(b, " -> (removed)");
		}
		break;
	case OP_ADD_TO_ROLE:
		buf_printf(b, " to role %s (line %u)", a->role, a->line);
		break;
	case OP_RESET_PASSWORD:
		if (a->resend)
			buf_printf(b, " (%s)", a->reason);
		break;
	default:
		break;
	}
}

static void text_action(struct buf *b, const struct plan_action *a, const struct plan_status *st, size_t i)
{
	enum outcome o = st ? st->outcome[i] : OUT_NONE;
	const char *err = st && st->error ? st->error[i] : NULL;
	/* A password reset that sends an earlier job's messages again. */
	const char *planned = a->resend ? "send again" : verbs[a->op].planned, *done = a->resend ? "Sent again" : verbs[a->op].done;

	if (o == OUT_NONE)
		buf_printf(b, "Would %s ", planned);
	else if (o == OUT_DONE)
		buf_printf(b, "%s ", done);
	else if (o == OUT_FAILED)
		buf_printf(b, "FAILED to %s ", planned);
	else if (o == OUT_REFUSED)
		buf_printf(b, "%s %s ", st->preview ? "Would refuse to" : "Refused to", planned);
	else
		buf_printf(b, "Did not %s ", planned);
	text_object(b, a);
	if (o != OUT_DONE && o != OUT_NONE && err)
		buf_printf(b, ": %s", err);
	buf_addc(b, '\n');
}

/* The counts a summary shows: the plan's, less the actions a saved plan's
 * preview refuses (those are counted apart). */
struct counts {
	size_t op[OP_COUNT];
	size_t resend;          /* of op[OP_RESET_PASSWORD]: sending messages again */
	size_t refused;
	size_t memberships;
};

static void count_actions(const struct plan *p, const struct plan_status *st, struct counts *c)
{
	size_t i;

	memset(c, 0, sizeof *c);
	c->memberships = p->n_memberships;
	for (i = 0; i < p->n_actions; i++) {
		const struct plan_action *a = &p->actions[i];
		if (st && st->outcome[i] == OUT_REFUSED) {
			c->refused++;
			if (a->op == OP_ADD_TO_ROLE && c->memberships)
				c->memberships--;
			continue;
		}
		c->op[a->op]++;
		c->resend += a->resend;
	}
}

static void text_summary(struct buf *b, const struct plan *p, const char *command, const struct plan_status *st)
{
	struct counts c;

	count_actions(p, st, &c);
	buf_adds(b, "\nSummary: ");
	if (strcmp(command, "sync") == 0 || strcmp(command, "apply") == 0) {
		buf_printf(b, "%zu to create, %zu to enable, %zu to update, %zu to disable, %zu to send again, ",
			   c.op[OP_CREATE_PERSON], c.op[OP_ENABLE_PERSON], c.op[OP_UPDATE_PERSON], c.op[OP_DISABLE_PERSON],
			   c.resend);
		if (c.op[OP_RESET_PASSWORD] > c.resend)
			buf_printf(b, "%zu passwords to reset, ", c.op[OP_RESET_PASSWORD] - c.resend);
		pl_count(b, p->n_unchanged, "unchanged; ", "unchanged; ");
		pl_count(b, c.op[OP_CREATE_ACCOUNT], "account", "accounts");
		buf_adds(b, " and ");
		pl_count(b, c.op[OP_CREATE_ROLE], "role group", "role groups");
		buf_adds(b, " to create, ");
		pl_count(b, c.memberships, "membership", "memberships");
		buf_adds(b, " to add");
	} else {
		buf_printf(b, "%zu to enable, %zu to disable, %zu passwords to reset, %zu left as they are",
			   c.op[OP_ENABLE_PERSON], c.op[OP_DISABLE_PERSON], c.op[OP_RESET_PASSWORD], p->n_unchanged);
	}
	if (c.refused)
		buf_printf(b, "; %zu refused (the directory changed since the plan was made)", c.refused);
	if (p->n_left_disabled)
		buf_printf(b, "; %zu left disabled (by an administrator)", p->n_left_disabled);
	buf_adds(b, "; ");
	pl_count(b, p->n_rejected, "row rejected", "rows rejected");
	buf_adds(b, "; ");
	pl_count(b, p->n_messages, "message", "messages");
	buf_adds(b, " to send; ");
	pl_count(b, p->n_manual, "person needs", "people need");
	buf_adds(b, " manual notification.\n");
}

/* After --apply: what was done, in the same words, and the job. */
static void text_report_summary(struct buf *b, const struct plan *p, const struct plan_status *st)
{
	size_t done[OP_COUNT] = {0}, failed = 0, refused = 0, skipped = 0, i;

	for (i = 0; i < p->n_actions; i++) {
		enum outcome o = st->outcome[i];
		if (o == OUT_DONE)
			done[p->actions[i].op]++;
		else if (o == OUT_FAILED || o == OUT_UNKNOWN)
			failed++;
		else if (o == OUT_REFUSED)
			refused++;
		else if (o == OUT_SKIPPED)
			skipped++;
	}
	buf_printf(b, "\nDone: %zu created, %zu enabled, %zu updated, %zu disabled, %zu passwords reset; ",
		   done[OP_CREATE_PERSON], done[OP_ENABLE_PERSON], done[OP_UPDATE_PERSON], done[OP_DISABLE_PERSON],
		   done[OP_RESET_PASSWORD]);
	pl_count(b, done[OP_CREATE_ACCOUNT], "account", "accounts");
	buf_adds(b, " and ");
	pl_count(b, done[OP_CREATE_ROLE], "role group", "role groups");
	buf_printf(b, " created; %zu failed, %zu refused, %zu not attempted; ", failed, refused, skipped);
	pl_count(b, p->n_rejected, "row rejected", "rows rejected");
	buf_printf(b, ".\nJob %s (ldapenroll jobs %s).\n", st->job ? st->job : "?", st->job ? st->job : "?");
}

/* "apply will stop: 3 disables > limits.max_disable 2 (use --force-limits
 * 3)", or that --force-limits lets it through; nothing within the limits. */
static void text_limits(struct buf *b, const struct plan *p, const struct config *cfg)
{
	struct plan_limits l;

	plan_limits(p, &cfg->limits, &l);
	if (!l.n)
		return;
	if (p->force_limits >= 0 && (size_t)p->force_limits >= l.force) {
		buf_adds(b, "apply goes past the safety limits because of --force-limits: ");
		plan_limits_describe(&l, b);
		buf_addc(b, '\n');
		return;
	}
	buf_adds(b, "apply will stop: ");
	plan_limits_describe(&l, b);
	buf_printf(b, " (use --force-limits %zu)\n", l.force);
}

static void json_limits(struct buf *b, const struct plan *p, const struct config *cfg)
{
	struct plan_limits l;
	size_t i;

	plan_limits(p, &cfg->limits, &l);
	buf_printf(b, ",\n\"limits\":{\"stop\":%s,\"force_limits_needed\":%zu,\"over\":[",
		   l.n && !(p->force_limits >= 0 && (size_t)p->force_limits >= l.force) ? "true" : "false", l.force);
	for (i = 0; i < l.n; i++) {
		buf_printf(b, "%s{\"op\":\"%s\",\"count\":%zu,", i ? "," : "", plan_op_name(l.over[i].op),
			   l.over[i].count);
		json_add_member_str(b, "limit", l.over[i].key);
		buf_printf(b, ",\"max\":%lu}", l.over[i].limit);
	}
	buf_adds(b, "]}");
}

/* The order the text shows actions in: grouped by account (in order of
 * first appearance; actions of no account last),
 * the plan's order within each group. Returns an array of indexes the
 * caller frees, or NULL when out of memory; *groups gets the number of
 * groups. */
struct text_order {
	size_t *idx;
	unsigned *group;  /* per action */
	size_t n_groups;
};

static int cmp_group(const void *a, const void *b, void *arg)
{
	const unsigned *group = arg;
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	if (group[x] != group[y])
		return group[x] < group[y] ? -1 : 1;
	return x < y ? -1 : x > y;
}

static int order_by_account(const struct plan *p, struct text_order *t)
{
	struct hmap seen;
	size_t i, none;
	int rc = 0;

	t->idx = malloc((p->n_actions ? p->n_actions : 1) * sizeof *t->idx);
	t->group = malloc((p->n_actions ? p->n_actions : 1) * sizeof *t->group);
	t->n_groups = 0;
	if (!t->idx || !t->group)
		return -1;
	hmap_init(&seen, 0);
	for (i = 0; i < p->n_actions && rc == 0; i++) {
		const char *acc = p->actions[i].account;
		void *g;
		t->idx[i] = i;
		if (!acc) {
			t->group[i] = UINT_MAX;
			continue;
		}
		if ((g = hmap_get(&seen, acc))) {
			t->group[i] = (unsigned)(uintptr_t)g - 1;
			continue;
		}
		t->group[i] = (unsigned)t->n_groups++;
		rc = hmap_insert(&seen, acc, (void *)(uintptr_t)(t->n_groups), NULL) < 0 ? -1 : 0;
	}
	hmap_release(&seen);
	for (none = 0, i = 0; i < p->n_actions; i++)
		none |= t->group[i] == UINT_MAX;
	t->n_groups += none;
	if (rc == 0)
		qsort_r(t->idx, p->n_actions, sizeof *t->idx, cmp_group, t->group);
	return rc;
}

/* What the administrator must act on: the safety limits, the rejected
 * rows, the people left disabled. */
static void text_attention(struct out *o, const struct plan *p, const struct config *cfg,
			   const struct plan_status *st)
{
	size_t i;

	if (!st || st->preview)
		text_limits(&o->b, p, cfg);
	for (i = 0; i < p->n_rejected; i++) {
		const struct plan_reject *r = &p->rejected[i];
		if (r->key)
			buf_printf(&o->b, "Rejected line %u (%s): %s\n", r->line, r->key, r->reason);
		else
			buf_printf(&o->b, "Rejected line %u: %s\n", r->line, r->reason);
		flush_if(o, 1 << 16);
	}
	for (i = 0; i < p->n_left_disabled; i++) {
		const struct plan_manual *m = &p->left_disabled[i];
		buf_printf(&o->b, "Left disabled: %s (%s; ldapenroll enable --users to enable)\n", m->dn, m->reason);
		flush_if(o, 1 << 16);
	}
}

/* The actions, under a heading per account when there is more than one
 * group. */
static void text_actions(struct out *o, const struct plan *p, const struct plan_status *st)
{
	struct text_order t;
	unsigned last = UINT_MAX - 1;
	size_t k;

	if (order_by_account(p, &t) < 0) {
		oom_note(); /* the output fails */
		free(t.idx);
		free(t.group);
		return;
	}
	for (k = 0; k < p->n_actions; k++) {
		size_t i = t.idx[k];
		if (t.n_groups > 1 && t.group[i] != last) {
			if (k)
				buf_addc(&o->b, '\n');
			last = t.group[i];
			if (last == UINT_MAX)
				buf_adds(&o->b, "Not in an account:\n");
			else
				buf_printf(&o->b, "Account %s:\n", p->actions[i].account);
		}
		if (t.n_groups > 1)
			buf_adds(&o->b, "  ");
		text_action(&o->b, &p->actions[i], st, i);
		flush_if(o, 1 << 16);
	}
	if (t.n_groups > 1 && p->n_actions)
		buf_addc(&o->b, '\n');
	free(t.idx);
	free(t.group);
}

/* summary_only (--summary): the counts and what to act on, no list. */
static void write_text(struct out *o, const struct plan *p, const struct config *cfg, const char *command,
		       const struct plan_status *st, int summary_only)
{
	size_t i;

	/* What to act on comes first. */
	text_attention(o, p, cfg, st);
	if (!summary_only)
		text_actions(o, p, st);
	if (!p->n_actions && strcmp(command, "sync") == 0)
		buf_adds(&o->b, "No changes: the directory already matches the source.\n");
	else if (!p->n_actions)
		buf_adds(&o->b, "No changes: there is nothing to do for the people listed or selected.\n");
	for (i = 0; i < p->n_manual && !summary_only; i++) {
		const struct plan_manual *m = &p->manual[i];
		if (m->line)
			buf_printf(&o->b, "Needs manual notification: line %u (%s): %s\n", m->line, m->key, m->reason);
		else
			buf_printf(&o->b, "Needs manual notification: %s: %s\n", m->key ? m->key : m->dn, m->reason);
		flush_if(o, 1 << 16);
	}
	if (st && !st->preview) {
		text_report_summary(&o->b, p, st);
		return;
	}
	text_summary(&o->b, p, command, st);
	text_limits(&o->b, p, cfg);
	buf_adds(&o->b, "Nothing was changed; use --apply to apply.\n");
}

/* --- JSON --------------------------------------------------------------------- */

static void json_str_array(struct buf *b, const char *const *v, size_t n)
{
	size_t i;

	buf_addc(b, '[');
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		json_add_string(b, v[i]);
	}
	buf_addc(b, ']');
}

static void json_attrs(struct buf *b, const struct plan_action *a)
{
	size_t i;

	buf_adds(b, ",\"attributes\":{");
	for (i = 0; i < a->n_attrs; i++) {
		if (i)
			buf_addc(b, ',');
		json_add_string(b, a->attrs[i].name);
		buf_addc(b, ':');
		json_str_array(b, a->attrs[i].values, a->attrs[i].n);
	}
	buf_addc(b, '}');
}

static void json_messages(struct buf *b, const struct plan_action *a)
{
	size_t i;

	buf_adds(b, ",\"email\":");
	if (a->email)
		json_add_string(b, a->email);
	else
		buf_adds(b, "null");
	buf_adds(b, ",\"messages\":[");
	for (i = 0; i < a->n_messages; i++) {
		if (i)
			buf_addc(b, ',');
		json_add_string(b, msg_kind_name(a->messages[i]));
	}
	buf_addc(b, ']');
}

static void json_person_head(struct buf *b, const struct plan_action *a)
{
	buf_adds(b, ",\"key\":");
	json_add_string(b, a->key ? a->key : "");
	if (a->line)
		buf_printf(b, ",\"line\":%u", a->line);
	else
		buf_adds(b, ",\"line\":null");
	buf_addc(b, ',');
	json_add_member_str(b, "dn", a->dn);
}

/* What `apply` needs to render a person's messages without the source:
 * the built-ins and the columns of their row. */
static void json_person(struct buf *b, const struct plan_action *a, const struct config *cfg)
{
	size_t i, n = 0;

	buf_adds(b, ",\"person\":{");
	json_add_member_str(b, "username", a->username);
	buf_addc(b, ',');
	json_add_member_str(b, "first_name", a->first_name);
	buf_addc(b, ',');
	json_add_member_str(b, "last_name", a->last_name);
	buf_addc(b, ',');
	json_add_member_str(b, "account", a->account);
	buf_addc(b, ',');
	json_add_member_str(b, "locale", a->locale);
	buf_adds(b, ",\"columns\":{");
	for (i = 0; a->rec && i < cfg->columns.n; i++) {
		if (!a->rec->fields[i])
			continue;
		if (n++)
			buf_addc(b, ',');
		json_add_member_str(b, cfg->columns.items[i], a->rec->fields[i]);
	}
	buf_adds(b, "}}");
}

/* What must still hold when a saved plan is applied. */
static void json_precondition(struct buf *b, const struct plan_action *a)
{
	size_t i;

	buf_adds(b, ",\"precondition\":");
	switch (a->op) {
	case OP_CREATE_ACCOUNT:
	case OP_CREATE_ROLE:
	case OP_CREATE_PERSON:
		buf_adds(b, "{\"absent\":true}");
		break;
	case OP_ENABLE_PERSON:
		buf_adds(b, "{\"locked\":true}");
		break;
	case OP_DISABLE_PERSON:
		buf_adds(b, "{\"locked\":false}");
		break;
	case OP_UPDATE_PERSON:
		buf_adds(b, "{\"values\":{");
		for (i = 0; i < a->n_changes; i++) {
			if (i)
				buf_addc(b, ',');
			json_add_string(b, a->changes[i].attr);
			buf_addc(b, ':');
			json_str_array(b, a->changes[i].old, a->changes[i].n_old);
		}
		buf_adds(b, "}}");
		break;
	case OP_ADD_TO_ROLE:
		buf_adds(b, "{\"member\":false}");
		break;
	default:
		buf_adds(b, "{\"exists\":true}");
		break;
	}
}

static void json_action(struct buf *b, const struct plan_action *a, const struct config *cfg,
			const struct plan_status *st, size_t idx)
{
	size_t i;

	buf_adds(b, "{\"op\":");
	json_add_string(b, plan_op_name(a->op));
	switch (a->op) {
	case OP_CREATE_ACCOUNT:
		buf_addc(b, ',');
		json_add_member_str(b, "dn", a->dn);
		json_attrs(b, a);
		break;
	case OP_CREATE_ROLE:
		buf_addc(b, ',');
		json_add_member_str(b, "dn", a->dn);
		buf_addc(b, ',');
		json_add_member_str(b, "role", a->role);
		buf_printf(b, ",\"members\":%zu", a->n_members);
		json_attrs(b, a);
		break;
	case OP_CREATE_PERSON:
		json_person_head(b, a);
		buf_addc(b, ',');
		json_add_member_str(b, "role", a->role);
		buf_addc(b, ',');
		json_add_member_str(b, "role_origin", role_origin_name(a->role_origin));
		buf_addc(b, ',');
		json_add_member_str(b, "role_dn", a->role_dn);
		json_messages(b, a);
		json_attrs(b, a);
		break;
	case OP_ENABLE_PERSON:
	case OP_RESET_PASSWORD:
		json_person_head(b, a);
		json_messages(b, a);
		break;
	case OP_DISABLE_PERSON:
		json_person_head(b, a);
		break;
	case OP_UPDATE_PERSON:
		json_person_head(b, a);
		buf_adds(b, ",\"changes\":{");
		for (i = 0; i < a->n_changes; i++) {
			const struct plan_change *c = &a->changes[i];
			if (i)
				buf_addc(b, ',');
			json_add_string(b, c->attr);
			buf_adds(b, ":{\"old\":");
			json_str_array(b, c->old, c->n_old);
			buf_adds(b, ",\"new\":");
			if (c->value)
				json_add_string(b, c->value);
			else
				buf_adds(b, "null");
			buf_addc(b, '}');
		}
		buf_addc(b, '}');
		break;
	case OP_ADD_TO_ROLE:
		json_person_head(b, a);
		buf_addc(b, ',');
		json_add_member_str(b, "role", a->role);
		buf_addc(b, ',');
		json_add_member_str(b, "role_dn", a->role_dn);
		break;
	case OP_COUNT:
		break;
	}
	if (a->reason) {
		buf_addc(b, ',');
		json_add_member_str(b, "reason", a->reason);
	}
	if (a->resend)
		buf_adds(b, ",\"resend\":true");
	if (a->op == OP_DISABLE_PERSON)
		buf_printf(b, ",\"by_sync\":%s", a->by_sync ? "true" : "false");
	if (a->op == OP_CREATE_PERSON || a->op == OP_ENABLE_PERSON || a->op == OP_RESET_PASSWORD)
		json_person(b, a, cfg);
	json_precondition(b, a);
	if (st && !(st->preview && st->outcome[idx] == OUT_NONE)) {
		buf_addc(b, ',');
		json_add_member_str(b, "status", outcome_name(st->outcome[idx]));
		if (st->error && st->error[idx]) {
			buf_addc(b, ',');
			json_add_member_str(b, "error", st->error[idx]);
		}
	}
	buf_addc(b, '}');
}

/* People with a line, a DN and a reason (the manual list, those left
 * disabled). */
static void json_people_list(struct out *o, const struct plan_manual *v, size_t n)
{
	struct buf *b = &o->b;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct plan_manual *m = &v[i];
		buf_adds(b, i ? ",\n" : "\n");
		buf_adds(b, "{");
		json_add_member_str(b, "key", m->key);
		if (m->line)
			buf_printf(b, ",\"line\":%u,", m->line);
		else
			buf_adds(b, ",\"line\":null,");
		json_add_member_str(b, "dn", m->dn);
		buf_addc(b, ',');
		json_add_member_str(b, "reason", m->reason);
		buf_addc(b, '}');
		flush_if(o, 1 << 16);
	}
}

static void write_json(struct out *o, const struct plan *p, const struct config *cfg, const char *command,
		       const struct plan_status *st)
{
	struct buf *b = &o->b;
	size_t i;

	buf_adds(b, "{\"version\":1,");
	json_add_member_str(b, "command", command);
	buf_addc(b, ',');
	json_add_member_str(b, "source", p->source);
	buf_addc(b, ',');
	json_add_member_str(b, "config_sha256", cfg->digest);
	if (st && st->job) {
		buf_addc(b, ',');
		json_add_member_str(b, "job", st->job);
	}
	buf_adds(b, ",\n\"actions\":[");
	for (i = 0; i < p->n_actions; i++) {
		buf_adds(b, i ? ",\n" : "\n");
		json_action(b, &p->actions[i], cfg, st, i);
		flush_if(o, 1 << 16);
	}
	buf_adds(b, "],\n\"rejected\":[");
	for (i = 0; i < p->n_rejected; i++) {
		const struct plan_reject *r = &p->rejected[i];
		buf_adds(b, i ? ",\n" : "\n");
		buf_printf(b, "{\"line\":%u,", r->line);
		json_add_member_str(b, "key", r->key);
		buf_addc(b, ',');
		json_add_member_str(b, "reason", r->reason);
		buf_addc(b, '}');
		flush_if(o, 1 << 16);
	}
	buf_adds(b, "],\n\"manual_notification\":[");
	json_people_list(o, p->manual, p->n_manual);
	buf_adds(b, "],\n\"left_disabled\":[");
	json_people_list(o, p->left_disabled, p->n_left_disabled);
	buf_adds(b, "],\n\"summary\":{");
	for (i = 0; i < OP_COUNT; i++)
		buf_printf(b, "\"%s\":%zu,", plan_op_name((enum plan_op)i), p->counts[i]);
	buf_printf(b, "\"rejected\":%zu,\"messages\":%zu,\"manual_notification\":%zu,\"unchanged\":%zu,\"rows\":%zu,"
		      "\"memberships\":%zu",
		   p->n_rejected, p->n_messages, p->n_manual, p->n_unchanged, p->n_records, p->n_memberships);
	buf_printf(b, ",\"left_disabled\":%zu}", p->n_left_disabled);
	if (!st || st->preview)
		json_limits(b, p, cfg);
	buf_adds(b, "}\n");
}

/* --- LDIF --------------------------------------------------------------------- */

/* One value line, by libldap's LDIF writer (agent/text/ldif.c). */
static void ldif_line(struct buf *b, const char *attr, const char *v)
{
	buf_add_ldif(b, attr, v);
}

static void ldif_attrs(struct buf *b, const struct plan_action *a)
{
	size_t i, j;

	for (i = 0; i < a->n_attrs; i++)
		for (j = 0; j < a->attrs[i].n; j++)
			ldif_line(b, a->attrs[i].name, a->attrs[i].values[j]);
}

static void ldif_password(struct buf *b, const struct config *cfg)
{
	const struct flavour *f = cfg->directory.flavour;

	if (f->password_kind == PASSWORD_UNICODEPWD)
		buf_printf(b, "# %s: a password generated at apply time, sent over TLS (never shown)\n", f->password_attr);
	else
		buf_printf(b, "# %s: {%s} of a password generated at apply time (never shown)\n", f->password_attr,
			   cfg->passwords.hash == PW_SSHA     ? "SSHA"
			   : cfg->passwords.hash == PW_SSHA256 ? "SSHA256"
							       : "SSHA512");
}

/* The lock on or off: the flavour's attribute, or Active Directory's
 * userAccountControl with the bit set or cleared. */
static void ldif_lock(struct buf *b, const struct plan_action *a, const struct config *cfg, int on)
{
	const struct flavour *f = cfg->directory.flavour;
	unsigned long uac;
	char num[24];

	if (f->lock_kind == LOCK_VALUE && !on) {
		buf_printf(b, "delete: %s\n-\n", f->lock_attr);
		return;
	}
	buf_printf(b, "replace: %s\n", f->lock_attr);
	if (f->lock_kind == LOCK_VALUE) {
		ldif_line(b, f->lock_attr, f->lock_value);
	} else {
		uac = a->entry ? entry_uac(a->entry) : UAC_NORMAL_ACCOUNT;
		snprintf(num, sizeof num, "%lu", on ? uac | UAC_ACCOUNTDISABLE : uac & ~UAC_ACCOUNTDISABLE);
		ldif_line(b, f->lock_attr, num);
	}
	buf_adds(b, "-\n");
}

/* The members each role group gains, in plan order. */
struct members {
	const char *role_dn;
	const char **dns;
	size_t n, alloc;
	int created; /* the plan creates the group: members go into its add */
	struct members *next;
};

/* The members the plan adds, per role group; the groups in the order the
 * plan first names them. */
struct member_groups {
	struct hmap by_dn;
	struct members *first, **tail;
};

static int collect_members(const struct plan *p, struct member_groups *groups)
{
	size_t i;

	for (i = 0; i < p->n_actions; i++) {
		const struct plan_action *a = &p->actions[i];
		struct members *m;

		if ((a->op != OP_CREATE_PERSON && a->op != OP_ADD_TO_ROLE) || !a->role_dn)
			continue;
		if (!(m = hmap_get(&groups->by_dn, a->role_dn))) {
			m = calloc(1, sizeof *m);
			if (!m || hmap_insert(&groups->by_dn, a->role_dn, m, NULL) < 0) {
				free(m);
				return -1;
			}
			m->role_dn = a->role_dn;
			*groups->tail = m;
			groups->tail = &m->next;
		}
		if (m->n == m->alloc) {
			size_t na = m->alloc ? m->alloc * 2 : 8;
			const char **t = realloc(m->dns, na * sizeof *t);
			if (!t)
				return -1;
			m->dns = t;
			m->alloc = na;
		}
		m->dns[m->n++] = a->dn;
	}
	return 0;
}

/* The header of an action: "# op, line N: reason", then its dn. */
static void ldif_head(struct buf *b, const struct plan_action *a)
{
	buf_printf(b, "\n# %s", plan_op_name(a->op));
	if (a->line)
		buf_printf(b, ", line %u", a->line);
	if (a->reason)
		buf_printf(b, ": %s", a->reason);
	buf_addc(b, '\n');
	ldif_line(b, "dn", a->dn);
}

/* A new account container, or a new role group with the members the plan
 * gives it. */
static void ldif_create(struct buf *b, const struct plan_action *a, struct member_groups *groups,
			const char *member)
{
	struct members *m;
	size_t j;

	buf_adds(b, "changetype: add\n");
	ldif_attrs(b, a);
	if (a->op == OP_CREATE_ROLE && (m = hmap_get(&groups->by_dn, a->dn))) {
		m->created = 1;
		for (j = 0; j < m->n; j++)
			ldif_line(b, member, m->dns[j]);
	}
}

static void ldif_create_person(struct buf *b, const struct plan_action *a, const struct config *cfg)
{
	const struct flavour *f = cfg->directory.flavour;

	size_t k;

	buf_adds(b, "changetype: add\n");
	ldif_attrs(b, a);
	for (k = 0; f->create_extra && f->create_extra[k]; k += 2)
		ldif_line(b, f->create_extra[k], f->create_extra[k + 1]);
	ldif_password(b, cfg);
	if (cfg->passwords.must_change && f->must_change_attr)
		ldif_line(b, f->must_change_attr, f->must_change_value);
	if (f->policy_subentry)
		ldif_line(b, "pwdPolicySubentry", cfg->directory.password_policy);
}

/* enable_person and reset_password: a fresh password (and the lock gone). */
static void ldif_new_password(struct buf *b, const struct plan_action *a, const struct config *cfg)
{
	const struct flavour *f = cfg->directory.flavour;

	buf_adds(b, "changetype: modify\n");
	if (a->op == OP_ENABLE_PERSON)
		ldif_lock(b, a, cfg, 0);
	if (a->op == OP_ENABLE_PERSON && a->entry && entry_disabled_by_sync(cfg, a->entry)) {
		buf_printf(b, "delete: %s\n", cfg->people.note_attribute);
		ldif_line(b, cfg->people.note_attribute, SYNC_DISABLED_NOTE);
		buf_adds(b, "-\n");
	}
	buf_printf(b, "replace: %s\n", f->password_attr);
	ldif_password(b, cfg);
	buf_adds(b, "-\n");
	if (cfg->passwords.must_change && f->must_change_attr) {
		buf_printf(b, "replace: %s\n", f->must_change_attr);
		ldif_line(b, f->must_change_attr, f->must_change_value);
		buf_adds(b, "-\n");
	}
	if (f->policy_subentry) {
		buf_adds(b, "replace: pwdPolicySubentry\n");
		ldif_line(b, "pwdPolicySubentry", cfg->directory.password_policy);
		buf_adds(b, "-\n");
	}
}

static void ldif_disable(struct buf *b, const struct plan_action *a, const struct config *cfg)
{
	const char *note = cfg->people.note_attribute;

	int has = a->entry && entry_has_value(a->entry, note, SYNC_DISABLED_NOTE, 0);

	buf_adds(b, "changetype: modify\n");
	ldif_lock(b, a, cfg, 1);
	/* Sync notes that it disabled the person; an administrator's disable
	 * takes the note away. */
	if (a->by_sync != has) {
		buf_printf(b, "%s: %s\n", a->by_sync ? "add" : "delete", note);
		ldif_line(b, note, SYNC_DISABLED_NOTE);
		buf_adds(b, "-\n");
	}
}

static void ldif_update(struct buf *b, const struct plan_action *a)
{
	size_t j;

	buf_adds(b, "changetype: modify\n");
	for (j = 0; j < a->n_changes; j++) {
		const struct plan_change *c = &a->changes[j];
		if (c->value) {
			buf_printf(b, "replace: %s\n", c->attr);
			ldif_line(b, c->attr, c->value);
		} else {
			buf_printf(b, "delete: %s\n", c->attr);
		}
		buf_adds(b, "-\n");
	}
}

/* Members joining groups that exist already: one modify per group. Frees
 * the collected members. */
static void ldif_memberships(struct out *o, struct member_groups *groups, const char *member)
{
	struct buf *b = &o->b;
	struct members *m, *next;
	size_t j;

	for (m = groups->first; m; m = next) {
		next = m->next;
		if (!m->created && m->n) {
			buf_adds(b, "\n# add_to_role\n");
			ldif_line(b, "dn", m->role_dn);
			buf_printf(b, "changetype: modify\nadd: %s\n", member);
			for (j = 0; j < m->n; j++)
				ldif_line(b, member, m->dns[j]);
			buf_adds(b, "-\n");
		}
		free(m->dns);
		free(m);
		flush_if(o, 1 << 16);
	}
}

static void write_ldif(struct out *o, const struct plan *p, const struct config *cfg)
{
	struct buf *b = &o->b;
	struct member_groups groups = {{0}, NULL, NULL};
	const char *member = cfg->roles.member_attribute ? cfg->roles.member_attribute : "member";
	size_t i;

	hmap_init(&groups.by_dn, 0);
	groups.tail = &groups.first;
	if (collect_members(p, &groups) < 0)
		o->failed = 1; /* members would be missing */
	buf_adds(b, "# ldapenroll plan as LDIF. Passwords are generated at apply time and never shown;\n"
		    "# feeding this file to ldapadd/ldapmodify creates people who cannot log in.\n");
	for (i = 0; i < p->n_actions; i++) {
		const struct plan_action *a = &p->actions[i];

		if (a->op == OP_ADD_TO_ROLE)
			continue; /* grouped per role group below */
		ldif_head(b, a);
		switch (a->op) {
		case OP_CREATE_ACCOUNT:
		case OP_CREATE_ROLE: ldif_create(b, a, &groups, member); break;
		case OP_CREATE_PERSON: ldif_create_person(b, a, cfg); break;
		case OP_ENABLE_PERSON:
		case OP_RESET_PASSWORD: ldif_new_password(b, a, cfg); break;
		case OP_DISABLE_PERSON: ldif_disable(b, a, cfg); break;
		case OP_UPDATE_PERSON: ldif_update(b, a); break;
		default: break;
		}
		flush_if(o, 1 << 16);
	}
	ldif_memberships(o, &groups, member);
	hmap_release(&groups.by_dn);
}

int plan_write(FILE *f, enum plan_format format, const struct plan *p, const struct config *cfg,
	       const char *command, const struct plan_status *st)
{
	struct out o = {f, BUF_INIT, 0};
	unsigned long oom_before = oom_count();

	switch (format) {
	case PLAN_TEXT:
	case PLAN_SUMMARY:
		write_text(&o, p, cfg, command, st, format == PLAN_SUMMARY);
		break;
	case PLAN_JSON:
		write_json(&o, p, cfg, command, st);
		break;
	case PLAN_LDIF:
		write_ldif(&o, p, cfg);
		break;
	}
	if (oom_count() != oom_before) /* a scratch buffer lost text */
		o.failed = 1;
	flush_if(&o, 0);
	buf_release(&o.b);
	if (fflush(f) != 0)
		o.failed = 1;
	return o.failed ? -1 : 0;
}
