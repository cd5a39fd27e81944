#include "json.h"

#include <stdio.h>
#include <string.h>

int json_add_string(struct buf *b, const char *s)
{
	const char *run = s;

	buf_addc(b, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		const char *esc = NULL;
		char hex[8];

		if (c == '"')
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
