/* Unit tests for agent/apply/password.c: generated passwords (length,
 * alphabet, every class present, no bias), the policy check and the salted
 * hashes ({SSHA}, {SSHA256}, {SSHA512}) cross-checked against OpenSSL
 * directly. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/text/base64.h"
#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "agent/apply/password.h"
#include "config/config.h"
#include "tests/unit/scratch.h"

#define LOWER "abcdefghijkmnopqrstuvwxyz"
#define UPPER "ABCDEFGHJKLMNPQRSTUVWXYZ"
#define DIGIT "23456789"
#define SYMBOL "!#%+-=?@_*"
#define ALL_CLASSES (PW_LOWER | PW_UPPER | PW_DIGIT | PW_SYMBOL)

static struct cfg_passwords policy(unsigned length, unsigned classes, unsigned min_length, unsigned min_classes)
{
	struct cfg_passwords p;

	memset(&p, 0, sizeof p);
	p.length = length;
	p.classes = classes;
	p.min_length = min_length;
	p.min_classes = min_classes;
	p.must_change = 1;
	p.hash = PW_SSHA256;
	return p;
}

/* The characters a password may hold under classes. */
static void alphabet_of(unsigned classes, char *out)
{
	out[0] = '\0';
	if (classes & PW_LOWER)
		strcat(out, LOWER);
	if (classes & PW_UPPER)
		strcat(out, UPPER);
	if (classes & PW_DIGIT)
		strcat(out, DIGIT);
	if (classes & PW_SYMBOL)
		strcat(out, SYMBOL);
}

static void generate_ok(const struct cfg_passwords *p, char *out, size_t size)
{
	struct diag d;

	diag_init(&d);
	if (password_generate(p, out, size, &d) != 0)
		fail_msg("password_generate failed: %s", d.msg);
	assert_int_equal(d.status, ST_OK);
}

static int has_any(const char *pw, const char *set)
{
	return strpbrk(pw, set) != NULL;
}

/* --- generation --------------------------------------------------------------- */

static void alphabets_have_no_look_alikes(void **state)
{
	(void)state;
	/* The alphabets this file checks against are the documented ones. */
	assert_int_equal(strlen(LOWER), 25);
	assert_int_equal(strlen(UPPER), 24);
	assert_int_equal(strlen(DIGIT), 8);
	assert_int_equal(strlen(SYMBOL), 10);
	assert_null(strpbrk(LOWER UPPER DIGIT, "lIO01"));
}

static void generate_length_and_alphabet(void **state)
{
	static const unsigned class_sets[] = {
		ALL_CLASSES, PW_LOWER, PW_UPPER, PW_DIGIT, PW_SYMBOL, PW_LOWER | PW_DIGIT, PW_UPPER | PW_SYMBOL,
		PW_LOWER | PW_UPPER | PW_DIGIT,
	};
	char pw[PASSWORD_MAX + 1], allowed[128];
	size_t s;
	unsigned len;

	(void)state;
	for (s = 0; s < sizeof class_sets / sizeof *class_sets; s++) {
		alphabet_of(class_sets[s], allowed);
		for (len = 4; len <= PASSWORD_MAX; len += len < 32 ? 1 : 31) {
			struct cfg_passwords p = policy(len, class_sets[s], len, 1);
			int round;
			for (round = 0; round < 20; round++) {
				memset(pw, 'Z', sizeof pw);
				generate_ok(&p, pw, sizeof pw);
				assert_int_equal(strlen(pw), len);
				if (strspn(pw, allowed) != len)
					fail_msg("\"%s\" holds '%c', not in \"%s\"", pw, pw[strspn(pw, allowed)], allowed);
				assert_null(strpbrk(pw, "lIO01 \"'\\$<>&"));
			}
		}
	}
}

static void generate_every_class_present(void **state)
{
	static const unsigned class_sets[] = {ALL_CLASSES, PW_LOWER | PW_DIGIT, PW_UPPER | PW_SYMBOL | PW_DIGIT};
	char pw[PASSWORD_MAX + 1];
	size_t s;
	int i;

	(void)state;
	for (s = 0; s < sizeof class_sets / sizeof *class_sets; s++) {
		unsigned c = class_sets[s];
		/* Short passwords make a missing class likely without the redraw. */
		struct cfg_passwords p = policy(s == 0 ? 6 : 4, c, 4, 1);
		for (i = 0; i < 2000; i++) {
			generate_ok(&p, pw, sizeof pw);
			if ((c & PW_LOWER) && !has_any(pw, LOWER))
				fail_msg("\"%s\" has no lower-case letter", pw);
			if ((c & PW_UPPER) && !has_any(pw, UPPER))
				fail_msg("\"%s\" has no upper-case letter", pw);
			if ((c & PW_DIGIT) && !has_any(pw, DIGIT))
				fail_msg("\"%s\" has no digit", pw);
			if ((c & PW_SYMBOL) && !has_any(pw, SYMBOL))
				fail_msg("\"%s\" has no symbol", pw);
		}
	}
}

static void generate_digits_only(void **state)
{
	struct cfg_passwords p = policy(8, PW_DIGIT, 8, 1);
	char pw[9];
	const char *why = NULL;
	int i;

	(void)state;
	for (i = 0; i < 200; i++) {
		generate_ok(&p, pw, sizeof pw); /* exactly length + 1 bytes */
		assert_int_equal(strlen(pw), 8);
		assert_int_equal(strspn(pw, DIGIT), 8);
		assert_int_equal(password_check(&p, pw, strlen(pw), &why), 0);
	}
}

static void generated_passwords_pass_the_policy(void **state)
{
	struct cfg_passwords p = policy(16, ALL_CLASSES, 12, 4);
	char pw[PASSWORD_MAX + 1];
	const char *why = NULL;
	int i;

	(void)state;
	for (i = 0; i < 500; i++) {
		generate_ok(&p, pw, sizeof pw);
		if (password_check(&p, pw, strlen(pw), &why) != 0)
			fail_msg("\"%s\" fails its own policy: %s", pw, why);
	}
}

static void generated_passwords_differ(void **state)
{
	struct cfg_passwords p = policy(16, ALL_CLASSES, 12, 3);
	char a[PASSWORD_MAX + 1], b[PASSWORD_MAX + 1];

	(void)state;
	generate_ok(&p, a, sizeof a);
	generate_ok(&p, b, sizeof b);
	assert_string_not_equal(a, b);
}

/* With a uniform draw and 20000 x 16 characters, each of the 67 characters
 * is expected about 4800 times (standard deviation about 70): the bounds
 * are far outside chance, and the redraw for missing classes moves the
 * smaller classes up by less than 20 %. */
static void generate_is_uniform(void **state)
{
	struct cfg_passwords p = policy(16, ALL_CLASSES, 16, 4);
	char pw[PASSWORD_MAX + 1], allowed[128];
	unsigned long count[256];
	double mean;
	size_t n, k;
	int i;

	(void)state;
	memset(count, 0, sizeof count);
	alphabet_of(ALL_CLASSES, allowed);
	n = strlen(allowed);
	assert_int_equal(n, 67);
	for (i = 0; i < 20000; i++) {
		const char *c;
		generate_ok(&p, pw, sizeof pw);
		for (c = pw; *c; c++)
			count[(unsigned char)*c]++;
	}
	mean = 20000.0 * 16 / (double)n;
	for (k = 0; k < n; k++) {
		unsigned long c = count[(unsigned char)allowed[k]];
		if (c == 0 || (double)c > 1.5 * mean || (double)c < 0.5 * mean)
			fail_msg("'%c' drawn %lu times, the mean is %.0f", allowed[k], c, mean);
	}
	for (k = 0; k < 256; k++)
		if (count[k] && !strchr(allowed, (int)k))
			fail_msg("'%c' (0x%02zx) was drawn", (int)k, k);

	/* Within a class every character is equally likely (the redraw only
	 * moves whole classes): 10 % is about 7 standard deviations, and a
	 * modulo bias (4 chances in 256 instead of 3 for some of the digits)
	 * is 33 %. */
	{
		static const char *const classes[] = {LOWER, UPPER, DIGIT, SYMBOL};
		size_t c;
		for (c = 0; c < 4; c++) {
			const char *set = classes[c];
			double class_mean = 0;
			for (k = 0; set[k]; k++)
				class_mean += (double)count[(unsigned char)set[k]];
			class_mean /= (double)strlen(set);
			for (k = 0; set[k]; k++) {
				double got = (double)count[(unsigned char)set[k]];
				if (got > 1.1 * class_mean || got < 0.9 * class_mean)
					fail_msg("'%c' drawn %.0f times, its class's mean is %.0f", set[k], got, class_mean);
			}
		}
	}
}

static void generate_buffer_too_small(void **state)
{
	struct cfg_passwords p = policy(16, ALL_CLASSES, 8, 1);
	char pw[PASSWORD_MAX + 8];
	struct diag d;

	(void)state;
	diag_init(&d);
	assert_int_equal(password_generate(&p, pw, 16, &d), ST_FAIL);
	assert_int_equal(d.status, ST_FAIL);
	assert_true(d.msg[0] != '\0');

	p.length = PASSWORD_MAX + 1;
	diag_init(&d);
	assert_int_equal(password_generate(&p, pw, sizeof pw, &d), ST_FAIL);
}

static void generate_impossible_policy_fails_and_wipes(void **state)
{
	/* Lower case only can never mix four kinds of characters. */
	struct cfg_passwords p = policy(12, PW_LOWER, 8, 4);
	char pw[64];
	struct diag d;
	size_t i;

	(void)state;
	memset(pw, 'Q', sizeof pw);
	diag_init(&d);
	assert_int_equal(password_generate(&p, pw, sizeof pw, &d), ST_FAIL);
	assert_true(d.msg[0] != '\0');
	for (i = 0; i < sizeof pw; i++)
		assert_int_equal(pw[i], 0);

	/* A minimum length above the length. */
	p = policy(8, ALL_CLASSES, 12, 1);
	diag_init(&d);
	assert_int_equal(password_generate(&p, pw, sizeof pw, &d), ST_FAIL);
}

/* --- policy check --------------------------------------------------------------- */

static void check_accepts(const struct cfg_passwords *p, const char *pw)
{
	const char *why = NULL;

	if (password_check(p, pw, strlen(pw), &why) != 0)
		fail_msg("\"%s\" refused: %s", pw, why);
}

static void check_refuses(const struct cfg_passwords *p, const char *pw, size_t len, const char *reason)
{
	const char *why = NULL;

	assert_int_equal(password_check(p, pw, len, &why), -1);
	assert_non_null(why);
	if (!strstr(why, reason))
		fail_msg("\"%s\" refused with \"%s\", which does not mention \"%s\"", pw, why, reason);
}

static void check_length(void **state)
{
	struct cfg_passwords p = policy(16, ALL_CLASSES, 10, 1);

	(void)state;
	check_refuses(&p, "abcdefghi", 9, "min_length");
	check_refuses(&p, "", 0, "min_length");
	check_accepts(&p, "abcdefghij");
	check_accepts(&p, "abcdefghijklmnopqrstuvwxyz");
	/* The length given counts, not the NUL. */
	check_refuses(&p, "abcdefghijkl", 5, "min_length");
}

static void check_classes(void **state)
{
	struct cfg_passwords p = policy(16, ALL_CLASSES, 4, 3);

	(void)state;
	check_refuses(&p, "abcdefgh", 8, "min_classes");
	check_refuses(&p, "abcdEFGH", 8, "min_classes");
	check_refuses(&p, "12345678", 8, "min_classes");
	check_refuses(&p, "!!!!aaaa", 8, "min_classes");
	check_accepts(&p, "abcDEF12");
	check_accepts(&p, "abcDEF!!");
	check_accepts(&p, "abc123!!");
	check_accepts(&p, "aB1!");
	/* Characters outside the generator's alphabets count too: 'l', '0',
	 * and anything else is a symbol. */
	check_accepts(&p, "lO0$");
	check_accepts(&p, "ab C1");
	p.min_classes = 4;
	check_refuses(&p, "abcDEF12", 8, "min_classes");
	check_accepts(&p, "abcDEF12 ");
	check_accepts(&p, "abcDEF12\xc3\xa9");
}

static void check_control_characters(void **state)
{
	struct cfg_passwords p = policy(16, ALL_CLASSES, 4, 1);
	static const char with_nul[] = "abc\0defgh";

	(void)state;
	check_refuses(&p, "abcd\x01" "efg", 8, "control character");
	check_refuses(&p, "abcd\tefg", 8, "control character");
	check_refuses(&p, "abcd\nefg", 8, "control character");
	check_refuses(&p, "abcd\x7f" "efg", 8, "control character");
	check_refuses(&p, "abcdefg\r", 8, "control character");
	check_refuses(&p, with_nul, sizeof with_nul - 1, "control character");
	/* The reason for a control character comes first. */
	check_refuses(&p, "\x01", 1, "control character");
}

/* --- hashes ------------------------------------------------------------------------ */

static const struct {
	enum pw_hash scheme;
	const char *prefix;
	size_t digest;
	const char *md;
} schemes[] = {
	{PW_SSHA, "{SSHA}", 20, "SHA1"},
	{PW_SSHA256, "{SSHA256}", 32, "SHA256"},
	{PW_SSHA512, "{SSHA512}", 64, "SHA512"},
};

static char *hash_ok(enum pw_hash scheme, const char *pw, size_t len)
{
	struct buf out = BUF_INIT;
	struct diag d;

	diag_init(&d);
	if (password_hash(scheme, pw, len, &out, &d) != 0)
		fail_msg("password_hash failed: %s", d.msg);
	return buf_take(&out);
}

/* Decodes the base64 part of a hash into raw. */
static void decode_hash(const char *hash, size_t prefix, struct buf *raw)
{
	assert_int_equal(base64_decode(raw, hash + prefix, strlen(hash + prefix)), 0);
}

static void hash_form(void **state)
{
	const char *pw = "Xq7#kP9=mZ.w";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof schemes / sizeof *schemes; i++) {
		char *h = hash_ok(schemes[i].scheme, pw, strlen(pw));
		struct buf raw = BUF_INIT;
		size_t pl = strlen(schemes[i].prefix);
		assert_true(strncmp(h, schemes[i].prefix, pl) == 0);
		decode_hash(h, pl, &raw);
		assert_int_equal(raw.len, schemes[i].digest + 8);
		/* The clear text appears nowhere. */
		assert_null(strstr(h, pw));
		buf_release(&raw);
		free(h);
	}
}

static void hash_salt_is_fresh(void **state)
{
	const char *pw = "same password";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof schemes / sizeof *schemes; i++) {
		char *a = hash_ok(schemes[i].scheme, pw, strlen(pw));
		char *b = hash_ok(schemes[i].scheme, pw, strlen(pw));
		struct buf ra = BUF_INIT, rb = BUF_INIT;
		size_t pl = strlen(schemes[i].prefix);
		assert_string_not_equal(a, b);
		decode_hash(a, pl, &ra);
		decode_hash(b, pl, &rb);
		/* Different salts (the last 8 bytes). */
		assert_memory_not_equal(ra.data + schemes[i].digest, rb.data + schemes[i].digest, 8);
		assert_true(password_hash_matches(a, pw, strlen(pw)));
		assert_true(password_hash_matches(b, pw, strlen(pw)));
		buf_release(&ra);
		buf_release(&rb);
		free(a);
		free(b);
	}
}

static void hash_matches(void **state)
{
	const char *pw = "Correct-Horse_9";
	size_t i;

	(void)state;
	for (i = 0; i < sizeof schemes / sizeof *schemes; i++) {
		char *h = hash_ok(schemes[i].scheme, pw, strlen(pw));
		size_t hl = strlen(h), pl = strlen(schemes[i].prefix);
		char *bad = strdup(h);

		assert_non_null(bad);
		assert_true(password_hash_matches(h, pw, strlen(pw)));
		assert_false(password_hash_matches(h, "Correct-Horse_8", 15));
		assert_false(password_hash_matches(h, "Correct-Horse_", 14));
		assert_false(password_hash_matches(h, "Correct-Horse_99", 16));
		assert_false(password_hash_matches(h, "", 0));
		/* The length given counts. */
		assert_false(password_hash_matches(h, pw, strlen(pw) - 1));

		/* Truncated: by one character, by a whole base64 quantum, to
		 * the prefix, to nothing. */
		bad[hl - 1] = '\0';
		assert_false(password_hash_matches(bad, pw, strlen(pw)));
		bad[hl - 4] = '\0';
		assert_false(password_hash_matches(bad, pw, strlen(pw)));
		bad[pl] = '\0';
		assert_false(password_hash_matches(bad, pw, strlen(pw)));
		assert_false(password_hash_matches("", pw, strlen(pw)));

		/* Garbled: one character of the digest changed, or not base64. */
		strcpy(bad, h);
		bad[pl + 2] = bad[pl + 2] == 'A' ? 'B' : 'A';
		assert_false(password_hash_matches(bad, pw, strlen(pw)));
		strcpy(bad, h);
		bad[pl + 2] = '!';
		assert_false(password_hash_matches(bad, pw, strlen(pw)));
		/* The salt changed (one bit of its first byte). */
		{
			struct buf raw = BUF_INIT, re = BUF_INIT;
			decode_hash(h, pl, &raw);
			raw.data[schemes[i].digest] ^= 1;
			buf_adds(&re, schemes[i].prefix);
			base64_encode(&re, raw.data, raw.len);
			assert_false(password_hash_matches(buf_str(&re), pw, strlen(pw)));
			raw.data[schemes[i].digest] ^= 1;
			buf_reset(&re);
			buf_adds(&re, schemes[i].prefix);
			base64_encode(&re, raw.data, raw.len);
			assert_true(password_hash_matches(buf_str(&re), pw, strlen(pw)));
			buf_release(&raw);
			buf_release(&re);
		}
		/* An unknown or lower-case scheme. */
		strcpy(bad, h);
		bad[1] = 's';
		assert_false(password_hash_matches(bad, pw, strlen(pw)));
		free(bad);
		free(h);
	}
}

static void hash_scheme_must_match_digest(void **state)
{
	const char *pw = "Correct-Horse_9";
	char *h = hash_ok(PW_SSHA256, pw, strlen(pw));
	struct buf relabelled = BUF_INIT;

	(void)state;
	/* A SHA-256 digest and salt labelled {SSHA512} or {SSHA}. */
	buf_adds(&relabelled, "{SSHA512}");
	buf_adds(&relabelled, h + strlen("{SSHA256}"));
	assert_false(password_hash_matches(buf_str(&relabelled), pw, strlen(pw)));
	buf_reset(&relabelled);
	buf_adds(&relabelled, "{SSHA}");
	buf_adds(&relabelled, h + strlen("{SSHA256}"));
	assert_false(password_hash_matches(buf_str(&relabelled), pw, strlen(pw)));
	buf_release(&relabelled);
	free(h);
}

static void hash_without_salt_does_not_match(void **state)
{
	const char *pw = "Correct-Horse_9";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	struct buf h = BUF_INIT;

	(void)state;
	/* An unsalted {SHA}-style digest under the {SSHA} label. */
	assert_int_equal(EVP_Digest(pw, strlen(pw), md, &n, EVP_sha1(), NULL), 1);
	buf_adds(&h, "{SSHA}");
	base64_encode(&h, md, n);
	assert_false(password_hash_matches(buf_str(&h), pw, strlen(pw)));
	buf_release(&h);
}

/* A hash written by another program with the same layout: a longer salt is
 * read as well. */
static void hash_foreign_salt_length(void **state)
{
	const char *pw = "Correct-Horse_9";
	unsigned char salt[16], raw[EVP_MAX_MD_SIZE + 16];
	unsigned int n = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct buf h = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof salt; i++)
		salt[i] = (unsigned char)(i * 37 + 1);
	assert_non_null(ctx);
	assert_int_equal(EVP_DigestInit_ex(ctx, EVP_sha256(), NULL), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, pw, strlen(pw)), 1);
	assert_int_equal(EVP_DigestUpdate(ctx, salt, sizeof salt), 1);
	assert_int_equal(EVP_DigestFinal_ex(ctx, raw, &n), 1);
	EVP_MD_CTX_free(ctx);
	memcpy(raw + n, salt, sizeof salt);
	buf_adds(&h, "{SSHA256}");
	base64_encode(&h, raw, n + sizeof salt);
	assert_true(password_hash_matches(buf_str(&h), pw, strlen(pw)));
	assert_false(password_hash_matches(buf_str(&h), "wrong", 5));
	buf_release(&h);
}

/* digest(password + salt) computed here with OpenSSL from the salt of the
 * hash, compared with the digest in the hash. */
static void hash_cross_check_with_openssl(void **state)
{
	static const char *const passwords[] = {"Xq7#kP9=mZ.w", "a", "J\xc3\xbcrgen-P\xc3\xa4sswort 42",
						"0123456789012345678901234567890123456789012345678901234567890123456789"};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof schemes / sizeof *schemes; i++) {
		const EVP_MD *md = EVP_get_digestbyname(schemes[i].md);
		assert_non_null(md);
		for (k = 0; k < sizeof passwords / sizeof *passwords; k++) {
			const char *pw = passwords[k];
			char *h = hash_ok(schemes[i].scheme, pw, strlen(pw));
			struct buf raw = BUF_INIT;
			unsigned char want[EVP_MAX_MD_SIZE];
			unsigned int n = 0;
			EVP_MD_CTX *ctx = EVP_MD_CTX_new();
			const unsigned char *salt;

			decode_hash(h, strlen(schemes[i].prefix), &raw);
			assert_int_equal(raw.len, schemes[i].digest + 8);
			salt = (const unsigned char *)raw.data + schemes[i].digest;
			assert_non_null(ctx);
			assert_int_equal(EVP_DigestInit_ex(ctx, md, NULL), 1);
			assert_int_equal(EVP_DigestUpdate(ctx, pw, strlen(pw)), 1);
			assert_int_equal(EVP_DigestUpdate(ctx, salt, 8), 1);
			assert_int_equal(EVP_DigestFinal_ex(ctx, want, &n), 1);
			EVP_MD_CTX_free(ctx);
			assert_int_equal(n, schemes[i].digest);
			assert_memory_equal(raw.data, want, n);
			buf_release(&raw);
			free(h);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(alphabets_have_no_look_alikes),
		cmocka_unit_test(generate_length_and_alphabet),
		cmocka_unit_test(generate_every_class_present),
		cmocka_unit_test(generate_digits_only),
		cmocka_unit_test(generated_passwords_pass_the_policy),
		cmocka_unit_test(generated_passwords_differ),
		cmocka_unit_test(generate_is_uniform),
		cmocka_unit_test(generate_buffer_too_small),
		cmocka_unit_test(generate_impossible_policy_fails_and_wipes),
		cmocka_unit_test(check_length),
		cmocka_unit_test(check_classes),
		cmocka_unit_test(check_control_characters),
		cmocka_unit_test(hash_form),
		cmocka_unit_test(hash_salt_is_fresh),
		cmocka_unit_test(hash_matches),
		cmocka_unit_test(hash_scheme_must_match_digest),
		cmocka_unit_test(hash_without_salt_does_not_match),
		cmocka_unit_test(hash_foreign_salt_length),
		cmocka_unit_test(hash_cross_check_with_openssl),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
