/* The arena: blocks aligned for pointers, 64-bit integers and doubles,
 * strings packed without padding, big blocks that do not waste the current
 * chunk, overflow refused. */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "agent/base/arena.h"

static void blocks_are_aligned_after_strings(void **state)
{
	struct arena a;
	size_t i;

	(void)state;
	arena_init(&a);
	for (i = 0; i < 1000; i++) {
		char *s = arena_strdup(&a, i % 2 ? "odd" : "x");
		double *d = arena_alloc(&a, sizeof *d * 3);
		long long *ll = arena_alloc(&a, sizeof *ll);
		void **p = arena_alloc(&a, sizeof *p);
		assert_non_null(s);
		assert_non_null(d);
		assert_int_equal((uintptr_t)d % alignof(double), 0);
		assert_int_equal((uintptr_t)ll % alignof(long long), 0);
		assert_int_equal((uintptr_t)p % alignof(void *), 0);
		/* writable, and UBSan checks the alignment */
		d[0] = d[1] = d[2] = (double)i;
		*ll = (long long)i;
		*p = s;
		assert_string_equal(s, i % 2 ? "odd" : "x");
	}
	arena_release(&a);
}

static void strings_are_packed(void **state)
{
	struct arena a;
	char *first, *second, *third;

	(void)state;
	arena_init(&a);
	first = arena_strdup(&a, "abc");
	second = arena_strndup(&a, "defgh", 2);
	third = arena_strdup(&a, "");
	assert_ptr_equal(second, first + 4);
	assert_ptr_equal(third, second + 3);
	assert_string_equal(second, "de");
	assert_string_equal(third, "");
	assert_null(arena_strdup(&a, NULL));
	arena_release(&a);
}

static void big_block_keeps_the_current_chunk(void **state)
{
	struct arena a;
	char *before, *big, *after;

	(void)state;
	arena_init(&a);
	before = arena_strdup(&a, "before");
	big = arena_alloc(&a, 4u << 20);
	assert_non_null(big);
	memset(big, 0x5a, 4u << 20);
	/* The next small string still goes right after the first one. */
	after = arena_strdup(&a, "after");
	assert_ptr_equal(after, before + strlen("before") + 1);
	assert_string_equal(before, "before");
	arena_release(&a);
}

static void calloc_zeroes_and_refuses_overflow(void **state)
{
	struct arena a;
	unsigned char *p;
	size_t i;

	(void)state;
	arena_init(&a);
	p = arena_calloc(&a, 100, 3);
	assert_non_null(p);
	for (i = 0; i < 300; i++)
		assert_int_equal(p[i], 0);
	assert_null(arena_calloc(&a, SIZE_MAX / 2, 4));
	assert_null(arena_alloc(&a, SIZE_MAX - 8));
	arena_release(&a);
	/* A released arena is empty and usable again. */
	assert_null(a.head);
	assert_non_null(arena_strdup(&a, "again"));
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(blocks_are_aligned_after_strings),
		cmocka_unit_test(strings_are_packed),
		cmocka_unit_test(big_block_keeps_the_current_chunk),
		cmocka_unit_test(calloc_zeroes_and_refuses_overflow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
