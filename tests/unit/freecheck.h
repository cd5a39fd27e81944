/* Whether a secret is left behind in freed memory (freecheck.c): unit
 * tests named test_*_secret.c are linked with free and realloc wrapped, and
 * every block freed, or moved by realloc, is searched for the secret while
 * one is set. */
#ifndef LDAPENROLL_FREECHECK_H
#define LDAPENROLL_FREECHECK_H

#include <stddef.h>

/* From now on, look for secret (NULL: stop looking); the count restarts. */
void freecheck_watch(const char *secret);
/* How many freed or moved blocks held the secret since it was set. */
size_t freecheck_leaks(void);

#endif
