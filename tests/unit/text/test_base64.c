/* Unit tests for agent/text/base64.c: the RFC 4648 test vectors both ways,
 * binary round trips and invalid input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/text/base64.h"
#include "agent/base/buf.h"

static const struct {
	const char *plain, *encoded;
} vectors[] = {
	{"", ""},
	{"f", "Zg=="},
	{"fo", "Zm8="},
	{"foo", "Zm9v"},
	{"foob", "Zm9vYg=="},
	{"fooba", "Zm9vYmE="},
	{"foobar", "Zm9vYmFy"},
};

static void encode_rfc4648_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof vectors / sizeof *vectors; i++) {
		struct buf b = BUF_INIT;
		base64_encode(&b, vectors[i].plain, strlen(vectors[i].plain));
		assert_string_equal(buf_str(&b), vectors[i].encoded);
		buf_release(&b);
	}
}

static void decode_rfc4648_vectors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof vectors / sizeof *vectors; i++) {
		struct buf b = BUF_INIT;
		assert_int_equal(base64_decode(&b, vectors[i].encoded, strlen(vectors[i].encoded)), 0);
		assert_int_equal(b.len, strlen(vectors[i].plain));
		assert_string_equal(buf_str(&b), vectors[i].plain);
		buf_release(&b);
	}
}

static void whole_alphabet(void **state)
{
	static const unsigned char bytes[] = {0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b, 0x30, 0xd3,
					      0x8f, 0x41, 0x14, 0x93, 0x51, 0x55, 0x97, 0x61, 0x96, 0x9b, 0x71,
					      0xd7, 0x9f, 0x82, 0x18, 0xa3, 0x92, 0x59, 0xa7, 0xa2, 0x9a, 0xab,
					      0xb2, 0xdb, 0xaf, 0xc3, 0x1c, 0xb3, 0xd3, 0x5d, 0xb7, 0xe3, 0x9e,
					      0xbb, 0xf3, 0xdf, 0xbf};
	static const char all[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	struct buf b = BUF_INIT;

	(void)state;
	base64_encode(&b, bytes, sizeof bytes);
	assert_string_equal(buf_str(&b), all);
	buf_reset(&b);
	assert_int_equal(base64_decode(&b, all, 64), 0);
	assert_int_equal(b.len, sizeof bytes);
	assert_memory_equal(b.data, bytes, sizeof bytes);
	buf_release(&b);
}

static void binary_round_trip(void **state)
{
	unsigned char data[256];
	size_t len, i;

	(void)state;
	for (i = 0; i < sizeof data; i++)
		data[i] = (unsigned char)(255 - i);
	for (len = 0; len <= sizeof data; len++) {
		struct buf enc = BUF_INIT, dec = BUF_INIT;
		base64_encode(&enc, data, len);
		assert_int_equal(enc.len, (len + 2) / 3 * 4);
		assert_int_equal(base64_decode(&dec, buf_str(&enc), enc.len), 0);
		assert_int_equal(dec.len, len);
		if (len)
			assert_memory_equal(dec.data, data, len);
		buf_release(&enc);
		buf_release(&dec);
	}
}

static void encode_and_decode_append(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "=?UTF-8?B?");
	base64_encode(&b, "foo", 3);
	buf_adds(&b, "?=");
	assert_string_equal(buf_str(&b), "=?UTF-8?B?Zm9v?=");
	buf_reset(&b);
	buf_adds(&b, ">");
	assert_int_equal(base64_decode(&b, "Zm9v", 4), 0);
	assert_string_equal(buf_str(&b), ">foo");
	buf_release(&b);
}

static void decode_rejects(const char *s)
{
	struct buf b = BUF_INIT;
	int rc = base64_decode(&b, s, strlen(s));

	buf_release(&b);
	if (rc != -1)
		fail_msg("\"%s\" accepted", s);
}

static void decode_invalid_input(void **state)
{
	(void)state;
	decode_rejects("Zg=");       /* not a multiple of 4 */
	decode_rejects("Zg");        /* padding required */
	decode_rejects("Zm9vY");
	decode_rejects("Z===");      /* too much padding */
	decode_rejects("====");
	decode_rejects("=Zg=");
	decode_rejects("Zg=a");      /* data after padding */
	decode_rejects("Zg==Zg==");  /* padding before the end */
	decode_rejects("Zm9v!A==");  /* not in the alphabet */
	decode_rejects("Zm 9v");     /* no whitespace */
	decode_rejects("Zm9v\n");
	decode_rejects("Zm9v\r\nZm9v");
	decode_rejects("Zm-_");      /* the URL-safe alphabet is not base64 */
	decode_rejects("Zm9\x80");
}

static void decode_binary_with_nul(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(base64_decode(&b, "AAEA", 4), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "\x00\x01\x00", 3);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encode_rfc4648_vectors),
		cmocka_unit_test(decode_rfc4648_vectors),
		cmocka_unit_test(whole_alphabet),
		cmocka_unit_test(binary_round_trip),
		cmocka_unit_test(encode_and_decode_append),
		cmocka_unit_test(decode_invalid_input),
		cmocka_unit_test(decode_binary_with_nul),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
