/* Unit tests for agent/text/template.c: compiling and rendering the
 * {Placeholder|filter} language in its three contexts (text, DN, LDAP
 * filter), the helpers the planner uses, and the filters themselves. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/buf.h"
#include "agent/text/filter.h"
#include "agent/text/template.h"
#include "tests/unit/columns.h"

/* A row of values by column name, and the built-ins. */
struct row {
	const char *fields[TEST_MAX_COLUMNS];
	struct tmpl_env env;
};

static void row_init(struct row *r)
{
	memset(r, 0, sizeof *r);
	r->env.fields = r->fields;
	r->env.n_fields = TEST_MAX_COLUMNS;
}

static void row_set(struct row *r, const char *column, const char *value)
{
	int slot = column_slot(NULL, column);

	assert_true(slot >= 0);
	r->fields[slot] = value;
}

static struct tmpl_spec make_spec(enum tmpl_ctx ctx, unsigned builtins, int columns)
{
	struct tmpl_spec s = {ctx, builtins, columns, column_slot, NULL};
	return s;
}

#define ALL_BUILTINS ((1u << TB_COUNT) - 1)

static struct tmpl *compile_ok(const char *src, enum tmpl_ctx ctx, unsigned builtins)
{
	struct tmpl_spec spec = make_spec(ctx, builtins, 1);
	struct tmpl_error err;
	struct tmpl *t = NULL;

	memset(&err, 0, sizeof err);
	if (tmpl_compile(src, &spec, &t, &err) != 0)
		fail_msg("\"%s\" does not compile: %s (offset %zu)", src, err.msg, err.offset);
	assert_non_null(t);
	return t;
}

/* Compiles src expecting failure; returns the error. */
static struct tmpl_error compile_err(const char *src, enum tmpl_ctx ctx, unsigned builtins, int columns)
{
	struct tmpl_spec spec = make_spec(ctx, builtins, columns);
	struct tmpl_error err;
	struct tmpl *t = NULL;

	memset(&err, 0, sizeof err);
	if (tmpl_compile(src, &spec, &t, &err) != -1) {
		tmpl_free(t);
		fail_msg("\"%s\" compiled but should not", src);
	}
	assert_true(err.msg[0] != '\0');
	assert_true(err.offset <= strlen(src));
	return err;
}

/* Compiles and renders src, comparing with want. */
static void check_render(const char *src, enum tmpl_ctx ctx, const struct row *r, const char *want)
{
	struct tmpl *t = compile_ok(src, ctx, ALL_BUILTINS);
	struct tmpl_error err;
	struct buf out = BUF_INIT;

	if (tmpl_render(t, &r->env, &out, &err) != 0)
		fail_msg("\"%s\" does not render: %s", src, err.msg);
	assert_string_equal(buf_str(&out), want);
	buf_release(&out);
	tmpl_free(t);
}

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* Applies one filter function to s. */
static void check_filter(void (*fn)(struct buf *, const char *, size_t), const char *s, const char *want)
{
	struct buf b = BUF_INIT;

	char got[256];

	fn(&b, s, strlen(s));
	snprintf(got, sizeof got, "%s", buf_str(&b));
	buf_release(&b);
	assert_string_equal(got, want);
}

/* --- TEXT ----------------------------------------------------------------------- */

static void text_literals_and_braces(void **state)
{
	struct tmpl *t;
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "Username", "jdoe");
	t = compile_ok("plain text", TMPL_TEXT, 0);
	assert_true(tmpl_is_literal(t));
	assert_string_equal(tmpl_source(t), "plain text");
	tmpl_free(t);

	check_render("plain text", TMPL_TEXT, &r, "plain text");
	check_render("", TMPL_TEXT, &r, "");
	check_render("{{literal}}", TMPL_TEXT, &r, "{literal}");
	check_render("a{{{Username}}}b", TMPL_TEXT, &r, "a{jdoe}b");
	check_render("{{{{", TMPL_TEXT, &r, "{{");
	check_render("a}b", TMPL_TEXT, &r, "a}b");
	check_render("Hello {Username}!", TMPL_TEXT, &r, "Hello jdoe!");
	check_render("{ Username }", TMPL_TEXT, &r, "jdoe");

	t = compile_ok("{{Username}}", TMPL_TEXT, 0);
	assert_true(tmpl_is_literal(t));
	tmpl_free(t);
}

static void text_missing_values_render_empty(void **state)
{
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "Empty", "");
	row_set(&r, "Missing", NULL);
	check_render("[{Empty}][{Missing}][{Missing|upper}]", TMPL_TEXT, &r, "[][][]");
	check_render("[{login_url}]", TMPL_TEXT, &r, "[]");
}

static void text_filters_and_chains(void **state)
{
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "LastName", "M\xc3\xbcller");
	row_set(&r, "FirstName", "\xc3\x89lise");
	check_render("{LastName|lower}", TMPL_TEXT, &r, "m\xc3\xbcller");
	check_render("{LastName|upper}", TMPL_TEXT, &r, "M\xc3\x9cLLER");
	check_render("{LastName|ascii}", TMPL_TEXT, &r, "Muller");
	check_render("{LastName|ascii|lower}", TMPL_TEXT, &r, "muller");
	check_render("{LastName | ascii | upper}", TMPL_TEXT, &r, "MULLER");
	check_render("{FirstName|initial}", TMPL_TEXT, &r, "\xc3\x89");
	check_render("{FirstName|initial|ascii|lower}{LastName|ascii|lower}", TMPL_TEXT, &r, "emuller");
	check_render("{FirstName|lower|initial}.{LastName|upper|initial}", TMPL_TEXT, &r, "\xc3\xa9.M");
	/* Filters apply to the placeholder only, not to the literal text. */
	check_render("X{LastName|lower}X", TMPL_TEXT, &r, "Xm\xc3\xbcllerX");
}

static void text_builtins(void **state)
{
	struct tmpl *t;
	struct tmpl_error err;
	struct buf out = BUF_INIT;
	struct row r;

	(void)state;
	row_init(&r);
	r.env.builtins[TB_LOGIN_URL] = "https://portal.example.com";
	r.env.builtins[TB_USERNAME] = "jdoe";
	t = compile_ok("Sign in at {login_url} as {username|upper}", TMPL_TEXT,
		       TB_BIT(TB_LOGIN_URL) | TB_BIT(TB_USERNAME));
	assert_false(tmpl_is_literal(t));
	assert_true(tmpl_uses_builtin(t, TB_LOGIN_URL));
	assert_true(tmpl_uses_builtin(t, TB_USERNAME));
	assert_false(tmpl_uses_builtin(t, TB_PASSWORD));
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), 0);
	assert_string_equal(buf_str(&out), "Sign in at https://portal.example.com as JDOE");
	buf_release(&out);
	tmpl_free(t);

	assert_string_equal(tmpl_builtin_name(TB_LOGIN_URL), "login_url");
	assert_string_equal(tmpl_builtin_name(TB_FIRST_NAME), "first_name");
	assert_string_equal(tmpl_builtin_name(TB_BASE), "base");
}

static void text_builtin_not_allowed(void **state)
{
	struct tmpl_error err;

	(void)state;
	err = compile_err("Hi {password}", TMPL_TEXT, TB_BIT(TB_LOGIN_URL), 1);
	assert_string_equal(err.msg, "{password} is not available here");
	assert_int_equal(err.offset, 3);

	err = compile_err("{login_url}", TMPL_TEXT, 0, 1);
	assert_string_equal(err.msg, "{login_url} is not available here");
	assert_int_equal(err.offset, 0);
}

static void text_columns_not_allowed(void **state)
{
	struct tmpl_error err;

	(void)state;
	err = compile_err("ab {Foo}", TMPL_TEXT, ALL_BUILTINS, 0);
	assert_string_equal(err.msg, "unknown placeholder {Foo}");
	assert_int_equal(err.offset, 3);
}

static void text_unknown_filter(void **state)
{
	struct tmpl_error err;
	const char *src = "{LastName|lowr}";
	const char *src2 = "Dear {LastName | upper | tirm }";

	(void)state;
	err = compile_err(src, TMPL_TEXT, 0, 1);
	assert_int_equal(err.offset, 10);
	assert_memory_equal(src + err.offset, "lowr", 4);
	assert_contains(err.msg, "unknown filter 'lowr'");
	assert_contains(err.msg, "{LastName}");

	/* The second filter is the bad one; spaces around it are not part of it. */
	err = compile_err(src2, TMPL_TEXT, 0, 1);
	assert_memory_equal(src2 + err.offset, "tirm", 4);
	assert_contains(err.msg, "unknown filter 'tirm'");

	err = compile_err("{LastName|}", TMPL_TEXT, 0, 1);
	assert_int_equal(err.offset, 10);
	assert_contains(err.msg, "unknown filter ''");
}

static void text_unterminated_and_empty_placeholders(void **state)
{
	struct tmpl_error err;

	(void)state;
	err = compile_err("abc {Username", TMPL_TEXT, 0, 1);
	assert_int_equal(err.offset, 4);
	assert_contains(err.msg, "unterminated placeholder");

	err = compile_err("ab {}", TMPL_TEXT, 0, 1);
	assert_contains(err.msg, "empty placeholder");
	assert_true(err.offset == 3 || err.offset == 4);

	err = compile_err("{  }", TMPL_TEXT, 0, 1);
	assert_contains(err.msg, "empty placeholder");

	err = compile_err("{|lower}", TMPL_TEXT, 0, 1);
	assert_contains(err.msg, "empty placeholder");

	err = compile_err("{a{b}", TMPL_TEXT, 0, 1);
	assert_int_equal(err.offset, 0);
	assert_contains(err.msg, "'{' inside a placeholder");
}

static void text_too_many_filters(void **state)
{
	struct tmpl_error err;
	struct tmpl *t;

	(void)state;
	t = compile_ok("{A|lower|lower|lower|lower|lower|lower|lower|lower}", TMPL_TEXT, 0);
	tmpl_free(t);
	err = compile_err("{A|lower|lower|lower|lower|lower|lower|lower|lower|upper}", TMPL_TEXT, 0, 1);
	assert_contains(err.msg, "too many filters");
}

static void collect_slot(void *arg, int slot)
{
	unsigned *mask = arg;

	*mask |= 1u << slot;
}

static void text_each_slot(void **state)
{
	struct tmpl *t;
	unsigned mask = 0;
	int a = column_slot(NULL, "SlotA"), b = column_slot(NULL, "SlotB");

	(void)state;
	t = compile_ok("{SlotA} {login_url} {SlotB|lower}", TMPL_TEXT, ALL_BUILTINS);
	tmpl_each_slot(t, collect_slot, &mask);
	assert_int_equal(mask, (1u << a) | (1u << b));
	tmpl_free(t);

	mask = 0;
	t = compile_ok("cn={SlotB},ou={SlotA},{base}", TMPL_DN, ALL_BUILTINS);
	tmpl_each_slot(t, collect_slot, &mask);
	assert_int_equal(mask, (1u << a) | (1u << b));
	tmpl_free(t);
}

/* --- DN ---------------------------------------------------------------------------- */

/* Parses dn with libldap and checks the value of RDN i (single-valued). */
static void check_ldap_value(LDAPDN ldn, int i, const char *type, const char *value)
{
	LDAPAVA *ava = ldn[i][0];

	assert_null(ldn[i][1]);
	assert_int_equal(ava->la_attr.bv_len, strlen(type));
	assert_memory_equal(ava->la_attr.bv_val, type, strlen(type));
	if (ava->la_value.bv_len != strlen(value) || memcmp(ava->la_value.bv_val, value, strlen(value)) != 0)
		fail_msg("RDN %d: libldap reads \"%.*s\", not \"%s\"", i, (int)ava->la_value.bv_len,
			 ava->la_value.bv_val, value);
}

static void dn_escapes_every_special_value(void **state)
{
	static const char user[] = "a,b+c\"d\\e<f>g;h=i";
	static const char account[] = "#Acme ";
	struct tmpl *t;
	struct tmpl_error err;
	struct buf out = BUF_INIT;
	struct row r;
	LDAPDN ldn = NULL;
	int n;

	(void)state;
	row_init(&r);
	row_set(&r, "Username", user);
	row_set(&r, "Account", account);
	r.env.builtins[TB_BASE] = "dc=example,dc=com";
	t = compile_ok("uid={Username},ou={Account},{base}", TMPL_DN, TB_BIT(TB_BASE));
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), 0);
	assert_string_equal(buf_str(&out),
			    "uid=a\\,b\\+c\\\"d\\\\e\\<f\\>g\\;h\\=i,ou=\\#Acme\\ ,dc=example,dc=com");

	assert_int_equal(ldap_str2dn(buf_str(&out), &ldn, LDAP_DN_FORMAT_LDAPV3), LDAP_SUCCESS);
	for (n = 0; ldn[n]; n++)
		;
	assert_int_equal(n, 4);
	check_ldap_value(ldn, 0, "uid", user);
	check_ldap_value(ldn, 1, "ou", account);
	check_ldap_value(ldn, 2, "dc", "example");
	ldap_dnfree(ldn);
	buf_release(&out);
	tmpl_free(t);
}

static void dn_round_trips_tricky_values(void **state)
{
	static const char *const values[] = {
		" leading", "trailing ", "#", "##x", "a#", "\\", "\\,", "\"", "x=y", "M\xc3\xbcller, Hans",
		"\xc5\x81ukasz", ",,,", "+", "a\tb", "cr\rlf\n",
	};
	struct tmpl *t = compile_ok("cn={Value},ou=people,{base}", TMPL_DN, TB_BIT(TB_BASE));
	size_t i;

	(void)state;
	for (i = 0; i < sizeof values / sizeof *values; i++) {
		struct tmpl_error err;
		struct buf out = BUF_INIT;
		struct row r;
		LDAPDN ldn = NULL;
		int n;

		row_init(&r);
		row_set(&r, "Value", values[i]);
		r.env.builtins[TB_BASE] = "dc=example,dc=com";
		assert_int_equal(tmpl_render(t, &r.env, &out, &err), 0);
		if (ldap_str2dn(buf_str(&out), &ldn, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
			fail_msg("libldap rejects \"%s\"", buf_str(&out));
		for (n = 0; ldn[n]; n++)
			;
		assert_int_equal(n, 4);
		check_ldap_value(ldn, 0, "cn", values[i]);
		check_ldap_value(ldn, 1, "ou", "people");
		ldap_dnfree(ldn);
		buf_release(&out);
	}
	tmpl_free(t);
}

static void dn_value_of_spaces_is_refused(void **state)
{
	struct tmpl *t = compile_ok("cn={FirstName} {LastName},{base}", TMPL_DN, TB_BIT(TB_BASE));
	struct tmpl_error err;
	struct buf out = BUF_INIT;
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "FirstName", "");
	row_set(&r, "LastName", " ");
	r.env.builtins[TB_BASE] = "dc=x";
	/* Only spaces is no name at all: a DN like cn=\ , is refused. */
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), -1);
	assert_non_null(strstr(err.msg, "the DN needs a value for cn"));
	buf_release(&out);
	tmpl_free(t);
}

static void dn_value_assembled_then_escaped(void **state)
{
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "FirstName", "");
	row_set(&r, "LastName", "Smith");
	r.env.builtins[TB_BASE] = "dc=x";
	/* An empty first name leaves a leading space, which must be escaped. */
	check_render("cn={FirstName} {LastName},ou=people,{base}", TMPL_DN, &r, "cn=\\ Smith,ou=people,dc=x");

	row_set(&r, "FirstName", "Jean-Luc");
	row_set(&r, "LastName", "O'Neil, Jr.");
	check_render("cn={FirstName} {LastName},ou=people,{base}", TMPL_DN, &r,
		     "cn=Jean-Luc O'Neil\\, Jr.,ou=people,dc=x");

	/* An empty last name leaves a trailing space. */
	row_set(&r, "LastName", "");
	check_render("cn={FirstName} {LastName},{base}", TMPL_DN, &r, "cn=Jean-Luc\\ ,dc=x");
}

static void dn_literal_escapes_are_resolved_then_reapplied(void **state)
{
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "Username", "j");
	r.env.builtins[TB_BASE] = "dc=x";
	check_render("uid={Username},ou=Smith\\, Jones,{base}", TMPL_DN, &r, "uid=j,ou=Smith\\, Jones,dc=x");
	check_render("uid={Username},ou=a\\2Cb,{base}", TMPL_DN, &r, "uid=j,ou=a\\,b,dc=x");
	check_render("uid={Username},ou= people ,{base}", TMPL_DN, &r, "uid=j,ou=people,dc=x");
	check_render("uid={Username},ou=tail\\ ,{base}", TMPL_DN, &r, "uid=j,ou=tail\\ ,dc=x");
	check_render("uid=x-{Username}-y,{base}", TMPL_DN, &r, "uid=x-j-y,dc=x");
}

static void dn_multivalued_rdn_and_filters(void **state)
{
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "Username", "JDoe");
	row_set(&r, "Common", "A+B");
	r.env.builtins[TB_BASE] = "dc=x";
	check_render("uid={Username|lower}+cn={Common},{base}", TMPL_DN, &r, "uid=jdoe+cn=A\\+B,dc=x");
}

static void dn_empty_value_fails(void **state)
{
	struct tmpl *t = compile_ok("uid={Username},ou={Account},{base}", TMPL_DN, TB_BIT(TB_BASE));
	struct tmpl_error err;
	struct buf out = BUF_INIT;
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "Username", "jdoe");
	row_set(&r, "Account", "");
	r.env.builtins[TB_BASE] = "dc=x";
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), -1);
	assert_string_equal(err.msg, "the DN needs a value for ou");

	buf_reset(&out);
	row_set(&r, "Username", NULL);
	row_set(&r, "Account", "Acme");
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), -1);
	assert_string_equal(err.msg, "the DN needs a value for uid");
	buf_release(&out);
	tmpl_free(t);
}

static void dn_base_suffix(void **state)
{
	struct tmpl *t = compile_ok("uid={Username},{base}", TMPL_DN, TB_BIT(TB_BASE));
	struct tmpl_error err;
	struct buf out = BUF_INIT;
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "Username", "j,d");
	assert_true(tmpl_uses_builtin(t, TB_BASE));
	/* The base is a DN: inserted as it is, not escaped. */
	r.env.builtins[TB_BASE] = "ou=Portal,DC=Example,DC=Com";
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), 0);
	assert_string_equal(buf_str(&out), "uid=j\\,d,ou=Portal,DC=Example,DC=Com");

	/* No base: just the RDN. */
	buf_reset(&out);
	r.env.builtins[TB_BASE] = NULL;
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), 0);
	assert_string_equal(buf_str(&out), "uid=j\\,d");

	/* Rendering appends. */
	buf_reset(&out);
	buf_adds(&out, "dn: ");
	r.env.builtins[TB_BASE] = "dc=x";
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), 0);
	assert_string_equal(buf_str(&out), "dn: uid=j\\,d,dc=x");
	buf_release(&out);
	tmpl_free(t);

	/* {base} alone is a whole DN. */
	t = compile_ok("{base}", TMPL_DN, TB_BIT(TB_BASE));
	out = (struct buf)BUF_INIT;
	r.env.builtins[TB_BASE] = "dc=x";
	assert_int_equal(tmpl_render(t, &r.env, &out, &err), 0);
	assert_string_equal(buf_str(&out), "dc=x");
	buf_release(&out);
	tmpl_free(t);
}

static void dn_compile_errors(void **state)
{
	struct tmpl_error err;

	(void)state;
	err = compile_err("u{Username}=x,{base}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 1);
	assert_contains(err.msg, "a placeholder cannot be part of an attribute type");

	err = compile_err("cn{Username}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_contains(err.msg, "a placeholder cannot be part of an attribute type");

	err = compile_err("{Username},{base}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 0);
	assert_contains(err.msg, "only {base} or {dn} may stand for a whole DN");

	err = compile_err("uid=x,{base|lower}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 6);
	assert_contains(err.msg, "only {base} or {dn} may stand for a whole DN");

	err = compile_err("{base},ou=x", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 6);
	assert_string_equal(err.msg, "nothing may follow {base} in a DN");

	err = compile_err("uid={Username},{base}{Username}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 21);
	assert_string_equal(err.msg, "nothing may follow {base} in a DN");

	err = compile_err("uid={Username},", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 15);
	assert_string_equal(err.msg, "the DN ends with a separator");

	err = compile_err("uid={Username}+{base}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_contains(err.msg, "{base} cannot follow '+'");

	err = compile_err("=x,{base}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 0);
	assert_contains(err.msg, "missing attribute type");

	err = compile_err("ui d={Username}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 2);
	assert_contains(err.msg, "unexpected ' ' in an attribute type");

	err = compile_err("", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_contains(err.msg, "a DN template needs attribute=value");

	/* Attribute types that no directory would parse (RFC 4512). */
	err = compile_err("cn=x,ui.={Username}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 5);
	assert_string_equal(err.msg, "'ui.' is not an attribute type (a name such as uid, or a numeric OID)");
	compile_err("0e={Username}", TMPL_DN, TB_BIT(TB_BASE), 1);
	compile_err("-cn={Username}", TMPL_DN, TB_BIT(TB_BASE), 1);
	compile_err("1..2={Username}", TMPL_DN, TB_BIT(TB_BASE), 1);
	compile_err("01.2={Username}", TMPL_DN, TB_BIT(TB_BASE), 1);
	tmpl_free(compile_ok("2.5.4.3={Username}+a-1={Username},{base}", TMPL_DN, TB_BIT(TB_BASE)));

	/* Escapes that would make the value invalid UTF-8, or cut it short. */
	err = compile_err("gn=\\base,{base}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 3);
	assert_string_equal(err.msg, "invalid UTF-8 in a DN value (check its \\XX escapes)");
	err = compile_err("cn=a\\00b,{base}", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 4);
	assert_string_equal(err.msg, "\\00 (NUL) cannot be part of a DN value");
	tmpl_free(compile_ok("cn=\\C3\\A9{Username}\\e2\\82\\ac,{base}", TMPL_DN, TB_BIT(TB_BASE)));

	err = compile_err("cn=a\\", TMPL_DN, TB_BIT(TB_BASE), 1);
	assert_int_equal(err.offset, 4);
	assert_contains(err.msg, "a backslash must escape a character");

	/* {base} is refused where it is not allowed, like any built-in. */
	err = compile_err("uid={Username},{base}", TMPL_DN, 0, 1);
	assert_string_equal(err.msg, "{base} is not available here");
}

static void dn_first_type(void **state)
{
	struct tmpl *t;

	(void)state;
	t = compile_ok("uid={Username},ou={Account},{base}", TMPL_DN, TB_BIT(TB_BASE));
	assert_string_equal(tmpl_dn_first_type(t), "uid");
	tmpl_free(t);
	t = compile_ok("  cn={A}+sn={B},{base}", TMPL_DN, TB_BIT(TB_BASE));
	assert_string_equal(tmpl_dn_first_type(t), "cn");
	tmpl_free(t);
	t = compile_ok("{base}", TMPL_DN, TB_BIT(TB_BASE));
	assert_null(tmpl_dn_first_type(t));
	tmpl_free(t);
	t = compile_ok("uid={Username}", TMPL_TEXT, 0);
	assert_null(tmpl_dn_first_type(t));
	tmpl_free(t);
}

static void check_fixed_suffix(const char *src, const struct row *r, const char *want)
{
	struct tmpl *t = compile_ok(src, TMPL_DN, ALL_BUILTINS);
	struct buf out = BUF_INIT;

	assert_int_equal(tmpl_dn_fixed_suffix(t, &r->env, &out), 0);
	assert_string_equal(buf_str(&out), want);
	buf_release(&out);
	tmpl_free(t);
}

static void dn_fixed_suffix(void **state)
{
	struct tmpl *t;
	struct buf out = BUF_INIT;
	struct row r;

	(void)state;
	row_init(&r);
	r.env.builtins[TB_BASE] = "dc=x";
	r.env.builtins[TB_ROLE] = "Admins";
	check_fixed_suffix("cn={role},ou=roles,{base}", &r, "ou=roles,dc=x");
	check_fixed_suffix("uid={Username},ou={Account},ou=people,{base}", &r, "ou=people,dc=x");
	check_fixed_suffix("ou=people,{base}", &r, "ou=people,dc=x");
	check_fixed_suffix("uid={Username},{base}", &r, "dc=x");
	check_fixed_suffix("cn={role}+ou=r,ou=roles,{base}", &r, "ou=roles,dc=x");
	check_fixed_suffix("cn={role},ou=Smith\\, Jones,{base}", &r, "ou=Smith\\, Jones,dc=x");
	check_fixed_suffix("cn={role},ou=roles", &r, "ou=roles");

	t = compile_ok("cn={role}", TMPL_TEXT, ALL_BUILTINS);
	assert_int_equal(tmpl_dn_fixed_suffix(t, &r.env, &out), -1);
	buf_release(&out);
	tmpl_free(t);
}

static void dn_render_first_value(void **state)
{
	struct tmpl *t;
	struct buf out = BUF_INIT;
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "Account", "Acme, Inc");
	row_set(&r, "FirstName", "John");
	row_set(&r, "LastName", "#1 \\ Smith ");
	r.env.builtins[TB_BASE] = "dc=x";

	t = compile_ok("ou={Account},{base}", TMPL_DN, TB_BIT(TB_BASE));
	assert_int_equal(tmpl_render_first_value(t, &r.env, &out), 0);
	assert_string_equal(buf_str(&out), "Acme, Inc");
	tmpl_free(t);

	buf_reset(&out);
	t = compile_ok("cn={FirstName} {LastName},{base}", TMPL_DN, TB_BIT(TB_BASE));
	assert_int_equal(tmpl_render_first_value(t, &r.env, &out), 0);
	assert_string_equal(buf_str(&out), "John #1 \\ Smith ");
	tmpl_free(t);

	buf_reset(&out);
	t = compile_ok("{Account}", TMPL_TEXT, 0);
	assert_int_equal(tmpl_render_first_value(t, &r.env, &out), -1);
	tmpl_free(t);
	buf_release(&out);
}

/* --- FILTER -------------------------------------------------------------------------- */

static void filter_context_escapes_values(void **state)
{
	struct row r;

	(void)state;
	row_init(&r);
	row_set(&r, "Username", "a*b(c)d\\e");
	row_set(&r, "Plain", "M\xc3\xbcller");
	/* Literal text is filter syntax and is kept as written. */
	check_render("(&(objectClass=*)(uid={Username}))", TMPL_FILTER, &r,
		     "(&(objectClass=*)(uid=a\\2Ab\\28c\\29d\\5Ce))");
	check_render("(cn={Plain})", TMPL_FILTER, &r, "(cn=M\\C3\\BCller)");
	check_render("(cn={Username|upper})", TMPL_FILTER, &r, "(cn=A\\2AB\\28C\\29D\\5CE)");
}

static void filter_escape_value_direct(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	filter_escape_value(&b, "*()\\", 4);
	assert_string_equal(buf_str(&b), "\\2A\\28\\29\\5C");
	buf_reset(&b);
	filter_escape_value(&b, "a\0b", 3);
	assert_int_equal(b.len, 5);
	assert_string_equal(buf_str(&b), "a\\00b");
	buf_reset(&b);
	filter_escape_value(&b, "x\ny\x7f", 4);
	assert_string_equal(buf_str(&b), "x\\0Ay\\7F");
	buf_reset(&b);
	filter_escape_value(&b, "plain text=ok", 13);
	assert_string_equal(buf_str(&b), "plain text=ok");
	buf_release(&b);
}

/* --- tmpl_single_column, tmpl_column ------------------------------------------------------------- */

static void single_column(void **state)
{
	static const struct {
		const char *src;
		int single, exact;
	} cases[] = {
		{"{Username}", 1, 1},
		{"{ Username }", 1, 1},
		{"{Username|lower}", 1, 0},
		{"{ Username | upper }", 1, 0},
		{"{Username|upper|lower}", 1, 0},
		{"{Username|ascii}", 0, 0},
		{"{Username|lower|ascii}", 0, 0},
		{"{Username|initial}", 0, 0},
		{"x{Username}", 0, 0},
		{"{Username} ", 0, 0},
		{"{Username}{Username}", 0, 0},
		{"{base}", 0, 0},
		{"literal", 0, 0},
		{"", 0, 0},
	};
	int slot = column_slot(NULL, "Username");
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct tmpl *t = compile_ok(cases[i].src, TMPL_TEXT, ALL_BUILTINS);
		int got = tmpl_single_column(t), exact = tmpl_column(t);
		if (got != (cases[i].single ? slot : -1))
			fail_msg("tmpl_single_column(\"%s\") = %d", cases[i].src, got);
		if (exact != (cases[i].exact ? slot : -1))
			fail_msg("tmpl_column(\"%s\") = %d", cases[i].src, exact);
		tmpl_free(t);
	}
	{
		/* A DN or filter template is never a single column. */
		struct tmpl *t = compile_ok("uid={Username}", TMPL_DN, 0);
		assert_int_equal(tmpl_single_column(t), -1);
		assert_int_equal(tmpl_column(t), -1);
		tmpl_free(t);
		t = compile_ok("{Username}", TMPL_FILTER, 0);
		assert_int_equal(tmpl_column(t), -1);
		tmpl_free(t);
	}
}

/* --- the filters -------------------------------------------------------------------- */

static void ascii_transliteration(void **state)
{
	(void)state;
	check_filter(tmpl_filter_ascii, "Chlo\xc3\xa9 Lef\xc3\xa8vre", "Chloe Lefevre");
	check_filter(tmpl_filter_ascii, "\xc5\x81ukasz \xc5\xbb\xc3\xb3\xc5\x82\xc4\x87", "Lukasz Zolc");
	check_filter(tmpl_filter_ascii, "Stra\xc3\x9f" "e", "Strasse");
	check_filter(tmpl_filter_ascii, "\xc3\x86r\xc3\xb8sk\xc3\xb8" "bing", "AEroskobing");
	check_filter(tmpl_filter_ascii, "\xc3\x98ystein \xc3\x85se", "Oystein Ase");
	check_filter(tmpl_filter_ascii, "\xc5\x92uvre \xc3\x9e" "or", "OEuvre THor");
	check_filter(tmpl_filter_ascii, "\xc8\x98tefan \xc8\x9a" "ar", "Stefan Tar");
	check_filter(tmpl_filter_ascii, "\xe2\x80\x9cQ\xe2\x80\x9d \xe2\x80\x93 O\xe2\x80\x99" "B", "\"Q\" - O'B");
	check_filter(tmpl_filter_ascii, "a\xc2\xa0" "b", "a b");
	/* Nothing sensible in ASCII: dropped. */
	check_filter(tmpl_filter_ascii, "\xce\xa9mega", "mega");
	check_filter(tmpl_filter_ascii, "\xe6\x97\xa5", "");
	check_filter(tmpl_filter_ascii, "\xc3\xb7", "");
	/* Bytes that are not UTF-8 are dropped; ASCII is untouched. */
	check_filter(tmpl_filter_ascii, "a\xff" "b\xc3", "ab");
	check_filter(tmpl_filter_ascii, "Plain ASCII 123 !#", "Plain ASCII 123 !#");
	check_filter(tmpl_filter_ascii, "", "");
}

static void case_mapping_ascii_and_latin1(void **state)
{
	(void)state;
	check_filter(tmpl_filter_lower, "Hello World 42", "hello world 42");
	check_filter(tmpl_filter_upper, "Hello World 42", "HELLO WORLD 42");
	/* À É Î Õ Ü Ç Ø Þ <-> à é î õ ü ç ø þ */
	check_filter(tmpl_filter_lower, "\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c\xc3\x87\xc3\x98\xc3\x9e",
		     "\xc3\xa0\xc3\xa9\xc3\xae\xc3\xb5\xc3\xbc\xc3\xa7\xc3\xb8\xc3\xbe");
	check_filter(tmpl_filter_upper, "\xc3\xa0\xc3\xa9\xc3\xae\xc3\xb5\xc3\xbc\xc3\xa7\xc3\xb8\xc3\xbe",
		     "\xc3\x80\xc3\x89\xc3\x8e\xc3\x95\xc3\x9c\xc3\x87\xc3\x98\xc3\x9e");
	/* × and ÷ are not letters; ß has no one-character upper case. */
	check_filter(tmpl_filter_lower, "\xc3\x97", "\xc3\x97");
	check_filter(tmpl_filter_upper, "\xc3\xb7\xc3\x9f", "\xc3\xb7\xc3\x9f");
	/* ÿ <-> Ÿ (U+0178) */
	check_filter(tmpl_filter_upper, "\xc3\xbf", "\xc5\xb8");
	check_filter(tmpl_filter_lower, "\xc5\xb8", "\xc3\xbf");
	/* Invalid bytes are kept as they are. */
	check_filter(tmpl_filter_upper, "a\xff" "b", "A\xff" "B");
}

static void case_mapping_latin_extended_a(void **state)
{
	(void)state;
	/* Ł Ą Ć Ę Ń Ś Ź Ż <-> ł ą ć ę ń ś ź ż */
	check_filter(tmpl_filter_lower,
		     "\xc5\x81\xc4\x84\xc4\x86\xc4\x98\xc5\x83\xc5\x9a\xc5\xb9\xc5\xbb",
		     "\xc5\x82\xc4\x85\xc4\x87\xc4\x99\xc5\x84\xc5\x9b\xc5\xba\xc5\xbc");
	check_filter(tmpl_filter_upper,
		     "\xc5\x82\xc4\x85\xc4\x87\xc4\x99\xc5\x84\xc5\x9b\xc5\xba\xc5\xbc",
		     "\xc5\x81\xc4\x84\xc4\x86\xc4\x98\xc5\x83\xc5\x9a\xc5\xb9\xc5\xbb");
	/* Ő Ű Š Č Ž Ĳ Ľ Ŋ <-> ő ű š č ž ĳ ľ ŋ */
	check_filter(tmpl_filter_lower,
		     "\xc5\x90\xc5\xb0\xc5\xa0\xc4\x8c\xc5\xbd\xc4\xb2\xc4\xbd\xc5\x8a",
		     "\xc5\x91\xc5\xb1\xc5\xa1\xc4\x8d\xc5\xbe\xc4\xb3\xc4\xbe\xc5\x8b");
	check_filter(tmpl_filter_upper,
		     "\xc5\x91\xc5\xb1\xc5\xa1\xc4\x8d\xc5\xbe\xc4\xb3\xc4\xbe\xc5\x8b",
		     "\xc5\x90\xc5\xb0\xc5\xa0\xc4\x8c\xc5\xbd\xc4\xb2\xc4\xbd\xc5\x8a");
	/* Already in the target case: unchanged. */
	check_filter(tmpl_filter_lower, "\xc5\x82\xc4\xbe", "\xc5\x82\xc4\xbe");
	check_filter(tmpl_filter_upper, "\xc5\x81\xc4\xbd", "\xc5\x81\xc4\xbd");
}

static void case_mapping_greek_and_cyrillic(void **state)
{
	(void)state;
	/* ΑΒΓΔΣΩ <-> αβγδσω */
	check_filter(tmpl_filter_lower, "\xce\x91\xce\x92\xce\x93\xce\x94\xce\xa3\xce\xa9",
		     "\xce\xb1\xce\xb2\xce\xb3\xce\xb4\xcf\x83\xcf\x89");
	check_filter(tmpl_filter_upper, "\xce\xb1\xce\xb2\xce\xb3\xce\xb4\xcf\x83\xcf\x89",
		     "\xce\x91\xce\x92\xce\x93\xce\x94\xce\xa3\xce\xa9");
	/* ПРИВЕТ <-> привет */
	check_filter(tmpl_filter_lower, "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2",
		     "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82");
	check_filter(tmpl_filter_upper, "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82",
		     "\xd0\x9f\xd0\xa0\xd0\x98\xd0\x92\xd0\x95\xd0\xa2");
	/* Ё Ђ Я <-> ё ђ я */
	check_filter(tmpl_filter_lower, "\xd0\x81\xd0\x82\xd0\xaf", "\xd1\x91\xd1\x92\xd1\x8f");
	check_filter(tmpl_filter_upper, "\xd1\x91\xd1\x92\xd1\x8f", "\xd0\x81\xd0\x82\xd0\xaf");
}

/* Greek names are written with accents (tonos) and end in final sigma: the
 * simple case mapping covers both (ά <-> Ά, έ <-> Έ, ς -> Σ). */
static void case_mapping_greek_accents_and_final_sigma(void **state)
{
	(void)state;
	/* Οδυσσέας -> ΟΔΥΣΣΈΑΣ */
	check_filter(tmpl_filter_upper, "\xce\x9f\xce\xb4\xcf\x85\xcf\x83\xcf\x83\xce\xad\xce\xb1\xcf\x82",
		     "\xce\x9f\xce\x94\xce\xa5\xce\xa3\xce\xa3\xce\x88\xce\x91\xce\xa3");
	/* Ά -> ά */
	check_filter(tmpl_filter_lower, "\xce\x86", "\xce\xac");
}

static void initial_filter(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	check_filter(tmpl_filter_initial, "John", "J");
	check_filter(tmpl_filter_initial, "\xc3\x89lise", "\xc3\x89");
	check_filter(tmpl_filter_initial, "\xe6\x97\xa5\xe6\x9c\xac", "\xe6\x97\xa5");
	check_filter(tmpl_filter_initial, "\xf0\x9f\x98\x80x", "\xf0\x9f\x98\x80");
	check_filter(tmpl_filter_initial, "", "");
	/* Not UTF-8: one byte. */
	tmpl_filter_initial(&b, "\xff" "ab", 3);
	assert_int_equal(b.len, 1);
	assert_int_equal((unsigned char)b.data[0], 0xff);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(text_literals_and_braces),
		cmocka_unit_test(text_missing_values_render_empty),
		cmocka_unit_test(text_filters_and_chains),
		cmocka_unit_test(text_builtins),
		cmocka_unit_test(text_builtin_not_allowed),
		cmocka_unit_test(text_columns_not_allowed),
		cmocka_unit_test(text_unknown_filter),
		cmocka_unit_test(text_unterminated_and_empty_placeholders),
		cmocka_unit_test(text_too_many_filters),
		cmocka_unit_test(text_each_slot),
		cmocka_unit_test(dn_escapes_every_special_value),
		cmocka_unit_test(dn_round_trips_tricky_values),
		cmocka_unit_test(dn_value_of_spaces_is_refused),
		cmocka_unit_test(dn_value_assembled_then_escaped),
		cmocka_unit_test(dn_literal_escapes_are_resolved_then_reapplied),
		cmocka_unit_test(dn_multivalued_rdn_and_filters),
		cmocka_unit_test(dn_empty_value_fails),
		cmocka_unit_test(dn_base_suffix),
		cmocka_unit_test(dn_compile_errors),
		cmocka_unit_test(dn_first_type),
		cmocka_unit_test(dn_fixed_suffix),
		cmocka_unit_test(dn_render_first_value),
		cmocka_unit_test(filter_context_escapes_values),
		cmocka_unit_test(filter_escape_value_direct),
		cmocka_unit_test(single_column),
		cmocka_unit_test(ascii_transliteration),
		cmocka_unit_test(case_mapping_ascii_and_latin1),
		cmocka_unit_test(case_mapping_latin_extended_a),
		cmocka_unit_test(case_mapping_greek_and_cyrillic),
		cmocka_unit_test(case_mapping_greek_accents_and_final_sigma),
		cmocka_unit_test(initial_filter),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
