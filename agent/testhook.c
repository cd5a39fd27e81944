#include "testhook.h"

#ifdef LDAPENROLL_TEST_HOOKS
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"

void testhook_crash_point(const char *point)
{
	static long reached;
	const char *v = getenv("LDAPENROLL_TEST_CRASH_AT"), *colon;
	size_t len;
	long n = 1;

	if (!v)
		return;
	colon = strchr(v, ':');
	len = colon ? (size_t)(colon - v) : strlen(v);
	if (colon)
		n = atol(colon + 1);
	if (len != strlen(point) || strncmp(v, point, len) != 0 || ++reached < n)
		return;
	log_warn("test hook: crashing at %s (%ld)", point, reached);
	kill(getpid(), SIGKILL);
}

int testhook_random_broken(void)
{
	const char *v = getenv("LDAPENROLL_TEST_FAIL_RANDOM");

	return v && *v == '1';
}

int testhook_journal_write_fails(void)
{
	static long count;
	const char *v = getenv("LDAPENROLL_TEST_JOURNAL_FAIL_AFTER");

	if (!v || ++count <= atol(v))
		return 0;
	errno = ENOSPC;
	return 1;
}
#else
/* ISO C wants something in every translation unit. */
typedef int testhook_unused;
#endif
