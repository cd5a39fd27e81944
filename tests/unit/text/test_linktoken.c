/* Unit tests for agent/text/linktoken.c: set-password link tokens round
 * trip; a changed byte, another key, an unknown key id, an expired token and
 * a truncated one are each told apart; keys rotate; key files are checked. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/text/base64.h"
#include "agent/text/linktoken.h"

#define KEY1 "1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
#define KEY2 "2 ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100\n"
#define KEY1_OTHER "1 1f1e1d1c1b1a191817161514131211100f0e0d0c0b0a09080706050403020100\n"

static void keys(struct link_keys *k, const char *text)
{
	const char *why = NULL;
	unsigned line;

	if (link_keys_parse(text, strlen(text), k, &line, &why) < 0)
		fail_msg("line %u: %s", line, why);
}

static const struct link_claims claims = {
	.expires = 2000000000, /* 2033 */
	.job = "20261204T010000Z-abcd",
	.dn = "uid=jürgen,ou=Acme,dc=example,dc=com",
	.password = "Temp-Passw0rd-9x",
	.language = "de",
};

static void seal(const struct link_keys *k, struct buf *token)
{
	struct diag d;

	diag_init(&d);
	buf_reset(token);
	if (link_token_seal(k, &claims, token, &d) < 0)
		fail_msg("seal: %s", d.msg);
}

static enum link_status open_token(const struct link_keys *k, const struct buf *token, int64_t now,
				   struct link_claims *c, struct buf *store)
{
	return link_token_open(k, token->data, token->len, now, c, store);
}

static void round_trip(void **state)
{
	struct link_keys k;
	struct buf token = BUF_INIT, store = BUF_SECRET_INIT, again = BUF_INIT;
	struct link_claims c;
	size_t i;

	(void)state;
	keys(&k, KEY1);
	seal(&k, &token);
	/* URL-safe: nothing a link would need to escape. */
	for (i = 0; i < token.len; i++)
		assert_true(strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", token.data[i]));
	assert_int_equal(open_token(&k, &token, 1900000000, &c, &store), LINK_OK);
	assert_true(c.expires == claims.expires);
	assert_string_equal(c.job, claims.job);
	assert_string_equal(c.dn, claims.dn);
	assert_string_equal(c.password, claims.password);
	assert_string_equal(c.language, claims.language);
	/* A fresh nonce each time: the same claims never give the same link. */
	seal(&k, &again);
	assert_string_not_equal(token.data, again.data);
	/* The password is nowhere in the token's text. */
	assert_null(strstr(token.data, claims.password));
	buf_release(&token);
	buf_release(&again);
	buf_release_secret(&store);
	link_keys_wipe(&k);
}

/* Every byte of the decoded token matters: a change anywhere is refused. */
static void tampered(void **state)
{
	struct link_keys k;
	struct buf token = BUF_INIT, raw = BUF_INIT, bad = BUF_INIT, store = BUF_SECRET_INIT;
	struct link_claims c;
	size_t i;

	(void)state;
	keys(&k, KEY1);
	seal(&k, &token);
	assert_int_equal(base64url_decode(&raw, token.data, token.len), 0);
	for (i = 0; i < raw.len; i++) {
		enum link_status st;
		raw.data[i] ^= 0x01;
		buf_reset(&bad);
		base64url_encode(&bad, raw.data, raw.len);
		st = open_token(&k, &bad, 1900000000, &c, &store);
		raw.data[i] ^= 0x01;
		if (i == 0)
			assert_int_equal(st, LINK_MALFORMED); /* the version */
		else if (i == 1)
			assert_int_equal(st, LINK_UNKNOWN_KEY); /* key id 0 */
		else
			assert_int_equal(st, LINK_FORGED);
		assert_null(c.password);
	}
	buf_release(&token);
	buf_release(&raw);
	buf_release(&bad);
	buf_release_secret(&store);
	link_keys_wipe(&k);
}

static void wrong_and_unknown_keys(void **state)
{
	struct link_keys k1, other, k2;
	struct buf token = BUF_INIT, store = BUF_SECRET_INIT;
	struct link_claims c;

	(void)state;
	keys(&k1, KEY1);
	keys(&other, KEY1_OTHER);
	keys(&k2, KEY2);
	seal(&k1, &token);
	assert_int_equal(open_token(&other, &token, 1900000000, &c, &store), LINK_FORGED);
	assert_int_equal(open_token(&k2, &token, 1900000000, &c, &store), LINK_UNKNOWN_KEY);
	buf_release(&token);
	buf_release_secret(&store);
	link_keys_wipe(&k1);
	link_keys_wipe(&other);
	link_keys_wipe(&k2);
}

static void expired(void **state)
{
	struct link_keys k;
	struct buf token = BUF_INIT, store = BUF_SECRET_INIT;
	struct link_claims c;

	(void)state;
	keys(&k, KEY1);
	seal(&k, &token);
	assert_int_equal(open_token(&k, &token, claims.expires, &c, &store), LINK_EXPIRED);
	assert_int_equal(open_token(&k, &token, claims.expires + 1, &c, &store), LINK_EXPIRED);
	assert_string_equal(c.dn, claims.dn); /* authentic: the page may say whose it was */
	assert_int_equal(open_token(&k, &token, claims.expires - 1, &c, &store), LINK_OK);
	buf_release(&token);
	buf_release_secret(&store);
	link_keys_wipe(&k);
}

static void truncated_and_garbage(void **state)
{
	struct link_keys k;
	struct buf token = BUF_INIT, store = BUF_SECRET_INIT;
	struct link_claims c;
	size_t n;

	(void)state;
	keys(&k, KEY1);
	seal(&k, &token);
	for (n = 0; n < token.len; n++) {
		enum link_status st = link_token_open(&k, token.data, n, 1900000000, &c, &store);
		assert_true(st == LINK_MALFORMED || st == LINK_FORGED);
	}
	assert_int_equal(link_token_open(&k, "not a token!", 12, 0, &c, &store), LINK_MALFORMED);
	assert_int_equal(link_token_open(&k, "AAAA====", 8, 0, &c, &store), LINK_MALFORMED);
	buf_release(&token);
	buf_release_secret(&store);
	link_keys_wipe(&k);
}

/* A new key goes first: new links use it, links of the old one still open
 * while it stays in the file, and not once it is gone. */
static void rotation(void **state)
{
	struct link_keys old, both, only_new;
	struct buf t_old = BUF_INIT, t_new = BUF_INIT, store = BUF_SECRET_INIT, raw = BUF_INIT;
	struct link_claims c;

	(void)state;
	keys(&old, KEY1);
	keys(&both, "# rotated on 2026-12-04\n" KEY2 KEY1);
	keys(&only_new, KEY2);
	seal(&old, &t_old);
	seal(&both, &t_new);
	assert_int_equal(base64url_decode(&raw, t_new.data, t_new.len), 0);
	assert_int_equal((unsigned char)raw.data[1], 2);
	assert_int_equal(open_token(&both, &t_old, 1900000000, &c, &store), LINK_OK);
	assert_int_equal(open_token(&both, &t_new, 1900000000, &c, &store), LINK_OK);
	assert_int_equal(open_token(&only_new, &t_old, 1900000000, &c, &store), LINK_UNKNOWN_KEY);
	buf_release(&t_old);
	buf_release(&t_new);
	buf_release(&raw);
	buf_release_secret(&store);
	link_keys_wipe(&old);
	link_keys_wipe(&both);
	link_keys_wipe(&only_new);
}

static void key_files(void **state)
{
	static const char *const bad[] = {
		"",
		"# only a comment\n",
		"0 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
		"256 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
		"1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e\n",
		"1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1g\n",
		"1 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f extra\n",
		KEY1 KEY1_OTHER,
	};
	struct link_keys k;
	const char *why;
	unsigned line;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++) {
		why = NULL;
		assert_int_equal(link_keys_parse(bad[i], strlen(bad[i]), &k, &line, &why), -1);
		assert_non_null(why);
	}
	assert_int_equal(link_keys_parse("\r\n" KEY2 "  \n" KEY1, strlen("\r\n" KEY2 "  \n" KEY1), &k, &line, &why), 0);
	assert_int_equal(k.n, 2);
	assert_int_equal(k.k[0].id, 2);
	link_keys_wipe(&k);
}

/* The expiry as the message and the page show it, per language, in UTC. */
static void expiry_text(void **state)
{
	static const struct {
		const char *locale, *text;
	} cases[] = {
		{"de_DE", "7. Dezember 2026, 14:05 UTC"}, {"de", "7. Dezember 2026, 14:05 UTC"},
		{"fr-FR", "7 décembre 2026 à 14:05 UTC"}, {"en_US", "7 December 2026, 14:05 UTC"},
		{NULL, "7 December 2026, 14:05 UTC"},       {"fry", "7 December 2026, 14:05 UTC"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct buf b = BUF_INIT;
		link_expiry_text(1796652300, cases[i].locale, &b); /* 2026-12-07T14:05:00Z */
		assert_string_equal(buf_str(&b), cases[i].text);
		buf_release(&b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(round_trip),
		cmocka_unit_test(tampered),
		cmocka_unit_test(wrong_and_unknown_keys),
		cmocka_unit_test(expired),
		cmocka_unit_test(truncated_and_garbage),
		cmocka_unit_test(rotation),
		cmocka_unit_test(key_files),
		cmocka_unit_test(expiry_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
