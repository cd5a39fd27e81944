/* Secrets: owner-only secret files, wiping, and keeping secrets out of core
 * dumps. Everything that reads a password from disk goes through here. */
#ifndef LDAPENROLL_SECURE_H
#define LDAPENROLL_SECURE_H

#include <stddef.h>

#include "agent/base/buf.h"
#include "agent/base/diag.h"

/* Overwrites n bytes in a way the compiler may not optimise away. */
void secure_wipe(void *p, size_t n);

/* Checks that path is a regular file (not a symlink) owned by the effective
 * user (or root) with no group or other permission bits. Returns 0, or
 * ST_INPUT with the reason in d (without the path: callers add context). */
int secret_file_check(const char *path, struct diag *d);

/* Reads a secret file after the same checks, opened with O_NOFOLLOW and
 * checked with fstat on the open descriptor (no check-then-open race). The
 * complete content is the secret, except that one trailing "\n" (or "\r\n")
 * is removed, as editors add it. An empty secret is refused. The caller owns
 * out and must release it with buf_release_secret(). */
int secret_file_read(const char *path, struct buf *out, struct diag *d);

/* Makes the process non-dumpable and sets RLIMIT_CORE to 0, so that a crash
 * cannot write passwords to disk. */
void secure_process_init(void);

#endif
