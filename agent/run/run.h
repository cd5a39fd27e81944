/* agent/run: the stages of a run, in pipeline order, and the job that
 * --apply makes of them. This layer owns struct run, the context every
 * stage works in; it may use every layer below it (base, text, config,
 * connectors, plan, state, apply, notify) and is used by agent/cli alone.
 *
 * run.c: the context's life cycle and the config; stages.c: source,
 * directory read, plan, plan output, policy check; job.c: lock, preflight,
 * journal, apply, mail, report. Each stage returns 0 or a negative status
 * with the reason in r->d. */
#ifndef LDAPENROLL_RUN_H
#define LDAPENROLL_RUN_H

#include "agent/apply/apply.h"
#include "agent/base/arena.h"
#include "agent/base/hmap.h"
#include "agent/plan/plan.h"
#include "agent/plan/plan_format.h"
#include "agent/run/options.h"
#include "agent/state/journal.h"
#include "config/config.h"
#include "connectors/directory.h"

/* Everything one run holds; released by run_release(). */
struct run {
	const struct options *opt;
	struct config *cfg;
	/* the source */
	struct arena records_arena;
	struct record **records;
	size_t n_records, alloc_records;
	const char *source_name;
	char source_digest[65];    /* SHA-256 of a file source, "" otherwise */
	/* Set once the source is read in full (by the thread that reads it). */
	_Atomic int records_ready;
	/* the directory */
	struct arena entries_arena;
	struct entry_list entries;
	struct dir *dir;
	/* the plan and its execution; the plan made while the directory is
	 * read (run_read_inputs), until run_make_plan finishes it */
	struct plan_session *planning;
	int planning_failed;
	struct plan *plan;
	struct run_lock lock;
	struct journal *journal;
	struct apply apply;
	/* people whose messages earlier runs could not confirm (key -> job) */
	struct hmap pending;
	struct arena pending_arena;
	int pending_loaded;
	struct diag d;
};

/* run.c */
/* An empty run for opt (borrowed, must outlive the run). */
void run_init(struct run *r, const struct options *opt);
/* Frees everything the run holds and releases the lock. */
void run_release(struct run *r);
/* Loads the config (-c, or the default search path); every problem is
 * logged. */
int run_load_config(struct run *r);
/* Logs the reason the run failed (r->d), line by line. */
void run_log_error(struct run *r);

/* stages.c */
int run_read_source(struct run *r);
int run_read_directory(struct run *r);
/* Both: a CSV source is read in a thread of its own while the directory is
 * read, and once it is, the rows are planned between the directory's pages
 * (plan_session_*; run_make_plan finishes that plan). Returns the source's
 * error first, as when it was read first. */
int run_read_inputs(struct run *r);
/* Without the directory (offline) only the rows are checked. */
int run_make_plan(struct run *r, int with_directory);
/* The preview, or with status the report of what was done. */
int run_write_plan(struct run *r, const char *command, const struct plan_status *status);
void run_log_plan(const struct plan *p);
/* A warning when the plan rejected rows (they never fail a run alone). */
void run_warn_rejected(const struct plan *p);
/* The password policy holds pwdMustChange: TRUE (and pwdLockout: TRUE when
 * need_lockout). Needs r->dir. */
int run_check_policy(struct run *r, int need_lockout);

/* job.c */
/* Before anything changes: the state directory and the run lock; then the
 * people earlier runs left waiting for their messages. */
int run_lock_state(struct run *r);
/* The people earlier jobs left waiting for their messages (the plan sends
 * them again), without the lock: for a preview, which then says so when
 * the state directory cannot be read (required 0) instead of failing. */
int run_load_pending(struct run *r, int required);
/* Executes r->plan as a job (preflight, journal, apply, report). Returns 0
 * when everything was done, 1 when the run finished with failures or
 * rejected rows, or the status that stopped it. */
int run_apply(struct run *r, const char *command);

#endif
