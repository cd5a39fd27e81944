/* Unit tests for the result-code classes of connectors/directory.c: which
 * answers stop the run, which are worth trying again later, and which are
 * neither (LDAP_OTHER: slapd's word for errors that a retry repeats). The
 * connection itself is tested against slapd in tests/integration. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ldap.h>

#include "connectors/directory.h"

static void transient_codes(void **state)
{
	(void)state;
	assert_true(dir_code_is_transient(LDAP_BUSY));
	assert_true(dir_code_is_transient(LDAP_UNAVAILABLE));
	assert_true(dir_code_is_transient(LDAP_SERVER_DOWN));
	assert_true(dir_code_is_transient(LDAP_TIMEOUT));
	assert_false(dir_code_is_transient(LDAP_OTHER));
	assert_false(dir_code_is_transient(LDAP_SUCCESS));
	assert_false(dir_code_is_transient(LDAP_ALREADY_EXISTS));
	assert_false(dir_code_is_transient(LDAP_CONSTRAINT_VIOLATION));
}

static void fatal_codes(void **state)
{
	(void)state;
	assert_true(dir_code_is_fatal(LDAP_INVALID_CREDENTIALS));
	assert_true(dir_code_is_fatal(LDAP_INSUFFICIENT_ACCESS));
	assert_true(dir_code_is_fatal(LDAP_CONFIDENTIALITY_REQUIRED));
	assert_false(dir_code_is_fatal(LDAP_OTHER));
	assert_false(dir_code_is_fatal(LDAP_BUSY));
	assert_false(dir_code_is_fatal(LDAP_NO_SUCH_OBJECT));
	/* No code is both. */
	for (int code = 0; code < 200; code++)
		assert_false(dir_code_is_fatal(code) && dir_code_is_transient(code));
}

static void engine_codes_match_libldap(void **state)
{
	(void)state;
	assert_int_equal(DIR_SUCCESS, LDAP_SUCCESS);
	assert_int_equal(DIR_NO_SUCH_ATTRIBUTE, LDAP_NO_SUCH_ATTRIBUTE);
	assert_int_equal(DIR_NO_SUCH_OBJECT, LDAP_NO_SUCH_OBJECT);
	assert_int_equal(DIR_ALREADY_EXISTS, LDAP_ALREADY_EXISTS);
	assert_int_equal(DIR_ASSERTION_FAILED, LDAP_ASSERTION_FAILED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(transient_codes),
		cmocka_unit_test(fatal_codes),
		cmocka_unit_test(engine_codes_match_libldap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
