/* Randomness and message digests: the only module that uses OpenSSL's
 * random generator and digests. Passwords, salts and job ids draw from
 * random_bytes(); password hashes and the digests that jobs and plans record
 * (of the config and the source) come from the digest functions. */
#ifndef LDAPENROLL_CRYPTO_H
#define LDAPENROLL_CRYPTO_H

#include <stddef.h>

#include "agent/base/diag.h"

/* Fills buf with n random bytes from the private generator. Returns 0 or
 * ST_FAIL (with the OpenSSL error in d); the generator's result is checked,
 * and a failure is never papered over with weaker randomness. */
int random_bytes(void *buf, size_t n, struct diag *d);

enum digest_alg { DIGEST_SHA1, DIGEST_SHA256, DIGEST_SHA512 };

/* The largest digest, in bytes. */
#define DIGEST_MAX 64

/* A streaming digest. The context is freed by digest_final*(). */
struct digest {
	void *ctx;
};
/* Returns 0, or -1 when out of memory (dg->ctx is then NULL, and the other
 * calls do nothing). */
int digest_init(struct digest *dg, enum digest_alg alg);
void digest_update(struct digest *dg, const void *data, size_t len);
/* Writes the raw digest to out and returns its length, or 0 on failure. */
size_t digest_final_raw(struct digest *dg, unsigned char out[DIGEST_MAX]);
/* Writes the digest as lower-case hex (at most 2 * 32 characters and a NUL:
 * SHA-256 fits; a longer one is cut) and frees the context; "" on failure. */
void digest_final(struct digest *dg, char hex[65]);
/* The SHA-256 of a whole file, as hex; returns 0 or -1 (errno set). */
int digest_file(const char *path, char hex[65]);

/* Compares n bytes in constant time; true when equal. */
int crypto_equal(const void *a, const void *b, size_t n);

#endif
