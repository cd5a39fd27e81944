#include "agent/text/template.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/text/dn.h"
#include "agent/text/filter.h"
#include "agent/base/oom.h"
#include "agent/base/utf8.h"

enum part_kind { P_LIT, P_COL, P_BUILTIN };
enum filter { F_LOWER, F_UPPER, F_ASCII, F_INITIAL };

#define MAX_FILTERS 8

struct part {
	enum part_kind kind;
	char *text; /* P_LIT: the literal, with "{{" and "}}" resolved */
	size_t len;
	int index;  /* P_COL: the slot; P_BUILTIN: the built-in */
	size_t offset;
	unsigned char filters[MAX_FILTERS];
	unsigned n_filters;
};

/* One attribute-value assertion of a DN template: a literal attribute type
 * and a value assembled from parts. */
struct dn_ava {
	char *type;
	struct part *parts;
	size_t n_parts;
	int plus; /* joined to the previous AVA with '+' (same RDN) */
};

struct tmpl {
	char *src;
	enum tmpl_ctx ctx;
	struct part *parts; /* TEXT and FILTER */
	size_t n_parts;
	struct dn_ava *avas; /* DN */
	size_t n_avas;
	int suffix;         /* DN: the built-in inserted as a trailing DN, or -1 */
	unsigned builtins;  /* TB_BIT set of the built-ins used */
	int placeholders;   /* how many placeholders */
};

static const char *const builtin_names[TB_COUNT] = {
	[TB_BASE] = "base",           [TB_ROLE] = "role",
	[TB_DN] = "dn",               [TB_USERNAME] = "username",
	[TB_PASSWORD] = "password",   [TB_LOGIN_URL] = "login_url",
	[TB_FIRST_NAME] = "first_name", [TB_LAST_NAME] = "last_name",
	[TB_ACCOUNT] = "account",     [TB_LINK] = "link",
	[TB_LINK_EXPIRES] = "link_expires",
};

static const char *const filter_names[] = {"lower", "upper", "ascii", "initial"};

const char *tmpl_builtin_name(enum tmpl_builtin b)
{
	return b < TB_COUNT ? builtin_names[b] : "?";
}

static int fail(struct tmpl_error *err, size_t offset, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct tmpl_error *err, size_t offset, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->offset = offset;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof err->msg, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Counted (agent/base/oom.h): a caller that reports err as a problem of the
 * text learns it was memory's. */
static int fail_oom(struct tmpl_error *err, size_t offset)
{
	oom_note();
	return fail(err, offset, "out of memory");
}

static void parts_free(struct part *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(p[i].text);
	free(p);
}

void tmpl_free(struct tmpl *t)
{
	size_t i;

	if (!t)
		return;
	parts_free(t->parts, t->n_parts);
	for (i = 0; i < t->n_avas; i++) {
		free(t->avas[i].type);
		parts_free(t->avas[i].parts, t->avas[i].n_parts);
	}
	free(t->avas);
	free(t->src);
	free(t);
}

static int push_part(struct part **v, size_t *n, const struct part *p)
{
	struct part *t = realloc(*v, (*n + 1) * sizeof *t);

	if (!t)
		return -1;
	t[(*n)++] = *p;
	*v = t;
	return 0;
}

static int push_lit(struct part **v, size_t *n, const char *s, size_t len, size_t offset)
{
	struct part p = {.kind = P_LIT, .offset = offset, .len = len};

	if (!len)
		return 0;
	/* Merge with a preceding literal so that literals stay whole. */
	if (*n && (*v)[*n - 1].kind == P_LIT) {
		struct part *last = &(*v)[*n - 1];
		char *t = realloc(last->text, last->len + len + 1);
		if (!t)
			return -1;
		memcpy(t + last->len, s, len);
		last->len += len;
		t[last->len] = '\0';
		last->text = t;
		return 0;
	}
	p.text = malloc(len + 1);
	if (!p.text)
		return -1;
	memcpy(p.text, s, len);
	p.text[len] = '\0';
	if (push_part(v, n, &p) < 0) {
		free(p.text);
		return -1;
	}
	return 0;
}

static void trim(const char **s, const char **e)
{
	while (*s < *e && **s == ' ')
		(*s)++;
	while (*e > *s && (*e)[-1] == ' ')
		(*e)--;
}

/* Parses the inside of "{...}" (from s to e, offset of s in the source) into
 * a placeholder part. */
static int parse_placeholder(struct tmpl *t, const char *s, const char *e, size_t off,
			     const struct tmpl_spec *spec, struct part *p, struct tmpl_error *err)
{
	const char *bar = memchr(s, '|', (size_t)(e - s));
	const char *ne = bar ? bar : e, *ns = s;
	char name[256];
	size_t len, b;

	trim(&ns, &ne);
	len = (size_t)(ne - ns);
	if (!len)
		return fail(err, off, "empty placeholder {}");
	if (len >= sizeof name)
		return fail(err, off, "placeholder name too long");
	memcpy(name, ns, len);
	name[len] = '\0';
	if (strchr(name, '{'))
		return fail(err, off - 1, "'{' inside a placeholder; write {{ for a literal brace");
	memset(p, 0, sizeof *p);
	p->offset = off - 1;
	for (b = 0; b < TB_COUNT; b++)
		if (strcmp(name, builtin_names[b]) == 0)
			break;
	if (b < TB_COUNT) {
		if (!(spec->builtins & TB_BIT(b)))
			return fail(err, off - 1, "{%s} is not available here", name);
		p->kind = P_BUILTIN;
		p->index = (int)b;
		t->builtins |= TB_BIT(b);
	} else if (spec->allow_columns) {
		p->kind = P_COL;
		p->index = spec->column_slot(spec->arg, name);
		if (p->index < 0)
			return fail_oom(err, off - 1);
	} else {
		return fail(err, off - 1, "unknown placeholder {%s}", name);
	}
	while (bar) {
		const char *fs = bar + 1, *fe;
		size_t f, flen;

		bar = memchr(fs, '|', (size_t)(e - fs));
		fe = bar ? bar : e;
		trim(&fs, &fe);
		flen = (size_t)(fe - fs);
		for (f = 0; f < sizeof filter_names / sizeof *filter_names; f++)
			if (strlen(filter_names[f]) == flen && memcmp(fs, filter_names[f], flen) == 0)
				break;
		if (f == sizeof filter_names / sizeof *filter_names)
			return fail(err, off + (size_t)(fs - s), "unknown filter '%.*s' in {%s} (known: lower, upper, ascii, initial)",
				    (int)(flen > 64 ? 64 : flen), fs, name);
		if (p->n_filters == MAX_FILTERS)
			return fail(err, off + (size_t)(fs - s), "too many filters");
		p->filters[p->n_filters++] = (unsigned char)f;
	}
	t->placeholders++;
	return 0;
}

/* Splits src into literal and placeholder parts. */
static int tokenize(struct tmpl *t, const char *src, const struct tmpl_spec *spec,
		    struct part **parts, size_t *n, struct tmpl_error *err)
{
	const char *p = src, *run = src;

	while (*p) {
		if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
			if (push_lit(parts, n, run, (size_t)(p - run) + 1, (size_t)(run - src)) < 0)
				return fail_oom(err, 0);
			p += 2;
			run = p;
		} else if (*p == '{') {
			const char *close = strchr(p + 1, '}');
			struct part ph;

			if (!close)
				return fail(err, (size_t)(p - src), "unterminated placeholder (missing '}')");
			if (push_lit(parts, n, run, (size_t)(p - run), (size_t)(run - src)) < 0)
				return fail_oom(err, 0);
			if (parse_placeholder(t, p + 1, close, (size_t)(p + 1 - src), spec, &ph, err) < 0)
				return -1;
			if (push_part(parts, n, &ph) < 0)
				return fail_oom(err, 0);
			p = close + 1;
			run = p;
		} else {
			p++;
		}
	}
	if (push_lit(parts, n, run, (size_t)(p - run), (size_t)(run - src)) < 0)
		return fail_oom(err, 0);
	return 0;
}

static int is_type_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '.';
}

/* An attribute type as RFC 4512 writes it: a descr (a letter, then
 * letters, digits and '-') or a numericoid (numbers without leading zeros,
 * joined by '.'). Anything else would make every rendered DN invalid. */
static int valid_type(const char *s)
{
	if ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z')) {
		while (*++s)
			if (*s == '.')
				return 0;
		return 1;
	}
	for (;;) {
		if (*s < '0' || *s > '9' || (*s == '0' && s[1] >= '0' && s[1] <= '9'))
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
		if (!*s)
			return 1;
		if (*s++ != '.')
			return 0;
	}
}

/* Turning a DN template's tokens into AVAs, one character or placeholder
 * at a time. */
struct dn_builder {
	struct tmpl *t;
	struct tmpl_error *err;
	enum { TYPE, VALUE, AFTER_SUFFIX } state;
	struct buf type;        /* the attribute type being read */
	struct buf lit;         /* the literal text of the value being read */
	struct dn_ava *cur;     /* the AVA whose value is being read */
	size_t lit_off;         /* where lit starts in the template */
	size_t pending_spaces;  /* unescaped spaces at the end of lit */
	int plus;               /* the AVA follows a '+' (multi-valued RDN) */
};

/* Moves the literal text read so far into the current value. It must
 * still be UTF-8 once its escapes are resolved. */
static int dn_flush_lit(struct dn_builder *B)
{
	if (B->lit.failed)
		return fail_oom(B->err, 0);
	if (utf8_validate(buf_str(&B->lit), B->lit.len) != B->lit.len)
		return fail(B->err, B->lit_off, "invalid UTF-8 in a DN value (check its \\XX escapes)");
	if (B->lit.len && push_lit(&B->cur->parts, &B->cur->n_parts, B->lit.data, B->lit.len, B->lit_off) < 0)
		return fail_oom(B->err, 0);
	buf_reset(&B->lit);
	return 0;
}

/* A placeholder: part of a value, or {base}/{dn} standing for the rest of
 * the DN. */
static int dn_placeholder(struct dn_builder *B, struct part *p)
{
	struct tmpl *t = B->t;

	if (B->state == AFTER_SUFFIX)
		return fail(B->err, p->offset, "nothing may follow {%s} in a DN", builtin_names[t->suffix]);
	if (B->state == TYPE) {
		if (B->type.len)
			return fail(B->err, p->offset, "a placeholder cannot be part of an attribute type");
		if (p->kind != P_BUILTIN || (p->index != TB_BASE && p->index != TB_DN) || p->n_filters)
			return fail(B->err, p->offset,
				    "expected attribute=value in a DN, found a placeholder; only {base} or {dn} may stand for a whole DN");
		if (B->plus)
			return fail(B->err, p->offset, "{%s} cannot follow '+'", builtin_names[p->index]);
		t->suffix = p->index;
		B->state = AFTER_SUFFIX;
		return 0;
	}
	B->pending_spaces = 0;
	if (dn_flush_lit(B) < 0)
		return -1;
	if (push_part(&B->cur->parts, &B->cur->n_parts, p) < 0)
		return fail_oom(B->err, 0);
	p->kind = P_LIT; /* moved: the copy owns nothing, the text stays NULL */
	p->text = NULL;
	return 0;
}

/* A character of an attribute type; '=' ends it and starts an AVA. */
static int dn_type_char(struct dn_builder *B, char c, size_t off)
{
	struct tmpl *t = B->t;
	struct dn_ava *na;

	if (c == ' ' && !B->type.len)
		return 0;
	if (c != '=') {
		if (!is_type_char(c))
			return fail(B->err, off, "unexpected '%c' in an attribute type", c);
		return buf_addc(&B->type, c) < 0 ? fail_oom(B->err, 0) : 0;
	}
	if (!B->type.len)
		return fail(B->err, off, "missing attribute type before '='");
	if (!valid_type(buf_str(&B->type)))
		return fail(B->err, off - B->type.len, "'%s' is not an attribute type (a name such as uid, or a numeric OID)",
			    buf_str(&B->type));
	na = realloc(t->avas, (t->n_avas + 1) * sizeof *na);
	if (!na)
		return fail_oom(B->err, 0);
	t->avas = na;
	B->cur = &t->avas[t->n_avas++];
	memset(B->cur, 0, sizeof *B->cur);
	B->cur->type = buf_take(&B->type);
	B->cur->plus = B->plus;
	B->state = VALUE;
	B->lit_off = off + 1;
	B->pending_spaces = 0;
	return 0;
}

/* A character of a value at text[*k] (of len): an escape (which may use
 * the next two), a separator, or data. */
static int dn_value_char(struct dn_builder *B, const char *text, size_t len, size_t *k, size_t off)
{
	char c = text[*k];

	if (c == '\\') {
		char e = *k + 1 < len ? text[*k + 1] : '\0';
		if (hex_digit(e) >= 0 && *k + 2 < len && hex_digit(text[*k + 2]) >= 0) {
			char v = (char)(hex_digit(e) * 16 + hex_digit(text[*k + 2]));
			/* The literal is a C string: a NUL would end it. */
			if (!v)
				return fail(B->err, off, "\\00 (NUL) cannot be part of a DN value");
			buf_addc(&B->lit, v);
			*k += 2;
		} else if (e && (unsigned char)e >= 0x20) {
			buf_addc(&B->lit, e);
			*k += 1;
		} else {
			return fail(B->err, off, "a backslash must escape a character");
		}
		B->pending_spaces = 0;
		return 0;
	}
	if (c == ',' || c == '+') {
		/* Unescaped spaces before a separator are not data. */
		buf_truncate(&B->lit, B->lit.len - B->pending_spaces);
		if (dn_flush_lit(B) < 0)
			return -1;
		B->plus = c == '+';
		B->state = TYPE;
		return 0;
	}
	if (!B->lit.len && !B->cur->n_parts && c == ' ')
		return 0;
	if (!B->lit.len)
		B->lit_off = off;
	B->pending_spaces = c == ' ' ? B->pending_spaces + 1 : 0;
	buf_addc(&B->lit, c);
	return 0;
}

/* Literal text: DN syntax, character by character. */
static int dn_literal(struct dn_builder *B, const struct part *p)
{
	size_t k;
	int rc = 0;

	for (k = 0; k < p->len && rc == 0; k++) {
		size_t off = p->offset + k;
		if (B->state == AFTER_SUFFIX)
			rc = p->text[k] == ' '
				     ? 0
				     : fail(B->err, off, "nothing may follow {%s} in a DN", builtin_names[B->t->suffix]);
		else if (B->state == TYPE)
			rc = dn_type_char(B, p->text[k], off);
		else
			rc = dn_value_char(B, p->text, p->len, &k, off);
	}
	return rc;
}

/* Turns the token list of a DN template into AVAs. The literal text is DN
 * syntax: "type=" starts a value, an unescaped ',' or '+' ends it, and
 * backslash escapes in literals are resolved (the whole value is escaped
 * again at render time). */
static int build_dn(struct tmpl *t, struct part *parts, size_t n, struct tmpl_error *err)
{
	struct dn_builder B = {t, err, TYPE, BUF_INIT, BUF_INIT, NULL, 0, 0, 0};
	size_t i;
	int rc = 0;

	t->suffix = -1;
	for (i = 0; i < n && rc == 0; i++)
		rc = parts[i].kind == P_LIT ? dn_literal(&B, &parts[i]) : dn_placeholder(&B, &parts[i]);
	if (rc == 0 && B.state == TYPE)
		rc = fail(err, strlen(t->src), t->n_avas ? "the DN ends with a separator" : "a DN template needs attribute=value");
	if (rc == 0 && B.state == VALUE) {
		buf_truncate(&B.lit, B.lit.len - B.pending_spaces);
		rc = dn_flush_lit(&B);
	}
	buf_release(&B.type);
	buf_release(&B.lit);
	return rc;
}

int tmpl_compile(const char *src, const struct tmpl_spec *spec, struct tmpl **out,
		 struct tmpl_error *err)
{
	struct tmpl *t = calloc(1, sizeof *t);
	struct part *parts = NULL;
	size_t n = 0;

	if (!t || !(t->src = strdup(src))) {
		free(t);
		return fail_oom(err, 0);
	}
	t->ctx = spec->ctx;
	t->suffix = -1;
	if (tokenize(t, src, spec, &parts, &n, err) < 0)
		goto bad;
	if (spec->ctx == TMPL_DN) {
		if (build_dn(t, parts, n, err) < 0)
			goto bad;
		parts_free(parts, n);
	} else {
		t->parts = parts;
		t->n_parts = n;
	}
	*out = t;
	return 0;
bad:
	parts_free(parts, n);
	tmpl_free(t);
	return -1;
}

const char *tmpl_source(const struct tmpl *t)
{
	return t->src;
}

int tmpl_is_literal(const struct tmpl *t)
{
	return t->placeholders == 0;
}

int tmpl_single_column(const struct tmpl *t)
{
	unsigned i;

	if (t->ctx == TMPL_DN || t->n_parts != 1 || t->parts[0].kind != P_COL)
		return -1;
	for (i = 0; i < t->parts[0].n_filters; i++)
		if (t->parts[0].filters[i] != F_LOWER && t->parts[0].filters[i] != F_UPPER)
			return -1;
	return t->parts[0].index;
}

int tmpl_column(const struct tmpl *t)
{
	if (t->ctx != TMPL_TEXT || t->n_parts != 1 || t->parts[0].kind != P_COL || t->parts[0].n_filters)
		return -1;
	return t->parts[0].index;
}

const char *tmpl_dn_first_type(const struct tmpl *t)
{
	return t->ctx == TMPL_DN && t->n_avas ? t->avas[0].type : NULL;
}

int tmpl_uses_builtin(const struct tmpl *t, enum tmpl_builtin b)
{
	return (t->builtins & TB_BIT(b)) != 0;
}

static void each_slot(const struct part *p, size_t n, void (*fn)(void *, int), void *arg)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].kind == P_COL)
			fn(arg, p[i].index);
}

void tmpl_each_slot(const struct tmpl *t, void (*fn)(void *arg, int slot), void *arg)
{
	size_t i;

	each_slot(t->parts, t->n_parts, fn, arg);
	for (i = 0; i < t->n_avas; i++)
		each_slot(t->avas[i].parts, t->avas[i].n_parts, fn, arg);
}

/* --- filters ------------------------------------------------------------ */

/* Simple case mapping for the scripts names in directories are written in:
 * ASCII, Latin-1, Latin Extended-A, Greek and Cyrillic. */
static uint32_t to_lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	/* Greek capitals with tonos. */
	if (c == 0x386)
		return 0x3ac;
	if (c >= 0x388 && c <= 0x38a)
		return c + 37;
	if (c == 0x38c)
		return 0x3cc;
	if (c == 0x38e || c == 0x38f)
		return c + 63;
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7) || (c >= 0x391 && c <= 0x3a9 && c != 0x3a2) ||
	    (c >= 0x410 && c <= 0x42f))
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c == 0x178)
		return 0xff;
	if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c | 1;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c + 1 : c;
	return c;
}

static uint32_t to_upper(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if (c == 0x3ac)
		return 0x386;
	if (c >= 0x3ad && c <= 0x3af)
		return c - 37;
	if (c == 0x3cc)
		return 0x38c;
	if (c == 0x3cd || c == 0x3ce)
		return c - 63;
	if (c == 0x3c2) /* final sigma */
		return 0x3a3;
	if ((c >= 0xe0 && c <= 0xfe && c != 0xf7) || (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) ||
	    (c >= 0x430 && c <= 0x44f))
		return c - 32;
	if (c >= 0x450 && c <= 0x45f)
		return c - 80;
	if (c == 0xff)
		return 0x178;
	if ((c >= 0x100 && c <= 0x12f) || (c >= 0x132 && c <= 0x137) || (c >= 0x14a && c <= 0x177))
		return c & ~1u;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c : c - 1;
	return c;
}

static void map_chars(struct buf *out, const char *s, size_t len, uint32_t (*fn)(uint32_t))
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		n = utf8_decode(s + i, len - i, &cp);
		if (!n) { /* not UTF-8: keep the byte */
			buf_addc(out, s[i++]);
			continue;
		}
		utf8_encode(out, fn(cp));
		i += n;
	}
}

void tmpl_filter_lower(struct buf *out, const char *s, size_t len)
{
	map_chars(out, s, len, to_lower);
}

void tmpl_filter_upper(struct buf *out, const char *s, size_t len)
{
	map_chars(out, s, len, to_upper);
}

/* ASCII renderings of U+00C0..U+017F; "" drops the character. */
static const char *const latin_ascii[] = {
	/* C0 */ "A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E", "I", "I", "I", "I",
	/* D0 */ "D", "N", "O", "O", "O", "O", "O", "x", "O", "U", "U", "U", "U", "Y", "TH", "ss",
	/* E0 */ "a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e", "i", "i", "i", "i",
	/* F0 */ "d", "n", "o", "o", "o", "o", "o", "", "o", "u", "u", "u", "u", "y", "th", "y",
	/* 100 */ "A", "a", "A", "a", "A", "a", "C", "c", "C", "c", "C", "c", "C", "c", "D", "d",
	/* 110 */ "D", "d", "E", "e", "E", "e", "E", "e", "E", "e", "E", "e", "G", "g", "G", "g",
	/* 120 */ "G", "g", "G", "g", "H", "h", "H", "h", "I", "i", "I", "i", "I", "i", "I", "i",
	/* 130 */ "I", "i", "IJ", "ij", "J", "j", "K", "k", "k", "L", "l", "L", "l", "L", "l", "L",
	/* 140 */ "l", "L", "l", "N", "n", "N", "n", "N", "n", "n", "N", "n", "O", "o", "O", "o",
	/* 150 */ "O", "o", "OE", "oe", "R", "r", "R", "r", "R", "r", "S", "s", "S", "s", "S", "s",
	/* 160 */ "S", "s", "T", "t", "T", "t", "T", "t", "U", "u", "U", "u", "U", "u", "U", "u",
	/* 170 */ "U", "u", "U", "u", "W", "w", "Y", "y", "Y", "Z", "z", "Z", "z", "Z", "z", "s",
};

static const char *ascii_for(uint32_t cp)
{
	if (cp >= 0xc0 && cp <= 0x17f)
		return latin_ascii[cp - 0xc0];
	switch (cp) {
	case 0xa0: return " ";
	case 0x2010: case 0x2011: case 0x2012: case 0x2013: case 0x2014: return "-";
	case 0x2018: case 0x2019: case 0x201b: return "'";
	case 0x201c: case 0x201d: return "\"";
	case 0x218: return "S";
	case 0x219: return "s";
	case 0x21a: return "T";
	case 0x21b: return "t";
	}
	return "";
}

void tmpl_filter_ascii(struct buf *out, const char *s, size_t len)
{
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if ((unsigned char)s[i] < 0x80) {
			buf_addc(out, s[i++]);
			continue;
		}
		n = utf8_decode(s + i, len - i, &cp);
		if (!n) {
			i++;
			continue;
		}
		buf_adds(out, ascii_for(cp));
		i += n;
	}
}

void tmpl_filter_initial(struct buf *out, const char *s, size_t len)
{
	uint32_t cp;
	size_t n;

	if (!len)
		return;
	n = utf8_decode(s, len, &cp);
	buf_add(out, s, n ? n : 1);
}

/* --- rendering ---------------------------------------------------------- */

static const char *part_value(const struct part *p, const struct tmpl_env *env)
{
	const char *v = NULL;

	if (p->kind == P_COL)
		v = p->index >= 0 && (size_t)p->index < env->n_fields ? env->fields[p->index] : NULL;
	else if (p->kind == P_BUILTIN)
		v = env->builtins[p->index];
	else
		v = p->text;
	return v ? v : "";
}

/* Appends the value of a placeholder with its filters applied. */
static void render_part(const struct part *p, const struct tmpl_env *env, struct buf *out)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	const char *v = part_value(p, env);
	size_t len = strlen(v), i;

	/* A filtered password leaves no copy behind in freed memory. */
	a.secret = b.secret = p->kind == P_BUILTIN && p->index == TB_PASSWORD;
	if (p->kind == P_LIT || !p->n_filters) {
		buf_add(out, v, len);
		return;
	}
	for (i = 0; i < p->n_filters; i++) {
		buf_reset(&b);
		switch ((enum filter)p->filters[i]) {
		case F_LOWER: tmpl_filter_lower(&b, v, len); break;
		case F_UPPER: tmpl_filter_upper(&b, v, len); break;
		case F_ASCII: tmpl_filter_ascii(&b, v, len); break;
		case F_INITIAL: tmpl_filter_initial(&b, v, len); break;
		}
		/* The result becomes the input of the next filter. */
		struct buf t = a;
		a = b;
		b = t;
		v = buf_str(&a);
		len = a.len;
	}
	buf_add(out, v, len);
	buf_release(&a);
	buf_release(&b);
}

static void render_ava_value(const struct dn_ava *a, const struct tmpl_env *env, struct buf *out)
{
	size_t i;

	for (i = 0; i < a->n_parts; i++)
		render_part(&a->parts[i], env, out);
}

int tmpl_render(const struct tmpl *t, const struct tmpl_env *env, struct buf *out,
		struct tmpl_error *err)
{
	struct buf v = BUF_INIT;
	size_t i;
	int rc = 0;

	if (t->ctx != TMPL_DN) {
		for (i = 0; i < t->n_parts; i++) {
			if (t->ctx == TMPL_FILTER && t->parts[i].kind != P_LIT) {
				buf_reset(&v);
				render_part(&t->parts[i], env, &v);
				filter_escape_value(out, buf_str(&v), v.len);
			} else {
				render_part(&t->parts[i], env, out);
			}
		}
		buf_release(&v);
		return out->failed ? fail_oom(err, 0) : 0;
	}
	for (i = 0; i < t->n_avas; i++) {
		const struct dn_ava *a = &t->avas[i];
		size_t at, k;

		if (i)
			buf_addc(out, a->plus ? '+' : ',');
		buf_adds(out, a->type);
		buf_addc(out, '=');
		/* The value is rendered in place; the rare one that needs
		 * escaping is escaped from a copy. */
		at = out->len;
		render_ava_value(a, env, out);
		if (out->failed)
			break;
		for (k = at; k < out->len && out->data[k] == ' '; k++)
			;
		if (k == out->len) {
			rc = fail(err, 0, "the DN needs a value for %s", a->type);
			break;
		}
		if (dn_value_needs_escape(out->data + at, out->len - at)) {
			buf_reset(&v);
			buf_add(&v, out->data + at, out->len - at);
			buf_truncate(out, at);
			dn_escape_value(out, buf_str(&v), v.len);
		}
	}
	if (rc == 0 && t->suffix >= 0) {
		const char *s = env->builtins[t->suffix];
		if (s && *s) {
			if (t->n_avas)
				buf_addc(out, ',');
			buf_adds(out, s);
		}
	}
	buf_release(&v);
	if (rc == 0 && out->failed)
		rc = fail_oom(err, 0);
	return rc;
}

int tmpl_render_first_value(const struct tmpl *t, const struct tmpl_env *env, struct buf *out)
{
	if (t->ctx != TMPL_DN || !t->n_avas)
		return -1;
	render_ava_value(&t->avas[0], env, out);
	return out->failed ? -1 : 0;
}

static int ava_is_fixed(const struct dn_ava *a)
{
	size_t i;

	for (i = 0; i < a->n_parts; i++)
		if (a->parts[i].kind == P_COL ||
		    (a->parts[i].kind == P_BUILTIN && a->parts[i].index != TB_BASE))
			return 0;
	return 1;
}

int tmpl_dn_fixed_suffix(const struct tmpl *t, const struct tmpl_env *env, struct buf *out)
{
	struct buf v = BUF_INIT;
	size_t first, i;
	int any = 0;

	if (t->ctx != TMPL_DN)
		return -1;
	first = t->n_avas;
	while (first > 0 && ava_is_fixed(&t->avas[first - 1]))
		first--;
	/* Never start inside a multi-valued RDN. */
	while (first < t->n_avas && t->avas[first].plus)
		first++;
	for (i = first; i < t->n_avas; i++) {
		buf_reset(&v);
		render_ava_value(&t->avas[i], env, &v);
		if (any)
			buf_addc(out, t->avas[i].plus ? '+' : ',');
		buf_adds(out, t->avas[i].type);
		buf_addc(out, '=');
		dn_escape_value(out, buf_str(&v), v.len);
		any = 1;
	}
	if (t->suffix >= 0 && env->builtins[t->suffix] && *env->builtins[t->suffix]) {
		if (any)
			buf_addc(out, ',');
		buf_adds(out, env->builtins[t->suffix]);
	}
	buf_release(&v);
	return out->failed ? -1 : 0;
}
