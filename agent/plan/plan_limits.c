#include "agent/plan/plan_limits.h"

#include <string.h>

static void over(struct plan_limits *out, enum plan_op op, size_t count, const char *key, unsigned long limit)
{
	struct plan_limit *l;
	size_t i;

	/* One line per operation: the tighter limit is the one reported. */
	for (i = 0; i < out->n; i++)
		if (out->over[i].op == op) {
			if (limit < out->over[i].limit) {
				out->over[i].key = key;
				out->over[i].limit = limit;
			}
			return;
		}
	l = &out->over[out->n++];
	l->op = op;
	l->count = count;
	l->key = key;
	l->limit = limit;
	if (count > out->force)
		out->force = count;
}

void plan_limits(const struct plan *p, const struct cfg_limits *lim, struct plan_limits *out)
{
	size_t creates = p->counts[OP_CREATE_PERSON], disables = p->counts[OP_DISABLE_PERSON], resets = 0, i;
	unsigned long disable_pct = (unsigned long)(p->n_managed * lim->max_disable_percent / 100);
	unsigned long reset_pct = (unsigned long)(p->n_managed * lim->max_reset_percent / 100);

	memset(out, 0, sizeof *out);
	for (i = 0; i < p->n_actions; i++)
		resets += p->actions[i].op == OP_RESET_PASSWORD && !p->actions[i].resend;
	if (creates > lim->max_create)
		over(out, OP_CREATE_PERSON, creates, "limits.max_create", lim->max_create);
	if (disables > lim->max_disable)
		over(out, OP_DISABLE_PERSON, disables, "limits.max_disable", lim->max_disable);
	if (disables && disables > disable_pct)
		over(out, OP_DISABLE_PERSON, disables, "limits.max_disable_percent", disable_pct);
	if (resets > lim->max_reset)
		over(out, OP_RESET_PASSWORD, resets, "limits.max_reset", lim->max_reset);
	if (resets && resets > reset_pct)
		over(out, OP_RESET_PASSWORD, resets, "limits.max_reset_percent", reset_pct);
}

void plan_limits_describe(const struct plan_limits *l, struct buf *out)
{
	static const char *const words[OP_COUNT] = {
		[OP_CREATE_PERSON] = "creates",
		[OP_DISABLE_PERSON] = "disables",
		[OP_RESET_PASSWORD] = "password resets",
	};
	size_t i;

	for (i = 0; i < l->n; i++)
		buf_printf(out, "%s%zu %s > %s %lu", i ? "; " : "", l->over[i].count, words[l->over[i].op],
			   l->over[i].key, l->over[i].limit);
}
