/* Reading jobs back: the list of jobs, one job in full (while it runs too),
 * and the people whose messages were never confirmed, whom the next run
 * gives a fresh password and sends again.
 *
 * A journal is a series of JSON lines (see journal.h). Lines that cannot be
 * parsed (a crash in the middle of a write) are skipped and counted. */
#ifndef LDAPENROLL_JOBS_H
#define LDAPENROLL_JOBS_H

#include <stddef.h>
#include <time.h>

#include "agent/base/arena.h"
#include "agent/base/diag.h"
#include "agent/base/hmap.h"

struct job_action {
	const char *op, *status, *error, *role_dn;
	int code;
};

struct job_message {
	const char *kind, *to, *status, *error;
	int attempts;
	long long link_expires; /* link delivery: when the link it carried expires, or 0 */
};

struct job_person {
	const char *key, *dn;
	unsigned line;
	struct job_action *actions;
	size_t n_actions, alloc_actions;
	struct job_message *messages;
	size_t n_messages, alloc_messages;
	int password;          /* a password was set for them in this job */
	const char *notify;    /* "pending", "manual", "none" or NULL */
	size_t n_expected;     /* messages the notify record announced */
	const char *manual;    /* why they need manual notification, or NULL */
	const char *email;     /* the address messages went to, or NULL */
};

struct job_rejected {
	unsigned line;
	const char *key, *reason;
};

struct job {
	struct arena arena;
	const char *id, *command, *started, *finished, *status;
	long pid;
	size_t planned;        /* actions in the plan (from the header) */
	size_t results;        /* action outcomes recorded so far */
	size_t done, failed, skipped, unknown, refused;
	size_t msg_sent, msg_failed, msg_pending, msg_skipped;
	size_t not_enforced, bad_lines;
	size_t not_replicated; /* written to a server that went away before replicating them */
	struct job_person *people;
	size_t n_people, alloc_people;
	struct job_rejected *rejected;
	size_t n_rejected, alloc_rejected;
	struct hmap by_key;    /* key (or DN) -> index + 1 */
	char end_counts[1024]; /* the counts of the end record, as JSON */
};

/* Reads job id from state_dir. Returns 0, or ST_INPUT when there is no
 * such job. The status is "running" when the job has no end yet and its
 * process holds the run lock, "interrupted" when it has no end and does not. */
int job_read(const char *state_dir, const char *id, struct job **out, struct diag *d);
void job_free(struct job *j);

/* A job's "started" time (2026-12-03T10:00:00Z) as a time, or 0. */
time_t job_time(const char *iso);

/* The ids of all jobs, oldest first (ids sort by time). The caller frees
 * each and the array. */
int jobs_ids(const char *state_dir, char ***ids, size_t *n, struct diag *d);

/* A person's notification state after a job: waiting for messages (a
 * password was set, and not every message was sent), or not. */
int job_person_pending(const struct job_person *p);
/* Whether a person's messages were not all confirmed sent: pending, or
 * failed (notify --job sends those again). */
int job_person_unconfirmed(const struct job_person *p);

/* People whose messages were never confirmed, as of the newest job: key ->
 * the id of the job that set their password (both in arena). Reads the
 * snapshot state_dir/pending.jsonl and every job newer than it. */
int pending_load(const char *state_dir, struct hmap *pending, struct arena *arena, struct diag *d);
/* Writes the snapshot (atomically) as of job through_id. */
int pending_save(const char *state_dir, const struct hmap *pending, const char *through_id, struct diag *d);
/* Applies one job's outcomes to the pending set. */
void pending_apply_job(struct hmap *pending, struct arena *arena, const struct job *j);

/* --- activations: passwords set through a link ---------------------------

 * `ldapenroll serve` appends one line to state_dir/activations.jsonl for
 * each password a person sets through a link: the time, the DN and the job
 * that issued the link. The directory remains the authority (pwdReset);
 * this record lets `jobs` say who activated without asking it. */
int activation_record(const char *state_dir, const char *job, const char *dn, time_t when, struct diag *d);
/* DN -> the time of the latest activation (a time_t as intptr_t; the DNs
 * in arena). A missing file is no activation; unreadable lines are
 * skipped. */
int activations_load(const char *state_dir, struct hmap *by_dn, struct arena *arena, struct diag *d);

/* --- retention (state.keep_jobs) --------------------------------------- */

struct jobs_prune {
	char **ids;            /* the jobs deleted (or, without apply, to delete), oldest first */
	size_t n;
	size_t kept_waiting;   /* old enough, kept: people of theirs still wait for messages */
	size_t kept_unfolded;  /* old enough, kept: not yet in the pending snapshot */
};

/* The jobs whose id is older than keep_s seconds before now, except those
 * whose people still wait for their messages (notify --job needs them) and
 * those newer than the pending snapshot (who waits is computed from them).
 * With apply they are deleted. Returns 0 or a negative status; free out
 * with jobs_prune_release(). */
int jobs_prune(const char *state_dir, unsigned long keep_s, time_t now, int apply, struct jobs_prune *out,
	       struct diag *d);
void jobs_prune_release(struct jobs_prune *p);

#endif
