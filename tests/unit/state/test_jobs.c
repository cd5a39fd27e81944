/* Unit tests for agent/state/jobs.c: reading job journals back (counts, people,
 * their actions and messages, manual notification, the status of a job
 * that ended, crashed or still runs, damaged lines), the list of jobs, and
 * the people who still wait for their messages across jobs (the pending
 * set, its snapshot, and jobs newer than the snapshot).
 *
 * The journals are written here by hand, one JSON object per line, in the
 * shapes the run writes them (see agent/state/journal.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/arena.h"
#include "agent/base/diag.h"
#include "agent/base/hmap.h"
#include "agent/base/json.h"
#include "agent/base/buf.h"
#include "agent/state/jobs.h"
#include "agent/state/journal.h"
#include "tests/unit/scratch.h"
#include "tests/unit/state/journals.h"

/* --- fixture ---------------------------------------------------------------------- */

struct fx {
	char state[128];
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	char path[256];

	if (!f)
		return -1;
	if (scratch_dir_make(f->state, sizeof f->state, "jobs") < 0) {
		free(f);
		return -1;
	}
	snprintf(path, sizeof path, "%s/jobs", f->state);
	if (mkdir(path, 0700) < 0) {
		rmdir(f->state);
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	scratch_dir_remove(f->state);
	free(f);
	return 0;
}

static void write_path(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

/* Writes state/jobs/ID.jsonl. */
static void write_job(const struct fx *f, const char *id, const char *text)
{
	char path[512];

	snprintf(path, sizeof path, "%s/jobs/%s.jsonl", f->state, id);
	write_path(path, text);
}

static void write_state_file(const struct fx *f, const char *name, const char *text)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", f->state, name);
	write_path(path, text);
}

static struct job *read_ok(const struct fx *f, const char *id)
{
	struct job *j = NULL;
	struct diag d;

	diag_init(&d);
	if (job_read(f->state, id, &j, &d) != 0)
		fail_msg("job_read %s failed: %s", id, d.msg);
	assert_non_null(j);
	return j;
}

static const struct job_person *find_person(const struct job *j, const char *key_or_dn)
{
	size_t i;

	for (i = 0; i < j->n_people; i++) {
		const struct job_person *p = &j->people[i];
		if ((p->key && strcmp(p->key, key_or_dn) == 0) || (!p->key && p->dn && strcmp(p->dn, key_or_dn) == 0))
			return p;
	}
	fail_msg("no person %s in job %s", key_or_dn, j->id);
	return NULL;
}

static void assert_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s ? s : "(null)", part);
}

#define J1 "20261121T101500Z-0a01"

/* A finished job with a bit of everything. */
static const char JOB_FULL[] =
	HEADER(J1, 4242, 9)
	"{\"type\":\"rejected\",\"line\":9,\"key\":\"zz\",\"reason\":\"unknown role 'pilot'\"}\n"
	"{\"type\":\"rejected\",\"line\":11,\"key\":null,\"reason\":\"the key column is empty\"}\n"
	"{\"type\":\"intent\",\"op\":\"create_account\",\"dn\":\"ou=acme,ou=accounts,dc=example,dc=com\"}\n"
	"{\"type\":\"result\",\"op\":\"create_account\",\"dn\":\"ou=acme,ou=accounts,dc=example,dc=com\",\"status\":\"done\"}\n"
	"{\"type\":\"intent\",\"op\":\"create_role\",\"dn\":\"" ROLE_DN "\"}\n"
	"{\"type\":\"result\",\"op\":\"create_role\",\"dn\":\"" ROLE_DN "\",\"status\":\"done\"}\n"
	INTENT_PW("create_person", P("a", 2))
	INTENT_PW("create_person", P("b", 3))
	INTENT_PW("reset_password", P("e", 6))
	INTENT("update_person", P("f", 7))
	"{\"type\":\"intent\",\"op\":\"disable_person\",\"dn\":\"uid=g" PEOPLE "\"}\n"
	RESULT("create_person", P("a", 2), "done")
	"{\"type\":\"result\",\"op\":\"join_role\"," P("a", 2) ",\"role_dn\":\"" ROLE_DN "\",\"status\":\"done\"}\n"
	RESULT("create_person", P("b", 3), "done")
	"{\"type\":\"result\",\"op\":\"join_role\"," P("b", 3) ",\"role_dn\":\"" ROLE_DN "\",\"status\":\"failed\",\"code\":68,\"error\":\"already exists\"}\n"
	RESULT("reset_password", P("e", 6), "done")
	RESULT_ERR("update_person", P("f", 7), 50, "insufficient access")
	"{\"type\":\"result\",\"op\":\"disable_person\",\"dn\":\"uid=g" PEOPLE "\",\"status\":\"skipped\"}\n"
	"{\"type\":\"result\",\"op\":\"add_to_role\"," P("h", 8) ",\"role_dn\":\"" ROLE_DN "\",\"status\":\"unknown\"}\n"
	"{\"type\":\"verify\"," P("a", 2) ",\"status\":\"not_enforced\"}\n"
	NOTIFY("a", 2)
	NOTIFY("b", 3)
	NOTIFY_MANUAL("e", 6, "no email address")
	MESSAGE("a", 2, "welcome", "sent", 1)
	MESSAGE_ERR("a", 2, "password", "pending", 3, "451 4.7.1 try again later")
	MESSAGE_ERR("b", 3, "welcome", "failed", 1, "550 5.1.1 no such user")
	MESSAGE_ERR("b", 3, "password", "skipped", 0, "an earlier message to this address was refused")
	END("completed_with_failures");

/* --- reading one job ---------------------------------------------------------------- */

static void read_header_and_counts(void **state)
{
	struct fx *f = *state;
	struct job *j;

	write_job(f, J1, JOB_FULL);
	j = read_ok(f, J1);
	assert_string_equal(j->id, J1);
	assert_string_equal(j->command, "sync");
	assert_string_equal(j->started, "2026-11-21T10:15:00Z");
	assert_string_equal(j->finished, "2026-11-21T10:16:02Z");
	assert_string_equal(j->status, "completed_with_failures");
	assert_int_equal(j->pid, 4242);
	assert_int_equal(j->planned, 9);

	/* Eight outcomes (a membership of a new person is not one of them,
	 * but its failure counts as a failure). */
	assert_int_equal(j->results, 8);
	assert_int_equal(j->done, 5);
	assert_int_equal(j->failed, 2);
	assert_int_equal(j->skipped, 1);
	assert_int_equal(j->unknown, 1);

	assert_int_equal(j->msg_sent, 1);
	assert_int_equal(j->msg_failed, 1);
	assert_int_equal(j->msg_pending, 1);
	assert_int_equal(j->msg_skipped, 1);
	assert_int_equal(j->not_enforced, 1);
	assert_int_equal(j->bad_lines, 0);

	assert_int_equal(j->n_rejected, 2);
	assert_int_equal(j->rejected[0].line, 9);
	assert_string_equal(j->rejected[0].key, "zz");
	assert_string_equal(j->rejected[0].reason, "unknown role 'pilot'");
	assert_int_equal(j->rejected[1].line, 11);
	assert_null(j->rejected[1].key);
	assert_string_equal(j->rejected[1].reason, "the key column is empty");

	/* The counts of the end record, kept as JSON. */
	assert_contains(j->end_counts, "\"create_person\":2");
	assert_contains(j->end_counts, "\"memberships\":1");
	assert_int_equal(j->end_counts[0], '{');
	job_free(j);
}

static void read_people_actions_and_messages(void **state)
{
	struct fx *f = *state;
	const struct job_person *p;
	struct job *j;
	size_t i;

	write_job(f, J1, JOB_FULL);
	j = read_ok(f, J1);

	/* The account and the role group are not people. */
	assert_int_equal(j->n_people, 6);
	for (i = 0; i < j->n_people; i++) {
		const char *dn = j->people[i].dn;
		assert_non_null(dn);
		assert_true(strncmp(dn, "uid=", 4) == 0);
	}

	p = find_person(j, "a");
	assert_string_equal(p->dn, "uid=a" PEOPLE);
	assert_int_equal(p->line, 2);
	assert_int_equal(p->n_actions, 2);
	assert_string_equal(p->actions[0].op, "create_person");
	assert_string_equal(p->actions[0].status, "done");
	assert_null(p->actions[0].error);
	assert_int_equal(p->actions[0].code, -1);
	assert_string_equal(p->actions[1].op, "add_to_role"); /* join_role in older journals */
	assert_string_equal(p->actions[1].role_dn, ROLE_DN);
	assert_true(p->password);
	assert_string_equal(p->notify, "pending");
	assert_null(p->manual);
	assert_int_equal(p->n_messages, 2);
	assert_string_equal(p->messages[0].kind, "welcome");
	assert_string_equal(p->messages[0].to, "a@example.com");
	assert_string_equal(p->messages[0].status, "sent");
	assert_int_equal(p->messages[0].attempts, 1);
	assert_null(p->messages[0].error);
	assert_string_equal(p->messages[1].kind, "password");
	assert_string_equal(p->messages[1].status, "pending");
	assert_int_equal(p->messages[1].attempts, 3);
	assert_string_equal(p->messages[1].error, "451 4.7.1 try again later");
	assert_true(job_person_pending(p));

	/* A refused message: manual notification, no resend. */
	p = find_person(j, "b");
	assert_int_equal(p->n_actions, 2);
	assert_string_equal(p->actions[1].op, "add_to_role"); /* join_role in older journals */
	assert_string_equal(p->actions[1].status, "failed");
	assert_int_equal(p->actions[1].code, 68);
	assert_string_equal(p->actions[1].error, "already exists");
	assert_true(p->password);
	assert_int_equal(p->n_messages, 2);
	assert_string_equal(p->messages[0].status, "failed");
	assert_string_equal(p->messages[0].error, "550 5.1.1 no such user");
	assert_string_equal(p->messages[1].status, "skipped");
	assert_non_null(p->manual);
	assert_false(job_person_pending(p));

	/* No address: manual notification with the reason. */
	p = find_person(j, "e");
	assert_int_equal(p->n_actions, 1);
	assert_string_equal(p->actions[0].op, "reset_password");
	assert_true(p->password);
	assert_string_equal(p->notify, "manual");
	assert_string_equal(p->manual, "no email address");
	assert_int_equal(p->n_messages, 0);
	assert_false(job_person_pending(p));

	p = find_person(j, "f");
	assert_int_equal(p->n_actions, 1);
	assert_string_equal(p->actions[0].op, "update_person");
	assert_string_equal(p->actions[0].status, "failed");
	assert_int_equal(p->actions[0].code, 50);
	assert_string_equal(p->actions[0].error, "insufficient access");
	assert_false(p->password);
	assert_null(p->manual);
	assert_false(job_person_pending(p));

	/* Known by DN only. */
	p = find_person(j, "uid=g" PEOPLE);
	assert_null(p->key);
	assert_int_equal(p->line, 0);
	assert_int_equal(p->n_actions, 1);
	assert_string_equal(p->actions[0].op, "disable_person");
	assert_string_equal(p->actions[0].status, "skipped");
	assert_false(p->password);

	p = find_person(j, "h");
	assert_int_equal(p->n_actions, 1);
	assert_string_equal(p->actions[0].op, "add_to_role");
	assert_string_equal(p->actions[0].status, "unknown");
	assert_string_equal(p->actions[0].role_dn, ROLE_DN);
	assert_false(p->password);
	job_free(j);
}

static void status_completed_from_end_record(void **state)
{
	struct fx *f = *state;
	struct job *j;

	write_job(f, "20261121T101500Z-0b02",
		  HEADER("20261121T101500Z-0b02", 4242, 1)
		  INTENT("update_person", P("a", 2))
		  RESULT("update_person", P("a", 2), "done")
		  END("completed"));
	j = read_ok(f, "20261121T101500Z-0b02");
	assert_string_equal(j->status, "completed");
	assert_string_equal(j->finished, "2026-11-21T10:16:02Z");
	assert_int_equal(j->done, 1);
	assert_int_equal(j->results, 1);
	job_free(j);
}

#define J_CRASH "20261121T101500Z-0c03"
#define CRASHED_BODY                                         \
	INTENT_PW("create_person", P("a", 2))                \
	RESULT("create_person", P("a", 2), "done")           \
	INTENT_PW("create_person", P("b", 3))

static void status_interrupted_without_end(void **state)
{
	struct fx *f = *state;
	struct job *j;

	/* No lock file at all. */
	write_job(f, J_CRASH, HEADER(J_CRASH, 4242, 2) CRASHED_BODY);
	j = read_ok(f, J_CRASH);
	assert_string_equal(j->status, "interrupted");
	assert_null(j->finished);
	assert_int_equal(j->results, 1);
	job_free(j);

	/* A lock file that nobody holds, naming the job's process. */
	write_state_file(f, "lock", "pid 4242 since 2026-11-21T10:15:00Z\n");
	j = read_ok(f, J_CRASH);
	assert_string_equal(j->status, "interrupted");
	job_free(j);
}

static void status_running_while_the_lock_is_held(void **state)
{
	struct fx *f = *state;
	struct run_lock lock;
	struct diag d;
	struct job *j;
	char text[4096];

	/* This process takes the run lock and the job names this process. */
	snprintf(text, sizeof text,
		 "{\"type\":\"job\",\"version\":1,\"id\":\"" J_CRASH "\",\"command\":\"sync\","
		 "\"started\":\"2026-11-21T10:15:00Z\",\"pid\":%ld,\"actions\":2,\"rows\":2}\n" CRASHED_BODY,
		 (long)getpid());
	write_job(f, J_CRASH, text);
	diag_init(&d);
	assert_int_equal(run_lock_take(f->state, "sync --apply", &lock, &d), 0);
	j = read_ok(f, J_CRASH);
	assert_string_equal(j->status, "running");
	job_free(j);

	/* The lock is held, but by another process than the job's. */
	snprintf(text, sizeof text,
		 "{\"type\":\"job\",\"version\":1,\"id\":\"" J_CRASH "\",\"command\":\"sync\","
		 "\"started\":\"2026-11-21T10:15:00Z\",\"pid\":%ld,\"actions\":2,\"rows\":2}\n" CRASHED_BODY,
		 (long)getpid() + 1);
	write_job(f, J_CRASH, text);
	j = read_ok(f, J_CRASH);
	assert_string_equal(j->status, "interrupted");
	job_free(j);

	/* Released: the job that names this process is interrupted. */
	snprintf(text, sizeof text,
		 "{\"type\":\"job\",\"version\":1,\"id\":\"" J_CRASH "\",\"command\":\"sync\","
		 "\"started\":\"2026-11-21T10:15:00Z\",\"pid\":%ld,\"actions\":2,\"rows\":2}\n" CRASHED_BODY,
		 (long)getpid());
	write_job(f, J_CRASH, text);
	run_lock_release(&lock);
	j = read_ok(f, J_CRASH);
	assert_string_equal(j->status, "interrupted");
	job_free(j);
}

static void bad_lines_are_skipped_and_counted(void **state)
{
	struct fx *f = *state;
	const struct job_person *p;
	struct job *j;

	write_job(f, J_CRASH,
		  HEADER(J_CRASH, 4242, 3)
		  INTENT_PW("create_person", P("a", 2))
		  "{\"type\":\"result\",\"op\":\"create_person\",\"key\":\"zz\",\"dn\n"  /* torn */
		  RESULT("create_person", P("a", 2), "done")
		  "this is not JSON\n"
		  NOTIFY("a", 2)
		  MESSAGE("a", 2, "welcome", "sent", 1)
		  "{\"type\":\"message\",\"key\":\"a\",\"dn\":\"uid=a" PEOPLE "\",\"kind\":\"password\",\"status\":\"se");
	j = read_ok(f, J_CRASH);
	assert_int_equal(j->bad_lines, 3);
	assert_int_equal(j->results, 1);
	assert_int_equal(j->done, 1);
	assert_int_equal(j->msg_sent, 1);
	assert_int_equal(j->n_people, 1);
	p = find_person(j, "a");
	assert_int_equal(p->n_messages, 1);
	assert_string_equal(p->messages[0].kind, "welcome");
	assert_string_equal(j->status, "interrupted");
	job_free(j);
}

static void records_of_unknown_type_are_ignored(void **state)
{
	struct fx *f = *state;
	struct job *j;

	write_job(f, J_CRASH,
		  HEADER(J_CRASH, 4242, 1)
		  "{\"type\":\"future\",\"key\":\"a\"}\n"
		  "{\"key\":\"a\",\"status\":\"done\"}\n"
		  "[1,2,3]\n"
		  "{\"type\":\"result\",\"key\":\"a\"}\n"
		  "{\"type\":\"message\",\"key\":\"a\"}\n"
		  RESULT("update_person", P("a", 2), "done")
		  END("completed"));
	j = read_ok(f, J_CRASH);
	assert_int_equal(j->bad_lines, 0);
	assert_int_equal(j->results, 1);
	assert_int_equal(j->msg_sent + j->msg_failed + j->msg_pending + j->msg_skipped, 0);
	assert_string_equal(j->status, "completed");
	job_free(j);
}

static void job_read_refuses_bad_ids(void **state)
{
	static const char *const bad[] = {
		"../x", "..", "a/b", "/etc/passwd", "20261121T101500Z-0a01/../x", ".", "a.b", "", "a b", "x\n",
		"20261121T101500Z-0a01.jsonl",
	};
	struct fx *f = *state;
	size_t i;

	write_job(f, J1, JOB_FULL);
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct job *j = (struct job *)&i;
		struct diag d;
		diag_init(&d);
		if (job_read(f->state, bad[i], &j, &d) != ST_INPUT)
			fail_msg("job id \"%s\" was not refused", bad[i]);
		assert_null(j);
		assert_int_equal(d.status, ST_INPUT);
		assert_true(d.msg[0] != '\0');
	}
}

static void job_read_missing_job(void **state)
{
	struct fx *f = *state;
	struct job *j = NULL;
	struct diag d;

	diag_init(&d);
	assert_int_equal(job_read(f->state, "20991231T235959Z-ffff", &j, &d), ST_INPUT);
	assert_null(j);
	assert_true(d.msg[0] != '\0');
}

static void read_a_journal_written_by_the_journal(void **state)
{
	struct fx *f = *state;
	struct journal *jn = NULL;
	struct diag d;
	struct job *j;
	char rec[512];
	int n;

	diag_init(&d);
	assert_int_equal(state_prepare(f->state, &d), 0);
	assert_int_equal(journal_create(f->state, &jn, &d), 0);
	n = snprintf(rec, sizeof rec, "{\"type\":\"job\",\"version\":1,\"id\":\"%s\",\"command\":\"apply\",\"pid\":1,\"actions\":1}",
		     journal_id(jn));
	assert_int_equal(journal_append(jn, rec, (size_t)n), 0);
	n = snprintf(rec, sizeof rec, "%s", INTENT_PW("reset_password", P("a", 2)));
	assert_int_equal(journal_append(jn, rec, (size_t)n - 1), 0);
	n = snprintf(rec, sizeof rec, "%s", RESULT("reset_password", P("a", 2), "done"));
	assert_int_equal(journal_append(jn, rec, (size_t)n - 1), 0);
	assert_int_equal(journal_sync(jn, &d), 0);
	assert_true(journal_ok(jn));

	j = read_ok(f, journal_id(jn));
	assert_string_equal(j->id, journal_id(jn));
	assert_string_equal(j->command, "apply");
	assert_int_equal(j->done, 1);
	assert_int_equal(j->bad_lines, 0);
	assert_true(job_person_pending(find_person(j, "a")));
	job_free(j);
	journal_close(jn);
}

/* --- who waits for mail ------------------------------------------------------------------ */

#define J_PEND "20261121T101500Z-0d04"

static void person_pending_cases(void **state)
{
	struct fx *f = *state;
	struct job *j;

	write_job(f, J_PEND,
		  HEADER(J_PEND, 4242, 8)
		  /* p1: password set, one message not sent yet */
		  INTENT_PW("create_person", P("p1", 1))
		  RESULT("create_person", P("p1", 1), "done")
		  /* p2: everything sent */
		  INTENT_PW("create_person", P("p2", 2))
		  RESULT("create_person", P("p2", 2), "done")
		  /* p3: a message refused for good */
		  INTENT_PW("enable_person", P("p3", 3))
		  RESULT("enable_person", P("p3", 3), "done")
		  /* p4: nobody to send to */
		  INTENT_PW("reset_password", P("p4", 4))
		  RESULT("reset_password", P("p4", 4), "done")
		  /* p5: the intent, then the crash */
		  INTENT_PW("create_person", P("p5", 5))
		  /* p6: the create failed */
		  INTENT_PW("create_person", P("p6", 6))
		  RESULT_ERR("create_person", P("p6", 6), 65, "object class violation")
		  /* p7: no password at all */
		  INTENT("update_person", P("p7", 7))
		  RESULT("update_person", P("p7", 7), "done")
		  /* p8: the outcome is unknown: the password may be set */
		  INTENT_PW("reset_password", P("p8", 8))
		  RESULT("reset_password", P("p8", 8), "unknown")
		  /* p9: done, but the mail phase never started */
		  INTENT_PW("create_person", P("p9", 9))
		  RESULT("create_person", P("p9", 9), "done")
		  NOTIFY("p1", 1)
		  NOTIFY("p2", 2)
		  NOTIFY("p3", 3)
		  NOTIFY_MANUAL("p4", 4, "no email address")
		  NOTIFY("p9", 9)
		  MESSAGE("p1", 1, "welcome", "sent", 1)
		  MESSAGE_ERR("p1", 1, "password", "pending", 4, "421 service not available")
		  MESSAGE("p2", 2, "welcome", "sent", 1)
		  MESSAGE("p2", 2, "password", "sent", 2)
		  MESSAGE("p3", 3, "welcome", "sent", 1)
		  MESSAGE_ERR("p3", 3, "password", "failed", 1, "552 mailbox full"));
	j = read_ok(f, J_PEND);
	assert_int_equal(j->bad_lines, 0);
	assert_true(job_person_pending(find_person(j, "p1")));
	assert_false(job_person_pending(find_person(j, "p2")));
	assert_false(job_person_pending(find_person(j, "p3")));
	assert_non_null(find_person(j, "p3")->manual);
	assert_false(job_person_pending(find_person(j, "p4")));
	assert_string_equal(find_person(j, "p4")->manual, "no email address");
	assert_true(find_person(j, "p5")->password);
	assert_true(job_person_pending(find_person(j, "p5")));
	assert_false(find_person(j, "p6")->password);
	assert_false(job_person_pending(find_person(j, "p6")));
	assert_false(job_person_pending(find_person(j, "p7")));
	assert_true(job_person_pending(find_person(j, "p8")));
	assert_true(job_person_pending(find_person(j, "p9")));
	job_free(j);
}

/* A crash in the middle of the mail phase: the notify record lists two
 * messages, only the first was recorded as sent. Not every message was
 * sent, so the person still waits (jobs.h: "waiting for messages (a
 * password was set, and not every message was sent)"). */
static void person_pending_crash_between_messages(void **state)
{
	struct fx *f = *state;
	struct job *j;
	size_t n_messages;
	int pending;

	write_job(f, J_CRASH,
		  HEADER(J_CRASH, 4242, 1)
		  INTENT_PW("create_person", P("a", 2))
		  RESULT("create_person", P("a", 2), "done")
		  NOTIFY("a", 2)
		  MESSAGE("a", 2, "welcome", "sent", 1));
	j = read_ok(f, J_CRASH);
	n_messages = find_person(j, "a")->n_messages;
	pending = job_person_pending(find_person(j, "a"));
	job_free(j);
	assert_int_equal(n_messages, 1);
	assert_true(pending);
}

static void person_pending_by_hand(void **state)
{
	struct job_message m[3] = {
		{"welcome", "a@example.com", "sent", NULL, 1, 0},
		{"username", "a@example.com", "sent", NULL, 1, 0},
		{"password", "a@example.com", "pending", "timeout", 3, 0},
	};
	struct job_person p;

	(void)state;
	memset(&p, 0, sizeof p);
	p.key = "a";
	assert_false(job_person_pending(&p)); /* no password */
	p.password = 1;
	assert_true(job_person_pending(&p)); /* no message yet */
	p.messages = m;
	p.n_messages = 3;
	assert_true(job_person_pending(&p));
	m[2].status = "sent";
	assert_false(job_person_pending(&p));
	m[2].status = "skipped";
	assert_true(job_person_pending(&p));
	m[0].status = "failed";
	assert_false(job_person_pending(&p));
	m[0].status = "sent";
	m[2].status = "sent";
	p.notify = "manual";
	p.n_messages = 0;
	assert_false(job_person_pending(&p));
	p.notify = "pending";
	assert_true(job_person_pending(&p));
}

/* --- the list of jobs ------------------------------------------------------------------- */

static void jobs_ids_sorted(void **state)
{
	struct fx *f = *state;
	char **ids = NULL, path[512];
	struct diag d;
	size_t n = 99, i;

	write_job(f, "20261121T101500Z-0002", HEADER("20261121T101500Z-0002", 1, 0));
	write_job(f, "20261120T000000Z-ffff", HEADER("20261120T000000Z-ffff", 1, 0));
	write_job(f, "20261121T101500Z-0001", HEADER("20261121T101500Z-0001", 1, 0));
	write_job(f, "20270101T000000Z-aaaa", HEADER("20270101T000000Z-aaaa", 1, 0));
	/* Not jobs. */
	snprintf(path, sizeof path, "%s/jobs/.write-test", f->state);
	write_path(path, "ok\n");
	snprintf(path, sizeof path, "%s/jobs/notes.txt", f->state);
	write_path(path, "x\n");
	snprintf(path, sizeof path, "%s/jobs/20261121T101500Z-0003.jsonl.tmp", f->state);
	write_path(path, "x\n");
	snprintf(path, sizeof path, "%s/jobs/.hidden.jsonl", f->state);
	write_path(path, "x\n");
	snprintf(path, sizeof path, "%s/jobs/.jsonl", f->state);
	write_path(path, "x\n");
	snprintf(path, sizeof path, "%s/jobs/20261121T101500Z-0004.json", f->state);
	write_path(path, "x\n");
	write_state_file(f, "pending.jsonl", "{\"type\":\"pending\",\"through\":\"x\"}\n");

	diag_init(&d);
	assert_int_equal(jobs_ids(f->state, &ids, &n, &d), 0);
	assert_int_equal(n, 4);
	assert_string_equal(ids[0], "20261120T000000Z-ffff");
	assert_string_equal(ids[1], "20261121T101500Z-0001");
	assert_string_equal(ids[2], "20261121T101500Z-0002");
	assert_string_equal(ids[3], "20270101T000000Z-aaaa");
	for (i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

static void jobs_ids_empty_and_missing(void **state)
{
	struct fx *f = *state;
	char **ids = NULL, path[512];
	struct diag d;
	size_t n = 99;

	diag_init(&d);
	assert_int_equal(jobs_ids(f->state, &ids, &n, &d), 0);
	assert_int_equal(n, 0);
	free(ids);

	/* No jobs directory yet: no jobs, not an error. */
	snprintf(path, sizeof path, "%s/jobs", f->state);
	assert_int_equal(rmdir(path), 0);
	n = 99;
	assert_int_equal(jobs_ids(f->state, &ids, &n, &d), 0);
	assert_int_equal(n, 0);
	assert_int_equal(d.status, ST_OK);
	free(ids);
}

/* --- the pending set across jobs ---------------------------------------------------------- */

struct pending {
	struct hmap map;
	struct arena arena;
};

static void pending_init(struct pending *p)
{
	hmap_init(&p->map, 0);
	arena_init(&p->arena);
}

static void pending_release(struct pending *p)
{
	hmap_release(&p->map);
	arena_release(&p->arena);
}

static void apply_job(const struct fx *f, struct pending *p, const char *id)
{
	struct job *j = read_ok(f, id);

	pending_apply_job(&p->map, &p->arena, j);
	job_free(j);
}

static void assert_pending(const struct pending *p, const char *key, const char *job)
{
	const char *got = hmap_get(&p->map, key);

	if (!job && got)
		fail_msg("%s is pending (job %s) but should not be", key, got);
	if (job && !got)
		fail_msg("%s is not pending, but should be (job %s)", key, job);
	if (job && strcmp(got, job) != 0)
		fail_msg("%s is pending for job %s, not %s", key, got, job);
}

/* The keys with a non-NULL value. */
static size_t count_pending(const struct pending *p)
{
	size_t pos = 0, n = 0;
	const char *key;
	void *value;

	while (hmap_next(&p->map, &pos, &key, &value))
		n += value != NULL;
	return n;
}

static void load_ok(const struct fx *f, struct pending *p)
{
	struct diag d;

	diag_init(&d);
	if (pending_load(f->state, &p->map, &p->arena, &d) != 0)
		fail_msg("pending_load failed: %s", d.msg);
}

static void pending_apply_across_jobs(void **state)
{
	struct fx *f = *state;
	struct pending p;

	write_job(f, JA, JOB_A);
	write_job(f, JB, JOB_B);
	pending_init(&p);

	apply_job(f, &p, JA);
	assert_pending(&p, "a", JA);
	assert_pending(&p, "b", JA);
	assert_pending(&p, "x", NULL);
	assert_pending(&p, "y", NULL);
	assert_int_equal(count_pending(&p), 2);

	apply_job(f, &p, JB);
	assert_pending(&p, "a", JA);
	assert_pending(&p, "b", NULL);
	assert_pending(&p, "c", JB);
	assert_int_equal(count_pending(&p), 2);
	pending_release(&p);
}

static void pending_save_and_load(void **state)
{
	struct fx *f = *state;
	struct pending p, q;
	struct diag d;
	char path[512], text[4096];
	FILE *fp;
	size_t n;

	write_job(f, JA, JOB_A);
	write_job(f, JB, JOB_B);
	pending_init(&p);
	apply_job(f, &p, JA);
	apply_job(f, &p, JB);
	diag_init(&d);
	assert_int_equal(pending_save(f->state, &p.map, JB, &d), 0);
	pending_release(&p);

	/* The snapshot: a first line naming the job, then one line per
	 * person still waiting. */
	snprintf(path, sizeof path, "%s/pending.jsonl", f->state);
	fp = fopen(path, "r");
	assert_non_null(fp);
	n = fread(text, 1, sizeof text - 1, fp);
	fclose(fp);
	text[n] = '\0';
	{
		static const char first[] = "{\"type\":\"pending\",\"through\":\"" JB "\"}\n";
		assert_memory_equal(text, first, sizeof first - 1);
	}
	assert_contains(text, "{\"key\":\"a\",\"job\":\"" JA "\"}\n");
	assert_contains(text, "{\"key\":\"c\",\"job\":\"" JB "\"}\n");
	assert_null(strstr(text, "\"b\""));
	assert_null(strstr(text, "\"x\""));
	snprintf(path, sizeof path, "%s/pending.jsonl.tmp", f->state);
	assert_int_equal(access(path, F_OK), -1);

	pending_init(&q);
	load_ok(f, &q);
	assert_pending(&q, "a", JA);
	assert_pending(&q, "c", JB);
	assert_pending(&q, "b", NULL);
	assert_pending(&q, "x", NULL);
	assert_int_equal(count_pending(&q), 2);
	pending_release(&q);
}

static void pending_load_reads_newer_jobs(void **state)
{
	struct fx *f = *state;
	struct pending p, q;
	struct diag d;

	write_job(f, JA, JOB_A);
	write_job(f, JB, JOB_B);
	pending_init(&p);
	apply_job(f, &p, JA);
	apply_job(f, &p, JB);
	diag_init(&d);
	assert_int_equal(pending_save(f->state, &p.map, JB, &d), 0);
	pending_release(&p);

	/* Then job C crashed. */
	write_job(f, JC, JOB_C);
	pending_init(&q);
	load_ok(f, &q);
	assert_pending(&q, "a", JC); /* a newer password, not mailed yet */
	assert_pending(&q, "c", JB);
	assert_pending(&q, "d", JC);
	assert_pending(&q, "b", NULL);
	assert_int_equal(count_pending(&q), 3);
	pending_release(&q);
}

static void pending_load_skips_jobs_in_the_snapshot(void **state)
{
	struct fx *f = *state;
	struct pending q;

	write_job(f, JA, JOB_A);
	write_job(f, JB, JOB_B);
	write_job(f, JC, JOB_C);
	/* A snapshot through job B that knows only of zz: jobs A and B are
	 * not read again, job C is. */
	write_state_file(f, "pending.jsonl",
			 "{\"type\":\"pending\",\"through\":\"" JB "\"}\n"
			 "{\"key\":\"zz\",\"job\":\"" JA "\"}\n");
	pending_init(&q);
	load_ok(f, &q);
	assert_pending(&q, "zz", JA);
	assert_pending(&q, "b", NULL);
	assert_pending(&q, "c", NULL);
	assert_pending(&q, "a", JC);
	assert_pending(&q, "d", JC);
	assert_int_equal(count_pending(&q), 3);
	pending_release(&q);
}

static void pending_load_without_snapshot(void **state)
{
	struct fx *f = *state;
	struct pending q;

	write_job(f, JC, JOB_C);
	write_job(f, JA, JOB_A);
	write_job(f, JB, JOB_B);
	pending_init(&q);
	load_ok(f, &q);
	/* Every job, oldest first. */
	assert_pending(&q, "a", JC);
	assert_pending(&q, "b", NULL);
	assert_pending(&q, "c", JB);
	assert_pending(&q, "d", JC);
	assert_int_equal(count_pending(&q), 3);
	pending_release(&q);

	/* Nothing at all. */
	write_job(f, JA, "");
	write_job(f, JB, "");
	write_job(f, JC, "");
	pending_init(&q);
	load_ok(f, &q);
	assert_int_equal(count_pending(&q), 0);
	pending_release(&q);
}

static void pending_snapshot_with_damaged_lines(void **state)
{
	struct fx *f = *state;
	struct pending q;

	write_state_file(f, "pending.jsonl",
			 "{\"type\":\"pending\",\"through\":\"" JC "\"}\n"
			 "{\"key\":\"a\",\"job\":\"" JA "\"}\n"
			 "garbage\n"
			 "{\"key\":\"n\"}\n"
			 "{\"key\":\"c\",\"job\":\"" JB "\"}\n"
			 "{\"key\":\"t\",\"jo");
	pending_init(&q);
	load_ok(f, &q);
	assert_pending(&q, "a", JA);
	assert_pending(&q, "c", JB);
	assert_pending(&q, "n", NULL);
	assert_pending(&q, "t", NULL);
	assert_int_equal(count_pending(&q), 2);
	pending_release(&q);
}

/* A server's answer in another charset reaches the journal as JSON that
 * reads back (U+FFFD for the bytes that are not UTF-8): the line is kept,
 * and the person stays counted as they were. */
static void non_utf8_error_keeps_the_line(void **state)
{
	struct fx *f = *state;
	struct buf text = BUF_INIT;
	struct job *j;
	const struct job_person *p;

	buf_adds(&text, HEADER(J1, 4242, 1) INTENT_PW("create_person", P("a", 2)) RESULT("create_person", P("a", 2), "done")
				NOTIFY("a", 2));
	buf_adds(&text, "{\"type\":\"message\"," P("a", 2) ",\"kind\":\"welcome\",\"to\":\"a@example.com\","
			"\"status\":\"failed\",\"attempts\":1,");
	json_add_member_str(&text, "error", "550 5.1.1 Destinataire inconnu: \xe9" "chec");
	buf_adds(&text, "}\n");
	write_job(f, J1, buf_str(&text));
	buf_release(&text);
	j = read_ok(f, J1);
	assert_int_equal(j->bad_lines, 0);
	p = find_person(j, "a");
	assert_int_equal(p->n_messages, 1);
	assert_string_equal(p->messages[0].status, "failed");
	assert_string_equal(p->messages[0].error, "550 5.1.1 Destinataire inconnu: \xef\xbf\xbd" "chec");
	job_free(j);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(read_header_and_counts),
		T(read_people_actions_and_messages),
		T(status_completed_from_end_record),
		T(status_interrupted_without_end),
		T(status_running_while_the_lock_is_held),
		T(bad_lines_are_skipped_and_counted),
		T(records_of_unknown_type_are_ignored),
		T(non_utf8_error_keeps_the_line),
		T(job_read_refuses_bad_ids),
		T(job_read_missing_job),
		T(read_a_journal_written_by_the_journal),
		T(person_pending_cases),
		T(person_pending_crash_between_messages),
		T(person_pending_by_hand),
		T(jobs_ids_sorted),
		T(jobs_ids_empty_and_missing),
		T(pending_apply_across_jobs),
		T(pending_save_and_load),
		T(pending_load_reads_newer_jobs),
		T(pending_load_skips_jobs_in_the_snapshot),
		T(pending_load_without_snapshot),
		T(pending_snapshot_with_damaged_lines),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
