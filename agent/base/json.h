/* JSON output helpers (RFC 8259). Control characters, '"' and '\' are
 * escaped; a byte that is not part of valid UTF-8 (inputs are validated on
 * the way in, but a server's message may be in another charset) is written
 * as U+FFFD, so that what is written is always JSON that reads back. */
#ifndef LDAPENROLL_JSON_H
#define LDAPENROLL_JSON_H

#include "agent/base/buf.h"

/* Appends s as a quoted JSON string. */
int json_add_string(struct buf *b, const char *s);
/* Appends "key": followed by the quoted value; a NULL value gives null. */
int json_add_member_str(struct buf *b, const char *key, const char *value);

/* --- reading ----------------------------------------------------------------
 * A small parser for what the agent reads back: journal lines and saved
 * plans. Nesting is limited; strings are decoded to UTF-8 (\u escapes
 * included) and may not hold NUL. */

enum json_type { JSON_NULL, JSON_BOOL, JSON_NUMBER, JSON_STRING, JSON_ARRAY, JSON_OBJECT };

struct json {
	enum json_type type;
	int boolean;
	double number;
	char *string;          /* JSON_STRING */
	struct json **items;   /* JSON_ARRAY: items; JSON_OBJECT: values */
	char **keys;           /* JSON_OBJECT */
	size_t n;
};

/* Parses one JSON value (surrounding white space allowed). Returns the
 * tree, or NULL with a reason ("offset N: problem") in err. */
struct json *json_parse(const char *text, size_t len, char *err, size_t errsize);
void json_free(struct json *v);

/* Appends v as compact JSON. */
void json_write(struct buf *b, const struct json *v);

/* Lookups that tolerate a missing key or a wrong type (NULL / the
 * fallback). */
const struct json *json_get(const struct json *obj, const char *key);
const char *json_get_str(const struct json *obj, const char *key);
double json_get_num(const struct json *obj, const char *key, double fallback);
/* The member key as a whole number in [min, max]: 1 with *out set; 0 when
 * it is missing or null (*out untouched); -1 when it is anything else (a
 * string, a fraction, out of range). Never a cast of an arbitrary double. */
int json_get_int(const struct json *obj, const char *key, long min, long max, long *out);
/* The same with a fallback for everything but a valid value. */
long json_get_int_or(const struct json *obj, const char *key, long min, long max, long fallback);

#endif
