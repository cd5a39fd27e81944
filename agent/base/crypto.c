#include "agent/base/crypto.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/secure.h"
#include "agent/base/testhook.h"

/* Each call to the generator costs about 2 us whatever its size (locks, the
 * fork check), and a run draws twice per new password (the password, the
 * salt of its hash): small requests are served from a block drawn at once,
 * one per thread. A byte handed out is wiped from the block at once; a
 * child process after fork() starts with an empty block, never with its
 * parent's bytes. */
#define POOL_SIZE 4096
#define POOL_MAX 64 /* larger requests go to the generator directly */

struct pool {
	unsigned char b[POOL_SIZE];
	size_t left; /* bytes not handed out yet, at the end of b */
};
static _Thread_local struct pool pool;
static pthread_once_t pool_once = PTHREAD_ONCE_INIT;

static void pool_forget(void)
{
	secure_wipe(&pool, sizeof pool);
}

static void pool_setup(void)
{
	pthread_atfork(NULL, NULL, pool_forget);
}

int random_bytes(void *buf, size_t n, struct diag *d)
{
	unsigned long e;
	char msg[256] = "";
	int ok;

	if (n > (size_t)0x7fffffff)
		return diag_set(d, ST_FAIL, "random request too large");
	/* RAND_priv_bytes returns 1 on success, 0 or -1 on failure: anything
	 * but 1 is a failure. */
	if (testhook_random_broken()) {
		ok = 0;
	} else if (n > POOL_MAX) {
		ok = RAND_priv_bytes(buf, (int)n) == 1;
	} else {
		pthread_once(&pool_once, pool_setup);
		if (pool.left < n) {
			pool.left = 0;
			if (RAND_priv_bytes(pool.b, (int)sizeof pool.b) == 1)
				pool.left = sizeof pool.b;
			else
				secure_wipe(pool.b, sizeof pool.b);
		}
		if ((ok = pool.left >= n)) {
			unsigned char *from = pool.b + sizeof pool.b - pool.left;
			memcpy(buf, from, n);
			secure_wipe(from, n);
			pool.left -= n;
		}
	}
	if (ok)
		return 0;
	if ((e = ERR_get_error()))
		ERR_error_string_n(e, msg, sizeof msg);
	secure_wipe(buf, n);
	return diag_set(d, ST_FAIL, "the random generator failed%s%s; nothing that needs a password is done",
			*msg ? ": " : "", msg);
}

static const EVP_MD *alg_md(enum digest_alg alg)
{
	switch (alg) {
	case DIGEST_SHA1:
		return EVP_sha1();
	case DIGEST_SHA256:
		return EVP_sha256();
	case DIGEST_SHA512:
		break;
	}
	return EVP_sha512();
}

int digest_init(struct digest *dg, enum digest_alg alg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	dg->ctx = ctx;
	if (!ctx || EVP_DigestInit_ex(ctx, alg_md(alg), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		dg->ctx = NULL;
		return -1;
	}
	return 0;
}

void digest_update(struct digest *dg, const void *data, size_t len)
{
	if (dg->ctx && EVP_DigestUpdate(dg->ctx, data, len) != 1) {
		/* A digest that missed bytes must not be taken for a result. */
		EVP_MD_CTX_free(dg->ctx);
		dg->ctx = NULL;
	}
}

size_t digest_final_raw(struct digest *dg, unsigned char out[DIGEST_MAX])
{
	unsigned int n = 0;

	if (dg->ctx && EVP_DigestFinal_ex(dg->ctx, out, &n) != 1)
		n = 0;
	EVP_MD_CTX_free(dg->ctx);
	dg->ctx = NULL;
	return n;
}

void digest_final(struct digest *dg, char hex[65])
{
	unsigned char md[DIGEST_MAX];
	size_t n = digest_final_raw(dg, md), i;

	hex[0] = '\0';
	for (i = 0; i < n && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

int digest_file(const char *path, char hex[65])
{
	struct digest dg;
	char chunk[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	hex[0] = '\0';
	if (fd < 0)
		return -1;
	if (digest_init(&dg, DIGEST_SHA256) < 0) {
		close(fd);
		errno = ENOMEM;
		return -1;
	}
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		digest_update(&dg, chunk, (size_t)n);
	close(fd);
	digest_final(&dg, hex);
	return n < 0 ? -1 : 0;
}

int crypto_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}

/* One AES-256-GCM pass; seal (enc) or open. */
static int aead(int enc, const unsigned char *key, const unsigned char *nonce, const void *ad, size_t adlen,
		const void *in, size_t len, unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	if (!c || len > INT_MAX || adlen > INT_MAX) {
		EVP_CIPHER_CTX_free(c);
		return -1;
	}
	ok = EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, AEAD_NONCE, NULL) == 1 &&
	     EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1 &&
	     (!adlen || EVP_CipherUpdate(c, NULL, &n, ad, (int)adlen) == 1) &&
	     (!len || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1) &&
	     (enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, AEAD_TAG, tag) == 1) &&
	     EVP_CipherFinal_ex(c, out + len, &n) == 1 &&
	     (!enc || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, AEAD_TAG, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	if (!ok && !enc)
		secure_wipe(out, len); /* nothing unauthenticated is left behind */
	return ok ? 0 : -1;
}

int aead_seal(const unsigned char key[AEAD_KEY], const unsigned char nonce[AEAD_NONCE], const void *ad, size_t adlen,
	      const void *in, size_t len, unsigned char *out, unsigned char tag[AEAD_TAG])
{
	return aead(1, key, nonce, ad, adlen, in, len, out, tag);
}

int aead_open(const unsigned char key[AEAD_KEY], const unsigned char nonce[AEAD_NONCE], const void *ad, size_t adlen,
	      const void *in, size_t len, const unsigned char tag[AEAD_TAG], unsigned char *out)
{
	return aead(0, key, nonce, ad, adlen, in, len, out, (unsigned char *)tag);
}
