/* Failing one allocation on purpose, from inside a test (failmalloc.c). */
#ifndef LDAPENROLL_FAILMALLOC_H
#define LDAPENROLL_FAILMALLOC_H

/* The n-th allocation from now fails, once; 0 disarms (and keeps what
 * failmalloc_fired says). */
void failmalloc_arm(unsigned long n);
/* True when the allocation last armed has failed: a test that calls
 * something with failmalloc_arm(n) for n = 1, 2, ... is done when it has
 * not. */
int failmalloc_fired(void);

#endif
