/* Plans for the administrator's one-off jobs, from the directory alone:
 * enable or disable listed people, reset passwords by scope, send the
 * messages of an earlier job again. PURE, like the sync planner: entries
 * and lists in, a plan out.
 *
 * Everything a message needs is taken from the person's entry: the
 * attributes mapped from a single column ({FirstName} -> givenName) give
 * that column back, so templates and locales work as they do in sync. */
#ifndef LDAPENROLL_PLAN_ADMIN_H
#define LDAPENROLL_PLAN_ADMIN_H

#include <stddef.h>

#include "agent/plan/plan.h"

enum admin_kind { ADMIN_ENABLE, ADMIN_DISABLE, ADMIN_RESET, ADMIN_NOTIFY };
enum reset_scope { RESET_ALL, RESET_ALL_EXCEPT, RESET_WITHOUT_ROLE, RESET_SELECTED };

/* A key from a --users file, or a person of an earlier job. */
struct listed {
	const char *key;
	unsigned line;        /* in the --users file; 0 for a job's people */
	const char *dn;       /* a job's people: their DN then */
	const char *job;      /* a job's people: the job that set their password (NULL: admin_input.job) */
	int unconfirmed;      /* a job's people: messages failed or pending */
};

struct admin_input {
	const struct config *cfg;
	const struct entry *entries;  /* the managed subtree, as sync reads it */
	size_t n_entries;
	enum admin_kind kind;
	enum reset_scope scope;       /* reset */
	const struct listed *listed;  /* enable, disable, reset selected/all-except, notify */
	size_t n_listed;
	int default_password;         /* reset: one given password, no message */
	int all;                      /* notify: also those who changed their password */
	const char *job;              /* notify: the job resent */
	const char *source;           /* what the plan shows as its source */
};

/* Returns 0 with the plan in *out (free with plan_free), or ST_FAIL.
 * Listed keys that match no managed person become rejected entries (with
 * their line); people left alone are counted in n_unchanged. */
int plan_admin(const struct admin_input *in, struct plan **out, struct diag *d);

#endif
