/* Unit tests for agent/base/json.c: parsing (objects, arrays, numbers, literals,
 * every string escape), the refusal of malformed input with a reason, the
 * nesting limit, the tolerant lookups, and writing (compact output, string
 * escaping, parse -> write -> parse round trips). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "agent/base/buf.h"
#include "agent/base/json.h"

/* --- helpers ------------------------------------------------------------------ */

static struct json *parse_n(const char *text, size_t len)
{
	char err[256];
	struct json *v;

	memset(err, 'x', sizeof err);
	v = json_parse(text, len, err, sizeof err);
	if (!v)
		fail_msg("\"%.*s\" does not parse: %s", (int)len, text, err);
	return v;
}

static struct json *parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* The offset of the last refusal. */
static unsigned long last_offset;

/* Parses text expecting a refusal: the reason is "offset N: problem" with N
 * within the text. Returns the problem (static storage). */
static const char *refuse_n(const char *text, size_t len)
{
	static char err[256];
	struct json *v;
	char *end;
	unsigned long off;

	memset(err, 'x', sizeof err);
	v = json_parse(text, len, err, sizeof err);
	if (v) {
		json_free(v);
		fail_msg("\"%.*s\" parsed but should not", (int)len, text);
	}
	if (strncmp(err, "offset ", 7) != 0)
		fail_msg("the reason for \"%.*s\" is \"%.40s\", not \"offset N: ...\"", (int)len, text, err);
	off = strtoul(err + 7, &end, 10);
	assert_true(end > err + 7);
	assert_true(off <= len);
	assert_memory_equal(end, ": ", 2);
	assert_true(end[2] != '\0');
	last_offset = off;
	return end + 2;
}

static const char *refuse(const char *text)
{
	return refuse_n(text, strlen(text));
}

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

/* Deep equality of two trees (object members in order). */
static int json_equal(const struct json *a, const struct json *b)
{
	size_t i;

	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case JSON_NULL:
		return 1;
	case JSON_BOOL:
		return !a->boolean == !b->boolean;
	case JSON_NUMBER:
		return a->number == b->number;
	case JSON_STRING:
		return strcmp(a->string, b->string) == 0;
	case JSON_ARRAY:
	case JSON_OBJECT:
		if (a->n != b->n)
			return 0;
		for (i = 0; i < a->n; i++) {
			if (a->type == JSON_OBJECT && strcmp(a->keys[i], b->keys[i]) != 0)
				return 0;
			if (!json_equal(a->items[i], b->items[i]))
				return 0;
		}
		return 1;
	}
	return 0;
}

/* parse -> write -> parse gives the same tree; returns the written text. */
static char *check_round_trip(const char *text)
{
	struct json *a = parse(text), *b;
	struct buf out = BUF_INIT;

	json_write(&out, a);
	assert_false(out.failed);
	b = parse_n(buf_str(&out), out.len);
	if (!json_equal(a, b))
		fail_msg("\"%s\" was written as \"%s\", which reads back differently", text, buf_str(&out));
	json_free(a);
	json_free(b);
	return buf_take(&out);
}

static void check_write(const char *text, const char *want)
{
	char *got = check_round_trip(text);

	assert_string_equal(got, want);
	free(got);
}

/* --- parsing ------------------------------------------------------------------ */

static void parse_object(void **state)
{
	struct json *v = parse(" {\"a\": 1, \"b\" :\"x\",\n\t\"c\":[1,2] , \"d\":{\"e\":null}, \"\":true}\r\n");
	const struct json *c, *d;

	(void)state;
	assert_int_equal(v->type, JSON_OBJECT);
	assert_int_equal(v->n, 5);
	assert_string_equal(v->keys[0], "a");
	assert_string_equal(v->keys[1], "b");
	assert_string_equal(v->keys[2], "c");
	assert_string_equal(v->keys[3], "d");
	assert_string_equal(v->keys[4], "");
	assert_int_equal(v->items[0]->type, JSON_NUMBER);
	assert_true(v->items[0]->number == 1.0);
	assert_string_equal(json_get_str(v, "b"), "x");
	c = json_get(v, "c");
	assert_non_null(c);
	assert_int_equal(c->type, JSON_ARRAY);
	assert_int_equal(c->n, 2);
	assert_true(c->items[1]->number == 2.0);
	d = json_get(v, "d");
	assert_non_null(d);
	assert_int_equal(d->type, JSON_OBJECT);
	assert_int_equal(json_get(d, "e")->type, JSON_NULL);
	assert_int_equal(json_get(v, "")->type, JSON_BOOL);
	assert_true(json_get(v, "")->boolean);
	json_free(v);

	v = parse("{}");
	assert_int_equal(v->type, JSON_OBJECT);
	assert_int_equal(v->n, 0);
	json_free(v);
	v = parse("{ }");
	assert_int_equal(v->n, 0);
	json_free(v);
}

static void parse_array_and_nesting(void **state)
{
	struct json *v = parse("[[], [[1]], {\"k\": [true, false, null, \"s\"]}, -2]");
	const struct json *k;

	(void)state;
	assert_int_equal(v->type, JSON_ARRAY);
	assert_int_equal(v->n, 4);
	assert_int_equal(v->items[0]->type, JSON_ARRAY);
	assert_int_equal(v->items[0]->n, 0);
	assert_int_equal(v->items[1]->n, 1);
	assert_int_equal(v->items[1]->items[0]->type, JSON_ARRAY);
	assert_true(v->items[1]->items[0]->items[0]->number == 1.0);
	k = json_get(v->items[2], "k");
	assert_non_null(k);
	assert_int_equal(k->n, 4);
	assert_int_equal(k->items[0]->type, JSON_BOOL);
	assert_true(k->items[0]->boolean);
	assert_int_equal(k->items[1]->type, JSON_BOOL);
	assert_false(k->items[1]->boolean);
	assert_int_equal(k->items[2]->type, JSON_NULL);
	assert_string_equal(k->items[3]->string, "s");
	assert_true(v->items[3]->number == -2.0);
	assert_null(v->keys);
	json_free(v);
}

static void parse_numbers(void **state)
{
	static const struct {
		const char *text;
		double want;
	} cases[] = {
		{"0", 0.0},
		{"-0", 0.0},
		{"7", 7.0},
		{"42", 42.0},
		{"-17", -17.0},
		{"3.25", 3.25},
		{"-0.5", -0.5},
		{"1e3", 1000.0},
		{"1E3", 1000.0},
		{"2.5e-2", 0.025},
		{"-1.5e+2", -150.0},
		{"  12  ", 12.0},
		{"9007199254740993", 9007199254740992.0},
		{"1.7976931348623157e308", 1.7976931348623157e308},
		{"4.9e-324", 4.9e-324},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct json *v = parse(cases[i].text);
		assert_int_equal(v->type, JSON_NUMBER);
		if (v->number != cases[i].want)
			fail_msg("\"%s\" read as %.17g", cases[i].text, v->number);
		json_free(v);
	}
}

static void parse_literals(void **state)
{
	struct json *v;

	(void)state;
	v = parse("true");
	assert_int_equal(v->type, JSON_BOOL);
	assert_true(v->boolean);
	json_free(v);
	v = parse("false");
	assert_int_equal(v->type, JSON_BOOL);
	assert_false(v->boolean);
	json_free(v);
	v = parse(" null ");
	assert_int_equal(v->type, JSON_NULL);
	json_free(v);
	refuse("tru");
	refuse("nul");
	refuse("True");
	refuse("NULL");
	refuse("nulll");
	refuse("falsey");
	refuse("[true false]");
}

static void parse_string_escapes(void **state)
{
	struct json *v = parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u0041\\u00e9\\u00E9\\u20ac \\ud83d\\ude00 \\uD834\\uDD1E\"");

	(void)state;
	assert_int_equal(v->type, JSON_STRING);
	assert_string_equal(v->string, "q\" b\\ s/ \b\f\n\r\t A\xc3\xa9\xc3\xa9\xe2\x82\xac \xf0\x9f\x98\x80 \xf0\x9d\x84\x9e");
	json_free(v);

	/* Raw UTF-8 passes through; \u007f and U+FFFF are fine. */
	v = parse("\"J\xc3\xbcrgen \xe6\x97\xa5 \xf0\x9f\x98\x80 \\u007f\\uffff\"");
	assert_string_equal(v->string, "J\xc3\xbcrgen \xe6\x97\xa5 \xf0\x9f\x98\x80 \x7f\xef\xbf\xbf");
	json_free(v);

	v = parse("\"\"");
	assert_string_equal(v->string, "");
	json_free(v);

	/* The highest code point. */
	v = parse("\"\\udbff\\udfff\"");
	assert_string_equal(v->string, "\xf4\x8f\xbf\xbf");
	json_free(v);
}

static void refuse_bad_surrogates(void **state)
{
	(void)state;
	assert_contains(refuse("\"\\ud83d\""), "surrogate");
	assert_contains(refuse("\"\\ud83d x\""), "surrogate");
	assert_contains(refuse("\"\\ud83d\\u0041\""), "surrogate");
	assert_contains(refuse("\"\\ud83d\\ud83d\""), "surrogate");
	assert_contains(refuse("\"\\ude00\""), "surrogate");
	assert_contains(refuse("\"\\ude00\\ud83d\""), "surrogate");
	refuse("\"\\ud83d\\n\"");
	refuse("\"\\ud83d");
	refuse("\"\\ud83d\\ude0");
}

static void refuse_nul(void **state)
{
	static const char raw[] = "\"a\0b\"";

	(void)state;
	assert_contains(refuse("\"\\u0000\""), "NUL");
	assert_contains(refuse("[\"x\\u0000y\"]"), "NUL");
	/* A raw NUL inside a string, and after a value. */
	refuse_n(raw, sizeof raw - 1);
	refuse_n("[1]\0", 4);
	refuse_n("1\0", 2);
}

static void refuse_control_characters(void **state)
{
	char text[8];
	int c;

	(void)state;
	for (c = 1; c < 0x20; c++) {
		snprintf(text, sizeof text, "\"a%cb\"", c);
		assert_contains(refuse(text), "control character");
	}
	/* DEL is not a control character for JSON. */
	{
		struct json *v = parse("\"a\x7f b\"");
		assert_string_equal(v->string, "a\x7f b");
		json_free(v);
	}
}

static void refuse_invalid_utf8(void **state)
{
	static const char *const bad[] = {
		"\"\xff\"",                 /* never valid */
		"\"\xc3\"",                 /* truncated */
		"\"\xc3\x28\"",             /* bad continuation */
		"\"\xc0\xaf\"",             /* overlong */
		"\"\xe0\x80\xaf\"",         /* overlong */
		"\"\xed\xa0\x80\"",         /* an encoded surrogate */
		"\"\xf4\x90\x80\x80\"",     /* above U+10FFFF */
		"\"\x80\"",                 /* a lone continuation */
		"{\"k\xff\":1}",            /* in a key */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_contains(refuse(bad[i]), "UTF-8");
}

static void refuse_malformed(void **state)
{
	static const char *const bad[] = {
		"[1,2,]",     "[1,]",     "[,]",      "[,1]",     "{\"a\":1,}", "{,}",       "{\"a\" 1}",
		"{\"a\":}",   "{\"a\"}",  "{a:1}",    "{'a':1}",  "{1:1}",      "[1 2]",     "{\"a\":1 \"b\":2}",
		"[1,2",       "[",        "{",        "{\"a\":1", "]",          "}",         "\"abc",
		"\"abc\\",    "\"abc\\\"", "\"\\x\"",  "\"\\u12\"", "\"\\u12G4\"", "\"\\U0041\"", "\"\\'\"",
		"{} x",       "1 2",      "[] []",    "\"a\" \"b\"", "-",        "+1",        ".5",
		"--1",        "1e",       "1e+",      "0x10",     "Infinity",   "-Infinity", "NaN",
		"'a'",        "[1]]",     "{}}",      "//",       "/* */1",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof *bad; i++)
		refuse(bad[i]);
	assert_contains(refuse("\"abc"), "unterminated");
	assert_contains(refuse("{} x"), "text after the value");
	refuse("[1,2,]");
	assert_int_equal(last_offset, 5);
	refuse("{\"a\" 1}");
	assert_int_equal(last_offset, 5);
	refuse("[1] x");
	assert_int_equal(last_offset, 4);
}

static void refuse_empty_input(void **state)
{
	(void)state;
	refuse("");
	refuse("   ");
	refuse("\n\t\r ");
	refuse_n("{}", 0);
}

static void nesting_limit(void **state)
{
	char text[600];
	struct json *v;
	size_t i;

	(void)state;
	for (i = 0; i < 64; i++) {
		text[i] = '[';
		text[64 + i] = ']';
	}
	text[128] = '\0';
	v = parse(text);
	assert_int_equal(v->type, JSON_ARRAY);
	json_free(v);

	for (i = 0; i < 65; i++) {
		text[i] = '[';
		text[65 + i] = ']';
	}
	text[130] = '\0';
	assert_contains(refuse(text), "nested too deeply");

	/* Objects count the same. */
	text[0] = '\0';
	for (i = 0; i < 65; i++)
		strcat(text, "{\"a\":");
	strcat(text, "1");
	for (i = 0; i < 65; i++)
		strcat(text, "}");
	assert_contains(refuse(text), "nested too deeply");

	/* 65 opened but never closed: refused for the depth, not read past
	 * the end. */
	memset(text, '[', 65);
	assert_contains(refuse_n(text, 65), "nested too deeply");
}

static void nesting_limit_leaves_tree_intact(void **state)
{
	char text[200];
	struct json *v, *p;
	size_t i, depth = 0;

	(void)state;
	for (i = 0; i < 64; i++) {
		text[i] = '[';
		text[64 + i] = ']';
	}
	text[128] = '\0';
	v = parse(text);
	for (p = v; p->type == JSON_ARRAY; p = p->items[0]) {
		depth++;
		if (!p->n)
			break;
	}
	assert_int_equal(depth, 64);
	json_free(v);
}

/* --- lookups ------------------------------------------------------------------- */

static void lookups_tolerate_missing_and_wrong_types(void **state)
{
	struct json *v = parse("{\"s\":\"text\",\"n\":-2.5,\"z\":0,\"b\":true,\"nul\":null,\"a\":[1],\"o\":{\"s\":\"inner\"}}");
	struct json *arr = parse("[\"s\", 1]");

	(void)state;
	assert_string_equal(json_get_str(v, "s"), "text");
	assert_true(json_get_num(v, "n", 99) == -2.5);
	assert_true(json_get_num(v, "z", 99) == 0.0);
	assert_non_null(json_get(v, "nul"));
	assert_int_equal(json_get(v, "nul")->type, JSON_NULL);

	/* Missing keys. */
	assert_null(json_get(v, "missing"));
	assert_null(json_get_str(v, "missing"));
	assert_true(json_get_num(v, "missing", 7.5) == 7.5);
	assert_null(json_get(v, "S"));
	/* Lookups do not descend. */
	assert_null(json_get(v, "inner"));
	assert_string_equal(json_get_str(json_get(v, "o"), "s"), "inner");

	/* Wrong types. */
	assert_null(json_get_str(v, "n"));
	assert_null(json_get_str(v, "b"));
	assert_null(json_get_str(v, "nul"));
	assert_null(json_get_str(v, "a"));
	assert_null(json_get_str(v, "o"));
	assert_true(json_get_num(v, "s", -1) == -1);
	assert_true(json_get_num(v, "b", -1) == -1);
	assert_true(json_get_num(v, "nul", -1) == -1);
	assert_true(json_get_num(v, "a", -1) == -1);

	/* Not an object at all. */
	assert_null(json_get(arr, "s"));
	assert_null(json_get_str(arr, "s"));
	assert_true(json_get_num(arr, "s", 3) == 3);
	assert_null(json_get(NULL, "s"));
	assert_null(json_get_str(NULL, "s"));
	assert_true(json_get_num(NULL, "s", 4) == 4);
	assert_null(json_get(v->items[0], "s"));

	json_free(v);
	json_free(arr);
}

/* --- writing ------------------------------------------------------------------- */

static void write_is_compact(void **state)
{
	(void)state;
	check_write(" { \"a\" : [ 1 , 2.5 , -3 , true , false , null ] , \"b\" : { } , \"c\" : [ ] } ",
		    "{\"a\":[1,2.5,-3,true,false,null],\"b\":{},\"c\":[]}");
	check_write("\"x\"", "\"x\"");
	check_write("null", "null");
	check_write("1e3", "1000");
	check_write("-0.25", "-0.25");
}

static void write_round_trips(void **state)
{
	static const char *const docs[] = {
		("{\"type\":\"job\",\"version\":1,\"id\":\"20261121T101500Z-3f9a\",\"pid\":4242,\"actions\":17,"
		 "\"source_sha256\":null,\"ok\":true}"),
		"[0.1, 1e-7, -2.2250738585072014e-308, 1.7976931348623157e308, 123456789012, -9007199254740991, 3.141592653589793]",
		"[\"q\\\" b\\\\ \\/ \\b\\f\\n\\r\\t \\u0001\\u001f\\u007f \\u00e9 \\ud83d\\ude00\"]",
		"{\"a\":{\"b\":{\"c\":[[[{}]]]}},\"\":\"\",\"dup\":1,\"dup\":2}",
		"[1e300, -1e300, 1.5e17, 9e15, -9e15, 8999999999999999]",
		"\"J\xc3\xbcrgen M\xc3\xbcller \xe6\x97\xa5\xe6\x9c\xac\"",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof docs / sizeof *docs; i++)
		free(check_round_trip(docs[i]));
}

/* json_write promises JSON: a number json_parse accepted must come back as
 * one, even when it is out of the range of a double. */
static void write_out_of_range_number(void **state)
{
	static const char *const docs[] = {"1e400", "-1e400", "[1e999]"};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof docs / sizeof *docs; i++) {
		char err[256], written[128];
		struct json *v = json_parse(docs[i], strlen(docs[i]), err, sizeof err), *back;
		struct buf out = BUF_INIT;
		int same;

		if (!v)
			continue; /* refusing it is fine too */
		json_write(&out, v);
		snprintf(written, sizeof written, "%s", buf_str(&out));
		back = json_parse(buf_str(&out), out.len, err, sizeof err);
		same = back && json_equal(v, back);
		json_free(v);
		json_free(back);
		buf_release(&out);
		if (!same)
			fail_msg("\"%s\" was accepted but written as \"%s\", which does not read back", docs[i], written);
	}
}

static void add_string_escapes(void **state)
{
	struct buf b = BUF_INIT;
	char raw[40];
	struct json *v;
	int c;

	(void)state;
	json_add_string(&b, "say \"hi\" \\ back/slash");
	assert_string_equal(buf_str(&b), "\"say \\\"hi\\\" \\\\ back/slash\"");
	buf_reset(&b);

	json_add_string(&b, "a\nb\rc\td");
	assert_string_equal(buf_str(&b), "\"a\\nb\\rc\\td\"");
	buf_reset(&b);

	json_add_string(&b, "\x01\x1f\b\f\x7f");
	assert_int_equal(strcasecmp(buf_str(&b), "\"\\u0001\\u001f\\u0008\\u000c\\u007f\""), 0);
	buf_reset(&b);

	json_add_string(&b, "J\xc3\xbcrgen \xf0\x9f\x98\x80");
	assert_string_equal(buf_str(&b), "\"J\xc3\xbcrgen \xf0\x9f\x98\x80\"");
	buf_reset(&b);

	json_add_string(&b, "");
	assert_string_equal(buf_str(&b), "\"\"");
	buf_reset(&b);

	/* Every control character: escaped (no raw byte below 0x20 in the
	 * output), and read back as itself. */
	for (c = 1; c < 0x20; c++) {
		size_t k;
		snprintf(raw, sizeof raw, "<%c>", c);
		json_add_string(&b, raw);
		for (k = 0; k < b.len; k++)
			assert_true((unsigned char)b.data[k] >= 0x20);
		v = parse_n(buf_str(&b), b.len);
		assert_int_equal(v->type, JSON_STRING);
		assert_string_equal(v->string, raw);
		json_free(v);
		if (c != '\n' && c != '\r' && c != '\t') {
			char want[16];
			snprintf(want, sizeof want, "\"<\\u%04x>\"", c);
			assert_int_equal(strcasecmp(buf_str(&b), want), 0);
		}
		buf_reset(&b);
	}
	buf_release(&b);
}

static void add_member_str(void **state)
{
	struct buf b = BUF_INIT;
	struct json *v;

	(void)state;
	buf_addc(&b, '{');
	json_add_member_str(&b, "key", "va\"lue");
	buf_addc(&b, ',');
	json_add_member_str(&b, "k\"2", NULL);
	buf_addc(&b, '}');
	assert_string_equal(buf_str(&b), "{\"key\":\"va\\\"lue\",\"k\\\"2\":null}");
	v = parse(buf_str(&b));
	assert_string_equal(json_get_str(v, "key"), "va\"lue");
	assert_int_equal(json_get(v, "k\"2")->type, JSON_NULL);
	json_free(v);
	buf_release(&b);
}

static void free_null(void **state)
{
	(void)state;
	json_free(NULL);
	assert_null(json_parse("", 0, NULL, 0));
}

/* Bytes that are not UTF-8 become U+FFFD: the line stays JSON. */
static void write_invalid_utf8(void **state)
{
	struct buf b = BUF_INIT;
	struct json *v;
	char err[128];

	(void)state;
	json_add_string(&b, "\xe9" "chec: caf\xc3\xa9 \xff\xc3");
	assert_string_equal(buf_str(&b), "\"\\ufffdchec: caf\xc3\xa9 \\ufffd\\ufffd\"");
	v = json_parse(buf_str(&b), b.len, err, sizeof err);
	assert_non_null(v);
	assert_string_equal(v->string, "\xef\xbf\xbd" "chec: caf\xc3\xa9 \xef\xbf\xbd\xef\xbf\xbd");
	json_free(v);
	buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(write_invalid_utf8),
		cmocka_unit_test(parse_object),
		cmocka_unit_test(parse_array_and_nesting),
		cmocka_unit_test(parse_numbers),
		cmocka_unit_test(parse_literals),
		cmocka_unit_test(parse_string_escapes),
		cmocka_unit_test(refuse_bad_surrogates),
		cmocka_unit_test(refuse_nul),
		cmocka_unit_test(refuse_control_characters),
		cmocka_unit_test(refuse_invalid_utf8),
		cmocka_unit_test(refuse_malformed),
		cmocka_unit_test(refuse_empty_input),
		cmocka_unit_test(nesting_limit),
		cmocka_unit_test(nesting_limit_leaves_tree_intact),
		cmocka_unit_test(lookups_tolerate_missing_and_wrong_types),
		cmocka_unit_test(write_is_compact),
		cmocka_unit_test(write_round_trips),
		cmocka_unit_test(write_out_of_range_number),
		cmocka_unit_test(add_string_escapes),
		cmocka_unit_test(add_member_str),
		cmocka_unit_test(free_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
