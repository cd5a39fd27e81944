/* agent/apply: a plan made real in the directory. It owns the engine
 * (apply.c: send, settle, read back, reconnect, verify, journal), the
 * operations a plan becomes (apply_build.c) and passwords (password.c:
 * generated, checked, hashed). It may use agent/plan, connectors and
 * agent/state (and what they use).
 *
 * Executes a plan against the directory: exactly the actions the preview
 * shows, asynchronously, with up to directory.window operations in flight.
 *
 * Order follows dependencies: account containers, then people (creates,
 * enables, password resets, updates, disables), then role groups (new groups
 * with their members in one add, members of existing groups in batched
 * modifies). A new person is one add carrying the hashed password,
 * pwdReset: TRUE and pwdPolicySubentry together.
 *
 * One entry's failure never stops the others; it is recorded with the
 * result code, the server's text, the DN and the source line. Invalid
 * credentials, insufficient access and the like stop the run. A lost
 * connection (or a server that stops answering) is reconnected; every
 * operation whose outcome is unknown is read back and retried only when it
 * did not happen. Every intent is in the journal, fsync'ed, before its
 * write; every outcome follows it. */
#ifndef LDAPENROLL_APPLY_H
#define LDAPENROLL_APPLY_H

#include <stddef.h>

#include "config/config.h"
#include "connectors/directory.h"
#include "agent/base/arena.h"
#include "agent/base/diag.h"
#include "agent/state/journal.h"
#include "agent/apply/password.h"
#include "agent/base/pwstore.h"
#include "agent/plan/plan.h"

struct apply_report {
	size_t done[OP_COUNT];
	size_t failed[OP_COUNT];
	size_t skipped;        /* not attempted (a container failed, or the run stopped) */
	size_t refused;        /* not done: the entry changed since the plan was made */
	size_t memberships;    /* people put into role groups */
	size_t not_enforced;   /* people the server will not force to change their password */
	size_t not_replicated; /* people written to a server that went away before replicating
	                        * them to the one connected at the end */
	size_t passwords;      /* people who got a new password */
	int stopped;           /* the run stopped early (status in the diag) */
};

struct apply {
	const struct config *cfg;
	const struct plan *plan;
	struct dir *dir;
	struct journal *journal;
	struct pwstore *passwords; /* filled per action: the password it set */
	const char *fixed_password; /* reset-passwords --password-file: this one for
	                             * everyone (borrowed); NULL: generated ones */
	const char *const *refused; /* per action, NULL or why a saved plan's
	                             * precondition no longer holds (those are not done) */
	/* The entries the run read under directory.base before planning
	 * (borrowed; none: not known): the final check reads the people one
	 * by one when that costs the server less than a search of the base. */
	const struct entry *entries;
	size_t n_entries;
	/* per action */
	enum outcome *outcome;
	const char **error;        /* why it failed or was skipped */
	struct arena strings;      /* holds the error texts */
};

/* Runs the plan. a->outcome, a->error and a->passwords are allocated here
 * (released with apply_release). Returns 0 when the run went through (some
 * actions may have failed: see the report), or the status that stopped it. */
int apply_plan(struct apply *a, struct apply_report *report, struct diag *d);
void apply_release(struct apply *a);

#endif
