#include "agent/text/mime.h"

#include <string.h>

#include "agent/base/utf8.h"
#include "agent/text/base64.h"

#define LINE_MAX_HEADER 76 /* RFC 2047: lines holding encoded-words */
#define WORD_BYTES 36      /* UTF-8 bytes per encoded-word: 48 base64 characters */

static int printable_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* The length of the current (last) line of out. */
static size_t line_len(const struct buf *out)
{
	const char *s = buf_str(out), *nl = strrchr(s, '\n');

	return nl ? (size_t)(s + out->len - nl - 1) : out->len;
}

/* Appends text as RFC 2047 B encoded-words, folding between words so that
 * no line passes 76 characters. Words never split a character. */
static void add_encoded_words(struct buf *out, const char *s)
{
	size_t len = strlen(s), i = 0;

	while (i < len) {
		size_t n = 0, c;
		uint32_t cp;

		while (i + n < len) {
			c = utf8_decode(s + i + n, len - i - n, &cp);
			if (!c)
				c = 1;
			if (n + c > WORD_BYTES)
				break;
			n += c;
		}
		if (i && line_len(out) + 12 + (n + 2) / 3 * 4 > LINE_MAX_HEADER)
			buf_adds(out, "\r\n ");
		else if (i)
			buf_addc(out, ' ');
		buf_adds(out, "=?UTF-8?B?");
		base64_encode(out, s + i, n);
		buf_adds(out, "?=");
		i += n;
	}
}

/* The length of the word at s: up to the next space that is followed by
 * more text. Lines are folded only there, so that no line is left blank
 * (spaces before a fold stay at the end of the line). */
static size_t word_len(const char *s)
{
	size_t n = 1;

	while (s[n] && !(s[n] == ' ' && s[n + 1] && s[n + 1] != ' '))
		n++;
	return n;
}

/* Plain ASCII text, folded before a word that would take the line past 78. */
static void add_folded(struct buf *out, const char *s)
{
	while (*s) {
		size_t word = word_len(s);

		if (line_len(out) + word > 78 && *s == ' ' && line_len(out) > 1)
			buf_adds(out, "\r\n");
		buf_add(out, s, word);
		s += word;
	}
}

/* Whether add_folded() keeps s within 78 characters a line, used
 * characters of the first line being taken: no word may be longer than a
 * line (RFC 5322 allows no line over 998 characters, and asks for 78). */
static int fits_folded(const char *s, size_t used)
{
	size_t word;

	for (; *s; s += word, used = 0)
		if (used + (word = word_len(s)) > 78)
			return 0;
	return 1;
}

static int needs_encoding(const char *s)
{
	return !printable_ascii(s) || strstr(s, "=?") != NULL;
}

void header_add_text(struct buf *out, const char *name, const char *value)
{
	buf_printf(out, "%s: ", name);
	if (needs_encoding(value) || !fits_folded(value, strlen(name) + 2))
		add_encoded_words(out, value);
	else
		add_folded(out, value);
	buf_adds(out, "\r\n");
}

/* The length of s as a quoted-string. */
static size_t quoted_len(const char *s)
{
	size_t n = 2;

	for (; *s; s++)
		n += *s == '"' || *s == '\\' ? 2 : 1;
	return n;
}

void header_add_mailbox(struct buf *out, const char *name, const char *display, const char *addr)
{
	const char *p;

	buf_printf(out, "%s: ", name);
	if (display && *display) {
		size_t used = strlen(name) + 2;
		int quote = strpbrk(display, "()<>[]:;@\\,.\"") != NULL;

		/* Encoded-words also fold what plain text could not. */
		if (needs_encoding(display) || (quote ? used + quoted_len(display) > 78 : !fits_folded(display, used))) {
			add_encoded_words(out, display);
		} else if (quote) {
			/* A quoted-string, with its quotes and backslashes escaped. */
			buf_addc(out, '"');
			for (p = display; *p; p++) {
				if (*p == '"' || *p == '\\')
					buf_addc(out, '\\');
				buf_addc(out, *p);
			}
			buf_addc(out, '"');
		} else {
			add_folded(out, display);
		}
		if (line_len(out) + strlen(addr) + 3 > LINE_MAX_HEADER)
			buf_adds(out, "\r\n");
		buf_printf(out, " <%s>\r\n", addr);
	} else {
		buf_printf(out, "%s\r\n", addr);
	}
}

void qp_encode(struct buf *out, const char *text, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i = 0, col = 0;

	while (i < len) {
		unsigned char c = (unsigned char)text[i];
		char enc[4];
		size_t n;
		int at_eol;

		if (c == '\r' && i + 1 < len && text[i + 1] == '\n') {
			i++;
			continue;
		}
		if (c == '\n') {
			buf_adds(out, "\r\n");
			col = 0;
			i++;
			continue;
		}
		at_eol = i + 1 == len || text[i + 1] == '\n' || (text[i + 1] == '\r' && i + 2 < len && text[i + 2] == '\n');
		/* Literal: printable ASCII but '='; spaces except at a line end;
		 * a '.' is encoded at the start of a line so that no server
		 * ever reads it as the end of the data. */
		if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) || ((c == ' ' || c == '\t') && !at_eol)) {
			enc[0] = (char)c;
			n = 1;
		} else {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			n = 3;
		}
		/* A soft line break keeps lines within 76 characters, '=' included. */
		if (col + n > 75 && !(at_eol && col + n <= 76)) {
			buf_adds(out, "=\r\n");
			col = 0;
			if (n == 1 && c == '.') {
				enc[0] = '=';
				enc[1] = '2';
				enc[2] = 'E';
				n = 3;
			}
		}
		buf_add(out, enc, n);
		col += n;
		i++;
	}
}
