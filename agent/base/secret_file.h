/* Secret files: the bind and SMTP passwords and --password-file. Each must
 * be a regular, owner-only file; everything that reads a password from disk
 * goes through here. */
#ifndef LDAPENROLL_SECRET_FILE_H
#define LDAPENROLL_SECRET_FILE_H

#include "agent/base/buf.h"
#include "agent/base/diag.h"

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

#endif
