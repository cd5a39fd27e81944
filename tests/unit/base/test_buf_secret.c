/* A secret buffer (agent/base/buf.c, BUF_SECRET_INIT) leaves no copy of what
 * it holds in freed memory: when it grows, it allocates, copies and wipes
 * the old block instead of calling realloc; reset and release wipe. Every
 * block freed or given to realloc is searched for the secret (freecheck.c). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/base/buf.h"
#include "tests/unit/freecheck.h"

#define SECRET "Zq8!secret-marker-7Rv"

/* Grows b from 64 bytes to several kilobytes with the secret at the front. */
static void fill(struct buf *b)
{
	int i;

	buf_adds(b, SECRET);
	for (i = 0; i < 200; i++)
		buf_adds(b, " and some more text to make it grow");
	assert_false(b->failed);
}

/* The check itself: a plain buffer does leave copies behind. */
static void plain_buffer_leaves_copies(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	freecheck_watch(SECRET);
	fill(&b);
	buf_release(&b);
	assert_true(freecheck_leaks() > 0);
	freecheck_watch(NULL);
}

static void secret_buffer_leaves_nothing(void **state)
{
	struct buf b = BUF_SECRET_INIT, c;

	(void)state;
	freecheck_watch(SECRET);
	fill(&b);
	assert_true(b.alloc > 4096);
	assert_int_equal(strncmp(buf_str(&b), SECRET, strlen(SECRET)), 0);
	buf_reset(&b);
	fill(&b);
	buf_printf(&b, "%s %0500d", SECRET, 7);
	buf_release(&b);
	assert_true(b.secret); /* still one after release */
	fill(&b);
	buf_release(&b);
	/* With a cap, initialised at run time. */
	buf_init_secret(&c, 1 << 20);
	fill(&c);
	buf_truncate(&c, 10);
	buf_release(&c);
	assert_int_equal(freecheck_leaks(), 0);
	freecheck_watch(NULL);
}

/* buf_release_secret wipes any buffer, secret or not. */
static void release_secret_wipes_a_plain_buffer(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, SECRET);
	freecheck_watch(SECRET);
	buf_release_secret(&b);
	assert_int_equal(freecheck_leaks(), 0);
	freecheck_watch(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_buffer_leaves_copies),
		cmocka_unit_test(secret_buffer_leaves_nothing),
		cmocka_unit_test(release_secret_wipes_a_plain_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
