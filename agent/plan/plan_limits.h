/* The safety limits (config limits) measured on a plan: which ones it goes
 * past, and the --force-limits N that would let it through. PURE. The
 * preview prints it ("apply will stop: ..."), the apply enforces it before
 * its first change. */
#ifndef LDAPENROLL_PLAN_LIMITS_H
#define LDAPENROLL_PLAN_LIMITS_H

#include <stddef.h>

#include "agent/base/buf.h"
#include "agent/plan/plan.h"
#include "config/config.h"

#define PLAN_LIMITS_MAX 3

struct plan_limit {
	enum plan_op op;        /* what is counted: creates, disables, password resets */
	size_t count;
	const char *key;        /* the limit it passes: "limits.max_disable" */
	unsigned long limit;    /* that limit's value (a percentage: the number it gives) */
};

struct plan_limits {
	struct plan_limit over[PLAN_LIMITS_MAX];
	size_t n;
	size_t force;           /* the smallest --force-limits N that lets the plan through */
};

/* Measures p (whose n_managed is the managed people in the directory)
 * against lim. Password resets that send the messages of an earlier job
 * again are not counted: they replace a password nobody was told. */
void plan_limits(const struct plan *p, const struct cfg_limits *lim, struct plan_limits *out);

/* Appends "3 disables > limits.max_disable 2; ..." (nothing when none). */
void plan_limits_describe(const struct plan_limits *l, struct buf *out);

#endif
