/* Unit tests for agent/base/sindex.c: positions found by key in the
 * caller's array, duplicates refused with the first position, keys without
 * ASCII case, growth to many keys, an array that moves, NULL keys. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/hmap.h"
#include "agent/base/oom.h"
#include "agent/base/sindex.h"

static void add_and_find(void **state)
{
	const char *keys[] = {"alpha", "beta", "", "alpha"};
	struct sindex x;
	size_t first = 99;

	(void)state;
	sindex_init(&x, 0);
	assert_int_equal(sindex_find(&x, keys, "alpha"), SINDEX_NONE);
	assert_int_equal(sindex_add(&x, keys, 0, NULL), 1);
	assert_int_equal(sindex_add(&x, keys, 1, NULL), 1);
	assert_int_equal(sindex_add(&x, keys, 2, NULL), 1);
	assert_int_equal(sindex_add(&x, keys, 3, &first), 0);
	assert_int_equal(first, 0);
	assert_int_equal(x.size, 3);
	assert_int_equal(sindex_find(&x, keys, "beta"), 1);
	assert_int_equal(sindex_find(&x, keys, ""), 2);
	assert_int_equal(sindex_find(&x, keys, "alph"), SINDEX_NONE);
	assert_int_equal(sindex_find(&x, keys, "Alpha"), SINDEX_NONE);
	assert_int_equal(sindex_find(&x, keys, NULL), SINDEX_NONE);
	/* By length: "betamax" cut after 4 bytes is "beta". */
	assert_int_equal(sindex_find_n(&x, keys, "betamax", 4), 1);
	assert_int_equal(sindex_find_n(&x, keys, "betamax", 5), SINDEX_NONE);
	assert_int_equal(sindex_find_n(&x, keys, "alpha", 0), 2);
	sindex_release(&x);
}

static void without_case(void **state)
{
	const char *keys[] = {"UID=Ann,DC=Example", "uid=ann,dc=example"};
	struct sindex x;
	size_t first = 99;

	(void)state;
	sindex_init(&x, HMAP_ICASE);
	assert_int_equal(sindex_add(&x, keys, 0, NULL), 1);
	assert_int_equal(sindex_add(&x, keys, 1, &first), 0);
	assert_int_equal(first, 0);
	assert_int_equal(sindex_find(&x, keys, "uid=ANN,dc=EXAMPLE"), 0);
	sindex_release(&x);
}

static void many_keys_and_a_moving_array(void **state)
{
	enum { N = 20000 };
	char **keys = NULL, buf[32];
	struct sindex x;
	size_t i;

	(void)state;
	sindex_init(&x, 0);
	for (i = 0; i < N; i++) {
		/* The array grows (and may move) between the calls. */
		keys = realloc(keys, (i + 1) * sizeof *keys);
		assert_non_null(keys);
		snprintf(buf, sizeof buf, "key-%zu", i);
		keys[i] = strdup(buf);
		assert_int_equal(sindex_add(&x, (const char *const *)keys, i, NULL), 1);
	}
	assert_int_equal(x.size, N);
	assert_true(x.cap * 7 >= (size_t)N * 8);
	for (i = 0; i < N; i++) {
		snprintf(buf, sizeof buf, "key-%zu", i);
		assert_int_equal(sindex_find(&x, (const char *const *)keys, buf), i);
	}
	assert_int_equal(sindex_find(&x, (const char *const *)keys, "key-20000"), SINDEX_NONE);
	for (i = 0; i < N; i++)
		free(keys[i]);
	free(keys);
	sindex_release(&x);
}

static void reserve_and_null_key(void **state)
{
	const char *keys[] = {"a", NULL};
	unsigned long before = oom_count();
	struct sindex x;

	(void)state;
	sindex_init(&x, 0);
	assert_int_equal(sindex_reserve(&x, 1000), 0);
	assert_true(x.cap >= 1143 && x.cap <= 2048);
	assert_int_equal(sindex_add(&x, keys, 0, NULL), 1);
	assert_int_equal(sindex_add(&x, keys, 1, NULL), -1);
	assert_int_equal(oom_count(), before + 1);
	assert_int_equal(x.size, 1);
	sindex_release(&x);
	assert_null(x.slots);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(add_and_find),
		cmocka_unit_test(without_case),
		cmocka_unit_test(many_keys_and_a_moving_array),
		cmocka_unit_test(reserve_and_null_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
