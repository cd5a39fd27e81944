/* Unit tests for agent/base/utf8.c: strict RFC 3629 decoding (no overlongs, no
 * surrogates, nothing above U+10FFFF, no truncated sequences), encoding,
 * validation offsets and character counts. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/base/buf.h"
#include "agent/base/utf8.h"

static void decodes(const char *s, size_t len, size_t want_len, uint32_t want_cp)
{
	uint32_t cp = 0xdeadbeef;

	assert_int_equal(utf8_decode(s, len, &cp), want_len);
	assert_int_equal(cp, want_cp);
}

static void rejects(const char *s, size_t len)
{
	uint32_t cp = 0;

	if (utf8_decode(s, len, &cp) != 0)
		fail_msg("accepted %zu bytes starting with 0x%02x", len, (unsigned char)s[0]);
}

static void decode_valid_sequences(void **state)
{
	(void)state;
	decodes("A", 1, 1, 0x41);
	decodes("\0", 1, 1, 0);
	decodes("\x7f", 1, 1, 0x7f);
	decodes("\xc2\x80", 2, 2, 0x80);
	decodes("\xc3\xa9", 2, 2, 0xe9);
	decodes("\xdf\xbf", 2, 2, 0x7ff);
	decodes("\xe0\xa0\x80", 3, 3, 0x800);
	decodes("\xe2\x82\xac", 3, 3, 0x20ac);
	decodes("\xed\x9f\xbf", 3, 3, 0xd7ff);
	decodes("\xee\x80\x80", 3, 3, 0xe000);
	decodes("\xef\xbf\xbf", 3, 3, 0xffff);
	decodes("\xf0\x90\x80\x80", 4, 4, 0x10000);
	decodes("\xf0\x9f\x98\x80", 4, 4, 0x1f600);
	decodes("\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff);
	/* Only the first character is decoded. */
	decodes("\xc3\xa9xyz", 5, 2, 0xe9);
}

static void decode_rejects_overlongs(void **state)
{
	(void)state;
	rejects("\xc0\x80", 2);         /* NUL in two bytes */
	rejects("\xc0\xaf", 2);         /* '/' */
	rejects("\xc1\xbf", 2);
	rejects("\xe0\x80\x80", 3);
	rejects("\xe0\x9f\xbf", 3);     /* U+07FF in three bytes */
	rejects("\xf0\x80\x80\x80", 4);
	rejects("\xf0\x8f\xbf\xbf", 4); /* U+FFFF in four bytes */
}

static void decode_rejects_surrogates(void **state)
{
	(void)state;
	rejects("\xed\xa0\x80", 3); /* U+D800 */
	rejects("\xed\xaf\xbf", 3); /* U+DBFF */
	rejects("\xed\xb0\x80", 3); /* U+DC00 */
	rejects("\xed\xbf\xbf", 3); /* U+DFFF */
}

static void decode_rejects_out_of_range(void **state)
{
	(void)state;
	rejects("\xf4\x90\x80\x80", 4); /* U+110000 */
	rejects("\xf5\x80\x80\x80", 4);
	rejects("\xf7\xbf\xbf\xbf", 4);
	rejects("\xf8\x88\x80\x80\x80", 5);
	rejects("\xfe", 1);
	rejects("\xff", 1);
}

static void decode_rejects_truncated_and_broken(void **state)
{
	(void)state;
	rejects("", 0);
	rejects("\xc3", 1);
	rejects("\xe2\x82", 2);
	rejects("\xf0\x9f\x98", 3);
	/* A complete character, but len cuts it. */
	rejects("\xc3\xa9", 1);
	rejects("\xf0\x9f\x98\x80", 3);
	/* Lone continuation bytes. */
	rejects("\x80", 1);
	rejects("\xbf\x80", 2);
	/* A continuation byte missing in the middle. */
	rejects("\xc3\x41", 2);
	rejects("\xe2\x41\xac", 3);
	rejects("\xe2\x82\x41", 3);
	rejects("\xf0\x9f\x41\x80", 4);
	rejects("\xc3\xc3\xa9", 3);
}

static void encode_known_values(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	utf8_encode(&b, 0x41);
	utf8_encode(&b, 0xe9);
	utf8_encode(&b, 0x20ac);
	utf8_encode(&b, 0x1f600);
	assert_string_equal(buf_str(&b), "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	assert_int_equal(b.len, 10);
	buf_release(&b);
}

static void encode_decode_round_trip_all_code_points(void **state)
{
	struct buf b = BUF_INIT;
	uint32_t cp, back;
	size_t n;

	(void)state;
	for (cp = 0; cp <= 0x10ffff; cp++) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		buf_reset(&b);
		utf8_encode(&b, cp);
		n = utf8_decode(b.data, b.len, &back);
		if (n != b.len || back != cp)
			fail_msg("U+%04X does not round trip", cp);
		assert_int_equal(b.len, cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4);
	}
	buf_release(&b);
}

static void validate_offsets(void **state)
{
	(void)state;
	assert_int_equal(utf8_validate("", 0), 0);
	assert_int_equal(utf8_validate("abc", 3), 3);
	assert_int_equal(utf8_validate("a\xc3\xa9\xe2\x82\xac", 6), 6);
	assert_int_equal(utf8_validate("ab\xff" "cd", 5), 2);
	assert_int_equal(utf8_validate("\xc3\xa9\xe9", 3), 2);      /* Windows-1252 é after a valid é */
	assert_int_equal(utf8_validate("ab\xc3", 3), 2);            /* truncated at the end */
	assert_int_equal(utf8_validate("\xed\xa0\x80", 3), 0);      /* surrogate */
	assert_int_equal(utf8_validate("ok\xc0\x80", 4), 2);        /* overlong */
	assert_int_equal(utf8_validate("a\0b", 3), 3);              /* NUL is valid UTF-8 */
	/* len limits what is checked. */
	assert_int_equal(utf8_validate("ab\xff", 2), 2);
	assert_int_equal(utf8_validate("\xc3\xa9", 1), 0);
}

static void count_characters(void **state)
{
	(void)state;
	assert_int_equal(utf8_chars("", 0), 0);
	assert_int_equal(utf8_chars("abc", 3), 3);
	assert_int_equal(utf8_chars("a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 10), 4);
	assert_int_equal(utf8_chars("Zo\xc3\xab", 3), 3); /* a cut character still counts */
}

static void ascii_check(void **state)
{
	(void)state;
	assert_true(is_ascii("", 0));
	assert_true(is_ascii("plain ASCII\x7f\x01", 13));
	assert_false(is_ascii("caf\xc3\xa9", 5));
	assert_false(is_ascii("\x80", 1));
	assert_true(is_ascii("caf\xc3\xa9", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(decode_valid_sequences),
		cmocka_unit_test(decode_rejects_overlongs),
		cmocka_unit_test(decode_rejects_surrogates),
		cmocka_unit_test(decode_rejects_out_of_range),
		cmocka_unit_test(decode_rejects_truncated_and_broken),
		cmocka_unit_test(encode_known_values),
		cmocka_unit_test(encode_decode_round_trip_all_code_points),
		cmocka_unit_test(validate_offsets),
		cmocka_unit_test(count_characters),
		cmocka_unit_test(ascii_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
