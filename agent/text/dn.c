#include "agent/text/dn.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/oom.h"
#include "agent/base/utf8.h"

static int is_hex(char c)
{
	return hex_digit(c) >= 0;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* Characters a DN value may have to escape (a space only at either end,
 * '#' only at the start). */
static int may_need_escape(unsigned char c)
{
	switch (c) {
	case '"': case '+': case ',': case ';': case '<': case '>': case '\\': case '=': case '#': case ' ':
		return 1;
	default:
		return c < 0x20 || c == 0x7f;
	}
}

int dn_value_needs_escape(const char *v, size_t len)
{
	size_t i;

	if (len && (v[0] == ' ' || v[0] == '#' || v[len - 1] == ' '))
		return 1;
	for (i = 0; i < len; i++)
		if (may_need_escape((unsigned char)v[i]) && v[i] != ' ' && v[i] != '#')
			return 1;
	return 0;
}

int dn_escape_value(struct buf *out, const char *v, size_t len)
{
	static const char hexdig[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)v[i];
		size_t run = i;

		/* A run of characters that need nothing, at once. */
		while (run < len && !may_need_escape((unsigned char)v[run]))
			run++;
		if (run > i) {
			buf_add(out, v + i, run - i);
			i = run - 1;
			continue;
		}
		if (c < 0x20 || c == 0x7f) {
			buf_addc(out, '\\');
			buf_addc(out, hexdig[c >> 4]);
			buf_addc(out, hexdig[c & 15]);
			continue;
		}
		if (strchr("\"+,;<>\\=", c) || ((c == ' ' || c == '#') && i == 0) ||
		    (c == ' ' && i == len - 1))
			buf_addc(out, '\\');
		buf_addc(out, (char)c);
	}
	return out->failed ? -1 : 0;
}

/* One attribute-value assertion as parsed: the value unescaped (or, for a
 * '#'-hexstring value, kept in its string form with hex_form set). */
struct ava {
	struct buf type, value;
	int hex_form;
};

static void skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

/* Parses "type=value" at *p, leaving *p on the separator (',', '+' or NUL). */
static int parse_ava(const char **p, struct ava *a)
{
	const char *s = *p;
	size_t trailing = 0;

	buf_reset(&a->type);
	buf_reset(&a->value);
	a->hex_form = 0;
	skip_spaces(&s);
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return -1;
	while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
	       *s == '-' || *s == '.')
		buf_addc(&a->type, lower(*s++));
	skip_spaces(&s);
	if (*s++ != '=')
		return -1;
	skip_spaces(&s);
	if (*s == '#') {
		a->hex_form = 1;
		buf_addc(&a->value, *s++);
		while (is_hex(*s))
			buf_addc(&a->value, lower(*s++));
		if (a->value.len < 3 || (a->value.len - 1) % 2)
			return -1;
		skip_spaces(&s);
	} else if (*s == '"') {
		/* RFC 2253 quoted value, still met in old data. */
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			buf_addc(&a->value, *s);
		}
		if (*s++ != '"')
			return -1;
		skip_spaces(&s);
	} else {
		while (*s && *s != ',' && *s != '+') {
			if (*s == '\\') {
				if (is_hex(s[1]) && is_hex(s[2])) {
					buf_addc(&a->value, (char)(hex_digit(s[1]) * 16 + hex_digit(s[2])));
					s += 3;
				} else if (s[1] && (unsigned char)s[1] >= 0x20) {
					buf_addc(&a->value, s[1]);
					s += 2;
				} else {
					return -1;
				}
				trailing = 0;
				continue;
			}
			trailing = *s == ' ' ? trailing + 1 : 0;
			buf_addc(&a->value, *s++);
		}
		/* Unescaped trailing spaces are not part of the value. */
		buf_truncate(&a->value, a->value.len - trailing);
	}
	if (*s && *s != ',' && *s != '+')
		return -1;
	*p = s;
	return 0;
}

static void ava_release(struct ava *a)
{
	buf_release(&a->type);
	buf_release(&a->value);
}

static int ava_cmp(const void *x, const void *y)
{
	const struct ava *a = x, *b = y;
	int c = strcmp(buf_str(&a->type), buf_str(&b->type));

	return c ? c : strcmp(buf_str(&a->value), buf_str(&b->value));
}

static void append_ava(struct buf *out, struct ava *a)
{
	buf_adds(out, buf_str(&a->type));
	buf_addc(out, '=');
	if (a->hex_form) {
		buf_adds(out, buf_str(&a->value));
		return;
	}
	dn_escape_value(out, buf_str(&a->value), a->value.len);
}

/* A DN whose canonical form is itself lower-cased: single-valued RDNs,
 * types of letters, digits, '-' and '.', values with nothing to unescape
 * or escape (no quote, backslash, '+', ';', '<', '>', '=', control
 * character, leading space or '#', trailing space) and no spaces around
 * the separators. What a server returns and what the templates render is
 * nearly always of this kind, and it needs no parsing. */
int dn_is_plain(const char *s)
{
	for (;;) {
		const char *v;
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
			return 0;
		while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		       *s == '.')
			s++;
		if (*s++ != '=' || *s == ' ' || *s == '#')
			return 0;
		for (v = s; *s && *s != ','; s++) {
			unsigned char c = (unsigned char)*s;
			if (c < 0x20 || c == 0x7f || c == '"' || c == '+' || c == ';' || c == '<' || c == '>' ||
			    c == '\\' || c == '=')
				return 0;
		}
		if (s > v && s[-1] == ' ')
			return 0;
		if (!*s)
			return 1;
		s++;
	}
}

int dn_normalize(const char *dn, struct buf *out)
{
	struct ava *avas = NULL;
	size_t n = 0, alloc = 0, i;
	const char *p = dn;
	int rc = 0, first_rdn = 1;

	skip_spaces(&p);
	if (!*p)
		return 0;
	if (dn_is_plain(dn)) {
		size_t len = strlen(dn), k, at = out->len;
		if (buf_grow(out, len) < 0)
			return -1;
		for (k = 0; k < len; k++)
			out->data[at + k] = lower(dn[k]);
		out->len = at + len;
		out->data[out->len] = '\0';
		return 0;
	}
	for (;;) {
		/* Collect the AVAs of one RDN, then emit them sorted. */
		for (;;) {
			if (n == alloc) {
				size_t na = alloc ? alloc * 2 : 4;
				struct ava *t = oom_checked(realloc(avas, na * sizeof *t));
				if (!t) {
					rc = -2;
					goto out;
				}
				avas = t;
				for (i = alloc; i < na; i++) {
					buf_init(&avas[i].type, 0);
					buf_init(&avas[i].value, 0);
				}
				alloc = na;
			}
			rc = parse_ava(&p, &avas[n]);
			if (avas[n].type.failed || avas[n].value.failed)
				rc = -2; /* what it said may come from a value cut short */
			if (rc < 0)
				goto out;
			n++;
			if (*p != '+')
				break;
			p++;
		}
		/* Compared without case: fold before sorting. */
		for (i = 0; i < n; i++)
			if (!avas[i].hex_form)
				for (size_t k = 0; k < avas[i].value.len; k++)
					avas[i].value.data[k] = lower(avas[i].value.data[k]);
		if (n > 1)
			qsort(avas, n, sizeof *avas, ava_cmp);
		if (!first_rdn)
			buf_addc(out, ',');
		first_rdn = 0;
		for (i = 0; i < n; i++) {
			if (i)
				buf_addc(out, '+');
			append_ava(out, &avas[i]);
		}
		n = 0;
		if (!*p)
			break;
		p++; /* the ',' */
	}
	if (out->failed) /* over its cap, or out of memory (oom_count tells) */
		rc = -1;
out:
	for (i = 0; i < alloc; i++)
		ava_release(&avas[i]);
	free(avas);
	return rc;
}

const char *dn_parent(const char *dn)
{
	const char *p;
	int quoted = 0;

	for (p = dn; *p; p++) {
		if (*p == '\\' && p[1]) {
			p++;
		} else if (*p == '"') {
			quoted = !quoted;
		} else if (*p == ',' && !quoted) {
			p++;
			while (*p == ' ')
				p++;
			return *p ? p : NULL;
		}
	}
	return NULL;
}

int dn_first_value(const char *dn, struct buf *out)
{
	struct ava a;
	const char *p = dn;
	int rc;

	buf_init(&a.type, 0);
	buf_init(&a.value, 0);
	rc = parse_ava(&p, &a);
	if (rc == 0)
		buf_add(out, buf_str(&a.value), a.value.len);
	ava_release(&a);
	return rc;
}

int dn_is_under(const char *dn, const char *base)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	int under = 0;

	/* Plain DNs are their canonical forms but for ASCII case, and hold no
	 * escaped ',': compared as they are. */
	if (dn_is_plain(dn) && (!*base || dn_is_plain(base))) {
		size_t len = strlen(dn), blen = strlen(base);
		return !blen || (len == blen && strcasecmp(dn, base) == 0) ||
		       (len > blen && dn[len - blen - 1] == ',' && strcasecmp(dn + len - blen, base) == 0);
	}
	if (dn_normalize(dn, &a) == 0 && dn_normalize(base, &b) == 0) {
		if (b.len == 0)
			under = 1;
		else if (a.len == b.len)
			under = strcmp(buf_str(&a), buf_str(&b)) == 0;
		else if (a.len > b.len && a.data[a.len - b.len - 1] == ',' &&
			 strcmp(a.data + a.len - b.len, buf_str(&b)) == 0) {
			/* The ',' is a separator only when not escaped, that is when
			 * an even number of backslashes precedes it. */
			size_t i = a.len - b.len - 1, slashes = 0;
			while (i > 0 && a.data[i - 1] == '\\')
				i--, slashes++;
			under = slashes % 2 == 0;
		}
	}
	buf_release(&a);
	buf_release(&b);
	return under;
}
