/* agent/state: what outlives a run in state_dir. It owns the run lock and
 * the job journals (journal.c) and reading them back: jobs, their people,
 * who still waits for messages (jobs.c). It may use agent/base and
 * agent/text.
 *
 * Jobs: the state directory, the run lock and the append-only journal of
 * each run (state_dir/jobs/ID.jsonl, one JSON object per line).
 *
 * The journal is written with write(2) as the run goes (records are
 * collected for at most half a second or 16 KiB), so that `jobs ID` shows
 * progress from another terminal; it is fsync'ed at checkpoints (before the
 * writes whose intent it records, and at the end). A record that must be
 * on disk before the next step is followed by journal_flush or
 * journal_sync. A failed write or fsync is sticky: once the
 * journal cannot be trusted, the run makes no further change. */
#ifndef LDAPENROLL_JOURNAL_H
#define LDAPENROLL_JOURNAL_H

#include <stddef.h>
#include <time.h>

#include "agent/base/buf.h"
#include "agent/base/diag.h"

/* Creates state_dir and state_dir/jobs (mode 0700) if needed and proves
 * that a file can be written and fsync'ed there. Returns 0 or ST_INPUT. */
int state_prepare(const char *state_dir, struct diag *d);

struct run_lock {
	int fd;
	char holder[256];   /* what the lock file says of us */
};

/* Takes the run lock (state_dir/lock) for command ("sync --apply"). Its
 * file names the holder (pid, command, job once it has one, since when),
 * and a second run is told all of it. Returns 0, or ST_LOCKED with the
 * holder in d. */
int run_lock_take(const char *state_dir, const char *command, struct run_lock *lock, struct diag *d);
/* Adds the job the holder runs to the lock file. */
void run_lock_job(struct run_lock *lock, const char *job);
void run_lock_release(struct run_lock *lock);
/* Whether some process holds the run lock now; never takes it, so that a
 * run starting at the same moment is not turned away. */
int run_lock_held(const char *state_dir);

struct journal;

/* Creates a new job: an id like 20261121T101500Z-3f9a (the time, and the
 * millisecond with a few random bits, so that ids sort in start order) and
 * its journal file (mode 0600). Returns 0 or a negative status. */
int journal_create(const char *state_dir, struct journal **out, struct diag *d);
const char *journal_id(const struct journal *j);
const char *journal_path(const struct journal *j);

/* Appends one record (a JSON object, without the newline). Returns 0 or
 * ST_FAIL; the failure is remembered (journal_ok turns false). A record
 * that finds no memory to be buffered is written at once. */
int journal_append(struct journal *j, const char *record, size_t len);
/* The same for a record built in b. A buffer that lost text (b->failed) is
 * not written (a cut record must never be) and counts as a failure of the
 * journal, except that later records still go in: the end record says why
 * the run stopped. */
int journal_append_buf(struct journal *j, const struct buf *b);
/* Writes the records appended so far (no fsync). Returns 0 or ST_FAIL. */
int journal_flush(struct journal *j);
/* Makes what was appended durable. Returns 0 or ST_FAIL (remembered). */
int journal_sync(struct journal *j, struct diag *d);
/* False once a write or an fsync failed, or a record was lost. */
int journal_ok(const struct journal *j);
/* The reason of the first failure ("" when none). */
const char *journal_error(const struct journal *j);
void journal_close(struct journal *j);

/* The current time as "2026-11-21T10:15:00Z"; utc_text() any time so
 * ("?" when it has no such form). jobs.h job_time() reads it back. */
void utc_now(char out[32]);
void utc_text(time_t t, char out[32]);

#endif
