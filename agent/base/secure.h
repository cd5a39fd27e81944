/* Keeping secrets secret in memory: the one wipe function every buffer that
 * held a password goes through, and a process that cannot dump them. */
#ifndef LDAPENROLL_SECURE_H
#define LDAPENROLL_SECURE_H

#include <stddef.h>

/* Overwrites n bytes in a way the compiler may not optimise away. NULL or
 * 0 does nothing. */
void secure_wipe(void *p, size_t n);

/* Makes the process non-dumpable and sets RLIMIT_CORE to 0, so that a crash
 * cannot write passwords to disk. */
void secure_process_init(void);

#endif
