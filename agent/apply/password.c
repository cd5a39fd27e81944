#include "agent/apply/password.h"

#include <string.h>

#include "agent/base/crypto.h"
#include "agent/base/secure.h"
#include "agent/text/base64.h"

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
	unsigned char pool[32]; /* drawn as needed: random_bytes serves small requests cheaply */
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
	secure_wipe(pool, sizeof pool);
	if (rc < 0)
		secure_wipe(out, outsize);
	return rc;
}

static const char *scheme_name(enum pw_hash s, enum digest_alg *alg)
{
	switch (s) {
	case PW_SSHA:
		*alg = DIGEST_SHA1;
		return "{SSHA}";
	case PW_SSHA256:
		*alg = DIGEST_SHA256;
		return "{SSHA256}";
	case PW_SSHA512:
		break;
	}
	*alg = DIGEST_SHA512;
	return "{SSHA512}";
}

/* digest(pw + salt) + salt into raw (DIGEST_MAX + salt_len bytes); returns
 * the digest's length, or 0 when hashing failed. */
static size_t salted_digest(enum digest_alg alg, const char *pw, size_t len, const unsigned char *salt,
			    size_t salt_len, unsigned char *raw)
{
	struct digest dg;
	size_t n;

	if (digest_init(&dg, alg) < 0)
		return 0;
	digest_update(&dg, pw, len);
	digest_update(&dg, salt, salt_len);
	if (!(n = digest_final_raw(&dg, raw)))
		return 0;
	memcpy(raw + n, salt, salt_len);
	return n;
}

int password_hash(enum pw_hash scheme, const char *pw, size_t len, struct buf *out, struct diag *d)
{
	unsigned char salt[SALT_LEN], raw[DIGEST_MAX + SALT_LEN];
	enum digest_alg alg;
	const char *name = scheme_name(scheme, &alg);
	size_t n;
	int rc;

	if ((rc = random_bytes(salt, sizeof salt, d)) < 0)
		return rc;
	n = salted_digest(alg, pw, len, salt, sizeof salt, raw);
	if (!n)
		return diag_set(d, ST_FAIL, "hashing a password failed");
	buf_adds(out, name);
	base64_encode(out, raw, n + sizeof salt);
	secure_wipe(raw, sizeof raw);
	return out->failed ? diag_set(d, ST_FAIL, "out of memory") : 0;
}

int password_hash_matches(const char *hash, const char *pw, size_t len)
{
	static const enum pw_hash schemes[] = {PW_SSHA, PW_SSHA256, PW_SSHA512};
	struct buf raw = BUF_INIT;
	unsigned char check[DIGEST_MAX + 64];
	size_t i, nl, dlen;
	int match = 0;

	for (i = 0; i < 3; i++) {
		enum digest_alg alg;
		const char *name = scheme_name(schemes[i], &alg);

		nl = strlen(name);
		if (strncmp(hash, name, nl) != 0)
			continue;
		dlen = alg == DIGEST_SHA1 ? 20 : alg == DIGEST_SHA256 ? 32 : 64;
		if (base64_decode(&raw, hash + nl, strlen(hash + nl)) < 0 || raw.len <= dlen || raw.len - dlen > 64)
			break;
		if (salted_digest(alg, pw, len, (unsigned char *)raw.data + dlen, raw.len - dlen, check) == dlen)
			match = crypto_equal(check, raw.data, dlen);
		secure_wipe(check, sizeof check);
		break;
	}
	buf_release(&raw);
	return match;
}
