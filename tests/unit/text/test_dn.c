/* Unit tests for agent/text/dn.c: RFC 4514 value escaping (checked against
 * libldap's parser), the canonical form used to compare DNs, and the small
 * helpers built on it. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ldap.h>
#include <stdio.h>
#include <string.h>

#include "agent/base/buf.h"
#include "agent/text/dn.h"

/* --- helpers ---------------------------------------------------------------- */

/* Escapes len bytes of v and compares the result with want; the short
 * check says whether escaping changes v. */
static void check_escape_len(const char *v, size_t len, const char *want)
{
	struct buf b = BUF_INIT;

	assert_int_equal(dn_escape_value(&b, v, len), 0);
	assert_int_equal(b.failed, 0);
	assert_string_equal(buf_str(&b), want);
	assert_int_equal(b.len, strlen(want));
	assert_int_equal(dn_value_needs_escape(v, len), b.len != len || (len && memcmp(b.data, v, len) != 0));
	buf_release(&b);
}

static void check_escape(const char *v, const char *want)
{
	check_escape_len(v, strlen(v), want);
}

/* The canonical form of dn (which must be valid). */
static void check_norm(const char *dn, const char *want)
{
	struct buf b = BUF_INIT;

	char got[512];
	int rc = dn_normalize(dn, &b);

	snprintf(got, sizeof got, "%s", buf_str(&b));
	buf_release(&b);
	if (rc != 0)
		fail_msg("dn_normalize(\"%s\") failed", dn);
	assert_string_equal(got, want);
}

static void check_norm_invalid(const char *dn)
{
	struct buf b = BUF_INIT;

	if (dn_normalize(dn, &b) != -1)
		fail_msg("dn_normalize(\"%s\") accepted an invalid DN (gave \"%s\")", dn, buf_str(&b));
	buf_release(&b);
}

/* Two DNs that the directory considers equal have the same canonical form. */
static void check_same(const char *a, const char *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;

	char msg[512];
	int ra, rb, same;

	ra = dn_normalize(a, &x);
	rb = dn_normalize(b, &y);
	same = strcmp(buf_str(&x), buf_str(&y)) == 0;
	snprintf(msg, sizeof msg, "\"%s\" -> \"%s\" but \"%s\" -> \"%s\"", a, buf_str(&x), b, buf_str(&y));
	buf_release(&x);
	buf_release(&y);
	assert_int_equal(ra, 0);
	assert_int_equal(rb, 0);
	if (!same)
		fail_msg("%s", msg);
}

static void check_different(const char *a, const char *b)
{
	struct buf x = BUF_INIT, y = BUF_INIT;

	assert_int_equal(dn_normalize(a, &x), 0);
	assert_int_equal(dn_normalize(b, &y), 0);
	assert_string_not_equal(buf_str(&x), buf_str(&y));
	buf_release(&x);
	buf_release(&y);
}

/* --- dn_escape_value -------------------------------------------------------- */

static void escape_plain_value_unchanged(void **state)
{
	(void)state;
	check_escape("John Smith", "John Smith");
	check_escape("a#b", "a#b");          /* '#' only matters at the start */
	check_escape("a  b", "a  b");        /* inner spaces are data */
	check_escape("x-y_z.1@2", "x-y_z.1@2");
	check_escape("", "");
}

static void escape_each_special_character(void **state)
{
	static const char specials[] = ",+\"\\<>;=";
	char in[4], want[5];
	size_t i;

	(void)state;
	for (i = 0; specials[i]; i++) {
		snprintf(in, sizeof in, "a%cb", specials[i]);
		snprintf(want, sizeof want, "a\\%cb", specials[i]);
		check_escape(in, want);
	}
	/* Alone, at the start and at the end as well. */
	check_escape(",", "\\,");
	check_escape("\\", "\\\\");
	check_escape("a=", "a\\=");
	check_escape("<x>", "\\<x\\>");
	check_escape("\"quoted\"", "\\\"quoted\\\"");
	check_escape("a\\,b", "a\\\\\\,b");
}

static void escape_leading_hash_and_spaces(void **state)
{
	(void)state;
	check_escape("#1", "\\#1");
	check_escape("##", "\\##");
	check_escape(" lead", "\\ lead");
	check_escape("trail ", "trail\\ ");
	check_escape(" both ", "\\ both\\ ");
	check_escape(" ", "\\ ");            /* one space: escaped once */
	check_escape("  ", "\\ \\ ");
	check_escape("   ", "\\  \\ ");      /* the middle one is data */
	check_escape("# ", "\\#\\ ");
}

static void escape_nul_and_control_characters(void **state)
{
	(void)state;
	check_escape_len("a\0b", 3, "a\\00b");
	check_escape_len("\0", 1, "\\00");
	check_escape_len("ab\0", 3, "ab\\00");
	check_escape("line\nbreak", "line\\0Abreak");
	check_escape("cr\rlf", "cr\\0Dlf");
	check_escape("\t", "\\09");
	check_escape("\x1f", "\\1F");
	check_escape("\x7f", "\\7F");
	check_escape("\x01\x02", "\\01\\02");
}

static void escape_keeps_non_ascii(void **state)
{
	(void)state;
	check_escape("M\xc3\xbcller", "M\xc3\xbcller");
	check_escape("\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5\xe6\x9c\xac");
	check_escape("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");
	check_escape("\xc3\x89lise, Dupont", "\xc3\x89lise\\, Dupont");
}

static void escape_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "cn=");
	assert_int_equal(dn_escape_value(&b, "a,b", 3), 0);
	buf_adds(&b, ",dc=x");
	assert_string_equal(buf_str(&b), "cn=a\\,b,dc=x");
	buf_release(&b);
}

static void escape_len_limits_input(void **state)
{
	(void)state;
	/* Only len bytes count: the trailing space rule applies at len. */
	check_escape_len("ab cd", 3, "ab\\ ");
}

static void escape_fails_on_capped_buffer(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 4);
	assert_int_equal(dn_escape_value(&b, ",,,,", 4), -1);
	assert_int_equal(b.failed, 1);
	buf_release(&b);
}

/* --- round trip through libldap --------------------------------------------- */

struct rt_value {
	const char *v;
	size_t len;
};

#define RT(s) {s, sizeof(s) - 1}

static const struct rt_value rt_values[] = {
	RT("plain"),
	RT("Smith, John"),
	RT("a+b"),
	RT("\"quoted\""),
	RT("back\\slash"),
	RT("\\"),
	RT("\\\\"),
	RT("<tag>"),
	RT("semi;colon"),
	RT("e=mc2"),
	RT("="),
	RT("#hash"),
	RT("#04024869"),
	RT("a#b"),
	RT(" leading"),
	RT("trailing "),
	RT(" "),
	RT("   "),
	RT(" , "),
	RT("nul\0inside"),
	RT("\0"),
	RT("cr\rlf\n"),
	RT("tab\there"),
	RT("del\x7f"),
	RT("M\xc3\xbcller"),
	RT("\xc5\x81ukasz \xc5\xbb\xc3\xb3\xc5\x82\xc4\x87"),
	RT("\xe6\x97\xa5\xe6\x9c\xac"),
	RT("\xf0\x9f\x98\x80 emoji"),
	RT(",+\"\\<>;= #"),
	RT("cn=x,dc=com"),
	RT("a\\,b"),
	RT(""),
};

static void escape_round_trips_through_libldap(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rt_values / sizeof *rt_values; i++) {
		const struct rt_value *t = &rt_values[i];
		struct buf dn = BUF_INIT;
		LDAPDN ldn = NULL;
		LDAPAVA *ava;
		int rc, n;

		buf_adds(&dn, "cn=");
		assert_int_equal(dn_escape_value(&dn, t->v, t->len), 0);
		buf_adds(&dn, ",dc=example,dc=com");
		rc = ldap_str2dn(buf_str(&dn), &ldn, LDAP_DN_FORMAT_LDAPV3);
		if (rc != LDAP_SUCCESS)
			fail_msg("value %zu: libldap rejects \"%s\": %s", i, buf_str(&dn), ldap_err2string(rc));
		assert_non_null(ldn);
		for (n = 0; ldn[n]; n++)
			;
		if (n != 3)
			fail_msg("value %zu: \"%s\" parses into %d RDNs, not 3", i, buf_str(&dn), n);
		/* Exactly one AVA in the first RDN, of type cn. */
		assert_non_null(ldn[0][0]);
		assert_null(ldn[0][1]);
		ava = ldn[0][0];
		assert_int_equal(ava->la_attr.bv_len, 2);
		assert_memory_equal(ava->la_attr.bv_val, "cn", 2);
		if (ava->la_value.bv_len != t->len ||
		    (t->len && memcmp(ava->la_value.bv_val, t->v, t->len) != 0))
			fail_msg("value %zu: \"%s\" gives back %lu bytes, not the original %zu", i,
				 buf_str(&dn), (unsigned long)ava->la_value.bv_len, t->len);
		ldap_dnfree(ldn);
		buf_release(&dn);
	}
}

/* "cn=<escaped>,dc=com" is exactly 2 RDNs, whatever the value. */
static void escape_never_adds_an_rdn(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof rt_values / sizeof *rt_values; i++) {
		struct buf dn = BUF_INIT;
		LDAPDN ldn = NULL;
		int n;

		buf_adds(&dn, "cn=");
		dn_escape_value(&dn, rt_values[i].v, rt_values[i].len);
		buf_adds(&dn, ",dc=com");
		assert_int_equal(ldap_str2dn(buf_str(&dn), &ldn, LDAP_DN_FORMAT_LDAPV3), LDAP_SUCCESS);
		for (n = 0; ldn[n]; n++)
			;
		assert_int_equal(n, 2);
		assert_int_equal(ldn[0][0]->la_value.bv_len, rt_values[i].len);
		if (rt_values[i].len)
			assert_memory_equal(ldn[0][0]->la_value.bv_val, rt_values[i].v, rt_values[i].len);
		ldap_dnfree(ldn);
		buf_release(&dn);
	}
}

/* The canonical form is itself a DN libldap reads to the same values. */
/* The DNs that take the short way (nothing to parse) come out as the full
 * parser makes them: a leading space sends the same DN the long way. */
static void normalize_plain_dns_take_the_short_way_alike(void **state)
{
	static const char *const dns[] = {
		"uid=Maria.Garcia@northwind.example,ou=Account 0001,ou=portal,dc=example,dc=com",
		"CN=Jürgen Müller,OU=Ünits,DC=Example,DC=COM",
		"cn=a#b,dc=x",
		"cn=,dc=x",
		"cn=with  two  spaces,o=x-y.z",
		"2.5.4.3=Ann,dc=example",
		"uid=x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof dns / sizeof *dns; i++) {
		struct buf a = BUF_INIT, b = BUF_INIT, spaced = BUF_INIT;
		buf_printf(&spaced, " %s", dns[i]);
		assert_int_equal(dn_normalize(dns[i], &a), 0);
		assert_int_equal(dn_normalize(buf_str(&spaced), &b), 0);
		assert_string_equal(buf_str(&a), buf_str(&b));
		buf_release(&a);
		buf_release(&b);
		buf_release(&spaced);
	}
	/* Appends, like the long way. */
	{
		struct buf a = BUF_INIT;
		buf_adds(&a, "x:");
		assert_int_equal(dn_normalize("CN=A,DC=B", &a), 0);
		assert_string_equal(buf_str(&a), "x:cn=a,dc=b");
		buf_release(&a);
	}
}

static void normalize_output_parses_with_libldap(void **state)
{
	static const char *const dns[] = {
		"CN=Smith\\, John,OU=People,DC=Example,DC=Com",
		"cn=\\#1 ,dc=x",
		"cn=\\20lead,dc=x",
		"cn=a\\00b,dc=x",
		"uid=x+cn=Y,dc=x",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof dns / sizeof *dns; i++) {
		struct buf b = BUF_INIT;
		LDAPDN ldn = NULL;

		assert_int_equal(dn_normalize(dns[i], &b), 0);
		if (ldap_str2dn(buf_str(&b), &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
			fail_msg("canonical form \"%s\" of \"%s\" is not a DN for libldap", buf_str(&b), dns[i]);
		ldap_dnfree(ldn);
		buf_release(&b);
	}
}

/* --- dn_normalize ------------------------------------------------------------ */

static void normalize_folds_case(void **state)
{
	(void)state;
	check_norm("CN=John Smith,OU=People,DC=Example,DC=COM", "cn=john smith,ou=people,dc=example,dc=com");
	check_same("uid=JSmith,dc=example,dc=com", "UID=jsmith,DC=EXAMPLE,DC=com");
	/* Only ASCII is folded; other bytes are kept. */
	check_norm("cn=M\xc3\x9cLLER", "cn=m\xc3\x9cller");
}

static void normalize_ignores_spaces_around_separators(void **state)
{
	(void)state;
	check_norm("cn = John Smith , dc = example , dc = com", "cn=john smith,dc=example,dc=com");
	check_norm("  cn=a,dc=b  ", "cn=a,dc=b");
	check_norm("cn=a + sn=b,dc=x", "cn=a+sn=b,dc=x");
	check_same("cn=a,dc=b", "cn=a, dc=b");
	/* Spaces inside a value are data. */
	check_different("cn=a b,dc=x", "cn=ab,dc=x");
}

static void normalize_resolves_escapes(void **state)
{
	(void)state;
	check_same("cn=a\\,b,dc=x", "CN=A\\2Cb,DC=X");
	check_same("cn=a\\,b,dc=x", "cn=a\\2cb,dc=x");
	check_norm("CN=A\\2Cb,dc=x", "cn=a\\,b,dc=x");
	check_norm("cn=\\4A\\6f\\68\\6E,dc=x", "cn=john,dc=x");
	/* Escaping a character that needs none changes nothing. */
	check_same("cn=\\a\\b\\c,dc=x", "cn=abc,dc=x");
	check_same("cn=M\\C3\\BCller,dc=x", "cn=M\xc3\xbcller,dc=x");
	/* '=' may be written escaped or not. */
	check_same("cn=a=b,dc=x", "cn=a\\=b,dc=x");
	/* An escaped space is data, an unescaped trailing one is not. */
	check_norm("cn=a\\ ,dc=x", "cn=a\\ ,dc=x");
	check_norm("cn=a\\20,dc=x", "cn=a\\ ,dc=x");
	check_norm("cn=a ,dc=x", "cn=a,dc=x");
	check_different("cn=a\\ ,dc=x", "cn=a,dc=x");
	check_norm("cn=\\ a,dc=x", "cn=\\ a,dc=x");
	check_norm("cn=\\#a,dc=x", "cn=\\#a,dc=x");
	/* Control characters come out as \XX whatever the input form. */
	check_norm("cn=a\\0ab,dc=x", "cn=a\\0Ab,dc=x");
	check_norm("cn=a\\00b,dc=x", "cn=a\\00b,dc=x");
	check_different("cn=a\\00b,dc=x", "cn=a,dc=x");
}

static void normalize_quoted_values(void **state)
{
	(void)state;
	/* RFC 2253 quoted values are still met in old data. */
	check_same("cn=\"Smith, John\",dc=x", "cn=Smith\\, John,dc=x");
	check_norm("cn=\"a+b\" ,dc=x", "cn=a\\+b,dc=x");
}

static void normalize_sorts_multivalued_rdns(void **state)
{
	(void)state;
	check_same("cn=a+sn=b,dc=x", "sn=b+cn=a,dc=x");
	check_norm("sn=b+cn=a,dc=x", "cn=a+sn=b,dc=x");
	check_norm("uid=z+sn=y+cn=x", "cn=x+sn=y+uid=z");
	check_same("CN=A+SN=B", "sn=b+cn=a");
	/* Sorting stays inside one RDN. */
	check_different("cn=a+sn=b,dc=x", "cn=a,sn=b,dc=x");
}

/* Two values of one type in one RDN, equal without case, must sort the same
 * way whatever their case: the order must be decided on the folded values. */
static void normalize_sorts_multivalued_rdns_without_case(void **state)
{
	(void)state;
	check_same("cn=B+cn=a,dc=x", "cn=b+cn=A,dc=x");
	check_same("cn=Zed+cn=alpha", "cn=zed+cn=ALPHA");
	check_norm("cn=b+cn=A,dc=x", "cn=a+cn=b,dc=x");
	check_norm("cn=B+cn=a,dc=x", "cn=a+cn=b,dc=x");
}

static void normalize_hexstring_values(void **state)
{
	(void)state;
	check_norm("cn=#04024869,dc=x", "cn=#04024869,dc=x");
	check_norm("CN=#0402486A,dc=x", "cn=#0402486a,dc=x");
	check_norm("cn= #0402 ,dc=x", "cn=#0402,dc=x");
	check_same("cn=#0A0B,dc=x", "cn=#0a0b,dc=x");
	/* A '#'-hexstring is not the same as an escaped '#'. */
	check_different("cn=#0402,dc=x", "cn=\\#0402,dc=x");
}

static void normalize_empty_dn(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(dn_normalize("", &b), 0);
	assert_int_equal(b.len, 0);
	assert_string_equal(buf_str(&b), "");
	assert_int_equal(dn_normalize("   ", &b), 0);
	assert_string_equal(buf_str(&b), "");
	buf_release(&b);
}

static void normalize_keeps_oid_types(void **state)
{
	(void)state;
	check_norm("2.5.4.3=John,dc=x", "2.5.4.3=john,dc=x");
	check_norm("x-Custom-Attr=V", "x-custom-attr=v");
	check_norm("cn=,dc=x", "cn=,dc=x"); /* an empty value is allowed by RFC 4514 */
}

static void normalize_rejects_invalid_dns(void **state)
{
	(void)state;
	check_norm_invalid("cn");              /* missing '=' */
	check_norm_invalid("John Smith");
	check_norm_invalid("cn=a,dc");
	check_norm_invalid("=a,dc=x");          /* missing type */
	check_norm_invalid("cn=a\\");           /* trailing backslash */
	check_norm_invalid("cn=\\");            /* bad escape: nothing after it */
	check_norm_invalid("cn=a\\\x01,dc=x");  /* a backslash must escape a printable character */
	check_norm_invalid("cn=a,");            /* trailing separator */
	check_norm_invalid("cn=a,,dc=x");
	check_norm_invalid("cn=a+,dc=x");
	check_norm_invalid(",cn=a");
	check_norm_invalid("cn=#");             /* hexstring without bytes */
	check_norm_invalid("cn=#041");          /* odd number of hex digits */
	check_norm_invalid("cn=#04zz,dc=x");    /* not hex */
	check_norm_invalid("cn=\"abc,dc=x");    /* unterminated quotes */
	check_norm_invalid("cn=\"abc\"def,dc=x");
	check_norm_invalid("c n=a");
	check_norm_invalid("_cn=a");
}

static void normalize_appends_and_detects_overflow(void **state)
{
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	buf_adds(&b, "> ");
	assert_int_equal(dn_normalize("CN=X", &b), 0);
	assert_string_equal(buf_str(&b), "> cn=x");
	buf_release(&b);

	buf_init(&b, 8);
	assert_int_equal(dn_normalize("cn=a long value,dc=example,dc=com", &b), -1);
	buf_release(&b);
}

/* --- dn_parent ------------------------------------------------------------------ */

static void parent_of_simple_dn(void **state)
{
	const char *dn = "cn=a,dc=example,dc=com";

	(void)state;
	assert_ptr_equal(dn_parent(dn), dn + 5);
	assert_string_equal(dn_parent("dc=example,dc=com"), "dc=com");
	assert_string_equal(dn_parent("cn=a,  dc=com"), "dc=com");
}

static void parent_skips_escaped_commas(void **state)
{
	(void)state;
	assert_string_equal(dn_parent("cn=Smith\\, John,dc=com"), "dc=com");
	assert_string_equal(dn_parent("cn=a\\,b\\,c,ou=x,dc=com"), "ou=x,dc=com");
	/* An escaped backslash does not escape the comma after it. */
	assert_string_equal(dn_parent("cn=a\\\\,dc=com"), "dc=com");
	/* Hex escapes are just characters here. */
	assert_string_equal(dn_parent("cn=a\\2Cb,dc=com"), "dc=com");
	/* A quoted value keeps its commas. */
	assert_string_equal(dn_parent("cn=\"a,b\",dc=com"), "dc=com");
}

static void parent_of_single_rdn_is_null(void **state)
{
	(void)state;
	assert_null(dn_parent("dc=com"));
	assert_null(dn_parent(""));
	assert_null(dn_parent("cn=a\\,dc=com"));
	assert_null(dn_parent("cn=a+sn=b"));
	assert_null(dn_parent("cn=a, "));
}

/* --- dn_first_value --------------------------------------------------------------- */

static void first_value(const char *dn, const char *want)
{
	struct buf b = BUF_INIT;

	if (dn_first_value(dn, &b) != 0)
		fail_msg("dn_first_value(\"%s\") failed", dn);
	assert_string_equal(buf_str(&b), want);
	buf_release(&b);
}

static void first_value_is_unescaped(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	first_value("ou=Acme\\, Inc,dc=x", "Acme, Inc");
	first_value("ou=Acme\\2C Inc,dc=x", "Acme, Inc");
	first_value("cn=\\4A\\6Fhn", "John");
	first_value("cn= Padded  ,dc=x", "Padded");
	first_value("cn=\\ kept\\ ,dc=x", " kept ");
	first_value("cn=\"Smith, John\",dc=x", "Smith, John");
	first_value("cn=a+sn=b,dc=x", "a");
	first_value("cn=Case Kept,dc=x", "Case Kept");
	first_value("cn=M\xc3\xbcller,dc=x", "M\xc3\xbcller");
	first_value("cn=,dc=x", "");

	/* NUL bytes come back with their length. */
	assert_int_equal(dn_first_value("cn=a\\00b,dc=x", &b), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, "a\0b", 3);
	buf_release(&b);
}

static void first_value_appends(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	buf_adds(&b, "role: ");
	assert_int_equal(dn_first_value("cn=Admins,ou=roles,dc=x", &b), 0);
	assert_string_equal(buf_str(&b), "role: Admins");
	buf_release(&b);
}

static void first_value_rejects_syntax_errors(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	assert_int_equal(dn_first_value("nonsense", &b), -1);
	assert_int_equal(dn_first_value("cn=a\\", &b), -1);
	assert_int_equal(dn_first_value("=x,dc=x", &b), -1);
	assert_int_equal(dn_first_value("", &b), -1);
	buf_release(&b);
}

/* --- dn_is_under ----------------------------------------------------------------- */

static void under_equal_dns(void **state)
{
	(void)state;
	assert_true(dn_is_under("dc=example,dc=com", "dc=example,dc=com"));
	assert_true(dn_is_under("DC=Example, DC=COM", "dc=example,dc=com"));
	assert_true(dn_is_under("ou=a\\,b,dc=x", "OU=A\\2Cb,dc=x"));
}

static void under_below_base(void **state)
{
	(void)state;
	assert_true(dn_is_under("cn=x,dc=example,dc=com", "dc=example,dc=com"));
	assert_true(dn_is_under("uid=j,ou=People,DC=Example,DC=Com", "dc=example,dc=com"));
	assert_true(dn_is_under("cn=a,ou=b,dc=c", "dc=c"));
	assert_true(dn_is_under("cn = x , dc = com", "dc=com"));
	/* An escaped backslash before the separator leaves the comma unescaped. */
	assert_true(dn_is_under("cn=x\\\\,dc=com", "dc=com"));
	/* The empty DN is the root of everything. */
	assert_true(dn_is_under("cn=x,dc=com", ""));
}

static void under_not_below(void **state)
{
	(void)state;
	assert_false(dn_is_under("cn=x,dc=other,dc=com", "dc=example,dc=com"));
	assert_false(dn_is_under("dc=com", "dc=example,dc=com"));
	assert_false(dn_is_under("cn=x,dc=com", "c=com"));          /* not on an RDN boundary */
	assert_false(dn_is_under("cn=x,dc=myexample,dc=com", "dc=example,dc=com"));
	assert_false(dn_is_under("cn=x+dc=com", "dc=com"));         /* same RDN, not a parent */
	assert_false(dn_is_under("dc=example,dc=com", "cn=x,dc=example,dc=com"));
	assert_false(dn_is_under("", "dc=com"));
}

static void under_escaped_comma_tricks(void **state)
{
	(void)state;
	/* One RDN whose value is "x,dc=com": not below dc=com. */
	assert_false(dn_is_under("cn=x\\,dc=com", "dc=com"));
	assert_false(dn_is_under("cn=x\\2Cdc=com", "dc=com"));
	/* The value "x\,dc=com" (escaped backslash, escaped comma). */
	assert_false(dn_is_under("cn=x\\\\\\,dc=com", "dc=com"));
	/* Two RDNs: "cn=evil,ou=people,dc=example" (one value) and "dc=com". */
	assert_false(dn_is_under("cn=evil\\,ou=people\\,dc=example,dc=com", "ou=people,dc=example,dc=com"));
	assert_false(dn_is_under("cn=evil\\,ou=people\\,dc=example,dc=com", "dc=example,dc=com"));
	assert_true(dn_is_under("cn=evil\\,ou=people\\,dc=example,dc=com", "dc=com"));
	/* A quoted value with a comma. */
	assert_false(dn_is_under("cn=\"x,dc=com\"", "dc=com"));
}

static void under_invalid_is_false(void **state)
{
	(void)state;
	assert_false(dn_is_under("garbage", "dc=com"));
	assert_false(dn_is_under("cn=x,dc=com", "garbage"));
	assert_false(dn_is_under("cn=x\\", ""));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(escape_plain_value_unchanged),
		cmocka_unit_test(escape_each_special_character),
		cmocka_unit_test(escape_leading_hash_and_spaces),
		cmocka_unit_test(escape_nul_and_control_characters),
		cmocka_unit_test(escape_keeps_non_ascii),
		cmocka_unit_test(escape_appends),
		cmocka_unit_test(escape_len_limits_input),
		cmocka_unit_test(escape_fails_on_capped_buffer),
		cmocka_unit_test(escape_round_trips_through_libldap),
		cmocka_unit_test(escape_never_adds_an_rdn),
		cmocka_unit_test(normalize_output_parses_with_libldap),
		cmocka_unit_test(normalize_plain_dns_take_the_short_way_alike),
		cmocka_unit_test(normalize_folds_case),
		cmocka_unit_test(normalize_ignores_spaces_around_separators),
		cmocka_unit_test(normalize_resolves_escapes),
		cmocka_unit_test(normalize_quoted_values),
		cmocka_unit_test(normalize_sorts_multivalued_rdns),
		cmocka_unit_test(normalize_sorts_multivalued_rdns_without_case),
		cmocka_unit_test(normalize_hexstring_values),
		cmocka_unit_test(normalize_empty_dn),
		cmocka_unit_test(normalize_keeps_oid_types),
		cmocka_unit_test(normalize_rejects_invalid_dns),
		cmocka_unit_test(normalize_appends_and_detects_overflow),
		cmocka_unit_test(parent_of_simple_dn),
		cmocka_unit_test(parent_skips_escaped_commas),
		cmocka_unit_test(parent_of_single_rdn_is_null),
		cmocka_unit_test(first_value_is_unescaped),
		cmocka_unit_test(first_value_appends),
		cmocka_unit_test(first_value_rejects_syntax_errors),
		cmocka_unit_test(under_equal_dns),
		cmocka_unit_test(under_below_base),
		cmocka_unit_test(under_not_below),
		cmocka_unit_test(under_escaped_comma_tricks),
		cmocka_unit_test(under_invalid_is_false),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
