#include "agent/text/address.h"

#include <string.h>

/* RFC 5322 atext, the characters of a dot-atom local part. */
static int is_atext(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

int email_check(const char *addr, const char **why)
{
	const char *at = strchr(addr, '@'), *p, *label;
	size_t len = strlen(addr);

	for (p = addr; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c < 0x20 || c == 0x7f) {
			*why = "contains a control character";
			return -1;
		}
		if (c >= 0x80) {
			*why = "contains non-ASCII characters";
			return -1;
		}
		if (c == ' ' || c == '\t') {
			*why = "contains a space";
			return -1;
		}
		if (c == ',' || c == ';') {
			*why = "holds more than one address";
			return -1;
		}
		if (c == '<' || c == '>' || c == '"' || c == '(' || c == ')' || c == '[' || c == ']' ||
		    c == '\\' || c == ':') {
			*why = "is not a plain address (no names, quotes, brackets or comments)";
			return -1;
		}
	}
	if (!at) {
		*why = "has no @";
		return -1;
	}
	if (strchr(at + 1, '@')) {
		*why = "has more than one @";
		return -1;
	}
	if (len > 254 || at - addr > 64) {
		*why = "is too long";
		return -1;
	}
	if (at == addr) {
		*why = "has an empty local part";
		return -1;
	}
	/* dot-atom: no leading, trailing or double dots */
	if (addr[0] == '.' || at[-1] == '.') {
		*why = "has a dot at the start or end of the local part";
		return -1;
	}
	for (p = addr; p < at; p++) {
		if (*p == '.' && p[1] == '.') {
			*why = "has two dots in a row";
			return -1;
		}
		if (*p != '.' && !is_atext(*p)) {
			*why = "has an invalid character in the local part";
			return -1;
		}
	}
	label = at + 1;
	if (!*label) {
		*why = "has no domain";
		return -1;
	}
	if (!strchr(label, '.')) {
		*why = "has a domain without a dot";
		return -1;
	}
	for (p = label;; p++) {
		if (*p == '.' || !*p) {
			if (p == label) {
				*why = *p ? "has an empty domain label" : "ends with a dot";
				return -1;
			}
			if (label[0] == '-' || p[-1] == '-' || p - label > 63) {
				*why = "has an invalid domain label";
				return -1;
			}
			if (!*p)
				break;
			label = p + 1;
		} else if (!is_label_char(*p)) {
			*why = "has an invalid character in the domain";
			return -1;
		}
	}
	return 0;
}

int mailbox_parse(const char *s, struct buf *display, struct buf *addr, const char **why)
{
	const char *lt = strrchr(s, '<'), *gt, *e;
	size_t start = addr->len;

	if (strpbrk(s, "\r\n")) {
		*why = "contains a line break";
		return -1;
	}
	if (!lt) {
		buf_adds(addr, s);
		return email_check(s, why);
	}
	gt = strchr(lt, '>');
	if (!gt || gt[1]) {
		*why = "has text after the address or no closing '>'";
		return -1;
	}
	buf_add(addr, lt + 1, (size_t)(gt - lt - 1));
	if (email_check(buf_str(addr) + start, why) < 0)
		return -1;
	/* The display name: trimmed, and unquoted when written "Name". */
	e = lt;
	while (e > s && e[-1] == ' ')
		e--;
	while (s < e && *s == ' ')
		s++;
	if (e - s >= 2 && *s == '"' && e[-1] == '"') {
		s++;
		e--;
	}
	if (memchr(s, '"', (size_t)(e - s)) || memchr(s, '<', (size_t)(e - s))) {
		*why = "has quotes or '<' inside the display name";
		return -1;
	}
	buf_add(display, s, (size_t)(e - s));
	return 0;
}
