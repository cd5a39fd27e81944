/* Fault injection for the test suite. Compiled in only when the build sets
 * LDAPENROLL_TEST_HOOKS (cmake -DLDAPENROLL_TEST_HOOKS=ON, as
 * contrib/scripts/test.sh does); in any other build every hook is a no-op
 * that the compiler removes, and no environment variable changes anything.
 *
 *   LDAPENROLL_TEST_CRASH_AT=POINT[:N]   the process kills itself (SIGKILL,
 *       like a power cut for the program: nothing is flushed) the N-th time
 *       (default 1) it reaches POINT; the points are named where they are
 *       called (testhook_point).
 *   LDAPENROLL_TEST_PAUSE_AT=POINT[:N[,N...]]   the process stops itself
 *       (SIGSTOP) there instead, each of those times, so that a test can
 *       change the directory under it and let it go on with SIGCONT.
 *   LDAPENROLL_TEST_FAIL_RANDOM=1        the random generator fails.
 *   LDAPENROLL_TEST_JOURNAL_FAIL_AFTER=N every journal write after the N-th
 *       fails with ENOSPC, as on a full disk.
 *   LDAPENROLL_TEST_UNANSWERED=DN        a write to DN is never sent and never
 *       answered, as by a server that takes it and then says nothing.
 *   LDAPENROLL_TEST_BUSY=DN:N            the first N writes to DN are answered
 *       "busy" (51) without reaching the server (slapd never says busy).
 *   LDAPENROLL_TEST_CLOCK_AHEAD=SECONDS  the clock of the set-password page
 *       and of `jobs` runs that far ahead, so that links are seen expired
 *       without waiting.
 *   LDAPENROLL_TEST_VERIFY_BY=WAY        the final must-change check takes
 *       that way (reads, flagged or unflagged) whatever it costs, where the
 *       way is open, so that each can be tried against every server. */
#ifndef LDAPENROLL_TESTHOOK_H
#define LDAPENROLL_TESTHOOK_H

#include <time.h>

#ifdef LDAPENROLL_TEST_HOOKS
void testhook_point(const char *point);
int testhook_random_broken(void);
/* True (with errno = ENOSPC) when this journal write is to fail. */
int testhook_journal_write_fails(void);
enum testhook_write { TESTHOOK_SEND, TESTHOOK_UNANSWERED, TESTHOOK_BUSY };
/* What becomes of a write to dn (compared without case). */
enum testhook_write testhook_write(const char *dn);
/* The time, as far ahead as LDAPENROLL_TEST_CLOCK_AHEAD says. */
time_t testhook_now(void);
/* The way LDAPENROLL_TEST_VERIFY_BY names, or NULL. */
const char *testhook_verify_by(void);
#define TESTHOOKS_BUILT 1
#else
static inline void testhook_point(const char *point)
{
	(void)point;
}
static inline int testhook_random_broken(void)
{
	return 0;
}
static inline int testhook_journal_write_fails(void)
{
	return 0;
}
enum testhook_write { TESTHOOK_SEND, TESTHOOK_UNANSWERED, TESTHOOK_BUSY };
static inline enum testhook_write testhook_write(const char *dn)
{
	(void)dn;
	return TESTHOOK_SEND;
}
static inline time_t testhook_now(void)
{
	return time(NULL);
}
static inline const char *testhook_verify_by(void)
{
	return NULL;
}
#define TESTHOOKS_BUILT 0
#endif

#endif
