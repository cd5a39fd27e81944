/* Passwords, randomness and digests: the only module that uses OpenSSL's
 * random generator and message digests.
 *
 * Passwords come from RAND_priv_bytes (its result is checked: anything but 1
 * is a failure, never a fallback), drawn without bias by rejection sampling
 * over an alphabet without look-alike characters, and redrawn whole until
 * they hold one character of every configured class and pass the policy.
 * They are hashed here ({SSHA}, {SSHA256}, {SSHA512} with a fresh salt), so
 * the directory never sees the clear text. Every buffer that held one is
 * wiped with OPENSSL_cleanse. */
#ifndef LDAPENROLL_PASSWORD_H
#define LDAPENROLL_PASSWORD_H

#include <stddef.h>

#include "config/config.h"
#include "agent/base/buf.h"
#include "agent/base/diag.h"

#define PASSWORD_MAX 128

/* Fills buf with n random bytes from the private generator. Returns 0 or
 * ST_FAIL (with the OpenSSL error in d). */
int random_bytes(void *buf, size_t n, struct diag *d);

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

/* Wipes n bytes (OPENSSL_cleanse). */
void password_wipe(void *p, size_t n);

/* Passwords kept between the directory write and the mail that carries
 * them: one slot per plan action, in memory locked against swapping where
 * the system allows it, wiped on release. Never written anywhere. */
struct pwstore {
	char *mem;
	size_t slot, n;
	int locked;
};

int pwstore_init(struct pwstore *s, size_t n, size_t slot_size);
/* The slot of action i (slot_size bytes, NUL-terminated when used). */
char *pwstore_slot(struct pwstore *s, size_t i);
/* True when slot i holds a password. */
int pwstore_has(const struct pwstore *s, size_t i);
/* Wipes one slot. */
void pwstore_clear(struct pwstore *s, size_t i);
/* Wipes everything and frees it. */
void pwstore_release(struct pwstore *s);

/* SHA-256, streaming, for the digests of the config and the source that a
 * job records. */
struct digest {
	void *ctx;
};
int digest_init(struct digest *dg);
void digest_update(struct digest *dg, const void *data, size_t len);
/* Writes the lower-case hex digest (64 characters and a NUL) and frees the
 * context. */
void digest_final(struct digest *dg, char hex[65]);
/* The digest of a whole file; returns 0 or -1 (errno set). */
int digest_file(const char *path, char hex[65]);

#endif
