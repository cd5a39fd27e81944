#include "agent/base/testhook.h"

#ifdef LDAPENROLL_TEST_HOOKS
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "agent/base/log.h"

/* Whether VAR names POINT (POINT, or POINT:N[,N...]), and this is the N-th
 * time (default 1), or one of the N-th times, the program reaches it. */
static int reached(const char *var, const char *point, long *count)
{
	const char *v = getenv(var), *colon, *p;
	size_t len;

	if (!v)
		return 0;
	colon = strchr(v, ':');
	len = colon ? (size_t)(colon - v) : strlen(v);
	if (len != strlen(point) || strncmp(v, point, len) != 0)
		return 0;
	++*count;
	if (!colon)
		return *count == 1;
	for (p = colon + 1; *p; p += strcspn(p, ","), p += *p == ',')
		if (atol(p) == *count)
			return 1;
	return 0;
}

void testhook_point(const char *point)
{
	static long crash, pause;

	if (reached("LDAPENROLL_TEST_PAUSE_AT", point, &pause)) {
		log_warn("test hook: pausing at %s", point);
		raise(SIGSTOP);
	}
	if (reached("LDAPENROLL_TEST_CRASH_AT", point, &crash)) {
		log_warn("test hook: crashing at %s (%ld)", point, crash);
		kill(getpid(), SIGKILL);
	}
}

time_t testhook_now(void)
{
	const char *v = getenv("LDAPENROLL_TEST_CLOCK_AHEAD");

	return time(NULL) + (v ? (time_t)atol(v) : 0);
}

const char *testhook_verify_by(void)
{
	const char *v = getenv("LDAPENROLL_TEST_VERIFY_BY");

	return v && *v ? v : NULL;
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
enum testhook_write testhook_write(const char *dn)
{
	static long busy_sent;
	const char *v = getenv("LDAPENROLL_TEST_UNANSWERED"), *colon;

	if (v && strcasecmp(v, dn) == 0)
		return TESTHOOK_UNANSWERED;
	v = getenv("LDAPENROLL_TEST_BUSY");
	if (!v || !(colon = strrchr(v, ':')) || (size_t)(colon - v) != strlen(dn) ||
	    strncasecmp(v, dn, strlen(dn)) != 0)
		return TESTHOOK_SEND;
	return busy_sent++ < atol(colon + 1) ? TESTHOOK_BUSY : TESTHOOK_SEND;
}
#else
/* ISO C wants something in every translation unit. */
typedef int testhook_unused;
#endif
