/* Randomness, message digests and authenticated encryption: the only
 * module that uses OpenSSL's random generator, digests and ciphers. Passwords, salts and job ids draw from
 * random_bytes(); password hashes and the digests that jobs and plans record
 * (of the config and the source) come from the digest functions. */
#ifndef LDAPENROLL_CRYPTO_H
#define LDAPENROLL_CRYPTO_H

#include <stddef.h>

#include "agent/base/diag.h"

/* Fills buf with n random bytes from the private generator. Returns 0 or
 * ST_FAIL (with the OpenSSL error in d); the generator's result is checked,
 * and a failure is never papered over with weaker randomness. Requests of
 * up to 64 bytes are served from a 4 KiB block drawn at once (one per
 * thread; each byte wiped as it is handed out; emptied in a child after
 * fork()). */
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

/* AES-256-GCM with a 12-byte nonce and a 16-byte tag. aead_seal encrypts
 * len bytes of in to out (len bytes) and writes the tag; aead_open
 * decrypts and checks the tag, writing to out only what it returns as
 * authentic. Both authenticate ad as well. Return 0, or -1 (open: forged,
 * or another key; both: no memory). */
#define AEAD_KEY 32
#define AEAD_NONCE 12
#define AEAD_TAG 16
int aead_seal(const unsigned char key[AEAD_KEY], const unsigned char nonce[AEAD_NONCE], const void *ad, size_t adlen,
	      const void *in, size_t len, unsigned char *out, unsigned char tag[AEAD_TAG]);
int aead_open(const unsigned char key[AEAD_KEY], const unsigned char nonce[AEAD_NONCE], const void *ad, size_t adlen,
	      const void *in, size_t len, const unsigned char tag[AEAD_TAG], unsigned char *out);

#endif
