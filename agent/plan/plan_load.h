/* Saved plans: the JSON of `sync --format json` read back for `apply`, and
 * the check of each action's precondition against the directory as it is
 * now. PURE: text and entries in, a plan and verdicts out. */
#ifndef LDAPENROLL_PLAN_LOAD_H
#define LDAPENROLL_PLAN_LOAD_H

#include <stddef.h>

#include "config/config.h"
#include "agent/plan/plan.h"

/* Reads a plan from its JSON text. A plan of another version, or made with
 * another config (its config_sha256 differs from cfg->digest), is refused
 * (ST_INPUT), as is anything malformed. On success *out is the plan (free
 * with plan_free) and *command the command that made it (in the plan). */
int plan_load(const char *text, size_t len, const struct config *cfg, const char *name, struct plan **out,
	      const char **command, struct diag *d);

/* For each action, NULL when its precondition holds in entries (the
 * directory now), or why not ("the entry exists now"); the strings live in
 * the plan's arena. refused has p->n_actions slots. Returns how many are
 * refused. */
size_t plan_check_preconditions(struct plan *p, const struct config *cfg, const struct entry *entries,
				size_t n_entries, const char **refused);

#endif
