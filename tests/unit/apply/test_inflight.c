/* Unit tests for agent/apply/inflight.c: the table of operations in flight.
 * Many operations through a small window leave tombstones behind; a lookup
 * of an id the table does not hold (0 for an unsolicited notification, or
 * a late answer) must still end, and every live entry must stay found. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/apply/inflight.h"

static int values[64];

/* window 4, 40 operations one after the other: before the table was
 * rebuilt, every slot ended up a tombstone and a lookup of an unknown id
 * went round for ever. */
static void unknown_id_after_many_operations(void **state)
{
	struct inflight f;
	int id;

	(void)state;
	assert_int_equal(inflight_init(&f, 4), 0);
	for (id = 1; id <= 40; id++) {
		inflight_put(&f, id, &values[id % 64]);
		assert_ptr_equal(inflight_take(&f, id), &values[id % 64]);
	}
	assert_null(inflight_take(&f, 0));
	assert_null(inflight_take(&f, 41));
	assert_null(inflight_take(&f, -1));
	assert_true(f.used * 2 <= f.cap);
	inflight_release(&f);
}

/* A full window that moves along: the oldest is answered, a new one is
 * sent; ids collide in the table (they are taken modulo its size). */
static void sliding_window_keeps_every_live_entry(void **state)
{
	struct inflight f;
	int id, k;

	(void)state;
	assert_int_equal(inflight_init(&f, 8), 0);
	for (id = 1; id <= 8; id++)
		inflight_put(&f, id, &values[id % 64]);
	for (id = 9; id <= 5000; id++) {
		assert_ptr_equal(inflight_take(&f, id - 8), &values[(id - 8) % 64]);
		inflight_put(&f, id, &values[id % 64]);
		assert_int_equal(f.n, 8);
		assert_true(f.used * 2 <= f.cap);
		/* Every live one is found where it is; an old one is gone. */
		for (k = id - 7; k <= id; k++) {
			assert_ptr_equal(inflight_take(&f, k), &values[k % 64]);
			inflight_put(&f, k, &values[k % 64]);
		}
		assert_null(inflight_take(&f, id - 8));
	}
	inflight_release(&f);
}

/* Ids that all land on the same slot, answered out of order. */
static void colliding_ids_out_of_order(void **state)
{
	struct inflight f;
	int round, k, ids[4];

	(void)state;
	assert_int_equal(inflight_init(&f, 4), 0);
	for (round = 0; round < 100; round++) {
		for (k = 0; k < 4; k++) {
			ids[k] = (int)f.cap * (round * 4 + k + 1);
			inflight_put(&f, ids[k], &values[k]);
		}
		assert_ptr_equal(inflight_take(&f, ids[2]), &values[2]);
		assert_ptr_equal(inflight_take(&f, ids[0]), &values[0]);
		assert_ptr_equal(inflight_take(&f, ids[3]), &values[3]);
		assert_ptr_equal(inflight_take(&f, ids[1]), &values[1]);
		assert_null(inflight_take(&f, ids[1]));
		assert_int_equal(f.n, 0);
	}
	inflight_release(&f);
}

/* Emptying the table hands out each live value once. */
static void pop_empties_the_table(void **state)
{
	struct inflight f;
	int seen[10], id;
	void *v;

	(void)state;
	memset(seen, 0, sizeof seen);
	assert_int_equal(inflight_init(&f, 10), 0);
	for (id = 1; id <= 10; id++)
		inflight_put(&f, id, &values[id]);
	assert_ptr_equal(inflight_take(&f, 3), &values[3]);
	while ((v = inflight_pop(&f)))
		seen[(int *)v - values - 1]++;
	for (id = 1; id <= 10; id++)
		assert_int_equal(seen[id - 1], id == 3 ? 0 : 1);
	assert_int_equal(f.n, 0);
	assert_int_equal(f.used, 0);
	assert_null(inflight_take(&f, 5));
	inflight_release(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unknown_id_after_many_operations),
		cmocka_unit_test(sliding_window_keeps_every_live_entry),
		cmocka_unit_test(colliding_ids_out_of_order),
		cmocka_unit_test(pop_empties_the_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
