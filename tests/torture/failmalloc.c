/* Allocation failure injection for the torture test (tests/torture/torture.sh).
 * The program is linked with -Wl,--wrap for the allocation functions, so
 * every allocation the project's own code makes comes through here (the
 * libraries' own allocations do not).
 *
 *   LDAPENROLL_TORTURE_FAIL_AT=N   the N-th allocation (from 1) fails, once,
 *                                  as malloc does when memory runs out;
 *   LDAPENROLL_TORTURE_COUNT=FILE  at exit, the number of allocations made
 *                                  is written to FILE;
 *   LDAPENROLL_TORTURE_TRACE=1     the failing allocation prints its stack
 *                                  (in a sanitizer build), to find the caller.
 *
 * Unit tests named test_*_oom.c are linked with it too and fail allocations
 * from the inside (failmalloc.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* The sanitizer runtime prints stacks; without it the header may exist but
 * the function does not. */
#if defined(__SANITIZE_ADDRESS__)
#define HAVE_STACK_TRACE 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_STACK_TRACE 1
#endif
#endif
#ifdef HAVE_STACK_TRACE
#include <sanitizer/common_interface_defs.h>
#endif

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
char *__real_strdup(const char *s);
char *__real_strndup(const char *s, size_t n);

void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
char *__wrap_strdup(const char *s);
char *__wrap_strndup(const char *s, size_t n);

#include "tests/torture/failmalloc.h"

static unsigned long count, fail_at;
static int initialised, fired;

void failmalloc_arm(unsigned long n)
{
	initialised = 1;
	if (n) {
		fail_at = count + n;
		fired = 0;
	} else {
		fail_at = 0;
	}
}

int failmalloc_fired(void)
{
	return fired;
}

static void write_count(void)
{
	const char *path = getenv("LDAPENROLL_TORTURE_COUNT");
	FILE *f;

	if (path && (f = fopen(path, "w"))) {
		fprintf(f, "%lu\n", count);
		fclose(f);
	}
}

/* Whether this allocation is the one to fail. */
static int fails(void)
{
	if (!initialised) {
		const char *v = getenv("LDAPENROLL_TORTURE_FAIL_AT");
		initialised = 1;
		fail_at = v ? strtoul(v, NULL, 10) : 0;
		atexit(write_count);
	}
	if (++count != fail_at)
		return 0;
	fired = 1;
#ifdef HAVE_STACK_TRACE
	if (getenv("LDAPENROLL_TORTURE_TRACE"))
		__sanitizer_print_stack_trace();
#endif
	errno = ENOMEM;
	return 1;
}

void *__wrap_malloc(size_t n)
{
	return fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
	return fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
	return fails() ? NULL : __real_realloc(p, n);
}

char *__wrap_strdup(const char *s)
{
	return fails() ? NULL : __real_strdup(s);
}

char *__wrap_strndup(const char *s, size_t n)
{
	return fails() ? NULL : __real_strndup(s, n);
}
