/* Unit tests for agent/text/ldif.c: the lines libldap's LDIF writer makes
 * of our values, and that ldapmodify's reader gets the values back. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <lber.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ldif.h>

#include "agent/text/base64.h"
#include "agent/text/ldif.h"

static void expect_line(const char *attr, const char *value, const char *want)
{
	struct buf b = BUF_INIT;

	assert_int_equal(buf_add_ldif(&b, attr, value), 0);
	assert_string_equal(buf_str(&b), want);
	buf_release(&b);
}

/* libldap's reader (ldapmodify's): the value the first line of text holds,
 * unfolded and decoded. */
static void expect_read_back(const char *text, const char *attr, const char *value)
{
	char *copy = strdup(text), *p = copy, *line;
	struct berval type = {0, NULL}, val = {0, NULL};
	int freeval = 0;

	assert_non_null(copy);
	line = ldif_getline(&p);
	assert_non_null(line);
	assert_int_equal(ldif_parse_line2(line, &type, &val, &freeval), 0);
	assert_int_equal(type.bv_len, strlen(attr));
	assert_memory_equal(type.bv_val, attr, type.bv_len);
	assert_int_equal(val.bv_len, strlen(value));
	assert_memory_equal(val.bv_val, value, val.bv_len);
	if (freeval)
		ber_memfree(val.bv_val);
	free(copy);
}

static void safe_strings_stay_plain(void **state)
{
	(void)state;
	expect_line("cn", "Ada Lovelace", "cn: Ada Lovelace\n");
	expect_line("dn", "uid=ada,ou=Acme,dc=example,dc=com", "dn: uid=ada,ou=Acme,dc=example,dc=com\n");
	/* UTF-8 text stays readable. */
	expect_line("cn", "Jürgen Müller", "cn: Jürgen Müller\n");
	expect_read_back("cn: Jürgen Müller\n", "cn", "Jürgen Müller");
}

/* A value that starts with a space, a colon or '<', ends with a space, or
 * holds a control character or bytes that are not UTF-8 is base64. */
static void others_are_base64(void **state)
{
	struct buf want = BUF_INIT;
	static const char *const values[] = {" lead", ":colon", "<angle", "trail ", "two\nlines", "cr\r", "tab\there",
					     "not UTF-8 \xff\xfe", " Jürgen"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof values / sizeof *values; i++) {
		buf_reset(&want);
		buf_adds(&want, "sn:: ");
		base64_encode(&want, values[i], strlen(values[i]));
		buf_addc(&want, '\n');
		expect_line("sn", values[i], buf_str(&want));
	}
	buf_release(&want);
}

/* A long value is folded at 78 columns, and unfolds to itself. */
static void long_values_fold_and_read_back(void **state)
{
	char value[300], *line, *next;
	struct buf b = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof value - 1; i++)
		value[i] = (char)('a' + i % 26);
	value[sizeof value - 1] = '\0';
	assert_int_equal(buf_add_ldif(&b, "description", value), 0);
	/* Every physical line fits in 78 columns (UTF-8 text may take 79:
	 * libldap's text mode counts one more); continuations start with a
	 * space. */
	for (line = b.data, i = 0; *line; line = next + 1, i++) {
		next = strchr(line, '\n');
		assert_non_null(next);
		assert_true(next - line <= 78);
		if (i)
			assert_int_equal(line[0], ' ');
	}
	assert_true(i > 1);
	expect_read_back(buf_str(&b), "description", value);
	buf_release(&b);

	/* The same for a long base64 value. */
	memcpy(value, "Jürgen ", 8);
	assert_int_equal(buf_add_ldif(&b, "cn", value), 0);
	assert_non_null(strstr(buf_str(&b), "\n "));
	expect_read_back(buf_str(&b), "cn", value);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(safe_strings_stay_plain),
		cmocka_unit_test(others_are_base64),
		cmocka_unit_test(long_values_fold_and_read_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
