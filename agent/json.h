/* JSON output helpers (RFC 8259). Strings are expected to be valid UTF-8
 * (every input is validated on the way in); control characters, '"' and '\'
 * are escaped. */
#ifndef LDAPENROLL_JSON_H
#define LDAPENROLL_JSON_H

#include "buf.h"

/* Appends s as a quoted JSON string. */
int json_add_string(struct buf *b, const char *s);
/* Appends "key": followed by the quoted value; a NULL value gives null. */
int json_add_member_str(struct buf *b, const char *key, const char *value);

#endif
