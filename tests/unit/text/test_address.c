/* Unit tests for agent/text/address.c: which email addresses are accepted (one
 * plain ASCII addr-spec) and how "Display Name <addr>" is split. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "agent/text/address.h"
#include "agent/base/buf.h"

static void accepts(const char *addr)
{
	const char *why = NULL;

	if (email_check(addr, &why) != 0)
		fail_msg("\"%s\" rejected: %s", addr, why ? why : "(no reason)");
}

/* Rejected, with the reason want (NULL: any reason). */
static void rejects(const char *addr, const char *want)
{
	const char *why = NULL;

	if (email_check(addr, &why) != -1)
		fail_msg("\"%s\" accepted", addr);
	assert_non_null(why);
	assert_true(why[0] != '\0');
	if (want && strcmp(why, want) != 0)
		fail_msg("\"%s\": reason \"%s\", expected \"%s\"", addr, why, want);
}

static void repeat(char *out, char c, size_t n)
{
	memset(out, c, n);
	out[n] = '\0';
}

/* --- email_check ------------------------------------------------------------- */

static void plain_addresses_accepted(void **state)
{
	(void)state;
	accepts("a@b.example");
	accepts("first.last+tag@sub.example.co.uk");
	accepts("o'neil@x.example");
	accepts("UPPER@Example.COM");
	accepts("x_y-z@a-b.example");
	accepts("1234@123.example");
	accepts("!#$%&'*+-/=?^_`{|}~@x.example");
}

static void length_limits(void **state)
{
	char local[80], label[80], addr[600];

	(void)state;
	/* 64 characters of local part and 63 of label are the maximum. */
	repeat(local, 'l', 64);
	repeat(label, 'd', 63);
	snprintf(addr, sizeof addr, "%s@%s.example", local, label);
	accepts(addr);

	repeat(local, 'l', 65);
	snprintf(addr, sizeof addr, "%s@x.example", local);
	rejects(addr, "is too long");

	repeat(label, 'd', 64);
	snprintf(addr, sizeof addr, "a@%s.example", label);
	rejects(addr, "has an invalid domain label");

	/* Over 254 in all, with every part within its own limit. */
	repeat(label, 'd', 60);
	snprintf(addr, sizeof addr, "a@%s.%s.%s.%s.%s.example", label, label, label, label, label);
	assert_true(strlen(addr) > 254);
	rejects(addr, "is too long");
}

static void at_sign_problems(void **state)
{
	(void)state;
	rejects("no-at.example", "has no @");
	rejects("", "has no @");
	rejects("a@b@c.example", "has more than one @");
	rejects("@b.example", "has an empty local part");
	rejects("a@", "has no domain");
}

static void spaces_and_several_recipients(void **state)
{
	(void)state;
	rejects("a b@c.example", "contains a space");
	rejects(" a@b.example", "contains a space");
	rejects("a@b.example ", "contains a space");
	rejects("a@b.example,c@d.example", "holds more than one address");
	rejects("a@b.example;c@d.example", "holds more than one address");
	rejects("a@b.example, c@d.example", "holds more than one address");
}

static void names_brackets_and_quotes(void **state)
{
	const char *plain = "is not a plain address (no names, quotes, brackets or comments)";

	(void)state;
	rejects("<a@b.example>", plain);
	rejects("John<a@b.example>", plain);
	rejects("John Doe <a@b.example>", NULL);
	rejects("\"john\"@b.example", plain);
	rejects("a(comment)@b.example", plain);
	rejects("a@[192.0.2.1]", plain);
	rejects("a\\b@c.example", plain);
	rejects("mailto:a@b.example", plain);
}

static void dots(void **state)
{
	(void)state;
	rejects("a@b.example.", "ends with a dot");
	rejects(".a@b.example", "has a dot at the start or end of the local part");
	rejects("a.@b.example", "has a dot at the start or end of the local part");
	rejects("a..b@c.example", "has two dots in a row");
	rejects("a@.example", "has an empty domain label");
	rejects("a@b..example", "has an empty domain label");
}

static void non_ascii(void **state)
{
	(void)state;
	rejects("jos\xc3\xa9@x.example", "contains non-ASCII characters");
	rejects("a@m\xc3\xbcller.example", "contains non-ASCII characters");
	rejects("a@b.example\xff", "contains non-ASCII characters");
}

static void domain_problems(void **state)
{
	(void)state;
	rejects("a@localhost", "has a domain without a dot");
	rejects("a@-b.example", "has an invalid domain label");
	rejects("a@b-.example", "has an invalid domain label");
	rejects("a@b.-example", "has an invalid domain label");
	rejects("a@b_c.example", "has an invalid character in the domain");
	rejects("a@b!.example", "has an invalid character in the domain");
	accepts("a@b-c.example");
}

static void control_characters(void **state)
{
	(void)state;
	rejects("a\r@b.example", "contains a control character");
	rejects("a@b.example\n", "contains a control character");
	rejects("a@b.example\r\nBcc: x@y.example", "contains a control character");
	rejects("a\t@b.example", "contains a control character");
	rejects("a\x7f@b.example", "contains a control character");
	rejects("a\x01@b.example", "contains a control character");
}

/* --- mailbox_parse ---------------------------------------------------------------- */

static void parses(const char *s, const char *display, const char *addr)
{
	struct buf d = BUF_INIT, a = BUF_INIT;
	const char *why = NULL;

	if (mailbox_parse(s, &d, &a, &why) != 0)
		fail_msg("\"%s\" rejected: %s", s, why ? why : "(no reason)");
	assert_string_equal(buf_str(&d), display);
	assert_string_equal(buf_str(&a), addr);
	buf_release(&d);
	buf_release(&a);
}

static void parse_fails(const char *s, const char *want)
{
	struct buf d = BUF_INIT, a = BUF_INIT;
	const char *why = NULL;
	int rc = mailbox_parse(s, &d, &a, &why);

	buf_release(&d);
	buf_release(&a);
	if (rc != -1)
		fail_msg("\"%s\" accepted", s);
	assert_non_null(why);
	if (want && strcmp(why, want) != 0)
		fail_msg("\"%s\": reason \"%s\", expected \"%s\"", s, why, want);
}

static void mailbox_with_display_name(void **state)
{
	(void)state;
	parses("Example IT <it@example.com>", "Example IT", "it@example.com");
	parses("\"Doe, John\" <j@x.example>", "Doe, John", "j@x.example");
	parses("  Padded Name   <p@x.example>", "Padded Name", "p@x.example");
	parses("Ren\xc3\xa9 <r@x.example>", "Ren\xc3\xa9", "r@x.example");
	parses("NoSpace<n@x.example>", "NoSpace", "n@x.example");
}

static void mailbox_plain_address(void **state)
{
	(void)state;
	parses("it@example.com", "", "it@example.com");
	parses("<it@example.com>", "", "it@example.com");
	parses("\"\" <q@x.example>", "", "q@x.example");
}

/* Parses s into buffers that already hold "[": the results are appended. */
static void parses_appending(const char *s, const char *display, const char *addr)
{
	struct buf d = BUF_INIT, a = BUF_INIT;
	const char *why = NULL;
	char got_d[128], got_a[128];
	int rc;

	buf_adds(&d, "[");
	buf_adds(&a, "[");
	rc = mailbox_parse(s, &d, &a, &why);
	snprintf(got_d, sizeof got_d, "%s", buf_str(&d));
	snprintf(got_a, sizeof got_a, "%s", buf_str(&a));
	buf_release(&d);
	buf_release(&a);
	if (rc != 0)
		fail_msg("\"%s\" rejected when appending: %s", s, why ? why : "(no reason)");
	assert_string_equal(got_d, display);
	assert_string_equal(got_a, addr);
}

static void mailbox_appends_plain_address(void **state)
{
	(void)state;
	parses_appending("n@x.example", "[", "[n@x.example");
}

/* The address is checked alone, not together with what the buffer held. */
static void mailbox_appends_with_display_name(void **state)
{
	(void)state;
	parses_appending("N <n@x.example>", "[N", "[n@x.example");
}

static void mailbox_rejections(void **state)
{
	(void)state;
	parse_fails("IT <it@example.com>\r\nBcc: victim@example.com", "contains a line break");
	parse_fails("IT\n <it@example.com>", "contains a line break");
	parse_fails("it@example.com\r", "contains a line break");
	parse_fails("IT <it@example.com> trailing", "has text after the address or no closing '>'");
	parse_fails("IT <it@example.com", "has text after the address or no closing '>'");
	parse_fails("IT <not an address>", "contains a space");
	parse_fails("IT <it@localhost>", "has a domain without a dot");
	parse_fails("IT <a@x.example,b@y.example>", "holds more than one address");
	parse_fails("IT <>", "has no @");
	parse_fails("a@x.example, b@y.example", "holds more than one address");
	parse_fails("Some \"quoted\" name <a@x.example>", "has quotes or '<' inside the display name");
	parse_fails("A <b> <a@x.example>", "has quotes or '<' inside the display name");
	parse_fails("IT it@example.com>", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(plain_addresses_accepted),
		cmocka_unit_test(length_limits),
		cmocka_unit_test(at_sign_problems),
		cmocka_unit_test(spaces_and_several_recipients),
		cmocka_unit_test(names_brackets_and_quotes),
		cmocka_unit_test(dots),
		cmocka_unit_test(non_ascii),
		cmocka_unit_test(domain_problems),
		cmocka_unit_test(control_characters),
		cmocka_unit_test(mailbox_with_display_name),
		cmocka_unit_test(mailbox_plain_address),
		cmocka_unit_test(mailbox_appends_plain_address),
		cmocka_unit_test(mailbox_appends_with_display_name),
		cmocka_unit_test(mailbox_rejections),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
