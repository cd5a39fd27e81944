/* A run of one command: the context every stage works in, and the stages
 * the commands share (cmd_*.c): config, source, directory read, plan,
 * preview, and the apply path with its preflight, job and report.
 * main() gets a status back and turns it into the exit code. */
#ifndef LDAPENROLL_RUN_H
#define LDAPENROLL_RUN_H

#include "config/config.h"
#include "connectors/directory.h"
#include "agent/apply/apply.h"
#include "agent/base/arena.h"
#include "agent/cli/cli.h"
#include "agent/base/hmap.h"
#include "agent/state/journal.h"
#include "agent/apply/password.h"
#include "agent/plan/plan.h"
#include "agent/plan/plan_format.h"

/* Everything one run holds; released by run_command() at the end. */
struct run {
	const struct cli *cli;
	struct config *cfg;
	/* the source */
	struct arena records_arena;
	struct record **records;
	size_t n_records, alloc_records;
	const char *source_name;
	char source_digest[65];    /* SHA-256 of a file source, "" otherwise */
	/* the directory */
	struct arena entries_arena;
	struct entry_list entries;
	struct dir *dir;
	/* the plan and its execution */
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

int run_command(const struct cli *cli);

/* Stages. Each returns 0 or a negative status with the reason in r->d. */
int run_read_source(struct run *r);
int run_read_directory(struct run *r);
/* Without the directory (offline) only the rows are checked. */
int run_make_plan(struct run *r, int with_directory);
/* The preview, or with status the report of what was done. */
int run_write_plan(struct run *r, const char *command, const struct plan_status *status);
void run_log_plan(const struct plan *p);
/* The password policy holds pwdMustChange: TRUE (and pwdLockout: TRUE when
 * need_lockout). Needs r->dir. */
int run_check_policy(struct run *r, int need_lockout);
/* Before anything changes: the state directory and the run lock; then the
 * people earlier runs left waiting for their messages. */
int run_lock_state(struct run *r);
/* Executes r->plan as a job (preflight, journal, apply, report). Returns 0
 * when everything was done, 1 when the run finished with failures or
 * rejected rows, or the status that stopped it. */
int run_apply(struct run *r, const char *command);

/* Commands. */
int cmd_check(struct run *r);
int cmd_sync(struct run *r);
int cmd_jobs(struct run *r);
int cmd_admin(struct run *r);
int cmd_apply(struct run *r);

#endif
