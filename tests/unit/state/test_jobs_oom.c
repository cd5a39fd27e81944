/* Reading jobs back when memory runs out (agent/state/jobs.c): each
 * allocation of jobs_ids, job_read and pending_load is made to fail in
 * turn (tests/torture/failmalloc.c). Each call must then fail cleanly or
 * give the whole result, never crash on a key that could not be copied,
 * leak (LeakSanitizer checks at exit), or return a pending set that quietly
 * lost someone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/base/arena.h"
#include "agent/base/diag.h"
#include "agent/base/hmap.h"
#include "agent/state/jobs.h"
#include "tests/torture/failmalloc.h"
#include "tests/unit/scratch.h"
#include "tests/unit/state/journals.h"

static char dir[128];

static void write_path(const char *name, const char *text)
{
	char path[512];
	int fd;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(close(fd), 0);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	if (scratch_dir_make(dir, sizeof dir, "jobs-oom") < 0)
		return -1;
	snprintf(path, sizeof path, "%s/jobs", dir);
	return mkdir(path, 0700);
}

static int teardown(void **state)
{
	(void)state;
	scratch_dir_remove(dir);
	return 0;
}

static void jobs_ids_never_leak(void **state)
{
	char **ids;
	size_t n, i, runs;
	struct diag d;

	(void)state;
	write_path("jobs/" JA ".jsonl", JOB_A);
	write_path("jobs/" JB ".jsonl", JOB_B);
	write_path("jobs/" JC ".jsonl", JOB_C);
	for (runs = 1;; runs++) {
		diag_init(&d);
		failmalloc_arm(runs);
		if (jobs_ids(dir, &ids, &n, &d) == 0) {
			assert_int_equal(n, 3);
			for (i = 0; i < n; i++)
				free(ids[i]);
			free(ids);
		} else {
			assert_int_equal(d.status, ST_FAIL);
		}
		if (!failmalloc_fired())
			break;
	}
	failmalloc_arm(0);
	assert_true(runs > 3);
}

/* The pending set as the newest job leaves it: c (job B) and a and d
 * (job C); b's messages were sent in job B. */
static void pending_load_is_whole_or_fails(void **state)
{
	struct hmap pending;
	struct arena a;
	struct diag d;
	size_t runs, ok = 0;
	int rc;

	(void)state;
	write_path("jobs/" JA ".jsonl", JOB_A);
	write_path("jobs/" JB ".jsonl", JOB_B);
	write_path("jobs/" JC ".jsonl", JOB_C);
	write_path("pending.jsonl", "{\"type\":\"pending\",\"through\":\"" JA "\"}\n"
				   "{\"key\":\"a\",\"job\":\"" JA "\"}\n"
				   "{\"key\":\"b\",\"job\":\"" JA "\"}\n");
	for (runs = 1;; runs++) {
		hmap_init(&pending, 0);
		arena_init(&a);
		diag_init(&d);
		failmalloc_arm(runs);
		rc = pending_load(dir, &pending, &a, &d);
		failmalloc_arm(0);
		if (rc == 0) {
			ok++;
			assert_string_equal(hmap_get(&pending, "a"), JC);
			assert_string_equal(hmap_get(&pending, "c"), JB);
			assert_string_equal(hmap_get(&pending, "d"), JC);
			assert_null(hmap_get(&pending, "b"));
		} else {
			assert_int_equal(d.status, ST_FAIL);
		}
		hmap_release(&pending);
		arena_release(&a);
		if (!failmalloc_fired())
			break;
	}
	assert_true(runs > 10);
	assert_true(ok >= 1);
}

static void job_read_is_whole_or_fails(void **state)
{
	struct job *j;
	struct diag d;
	size_t runs;

	(void)state;
	write_path("jobs/" JB ".jsonl", JOB_B);
	for (runs = 1;; runs++) {
		diag_init(&d);
		j = NULL;
		failmalloc_arm(runs);
		if (job_read(dir, JB, &j, &d) == 0) {
			failmalloc_arm(0);
			assert_int_equal(j->n_people, 2);
			assert_int_equal(j->msg_sent, 2);
			job_free(j);
		} else {
			failmalloc_arm(0);
			assert_null(j);
			assert_int_equal(d.status, ST_FAIL);
		}
		if (!failmalloc_fired())
			break;
	}
	assert_true(runs > 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(jobs_ids_never_leak, setup, teardown),
		cmocka_unit_test_setup_teardown(pending_load_is_whole_or_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(job_read_is_whole_or_fails, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
