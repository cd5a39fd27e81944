/* Unit tests for agent/base/buf.c: appending, the size cap and its sticky
 * failure flag, taking ownership, resetting and truncating. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "agent/base/buf.h"

static void empty_buffer(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
	assert_string_equal(buf_str(&b), "");
}

static void appenders(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(buf_adds(&b, "abc"), 0);
	assert_int_equal(buf_addc(&b, '-'), 0);
	assert_int_equal(buf_add(&b, "xyz123", 3), 0);
	assert_int_equal(buf_printf(&b, "[%d:%s]", 42, "q"), 0);
	assert_string_equal(buf_str(&b), "abc-xyz[42:q]");
	assert_int_equal(b.len, 13);
	assert_int_equal(b.data[b.len], '\0');
	assert_int_equal(b.failed, 0);
	/* Embedded NUL bytes count in len. */
	assert_int_equal(buf_add(&b, "\0z", 2), 0);
	assert_int_equal(b.len, 15);
	assert_memory_equal(b.data + 13, "\0z\0", 3);
	buf_release(&b);
}

static void nothing_added_still_terminated(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(buf_printf(&b, "%s", ""), 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void large_growth(void **state)
{
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 1000000; i++)
		assert_int_equal(buf_addc(&b, (char)('a' + i % 26)), 0);
	assert_int_equal(b.len, 1000000);
	assert_true(b.alloc > b.len);
	assert_int_equal(b.data[999999], 'a' + 999999 % 26);
	assert_int_equal(b.data[1000000], '\0');
	assert_int_equal(buf_printf(&b, "%0*d", 100000, 7), 0);
	assert_int_equal(b.len, 1100000);
	assert_int_equal(b.data[b.len - 1], '7');
	buf_release(&b);
}

static void cap_refuses_and_keeps_content(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 5);
	assert_int_equal(buf_adds(&b, "abc"), 0);
	assert_int_equal(buf_adds(&b, "def"), -1);
	assert_int_equal(b.failed, 1);
	assert_int_equal(b.len, 3);
	assert_string_equal(buf_str(&b), "abc");
	/* Still usable up to the cap, and the failure is remembered. */
	assert_int_equal(buf_addc(&b, 'd'), 0);
	assert_int_equal(buf_addc(&b, 'e'), 0);
	assert_string_equal(buf_str(&b), "abcde");
	assert_int_equal(b.failed, 1);
	assert_int_equal(buf_addc(&b, 'f'), -1);
	assert_int_equal(buf_printf(&b, "%d", 1), -1);
	assert_int_equal(buf_add(&b, "g", 1), -1);
	assert_string_equal(buf_str(&b), "abcde");
	assert_int_equal(b.len, 5);
	/* Adding nothing fits. */
	assert_int_equal(buf_add(&b, "", 0), 0);
	buf_release(&b);
}

static void cap_printf(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 8);
	assert_int_equal(buf_printf(&b, "%s", "12345678"), 0);
	assert_int_equal(b.failed, 0);
	buf_reset(&b);
	assert_int_equal(buf_printf(&b, "ab"), 0);
	assert_int_equal(buf_printf(&b, "%s", "1234567"), -1);
	assert_int_equal(b.failed, 1);
	assert_string_equal(buf_str(&b), "ab");
	buf_release(&b);
}

static void cap_grow(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 10);
	assert_int_equal(buf_grow(&b, 10), 0);
	assert_true(b.alloc >= 11);
	assert_int_equal(b.failed, 0);
	assert_int_equal(buf_grow(&b, 11), -1);
	assert_int_equal(b.failed, 1);
	buf_release(&b);

	buf_init(&b, 0);
	assert_int_equal(buf_grow(&b, (size_t)-1), -1);
	assert_int_equal(b.failed, 1);
	buf_release(&b);
}

static void take_gives_ownership(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	buf_adds(&b, "owned");
	s = buf_take(&b);
	assert_string_equal(s, "owned");
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	free(s);
	/* The buffer is usable again. */
	buf_adds(&b, "again");
	s = buf_take(&b);
	assert_string_equal(s, "again");
	free(s);
}

static void take_empty_gives_empty_string(void **state)
{
	struct buf b = BUF_INIT;
	char *s;

	(void)state;
	s = buf_take(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);

	/* Emptied by a reset: still "". */
	buf_adds(&b, "x");
	buf_reset(&b);
	s = buf_take(&b);
	assert_non_null(s);
	assert_string_equal(s, "");
	free(s);
}

static void reset_keeps_allocation(void **state)
{
	struct buf b = BUF_INIT;
	size_t alloc;
	char *data;

	(void)state;
	buf_adds(&b, "some text");
	alloc = b.alloc;
	data = b.data;
	buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(b.alloc, alloc);
	assert_ptr_equal(b.data, data);
	buf_adds(&b, "new");
	assert_string_equal(buf_str(&b), "new");
	buf_release(&b);
	/* Resetting an empty buffer is fine. */
	buf_reset(&b);
	assert_string_equal(buf_str(&b), "");
}

static void truncate_shortens(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "abcdef");
	buf_truncate(&b, 3);
	assert_int_equal(b.len, 3);
	assert_string_equal(buf_str(&b), "abc");
	buf_truncate(&b, 3);
	assert_string_equal(buf_str(&b), "abc");
	buf_truncate(&b, 10); /* longer than the content: no change */
	assert_int_equal(b.len, 3);
	buf_truncate(&b, 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void release_secret_frees(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4096);
	buf_adds(&b, "s3cret");
	buf_release_secret(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.cap, 4096);
	buf_release_secret(&b); /* an empty buffer too */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(empty_buffer),
		cmocka_unit_test(appenders),
		cmocka_unit_test(nothing_added_still_terminated),
		cmocka_unit_test(large_growth),
		cmocka_unit_test(cap_refuses_and_keeps_content),
		cmocka_unit_test(cap_printf),
		cmocka_unit_test(cap_grow),
		cmocka_unit_test(take_gives_ownership),
		cmocka_unit_test(take_empty_gives_empty_string),
		cmocka_unit_test(reset_keeps_allocation),
		cmocka_unit_test(truncate_shortens),
		cmocka_unit_test(release_secret_frees),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
