#include "agent/apply/password.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "agent/text/base64.h"
#include "agent/base/testhook.h"

/* The alphabet per class, without characters that are easy to misread
 * (l 1 I O 0) or awkward in mail and shells (quotes, backslash, space, $,
 * <, >, &). */
static const char *const class_chars[] = {
	"abcdefghijkmnopqrstuvwxyz", /* PW_LOWER */
	"ABCDEFGHJKLMNPQRSTUVWXYZ",  /* PW_UPPER */
	"23456789",                  /* PW_DIGIT */
	"!#%+-=?@_*",                /* PW_SYMBOL */
};

#define SALT_LEN 8

void password_wipe(void *p, size_t n)
{
	if (p && n)
		OPENSSL_cleanse(p, n);
}


int random_bytes(void *buf, size_t n, struct diag *d)
{
	unsigned long e;
	char msg[256] = "";

	if (n > (size_t)0x7fffffff)
		return diag_set(d, ST_FAIL, "random request too large");
	/* RAND_priv_bytes returns 1 on success, 0 or -1 on failure: anything
	 * but 1 is a failure. */
	if (!testhook_random_broken() && RAND_priv_bytes(buf, (int)n) == 1)
		return 0;
	if ((e = ERR_get_error()))
		ERR_error_string_n(e, msg, sizeof msg);
	password_wipe(buf, n);
	return diag_set(d, ST_FAIL, "the random generator failed%s%s; nothing that needs a password is done",
			*msg ? ": " : "", msg);
}

static int char_class(char c)
{
	int k;

	for (k = 0; k < 4; k++)
		if (strchr(class_chars[k], c))
			return k;
	return -1;
}

/* The class of any character, for policy checks of passwords written by
 * people: lower, upper, digit, or anything else (a symbol). */
static int any_class(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return 0;
	if (c >= 'A' && c <= 'Z')
		return 1;
	if (c >= '0' && c <= '9')
		return 2;
	return 3;
}

int password_check(const struct cfg_passwords *p, const char *pw, size_t len, const char **why)
{
	unsigned seen = 0, n = 0, k;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((unsigned char)pw[i] < 0x20 || pw[i] == 0x7f) {
			*why = "it contains a control character";
			return -1;
		}
		seen |= 1u << any_class((unsigned char)pw[i]);
	}
	if (len < p->min_length) {
		*why = "it is shorter than passwords.policy.min_length";
		return -1;
	}
	for (k = 0; k < 4; k++)
		n += (seen >> k) & 1;
	if (n < p->min_classes) {
		*why = "it mixes fewer kinds of characters (lower case, upper case, digits, symbols) than passwords.policy.min_classes";
		return -1;
	}
	return 0;
}

int password_generate(const struct cfg_passwords *p, char *out, size_t outsize, struct diag *d)
{
	char alphabet[128];
	unsigned char pool[256];
	size_t n = 0, used = sizeof pool, i, limit;
	unsigned k, have;
	const char *why;
	int rc = 0, tries;

	if (p->length >= outsize || p->length > PASSWORD_MAX)
		return diag_set(d, ST_FAIL, "password buffer too small");
	alphabet[0] = '\0';
	for (k = 0; k < 4; k++)
		if (p->classes & (1u << k))
			strcat(alphabet, class_chars[k]);
	n = strlen(alphabet);
	/* Values at or above limit would make the first (256 % n) characters
	 * more likely: they are drawn again. */
	limit = 256 - (256 % n);
	for (tries = 0; tries < 1000; tries++) {
		have = 0;
		for (i = 0; i < p->length; i++) {
			unsigned char b;
			do {
				if (used == sizeof pool) {
					if ((rc = random_bytes(pool, sizeof pool, d)) < 0)
						goto out;
					used = 0;
				}
				b = pool[used++];
			} while (b >= limit);
			out[i] = alphabet[b % n];
			have |= 1u << char_class(out[i]);
		}
		out[p->length] = '\0';
		/* Whole redraws, not patched positions, keep every valid
		 * password equally likely. */
		if ((have & p->classes) == p->classes && password_check(p, out, p->length, &why) == 0)
			goto out;
	}
	rc = diag_set(d, ST_FAIL, "could not generate a password that satisfies the policy");
out:
	password_wipe(pool, sizeof pool);
	if (rc < 0)
		password_wipe(out, outsize);
	return rc;
}

static const EVP_MD *scheme_md(enum pw_hash s, const char **name)
{
	switch (s) {
	case PW_SSHA:
		*name = "{SSHA}";
		return EVP_sha1();
	case PW_SSHA256:
		*name = "{SSHA256}";
		return EVP_sha256();
	case PW_SSHA512:
		break;
	}
	*name = "{SSHA512}";
	return EVP_sha512();
}

/* digest(pw + salt) + salt into raw; returns its length or 0. */
static size_t salted_digest(const EVP_MD *md, const char *pw, size_t len, const unsigned char *salt,
			    size_t salt_len, unsigned char *raw)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int dlen = 0;
	int ok;

	if (!ctx)
		return 0;
	ok = EVP_DigestInit_ex(ctx, md, NULL) == 1 && EVP_DigestUpdate(ctx, pw, len) == 1 &&
	     EVP_DigestUpdate(ctx, salt, salt_len) == 1 && EVP_DigestFinal_ex(ctx, raw, &dlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return 0;
	memcpy(raw + dlen, salt, salt_len);
	return dlen + salt_len;
}

int password_hash(enum pw_hash scheme, const char *pw, size_t len, struct buf *out, struct diag *d)
{
	unsigned char salt[SALT_LEN], raw[EVP_MAX_MD_SIZE + SALT_LEN];
	const char *name;
	const EVP_MD *md = scheme_md(scheme, &name);
	size_t n;
	int rc;

	if ((rc = random_bytes(salt, sizeof salt, d)) < 0)
		return rc;
	n = salted_digest(md, pw, len, salt, sizeof salt, raw);
	if (!n)
		return diag_set(d, ST_FAIL, "hashing a password failed");
	buf_adds(out, name);
	base64_encode(out, raw, n);
	password_wipe(raw, sizeof raw);
	return out->failed ? diag_set(d, ST_FAIL, "out of memory") : 0;
}

int password_hash_matches(const char *hash, const char *pw, size_t len)
{
	static const enum pw_hash schemes[] = {PW_SSHA, PW_SSHA256, PW_SSHA512};
	struct buf raw = BUF_INIT;
	unsigned char check[EVP_MAX_MD_SIZE + 64];
	const char *name;
	size_t i, dlen;
	int match = 0;

	for (i = 0; i < 3; i++) {
		const EVP_MD *md = scheme_md(schemes[i], &name);
		size_t nl = strlen(name);
		if (strncmp(hash, name, nl) != 0)
			continue;
		dlen = (size_t)EVP_MD_get_size(md);
		if (base64_decode(&raw, hash + nl, strlen(hash + nl)) < 0 || raw.len <= dlen || raw.len - dlen > 64)
			break;
		if (salted_digest(md, pw, len, (unsigned char *)raw.data + dlen, raw.len - dlen, check) == raw.len)
			match = CRYPTO_memcmp(check, raw.data, dlen) == 0;
		password_wipe(check, sizeof check);
		break;
	}
	buf_release(&raw);
	return match;
}

int digest_init(struct digest *dg)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	dg->ctx = ctx;
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		dg->ctx = NULL;
		return -1;
	}
	return 0;
}

void digest_update(struct digest *dg, const void *data, size_t len)
{
	if (dg->ctx)
		EVP_DigestUpdate(dg->ctx, data, len);
}

void digest_final(struct digest *dg, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;

	hex[0] = '\0';
	if (dg->ctx && EVP_DigestFinal_ex(dg->ctx, md, &n) == 1)
		for (i = 0; i < n && i < 32; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
	EVP_MD_CTX_free(dg->ctx);
	dg->ctx = NULL;
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
	if (digest_init(&dg) < 0) {
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

int pwstore_init(struct pwstore *s, size_t n, size_t slot_size)
{
	s->slot = slot_size;
	s->n = n;
	s->locked = 0;
	s->mem = calloc(n ? n : 1, slot_size);
	if (!s->mem)
		return -1;
	/* Keep passwords out of swap where the limits allow; the process is
	 * already kept out of core dumps. */
	s->locked = mlock(s->mem, (n ? n : 1) * slot_size) == 0;
	return 0;
}

char *pwstore_slot(struct pwstore *s, size_t i)
{
	return s->mem + i * s->slot;
}

int pwstore_has(const struct pwstore *s, size_t i)
{
	return s->mem && i < s->n && s->mem[i * s->slot] != '\0';
}

void pwstore_clear(struct pwstore *s, size_t i)
{
	if (s->mem && i < s->n)
		password_wipe(s->mem + i * s->slot, s->slot);
}

void pwstore_release(struct pwstore *s)
{
	size_t size = (s->n ? s->n : 1) * s->slot;

	if (!s->mem)
		return;
	password_wipe(s->mem, size);
	if (s->locked)
		munlock(s->mem, size);
	free(s->mem);
	s->mem = NULL;
	s->n = 0;
}
