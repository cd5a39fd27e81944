/* Unit tests for agent/base/pwstore.c and secure.c: the password store's
 * slots and wiping. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "agent/base/pwstore.h"
#include "agent/base/secure.h"

/* --- the password store --------------------------------------------------------------- */

static void pwstore_slots(void **state)
{
	struct pwstore s;
	char *slot;
	size_t i;

	(void)state;
	assert_int_equal(pwstore_init(&s, 3, 64), 0);
	assert_non_null(s.mem);
	for (i = 0; i < 3; i++)
		assert_false(pwstore_has(&s, i));
	assert_false(pwstore_has(&s, 3));
	assert_false(pwstore_has(&s, 1000));

	assert_int_equal(pwstore_slot(&s, 1) - pwstore_slot(&s, 0), 64);
	assert_int_equal(pwstore_slot(&s, 2) - pwstore_slot(&s, 1), 64);
	slot = pwstore_slot(&s, 1);
	strcpy(slot, "Xq7#kP9=mZ.w");
	strcpy(pwstore_slot(&s, 2), "second");
	assert_false(pwstore_has(&s, 0));
	assert_true(pwstore_has(&s, 1));
	assert_true(pwstore_has(&s, 2));
	assert_string_equal(pwstore_slot(&s, 1), "Xq7#kP9=mZ.w");

	/* A full slot too. */
	memset(slot, 'x', 63);
	slot[63] = '\0';
	pwstore_clear(&s, 1);
	for (i = 0; i < 64; i++)
		assert_int_equal(slot[i], 0);
	assert_false(pwstore_has(&s, 1));
	/* The neighbours are untouched. */
	assert_string_equal(pwstore_slot(&s, 2), "second");
	assert_int_equal(pwstore_slot(&s, 0)[0], 0);
	/* Out of range: nothing happens. */
	pwstore_clear(&s, 3);
	assert_string_equal(pwstore_slot(&s, 2), "second");

	pwstore_release(&s);
	assert_null(s.mem);
	assert_int_equal(s.n, 0);
	assert_false(pwstore_has(&s, 2));
	/* Releasing twice and clearing after release are harmless. */
	pwstore_release(&s);
	pwstore_clear(&s, 0);
}

static void pwstore_empty(void **state)
{
	struct pwstore s;

	(void)state;
	assert_int_equal(pwstore_init(&s, 0, 129), 0);
	assert_false(pwstore_has(&s, 0));
	pwstore_release(&s);
	assert_null(s.mem);
}

static void wipe_zeroes(void **state)
{
	char secret[32];
	size_t i;

	(void)state;
	memset(secret, 'S', sizeof secret);
	secure_wipe(secret, sizeof secret);
	for (i = 0; i < sizeof secret; i++)
		assert_int_equal(secret[i], 0);
	secure_wipe(NULL, 10);
	secure_wipe(secret, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pwstore_slots),
		cmocka_unit_test(pwstore_empty),
		cmocka_unit_test(wipe_zeroes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
