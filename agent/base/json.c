#include "agent/base/json.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/oom.h"
#include "agent/base/utf8.h"

int json_add_string(struct buf *b, const char *s)
{
	const char *run = s, *end = s + strlen(s);
	uint32_t cp;

	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = NULL;
		char hex[8];
		size_t n;

		if (c >= 0x80) {
			/* Valid UTF-8 goes as it is; a byte that is not (a
			 * server's message in another charset, say) becomes
			 * U+FFFD, so that the line stays JSON a reader takes. */
			if ((n = utf8_decode(s, (size_t)(end - s), &cp)) > 0) {
				s += n - 1;
				continue;
			}
			esc = "\\ufffd";
		} else if (c == '"')
			esc = "\\\"";
		else if (c == '\\')
			esc = "\\\\";
		else if (c == '\n')
			esc = "\\n";
		else if (c == '\r')
			esc = "\\r";
		else if (c == '\t')
			esc = "\\t";
		else if (c < 0x20 || c == 0x7f) {
			snprintf(hex, sizeof hex, "\\u%04x", c);
			esc = hex;
		}
		if (esc) {
			buf_add(b, run, (size_t)(s - run));
			buf_adds(b, esc);
			run = s + 1;
		}
	}
	buf_add(b, run, (size_t)(s - run));
	return buf_addc(b, '"');
}

int json_add_member_str(struct buf *b, const char *key, const char *value)
{
	json_add_string(b, key);
	buf_addc(b, ':');
	if (!value)
		return buf_adds(b, "null");
	return json_add_string(b, value);
}

/* --- reading ---------------------------------------------------------------- */

#define JSON_MAX_DEPTH 64

struct parser {
	const char *s, *end;
	const char *start;
	char *err;
	size_t errsize;
	int depth;
};

static struct json *fail_at(struct parser *p, const char *msg)
{
	if (p->err && !p->err[0])
		snprintf(p->err, p->errsize, "offset %zu: %s", (size_t)(p->s - p->start), msg);
	return NULL;
}

static void skip_ws(struct parser *p)
{
	while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
		p->s++;
}

static struct json *new_value(enum json_type t)
{
	struct json *v = oom_checked(calloc(1, sizeof *v));

	if (v)
		v->type = t;
	return v;
}

static int hex4(const char *s, unsigned *out)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < 4; i++) {
		char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			v |= (unsigned)((c | 0x20) - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

static char *parse_string(struct parser *p)
{
	struct buf b = BUF_INIT;

	p->s++; /* the opening quote */
	while (p->s < p->end && *p->s != '"') {
		unsigned char c = (unsigned char)*p->s;
		if (c < 0x20) {
			fail_at(p, "control character in a string");
			goto bad;
		}
		if (c != '\\') {
			buf_addc(&b, (char)c);
			p->s++;
			continue;
		}
		if (++p->s >= p->end)
			break;
		switch (*p->s) {
		case '"': buf_addc(&b, '"'); break;
		case '\\': buf_addc(&b, '\\'); break;
		case '/': buf_addc(&b, '/'); break;
		case 'b': buf_addc(&b, '\b'); break;
		case 'f': buf_addc(&b, '\f'); break;
		case 'n': buf_addc(&b, '\n'); break;
		case 'r': buf_addc(&b, '\r'); break;
		case 't': buf_addc(&b, '\t'); break;
		case 'u': {
			unsigned cp, lo;
			if (p->end - p->s < 5 || hex4(p->s + 1, &cp) < 0) {
				fail_at(p, "bad \\u escape");
				goto bad;
			}
			p->s += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (p->end - p->s < 7 || p->s[1] != '\\' || p->s[2] != 'u' || hex4(p->s + 3, &lo) < 0 ||
				    lo < 0xdc00 || lo > 0xdfff) {
					fail_at(p, "unpaired surrogate");
					goto bad;
				}
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				p->s += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				fail_at(p, "unpaired surrogate");
				goto bad;
			}
			if (cp == 0) {
				fail_at(p, "NUL in a string");
				goto bad;
			}
			utf8_encode(&b, cp);
			break;
		}
		default:
			fail_at(p, "bad escape");
			goto bad;
		}
		p->s++;
	}
	if (p->s >= p->end) {
		fail_at(p, "unterminated string");
		goto bad;
	}
	p->s++;
	if (b.failed) {
		fail_at(p, "out of memory");
		goto bad;
	}
	if (utf8_validate(buf_str(&b), b.len) != b.len) {
		fail_at(p, "invalid UTF-8 in a string");
		goto bad;
	}
	return buf_take(&b);
bad:
	buf_release(&b);
	return NULL;
}

static struct json *parse_value(struct parser *p);

static int push_item(struct json *v, struct json *item, char *key)
{
	struct json **items = oom_checked(realloc(v->items, (v->n + 1) * sizeof *items));
	char **keys;

	if (!items)
		return -1;
	v->items = items;
	if (v->type == JSON_OBJECT) {
		keys = oom_checked(realloc(v->keys, (v->n + 1) * sizeof *keys));
		if (!keys)
			return -1;
		v->keys = keys;
		v->keys[v->n] = key;
	}
	v->items[v->n++] = item;
	return 0;
}

static struct json *parse_container(struct parser *p, int object)
{
	struct json *v = new_value(object ? JSON_OBJECT : JSON_ARRAY), *item;
	char close = object ? '}' : ']';
	char *key = NULL;

	if (!v)
		return fail_at(p, "out of memory");
	if (++p->depth > JSON_MAX_DEPTH) {
		json_free(v);
		return fail_at(p, "nested too deeply");
	}
	p->s++;
	skip_ws(p);
	if (p->s < p->end && *p->s == close) {
		p->s++;
		p->depth--;
		return v;
	}
	for (;;) {
		skip_ws(p);
		if (object) {
			if (p->s >= p->end || *p->s != '"' || !(key = parse_string(p)))
				goto bad_key;
			skip_ws(p);
			if (p->s >= p->end || *p->s != ':')
				goto bad_key;
			p->s++;
		}
		if (!(item = parse_value(p)))
			goto bad;
		if (push_item(v, item, key) < 0) {
			json_free(item);
			goto bad;
		}
		key = NULL;
		skip_ws(p);
		if (p->s < p->end && *p->s == ',') {
			p->s++;
			continue;
		}
		if (p->s < p->end && *p->s == close) {
			p->s++;
			p->depth--;
			return v;
		}
		fail_at(p, object ? "expected ',' or '}'" : "expected ',' or ']'");
		goto bad;
	}
bad_key:
	fail_at(p, "expected \"key\":");
bad:
	free(key);
	json_free(v);
	return NULL;
}

static struct json *parse_value(struct parser *p)
{
	struct json *v;
	char *end;

	skip_ws(p);
	if (p->s >= p->end)
		return fail_at(p, "unexpected end");
	switch (*p->s) {
	case '{':
		return parse_container(p, 1);
	case '[':
		return parse_container(p, 0);
	case '"': {
		char *str = parse_string(p);
		if (!str)
			return NULL;
		if (!(v = new_value(JSON_STRING))) {
			free(str);
			return fail_at(p, "out of memory");
		}
		v->string = str;
		return v;
	}
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = {"true", "false", "null"};
		size_t i;
		for (i = 0; i < 3; i++) {
			size_t wl = strlen(words[i]);
			if ((size_t)(p->end - p->s) >= wl && memcmp(p->s, words[i], wl) == 0) {
				p->s += wl;
				if (!(v = new_value(i == 2 ? JSON_NULL : JSON_BOOL)))
					return fail_at(p, "out of memory");
				v->boolean = i == 0;
				return v;
			}
		}
		return fail_at(p, "unexpected word");
	}
	default:
		if (*p->s == '-' || (*p->s >= '0' && *p->s <= '9')) {
			char num[64];
			size_t n = 0;
			while (p->s + n < p->end && n < sizeof num - 1 && strchr("+-0123456789.eE", p->s[n]))
				n++;
			memcpy(num, p->s, n);
			num[n] = '\0';
			if (!(v = new_value(JSON_NUMBER)))
				return fail_at(p, "out of memory");
			v->number = strtod(num, &end);
			if (end != num + n || !isfinite(v->number)) {
				json_free(v);
				return fail_at(p, "bad number");
			}
			p->s += n;
			return v;
		}
		return fail_at(p, "unexpected character");
	}
}

struct json *json_parse(const char *text, size_t len, char *err, size_t errsize)
{
	struct parser p = {text, text + len, text, err, errsize, 0};
	struct json *v;

	if (err && errsize)
		err[0] = '\0';
	v = parse_value(&p);
	if (!v)
		return NULL;
	skip_ws(&p);
	if (p.s != p.end) {
		json_free(v);
		return fail_at(&p, "text after the value");
	}
	return v;
}

void json_free(struct json *v)
{
	size_t i;

	if (!v)
		return;
	for (i = 0; i < v->n; i++) {
		json_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->string);
	free(v);
}

const struct json *json_get(const struct json *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != JSON_OBJECT)
		return NULL;
	for (i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return obj->items[i];
	return NULL;
}

const char *json_get_str(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_STRING ? v->string : NULL;
}

double json_get_num(const struct json *obj, const char *key, double fallback)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == JSON_NUMBER ? v->number : fallback;
}

int json_get_int(const struct json *obj, const char *key, long min, long max, long *out)
{
	const struct json *v = json_get(obj, key);

	if (!v || v->type == JSON_NULL)
		return 0;
	/* Compared as doubles first: a cast of one out of range is undefined. */
	if (v->type != JSON_NUMBER || !(v->number >= (double)min && v->number <= (double)max) ||
	    v->number != (double)(long)v->number)
		return -1;
	*out = (long)v->number;
	return 1;
}

long json_get_int_or(const struct json *obj, const char *key, long min, long max, long fallback)
{
	long n;

	return json_get_int(obj, key, min, max, &n) == 1 ? n : fallback;
}

void json_write(struct buf *b, const struct json *v)
{
	size_t i;

	switch (v->type) {
	case JSON_NULL:
		buf_adds(b, "null");
		break;
	case JSON_BOOL:
		buf_adds(b, v->boolean ? "true" : "false");
		break;
	case JSON_NUMBER:
		if (v->number < 9e15 && v->number > -9e15 && v->number == (double)(long long)v->number)
			buf_printf(b, "%lld", (long long)v->number);
		else
			buf_printf(b, "%.17g", v->number);
		break;
	case JSON_STRING:
		json_add_string(b, v->string);
		break;
	case JSON_ARRAY:
	case JSON_OBJECT:
		buf_addc(b, v->type == JSON_ARRAY ? '[' : '{');
		for (i = 0; i < v->n; i++) {
			if (i)
				buf_addc(b, ',');
			if (v->type == JSON_OBJECT) {
				json_add_string(b, v->keys[i]);
				buf_addc(b, ':');
			}
			json_write(b, v->items[i]);
		}
		buf_addc(b, v->type == JSON_ARRAY ? ']' : '}');
		break;
	}
}
