/* Passwords: generated, checked against the policy, hashed.
 *
 * Passwords come from random_bytes() (agent/base/crypto.h), drawn without
 * bias by rejection sampling over an alphabet without look-alike
 * characters, and redrawn whole until
 * they hold one character of every configured class and pass the policy.
 * They are hashed here ({SSHA}, {SSHA256}, {SSHA512} with a fresh salt), so
 * the directory never sees the clear text. Every buffer that held one is
 * wiped with secure_wipe(). */
#ifndef LDAPENROLL_PASSWORD_H
#define LDAPENROLL_PASSWORD_H

#include <stddef.h>

#include "config/config.h"
#include "agent/base/buf.h"
#include "agent/base/diag.h"

#define PASSWORD_MAX 128

/* Generates a password of p->length characters into out (at least
 * p->length + 1 bytes), NUL-terminated. Returns 0 or ST_FAIL. */
int password_generate(const struct cfg_passwords *p, char *out, size_t outsize, struct diag *d);

/* Checks a password against the policy (min_length, min_classes). Returns 0,
 * or -1 with *why set to a static reason. */
int password_check(const struct cfg_passwords *p, const char *pw, size_t len, const char **why);

/* Appends "{SCHEME}base64(digest(pw + salt) + salt)" to out. Returns 0 or
 * ST_FAIL. */
int password_hash(enum pw_hash scheme, const char *pw, size_t len, struct buf *out, struct diag *d);

/* True when hash (as password_hash writes it) is the hash of pw. */
int password_hash_matches(const char *hash, const char *pw, size_t len);

#endif
