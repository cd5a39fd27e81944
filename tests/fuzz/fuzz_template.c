/* Fuzzing the template engine (agent/text/template.c). The input is the template
 * source, then the values, separated by NUL bytes. The source is compiled
 * in each context (text, DN, filter) with every built-in allowed and any
 * column name accepted; what compiles is rendered with an environment whose
 * columns and built-ins hold the values ({base} and {dn} hold a DN made
 * from the first value by libldap, since a DN template inserts them as a
 * DN).
 *
 * Properties:
 *  - compiling fails only with a message and an offset within the source;
 *    text and filter compile alike, and a DN template is a valid text one;
 *  - text: a literal template renders its literal text whatever the values;
 *  - filter: the values add no unescaped '(', ')', '*', '\' or control
 *    character: each character of a value that RFC 4515 special becomes one
 *    backslash and two hex digits and nothing else changes, and a template
 *    that is one column placeholder renders exactly the escaped value;
 *  - DN (when the source and the values are UTF-8, as the config and the
 *    sources guarantee): a rendered DN parses with libldap's ldap_str2dn()
 *    (LDAPv3) and with dn_normalize(); it has the same RDNs, the same
 *    number of AVAs in each and the same attribute types as the DN rendered
 *    with harmless values, so values cannot change its structure; libldap
 *    reads back exactly the value tmpl_render_first_value() gives for the
 *    first AVA; and the DN ends with its tmpl_dn_fixed_suffix(). */
#include <ldap.h>

#include "agent/base/buf.h"
#include "agent/text/dn.h"
#include "agent/text/template.h"
#include "tests/fuzz/fuzz.h"

#define MAX_PIECES 17
#define ALL_BUILTINS ((1u << TB_COUNT) - 1)

struct columns {
	char **names;
	size_t n;
};

static int column_slot(void *arg, const char *name)
{
	struct columns *c = arg;
	char **t;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->names[i], name) == 0)
			return (int)i;
	t = realloc(c->names, (c->n + 1) * sizeof *t);
	CHECK(t);
	c->names = t;
	CHECK((c->names[c->n] = strdup(name)) != NULL);
	return (int)c->n++;
}

/* "ou=VALUE,dc=example,dc=com", escaped by libldap; a fixed DN when the
 * value cannot be one. */
static char *make_base(const char *value)
{
	static char ou[] = "ou";
	LDAPAVA ava;
	LDAPAVA *rdn[2] = {&ava, NULL};
	LDAPRDN dn[2] = {rdn, NULL};
	LDAPDN check = NULL;
	struct buf b = BUF_INIT;
	char *s = NULL;

	memset(&ava, 0, sizeof ava);
	ava.la_attr.bv_val = ou;
	ava.la_attr.bv_len = 2;
	ava.la_value.bv_val = (char *)value;
	ava.la_value.bv_len = strlen(value);
	ava.la_flags = LDAP_AVA_STRING;
	if (*value && fuzz_utf8_valid(value, strlen(value)) && ldap_dn2str(dn, &s, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS &&
	    s) {
		buf_printf(&b, "%s,dc=example,dc=com", s);
		if (ldap_str2dn(buf_str(&b), &check, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS)
			buf_reset(&b);
		ldap_dnfree(check);
	}
	ldap_memfree(s);
	if (!b.len)
		buf_adds(&b, "ou=x,dc=example,dc=com");
	CHECK(!b.failed);
	return buf_take(&b);
}

static void env_fill(struct tmpl_env *env, const char **fields, size_t n_fields, char *const *values,
		     size_t n_values, const char *base)
{
	size_t i;

	memset(env, 0, sizeof *env);
	for (i = 0; i < n_fields; i++)
		fields[i] = n_values ? values[i % n_values] : NULL;
	env->fields = fields;
	env->n_fields = n_fields;
	for (i = 0; i < TB_COUNT; i++)
		env->builtins[i] = n_values ? values[(n_fields + i) % n_values] : NULL;
	env->builtins[TB_BASE] = base;
	env->builtins[TB_DN] = base;
}

static void render_ok(const struct tmpl *t, const struct tmpl_env *env, struct buf *out)
{
	struct tmpl_error err;

	err.msg[0] = '\0';
	CHECK(tmpl_render(t, env, out, &err) == 0);
	CHECK(!out->failed);
}

static int same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && memcmp(buf_str(a), buf_str(b), a->len) == 0;
}

static int special(unsigned char c)
{
	return c == '(' || c == ')' || c == '*' || c == '\\' || c < 0x20 || c >= 0x7f;
}

static size_t count(const struct buf *b, int (*pred)(unsigned char c, unsigned char arg), unsigned char arg)
{
	size_t i, n = 0;

	for (i = 0; i < b->len; i++)
		n += pred((unsigned char)b->data[i], arg) != 0;
	return n;
}

static int is_char(unsigned char c, unsigned char want)
{
	return c == want;
}

static int is_special(unsigned char c, unsigned char unused)
{
	(void)unused;
	return special(c);
}

static int is_control(unsigned char c, unsigned char unused)
{
	(void)unused;
	return c < 0x20 || c == 0x7f;
}

/* The filter value escaping, written from RFC 4515 (which requires '(',
 * ')', '*', '\' and NUL to be escaped); control characters, DEL and bytes
 * above 0x7f are escaped too, as libldap does. */
static void rfc4515_escape(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (special(c)) {
			buf_addc(out, '\\');
			buf_addc(out, hex[c >> 4]);
			buf_addc(out, hex[c & 15]);
		} else {
			buf_addc(out, (char)c);
		}
	}
}

static void check_text_and_filter(const struct tmpl *tt, const struct tmpl *tf, const struct tmpl_env *env)
{
	struct buf t = BUF_INIT, r = BUF_INIT, l = BUF_INIT, lt = BUF_INIT, want = BUF_INIT;
	struct tmpl_env empty;
	size_t k;

	memset(&empty, 0, sizeof empty);
	render_ok(tt, env, &t);
	render_ok(tf, env, &r);
	render_ok(tf, &empty, &l);
	render_ok(tt, &empty, &lt);
	/* Without values both are the literal text. */
	CHECK(same(&l, &lt));
	if (tmpl_is_literal(tt))
		CHECK(same(&t, &l));
	/* The characters of the values that the filter must escape: each
	 * becomes '\' and two hex digits. */
	CHECK(count(&t, is_special, 0) >= count(&l, is_special, 0));
	k = count(&t, is_special, 0) - count(&l, is_special, 0);
	CHECK(count(&r, is_char, '(') == count(&l, is_char, '('));
	CHECK(count(&r, is_char, ')') == count(&l, is_char, ')'));
	CHECK(count(&r, is_char, '*') == count(&l, is_char, '*'));
	CHECK(count(&r, is_control, 0) == count(&l, is_control, 0));
	CHECK(count(&r, is_char, '\\') == count(&l, is_char, '\\') + k);
	CHECK(r.len == t.len + 2 * k);
	if (tmpl_single_column(tf) >= 0) {
		rfc4515_escape(&want, buf_str(&t), t.len);
		CHECK(same(&r, &want));
	}
	buf_release(&t);
	buf_release(&r);
	buf_release(&l);
	buf_release(&lt);
	buf_release(&want);
}

static size_t rdn_count(LDAPDN dn)
{
	size_t n = 0;

	while (dn && dn[n])
		n++;
	return n;
}

static void check_dn(const struct tmpl *t, const struct tmpl_env *env, const struct tmpl_env *harmless)
{
	struct buf r = BUF_INIT, r0 = BUF_INIT, first = BUF_INIT, suffix = BUF_INIT, norm = BUF_INIT;
	struct tmpl_error err;
	LDAPDN dn = NULL, dn0 = NULL;
	size_t i, j;

	err.msg[0] = '\0';
	if (tmpl_render(t, env, &r, &err) < 0) {
		CHECK(err.msg[0]);
		goto out;
	}
	CHECK(fuzz_utf8_valid(buf_str(&r), r.len));
	CHECK(ldap_str2dn(buf_str(&r), &dn, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS);
	CHECK(dn_normalize(buf_str(&r), &norm) == 0);
	/* The structure comes from the template alone. */
	render_ok(t, harmless, &r0);
	CHECK(ldap_str2dn(buf_str(&r0), &dn0, LDAP_DN_FORMAT_LDAPV3) == LDAP_SUCCESS);
	CHECK(rdn_count(dn) == rdn_count(dn0));
	for (i = 0; i < rdn_count(dn); i++) {
		for (j = 0; dn[i][j] && dn0[i][j]; j++) {
			const struct berval *a = &dn[i][j]->la_attr, *b = &dn0[i][j]->la_attr;
			CHECK(a->bv_len == b->bv_len && memcmp(a->bv_val, b->bv_val, a->bv_len) == 0);
		}
		CHECK(!dn[i][j] && !dn0[i][j]);
	}
	/* The first value, as libldap reads it, is the value rendered. */
	if (tmpl_render_first_value(t, env, &first) == 0) {
		const struct berval *v;
		CHECK(rdn_count(dn) > 0);
		v = &dn[0][0]->la_value;
		CHECK(v->bv_len == first.len && memcmp(v->bv_val, buf_str(&first), first.len) == 0);
	}
	CHECK(tmpl_dn_fixed_suffix(t, env, &suffix) == 0);
	if (suffix.len) {
		CHECK(r.len >= suffix.len && memcmp(r.data + r.len - suffix.len, suffix.data, suffix.len) == 0);
		CHECK(r.len == suffix.len || r.data[r.len - suffix.len - 1] == ',');
	}
out:
	ldap_dnfree(dn);
	ldap_dnfree(dn0);
	buf_release(&r);
	buf_release(&r0);
	buf_release(&first);
	buf_release(&suffix);
	buf_release(&norm);
}

/* Compiles src in ctx; on failure checks the error and returns NULL. */
static struct tmpl *compile(const char *src, enum tmpl_ctx ctx, struct columns *cols, struct tmpl_error *err)
{
	struct tmpl_spec spec = {ctx, ALL_BUILTINS, 1, column_slot, cols};
	struct tmpl *t = NULL;

	memset(err, 0, sizeof *err);
	if (tmpl_compile(src, &spec, &t, err) == 0) {
		CHECK(t);
		CHECK(strcmp(tmpl_source(t), src) == 0);
		return t;
	}
	CHECK(err->msg[0]);
	CHECK(err->offset <= strlen(src));
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *pieces[MAX_PIECES];
	size_t n = fuzz_split(data, size, pieces, MAX_PIECES), i;
	struct columns cols = {NULL, 0};
	struct tmpl_error e_text, e_filter, e_dn;
	struct tmpl *tt, *tf, *td;
	int utf8 = 1;

	tt = compile(pieces[0], TMPL_TEXT, &cols, &e_text);
	tf = compile(pieces[0], TMPL_FILTER, &cols, &e_filter);
	td = compile(pieces[0], TMPL_DN, &cols, &e_dn);
	CHECK(!tt == !tf);
	if (!tt)
		CHECK(e_text.offset == e_filter.offset && strcmp(e_text.msg, e_filter.msg) == 0);
	CHECK(!td || tt);
	for (i = 0; i < n; i++)
		utf8 &= fuzz_utf8_valid(pieces[i], strlen(pieces[i]));
	if (tt) {
		const char **fields = calloc(cols.n ? cols.n : 1, sizeof *fields);
		const char **plain = calloc(cols.n ? cols.n : 1, sizeof *plain);
		char *harmless_value[] = {(char *)"v"};
		char *base = make_base(n > 1 ? pieces[1] : "");
		char harmless_base[] = "ou=v,dc=example,dc=com";
		struct tmpl_env env, harmless;

		CHECK(fields && plain);
		env_fill(&env, fields, cols.n, pieces + 1, n - 1, base);
		env_fill(&harmless, plain, cols.n, harmless_value, 1, harmless_base);
		check_text_and_filter(tt, tf, &env);
		if (td && utf8)
			check_dn(td, &env, &harmless);
		free(fields);
		free(plain);
		free(base);
	}
	tmpl_free(tt);
	tmpl_free(tf);
	tmpl_free(td);
	for (i = 0; i < cols.n; i++)
		free(cols.names[i]);
	free(cols.names);
	fuzz_pieces_free(pieces, n);
	return 0;
}
