#include "tests/unit/freecheck.h"

#include <malloc.h>
#include <string.h>

void __real_free(void *p);
void *__real_realloc(void *p, size_t n);
void __wrap_free(void *p);
void *__wrap_realloc(void *p, size_t n);

static const char *watched;
static size_t leaks;

void freecheck_watch(const char *secret)
{
	watched = secret;
	leaks = 0;
}

size_t freecheck_leaks(void)
{
	return leaks;
}

/* The whole block, as the allocator gave it, not only what was used. */
static void check(void *p)
{
	if (p && watched && memmem(p, malloc_usable_size(p), watched, strlen(watched)))
		leaks++;
}

void __wrap_free(void *p)
{
	check(p);
	__real_free(p);
}

/* realloc may move the block and free the old one without telling anyone:
 * a block that holds the secret must never be given to it. */
void *__wrap_realloc(void *p, size_t n)
{
	check(p);
	return __real_realloc(p, n);
}
