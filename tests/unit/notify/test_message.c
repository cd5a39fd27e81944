/* Unit tests for agent/notify/message.c: the quoted-printable body encoder, the
 * header encoders (folding, RFC 2047 encoded-words, quoted display names),
 * whole messages built from templates, the refusal of header values that
 * hold line breaks, and the choice of a locale variant.
 *
 * Encoded output is never compared only by eye: it is decoded again here
 * (a small QP decoder, base64_decode for encoded-words) and compared with
 * the input. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/text/base64.h"
#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "agent/notify/message.h"
#include "agent/text/template.h"
#include "agent/base/utf8.h"
#include "tests/unit/columns.h"

/* --- helpers ------------------------------------------------------------------ */

static void assert_contains(const char *s, const char *part)
{
	if (!strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s, part);
}

static void assert_not_contains(const char *s, const char *part)
{
	if (strstr(s, part))
		fail_msg("\"%s\" contains \"%s\"", s, part);
}

static int is_upper_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F');
}

static int hexval(char c)
{
	return c <= '9' ? c - '0' : c - 'A' + 10;
}

/* A strict quoted-printable decoder: soft breaks "=\r\n", "=XX" with
 * upper-case hex, hard breaks CRLF, literal printable ASCII, space and tab.
 * Anything else (a bare CR or LF, 8-bit data, a broken "=") fails. */
static void qp_decode(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '=') {
			if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
				i += 3;
				continue;
			}
			if (i + 2 < len && is_upper_hex(s[i + 1]) && is_upper_hex(s[i + 2])) {
				buf_addc(out, (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2])));
				i += 3;
				continue;
			}
			fail_msg("a broken '=' at offset %zu of the encoded text", i);
		}
		if (c == '\r') {
			if (i + 1 < len && s[i + 1] == '\n') {
				buf_add(out, "\r\n", 2);
				i += 2;
				continue;
			}
			fail_msg("a bare CR at offset %zu of the encoded text", i);
		}
		if (c == '\n')
			fail_msg("a bare LF at offset %zu of the encoded text", i);
		if (!((c >= 33 && c <= 126) || c == ' ' || c == '\t'))
			fail_msg("byte 0x%02x at offset %zu may not appear in quoted-printable", c, i);
		buf_addc(out, (char)c);
		i++;
	}
}

/* The input as the encoder must see it: a LF not preceded by CR becomes
 * CRLF; everything else stays. */
static void to_crlf(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r'))
			buf_addc(out, '\r');
		buf_addc(out, s[i]);
	}
}

/* Checks the line structure of encoded QP text: lines of at most 76
 * characters, no trailing white space, no line starting with '.', soft
 * breaks only as "=\r\n". */
static void check_qp_lines(const char *s, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i <= len; i++) {
		if (i < len && !(s[i] == '\r' && i + 1 < len && s[i + 1] == '\n'))
			continue;
		{
			size_t n = i - start;
			if (n > 76)
				fail_msg("a line of %zu characters: \"%.*s\"", n, (int)n, s + start);
			if (n && (s[i - 1] == ' ' || s[i - 1] == '\t'))
				fail_msg("a line ends with white space: \"%.*s\"", (int)n, s + start);
			if (n && s[start] == '.')
				fail_msg("a line starts with '.': \"%.*s\"", (int)n, s + start);
		}
		start = i + 2;
		i++;
	}
}

/* Encodes text, checks the lines and the round trip; returns the encoding
 * (the caller releases it). */
static struct buf qp_roundtrip(const char *text, size_t len)
{
	struct buf enc = BUF_INIT, dec = BUF_INIT, want = BUF_INIT;

	qp_encode(&enc, text, len);
	assert_false(enc.failed);
	check_qp_lines(buf_str(&enc), enc.len);
	qp_decode(buf_str(&enc), enc.len, &dec);
	to_crlf(text, len, &want);
	assert_int_equal(dec.len, want.len);
	assert_memory_equal(buf_str(&dec), buf_str(&want), want.len);
	buf_release(&dec);
	buf_release(&want);
	return enc;
}

static void check_qp(const char *text, const char *want)
{
	struct buf enc = qp_roundtrip(text, strlen(text));

	assert_string_equal(buf_str(&enc), want);
	buf_release(&enc);
}

/* --- quoted-printable -------------------------------------------------------------- */

static void qp_plain_text_unchanged(void **state)
{
	(void)state;
	check_qp("Hello Jane, your account is ready.", "Hello Jane, your account is ready.");
	check_qp("a.b", "a.b");
	check_qp("", "");
}

static void qp_equals_sign(void **state)
{
	(void)state;
	check_qp("a=b", "a=3Db");
	check_qp("=", "=3D");
	check_qp("x==y", "x=3D=3Dy");
}

static void qp_high_bytes_are_hex(void **state)
{
	struct buf enc = BUF_INIT;
	const char raw[] = {(char)0x80, (char)0xab, (char)0xff};

	(void)state;
	check_qp("\xc3\xa9t\xc3\xa9", "=C3=A9t=C3=A9");
	check_qp("\xe2\x82\xac 5", "=E2=82=AC 5");
	qp_encode(&enc, raw, sizeof raw);
	assert_string_equal(buf_str(&enc), "=80=AB=FF");
	buf_release(&enc);
}

static void qp_control_characters_are_hex(void **state)
{
	struct buf enc = BUF_INIT;
	const char raw[] = {'a', '\0', 'b', 0x7f, 'c', '\r', 'd'};

	(void)state;
	/* NUL, DEL and a bare CR (not part of a line end). */
	enc = qp_roundtrip(raw, sizeof raw);
	assert_string_equal(buf_str(&enc), "a=00b=7Fc=0Dd");
	buf_release(&enc);
}

static void qp_trailing_white_space(void **state)
{
	(void)state;
	/* At a line end (LF, CRLF or the end of the text) space and tab are
	 * encoded; in the middle of a line they are not. */
	check_qp("a b \nc\td\t\n", "a b=20\r\nc\td=09\r\n");
	check_qp("end ", "end=20");
	check_qp("end\t", "end=09");
	check_qp("a \r\nb", "a=20\r\nb");
	check_qp("two  \n", "two =20\r\n");
	check_qp(" \n", "=20\r\n");
}

static void qp_line_ends_become_crlf(void **state)
{
	(void)state;
	check_qp("x\ny\n", "x\r\ny\r\n");
	check_qp("x\r\ny\r\n", "x\r\ny\r\n");
	check_qp("x\n\ny", "x\r\n\r\ny");
	check_qp("mixed\r\nends\nhere\r\n", "mixed\r\nends\r\nhere\r\n");
	check_qp("\n", "\r\n");
}

static void qp_dot_at_line_start(void **state)
{
	struct buf enc;
	char text[128];

	(void)state;
	check_qp(".", "=2E");
	check_qp(".\n", "=2E\r\n");
	check_qp("a\n.b\n..\n", "a\r\n=2Eb\r\n=2E.\r\n");
	check_qp("a\r\n.\r\n", "a\r\n=2E\r\n");
	/* A '.' that a soft break puts at the start of a line. */
	memset(text, 'a', 75);
	memcpy(text + 75, ".b", 3);
	enc = qp_roundtrip(text, strlen(text));
	assert_contains(buf_str(&enc), "=\r\n=2Eb");
	buf_release(&enc);
}

/* Every line of enc but the last ends with a soft break or was ended by a
 * hard break of the input; for a text without line ends all of them are
 * soft breaks: "=\r\n". */
static void check_soft_breaks_only(const struct buf *enc)
{
	const char *s = buf_str(enc), *p = s;
	size_t lines = 0;

	while ((p = strstr(p, "\r\n"))) {
		assert_true(p > s);
		assert_int_equal(p[-1], '=');
		lines++;
		p += 2;
	}
	assert_true(lines > 0);
}

static void qp_long_line_of_ascii(void **state)
{
	char text[301];
	struct buf enc;

	(void)state;
	memset(text, 'a', 300);
	text[300] = '\0';
	enc = qp_roundtrip(text, 300);
	check_soft_breaks_only(&enc);
	/* 75 characters and the '=' make a line of 76. */
	assert_memory_equal(buf_str(&enc) + 75, "=\r\n", 3);
	buf_release(&enc);
}

static void qp_long_line_of_two_byte_characters(void **state)
{
	char text[601];
	struct buf enc;
	size_t i;

	(void)state;
	for (i = 0; i < 300; i++)
		memcpy(text + 2 * i, "\xc3\xa9", 2);
	text[600] = '\0';
	enc = qp_roundtrip(text, 600);
	check_soft_breaks_only(&enc);
	buf_release(&enc);
}

static void qp_equals_near_the_line_limit(void **state)
{
	char text[256];
	size_t k;

	(void)state;
	/* An "=3D" (or a "=20" at a line end) at every position around the
	 * 76th column: never split, never beyond the limit. */
	for (k = 60; k <= 90; k++) {
		struct buf enc;
		memset(text, 'a', k);
		text[k] = '=';
		memset(text + k + 1, 'b', 100);
		text[k + 101] = '\0';
		enc = qp_roundtrip(text, strlen(text));
		buf_release(&enc);

		text[k + 1] = '\0'; /* the '=' ends the text */
		enc = qp_roundtrip(text, strlen(text));
		buf_release(&enc);

		text[k] = ' '; /* a trailing space, encoded at the end */
		text[k + 1] = '\n';
		text[k + 2] = '\0';
		enc = qp_roundtrip(text, strlen(text));
		buf_release(&enc);

		text[k] = '\xc3'; /* an 8-bit character at the end of a line */
		text[k + 1] = '\xa9';
		text[k + 2] = '\n';
		text[k + 3] = '\0';
		enc = qp_roundtrip(text, strlen(text));
		buf_release(&enc);
	}
}

static void qp_exactly_76_characters_need_no_break(void **state)
{
	char text[80];
	struct buf enc;

	(void)state;
	memset(text, 'x', 76);
	memcpy(text + 76, "\n", 2);
	enc = qp_roundtrip(text, strlen(text));
	assert_int_equal(enc.len, 78);
	assert_memory_equal(buf_str(&enc) + 76, "\r\n", 2);
	buf_release(&enc);

	/* One more character needs a soft break. */
	memset(text, 'x', 77);
	memcpy(text + 77, "\n", 2);
	enc = qp_roundtrip(text, strlen(text));
	assert_memory_equal(buf_str(&enc) + 75, "=\r\n", 3);
	buf_release(&enc);
}

/* A deterministic pseudo-random generator, for reproducible fuzzing. */
static uint32_t rng_state = 12345;

static uint32_t rng(void)
{
	rng_state = rng_state * 1103515245u + 12345u;
	return rng_state >> 8;
}

static void qp_random_text_round_trips(void **state)
{
	static const char pick[] = " \t\n\r=.aZ09-";
	char text[600];
	int round;

	(void)state;
	for (round = 0; round < 2000; round++) {
		size_t len = rng() % sizeof text, i;
		struct buf enc;
		for (i = 0; i < len; i++) {
			uint32_t r = rng();
			text[i] = r % 3 ? pick[(r >> 4) % (sizeof pick - 1)] : (char)((r >> 4) & 0xff);
		}
		enc = qp_roundtrip(text, len);
		buf_release(&enc);
	}
}

/* --- headers ---------------------------------------------------------------------- */

/* A header block (one or more fields) must be 7-bit, and hold CR and LF
 * only as CRLF that either ends it or is followed by folding white space
 * or the next field. Lines are at most max characters. */
static void check_header_block(const char *s, size_t max)
{
	size_t i, start = 0;

	assert_true(strlen(s) >= 2);
	assert_memory_equal(s + strlen(s) - 2, "\r\n", 2);
	for (i = 0; s[i]; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80)
			fail_msg("8-bit byte 0x%02x at offset %zu of \"%s\"", c, i, s);
		if (c == '\n' && (i == 0 || s[i - 1] != '\r'))
			fail_msg("a bare LF at offset %zu of \"%s\"", i, s);
		if (c == '\r' && s[i + 1] != '\n')
			fail_msg("a bare CR at offset %zu of \"%s\"", i, s);
		if (c < 0x20 && c != '\r' && c != '\n')
			fail_msg("control byte 0x%02x at offset %zu of \"%s\"", c, i, s);
		if (c == '\r') {
			if (i - start > max)
				fail_msg("a header line of %zu characters: \"%.*s\"", i - start, (int)(i - start),
					 s + start);
			if (i - start == 0 || (i - start == 1 && s[start] == ' '))
				fail_msg("an empty or blank header line in \"%s\"", s);
			start = i + 2;
		}
	}
}

/* Checks a single field "Name: ..." the way check_header_block does, and
 * that every line break but the last is followed by folding white space. */
static void check_one_field(const char *s, size_t max)
{
	const char *p;

	check_header_block(s, max);
	for (p = strstr(s, "\r\n"); p; p = strstr(p + 2, "\r\n"))
		if (p[2] != '\0' && p[2] != ' ')
			fail_msg("a line break inside the field is not folding: \"%s\"", s);
}

/* Removes the folding (a CRLF followed by white space loses the CRLF) and
 * the final CRLF. */
static void unfold(const char *s, struct buf *out)
{
	for (; *s; s++) {
		if (s[0] == '\r' && s[1] == '\n' && (s[2] == ' ' || s[2] == '\t' || s[2] == '\0')) {
			s++;
			continue;
		}
		buf_addc(out, *s);
	}
}

/* Decodes a run of encoded-words separated by white space (as RFC 2047
 * reads them: the space between two encoded-words is not part of the text).
 * Each word must be at most 75 characters and decode to valid UTF-8 on
 * its own. Appends the decoded text to out; returns the number of words. */
static size_t decode_words(const char *s, size_t len, struct buf *out)
{
	size_t i = 0, words = 0;

	while (i < len) {
		const char *w = s + i, *end;
		size_t wl;
		struct buf dec = BUF_INIT;

		if (*w == ' ') {
			i++;
			continue;
		}
		end = memchr(w, ' ', len - i);
		wl = end ? (size_t)(end - w) : len - i;
		if (wl < 12 || strncmp(w, "=?UTF-8?B?", 10) != 0 || strncmp(w + wl - 2, "?=", 2) != 0)
			fail_msg("\"%.*s\" is not a UTF-8 B encoded-word", (int)wl, w);
		if (wl > 75)
			fail_msg("an encoded-word of %zu characters", wl);
		if (base64_decode(&dec, w + 10, wl - 12) != 0)
			fail_msg("the base64 of \"%.*s\" does not decode", (int)wl, w);
		if (utf8_validate(buf_str(&dec), dec.len) != dec.len)
			fail_msg("\"%.*s\" splits a UTF-8 character", (int)wl, w);
		buf_add(out, buf_str(&dec), dec.len);
		buf_release(&dec);
		words++;
		i += wl;
	}
	return words;
}

static void header_plain_ascii_stays_readable(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	header_add_text(&b, "Subject", "Welcome to the portal");
	assert_string_equal(buf_str(&b), "Subject: Welcome to the portal\r\n");
	buf_release(&b);
}

static void header_long_ascii_is_folded_at_spaces(void **state)
{
	const char *subject =
		"Your account on the example portal is ready and waiting for you, please sign in within the "
		"next seven days or it will be locked again by the administrators of the example directory";
	struct buf b = BUF_INIT, u = BUF_INIT;
	const char *p;
	size_t folds = 0;

	(void)state;
	header_add_text(&b, "Subject", subject);
	check_one_field(buf_str(&b), 78);
	for (p = strstr(buf_str(&b), "\r\n "); p; p = strstr(p + 3, "\r\n "))
		folds++;
	assert_true(folds >= 2);
	unfold(buf_str(&b), &u);
	assert_true(strncmp(buf_str(&u), "Subject: ", 9) == 0);
	assert_string_equal(buf_str(&u) + 9, subject);
	buf_release(&b);
	buf_release(&u);
}

/* Checks header_add_text on a value that must be encoded: the form, the
 * lines, and that the words decode to the value. */
static void check_encoded_header(const char *name, const char *value)
{
	struct buf b = BUF_INIT, u = BUF_INIT, dec = BUF_INIT;
	size_t prefix = strlen(name) + 2;

	header_add_text(&b, name, value);
	check_one_field(buf_str(&b), 76);
	unfold(buf_str(&b), &u);
	assert_true(strncmp(buf_str(&u), name, strlen(name)) == 0);
	assert_memory_equal(buf_str(&u) + strlen(name), ": =?UTF-8?B?", 12);
	decode_words(buf_str(&u) + prefix, u.len - prefix, &dec);
	if (strcmp(buf_str(&dec), value) != 0)
		fail_msg("the words of \"%s\" decode to \"%s\", not \"%s\"", buf_str(&b), buf_str(&dec), value);
	buf_release(&b);
	buf_release(&u);
	buf_release(&dec);
}

/* Plain text that folding cannot keep within 78 characters a line (a long
 * word, a long run of spaces) is encoded instead, and spaces never end up
 * alone on a line. */
static void header_unfoldable_ascii_is_encoded(void **state)
{
	char word[1001], spaces[101], value[200];
	struct buf b = BUF_INIT, u = BUF_INIT;

	(void)state;
	memset(word, 'x', sizeof word - 1);
	word[sizeof word - 1] = '\0';
	check_encoded_header("Subject", word);
	memset(spaces, ' ', sizeof spaces - 1);
	spaces[sizeof spaces - 1] = '\0';
	check_encoded_header("Subject", spaces);
	snprintf(value, sizeof value, "Welcome%s", spaces);
	check_encoded_header("Subject", value);

	/* Trailing spaces that fit stay plain, on the last line. */
	header_add_text(&b, "Subject", "Your account on the example portal is ready and waiting for you, please   ");
	check_one_field(buf_str(&b), 78);
	unfold(buf_str(&b), &u);
	assert_string_equal(buf_str(&u),
			    "Subject: Your account on the example portal is ready and waiting for you, please   ");
	buf_release(&b);
	buf_release(&u);
}

static void header_non_ascii_becomes_encoded_words(void **state)
{
	struct buf b = BUF_INIT, u = BUF_INIT, dec = BUF_INIT;
	const char *subject = "Willkommen, J\xc3\xbcrgen M\xc3\xbcller \xe2\x80\x94 Ihr Zugang zum Portal ist bereit "
			      "\xe2\x9c\x93 \xf0\x9f\x98\x80 \xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e \xc3\x86\xc3\x98\xc3\x85 "
			      "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln";
	size_t words;

	(void)state;
	check_encoded_header("Subject", subject);
	header_add_text(&b, "Subject", subject);
	/* Nothing of the text stays readable: no raw word of it appears. */
	assert_not_contains(buf_str(&b), "Willkommen");
	unfold(buf_str(&b), &u);
	words = decode_words(buf_str(&u) + 9, u.len - 9, &dec);
	assert_true(words >= 3); /* a long value takes several words */
	assert_true(strstr(buf_str(&b), "\r\n ") != NULL);
	buf_release(&b);
	buf_release(&u);
	buf_release(&dec);

	check_encoded_header("Subject", "\xc3\xa9");
	check_encoded_header("Subject", "caf\xc3\xa9");
}

static void header_words_never_split_characters(void **state)
{
	/* Characters of 1 to 4 bytes, so that words end at every alignment. */
	static const char *const pieces[] = {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", " ", "\xe6\x97\xa5"};
	static const char *const names[] = {"Subject", "To", "From", "Reply-To"};
	char value[512];
	size_t len = 0, round, k;

	(void)state;
	value[0] = '\0';
	for (round = 0; round < 90; round++) {
		const char *piece = pieces[(round * 7 + round / 5) % 6];
		memcpy(value + len, piece, strlen(piece) + 1);
		len += strlen(piece);
		if (is_ascii(value, len))
			continue;
		for (k = 0; k < 4; k++)
			check_encoded_header(names[k], value);
	}
	/* Runs of a single width. */
	for (k = 1; k < 6; k++) {
		size_t n = 0;
		value[0] = '\0';
		while (n + strlen(pieces[k]) < 300) {
			memcpy(value + n, pieces[k], strlen(pieces[k]) + 1);
			n += strlen(pieces[k]);
			if (!is_ascii(value, n))
				check_encoded_header("Subject", value);
		}
	}
}

static void header_encoded_word_marker_is_encoded(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	/* ASCII, but a reader would decode it: it is encoded itself. */
	check_encoded_header("Subject", "Hello =?UTF-8?B?QWRtaW4=?= there");
	check_encoded_header("Subject", "=?");
	header_add_text(&b, "Subject", "Hello =?UTF-8?B?QWRtaW4=?= there");
	assert_not_contains(buf_str(&b), "QWRtaW4=?=");
	buf_release(&b);
}

static void header_line_breaks_never_pass(void **state)
{
	static const char *const values[] = {
		"Hello\r\nBcc: victim@example.org",
		"Hello\nBcc: victim@example.org",
		"Hello\rBcc: victim@example.org",
		"tab\there",
		"\r\n",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof values / sizeof *values; i++) {
		struct buf b = BUF_INIT;
		header_add_text(&b, "Subject", values[i]);
		check_one_field(buf_str(&b), 76);
		assert_not_contains(buf_str(&b), "Bcc:");
		buf_release(&b);
		check_encoded_header("Subject", values[i]);
	}
}

/* --- mailboxes ------------------------------------------------------------------------ */

static void mailbox_plain_display_name(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	header_add_mailbox(&b, "From", "Example IT", "it@example.com");
	assert_string_equal(buf_str(&b), "From: Example IT <it@example.com>\r\n");
	buf_release(&b);
}

static void mailbox_special_characters_are_quoted(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	header_add_mailbox(&b, "To", "Doe, Jane", "jane@example.com");
	assert_string_equal(buf_str(&b), "To: \"Doe, Jane\" <jane@example.com>\r\n");
	buf_reset(&b);
	header_add_mailbox(&b, "To", "Doe, \"JJ\" \\ Jane", "jane@example.com");
	assert_string_equal(buf_str(&b), "To: \"Doe, \\\"JJ\\\" \\\\ Jane\" <jane@example.com>\r\n");
	buf_reset(&b);
	header_add_mailbox(&b, "To", "J. Doe", "jane@example.com");
	assert_string_equal(buf_str(&b), "To: \"J. Doe\" <jane@example.com>\r\n");
	buf_reset(&b);
	header_add_mailbox(&b, "To", "Jane <boss@example.org>", "jane@example.com");
	assert_string_equal(buf_str(&b), "To: \"Jane <boss@example.org>\" <jane@example.com>\r\n");
	buf_release(&b);
}

static void mailbox_non_ascii_display_name(void **state)
{
	struct buf b = BUF_INIT, dec = BUF_INIT;
	const char *s, *lt;

	(void)state;
	header_add_mailbox(&b, "To", "J\xc3\xbcrgen M\xc3\xbcller", "j.mueller@example.com");
	check_one_field(buf_str(&b), 76);
	s = buf_str(&b);
	assert_true(strncmp(s, "To: =?UTF-8?B?", 14) == 0);
	lt = strstr(s, " <j.mueller@example.com>\r\n");
	assert_non_null(lt);
	assert_string_equal(lt, " <j.mueller@example.com>\r\n");
	decode_words(s + 4, (size_t)(lt - s - 4), &dec);
	assert_string_equal(buf_str(&dec), "J\xc3\xbcrgen M\xc3\xbcller");
	buf_release(&b);
	buf_release(&dec);
}

static void mailbox_long_non_ascii_display_name(void **state)
{
	struct buf b = BUF_INIT, u = BUF_INIT, dec = BUF_INIT;
	const char *name = "Fran\xc3\xa7oise-\xc3\x89lisabeth de la Rochefoucauld-Montb\xc3\xa9liard "
			   "\xc3\x89tablissements Publics \xc3\x89l\xc3\xa9mentaires";
	const char *addr = "francoise-elisabeth.de-la-rochefoucauld@schools.example.com";
	const char *lt;

	(void)state;
	header_add_mailbox(&b, "To", name, addr);
	check_one_field(buf_str(&b), 76);
	unfold(buf_str(&b), &u);
	lt = strrchr(buf_str(&u), '<');
	assert_non_null(lt);
	assert_string_equal(lt + 1, "francoise-elisabeth.de-la-rochefoucauld@schools.example.com>");
	decode_words(buf_str(&u) + 4, (size_t)(lt - buf_str(&u) - 4), &dec);
	assert_string_equal(buf_str(&dec), name);
	buf_release(&b);
	buf_release(&u);
	buf_release(&dec);
}

/* Checks that display is written as encoded-words that decode to it. */
static void check_encoded_mailbox(const char *display)
{
	struct buf b = BUF_INIT, u = BUF_INIT, dec = BUF_INIT;
	const char *lt;

	header_add_mailbox(&b, "To", display, "jane@example.com");
	check_one_field(buf_str(&b), 76);
	unfold(buf_str(&b), &u);
	assert_memory_equal(buf_str(&u), "To: =?UTF-8?B?", 14);
	lt = strrchr(buf_str(&u), '<');
	assert_non_null(lt);
	assert_string_equal(lt, "<jane@example.com>");
	decode_words(buf_str(&u) + 4, (size_t)(lt - buf_str(&u) - 5), &dec);
	assert_string_equal(buf_str(&dec), display);
	buf_release(&b);
	buf_release(&u);
	buf_release(&dec);
}

/* A display name too long for one line is encoded, quoted or not. */
static void mailbox_long_ascii_display_name(void **state)
{
	char word[301];

	(void)state;
	memset(word, 'a', sizeof word - 1);
	word[sizeof word - 1] = '\0';
	check_encoded_mailbox(word);
	word[150] = ',';
	check_encoded_mailbox(word);
	check_encoded_mailbox("O'Neil, Jr., Ann-Marie, Head of Customer Relations, Fabrikam Europe (Dublin)");
}

static void mailbox_empty_display_name(void **state)
{
	struct buf b = BUF_INIT;

	(void)state;
	header_add_mailbox(&b, "To", "", "jane@example.com");
	assert_string_equal(buf_str(&b), "To: jane@example.com\r\n");
	buf_reset(&b);
	header_add_mailbox(&b, "To", NULL, "jane@example.com");
	assert_string_equal(buf_str(&b), "To: jane@example.com\r\n");
	buf_release(&b);
}

/* --- whole messages --------------------------------------------------------------------- */

static struct tmpl *compile(const char *src)
{
	struct tmpl_spec spec = {TMPL_TEXT, TB_BIT(TB_FIRST_NAME) | TB_BIT(TB_PASSWORD) | TB_BIT(TB_LOGIN_URL), 1,
				 column_slot, NULL};
	struct tmpl_error err;
	struct tmpl *t = NULL;

	memset(&err, 0, sizeof err);
	if (tmpl_compile(src, &spec, &t, &err) != 0)
		fail_msg("\"%s\" does not compile: %s", src, err.msg);
	return t;
}

#define PASSWORD "Xq7#kP9=mZ.w"
#define DATE_2026_11_21_101500 ((time_t)1795256100)

static const char BODY_SRC[] = "Hello {first_name},\n"
			       "\n"
			       "your temporary password is: {password}\n"
			       "Sign in here: {login_url}\n"
			       "\n"
			       "{Note}\n";

struct msg_fx {
	struct msg_template t;
	const char *fields[TEST_MAX_COLUMNS];
	struct tmpl_env env;
	struct message_headers h;
	int topic, note;
};

static int msg_setup(void **state)
{
	struct msg_fx *f = calloc(1, sizeof *f);

	if (!f)
		return -1;
	f->t.path = "built-in:password";
	f->t.locale = NULL;
	f->t.subject = compile("Welcome {first_name}: {Topic}");
	f->t.body = compile(BODY_SRC);
	f->topic = column_slot(NULL, "Topic");
	f->note = column_slot(NULL, "Note");
	f->fields[f->topic] = "your new account";
	f->fields[f->note] = "Questions? Reply to this message.";
	f->env.fields = f->fields;
	f->env.n_fields = TEST_MAX_COLUMNS;
	f->env.builtins[TB_FIRST_NAME] = "J\xc3\xbcrgen";
	f->env.builtins[TB_PASSWORD] = PASSWORD;
	f->env.builtins[TB_LOGIN_URL] = "https://portal.example.com/login";
	f->h.from = "Example IT <it@example.com>";
	f->h.reply_to = "Help Desk <help@example.com>";
	f->h.to_name = "J\xc3\xbcrgen M\xc3\xbcller";
	f->h.to = "j.mueller@example.com";
	f->h.message_id = "20261121T101500Z-3f9a.0123456789abcdef.password@example.com";
	f->h.date = DATE_2026_11_21_101500;
	*state = f;
	return 0;
}

static int msg_teardown(void **state)
{
	struct msg_fx *f = *state;

	tmpl_free(f->t.subject);
	tmpl_free(f->t.body);
	free(f);
	return 0;
}

/* The value of header field name in an unfolded header section, or NULL;
 * fails when the field appears more than once. */
static const char *field(const char *unfolded, const char *name, char *out, size_t size)
{
	const char *p = unfolded, *found = NULL;
	size_t nl = strlen(name);

	while (*p) {
		const char *eol = strstr(p, "\r\n");
		if (!eol)
			eol = p + strlen(p);
		if (strncmp(p, name, nl) == 0 && p[nl] == ':' && p[nl + 1] == ' ') {
			if (found)
				fail_msg("the header %s appears twice", name);
			found = p;
			snprintf(out, size, "%.*s", (int)(eol - p - nl - 2), p + nl + 2);
		}
		p = *eol ? eol + 2 : eol;
	}
	return found ? out : NULL;
}

/* Splits a built message into its header section (with its final CRLF)
 * and body. */
static void split_message(const struct buf *m, struct buf *head, struct buf *body)
{
	const char *s = buf_str(m), *sep = strstr(s, "\r\n\r\n");

	assert_non_null(sep);
	buf_add(head, s, (size_t)(sep - s) + 2);
	buf_add(body, sep + 4, m->len - (size_t)(sep - s) - 4);
}

static void build_ok(struct msg_fx *f, struct buf *out)
{
	struct diag d;

	diag_init(&d);
	if (message_build(&f->t, &f->env, &f->h, out, &d) != 0)
		fail_msg("message_build failed: %s", d.msg);
	assert_int_equal(d.status, ST_OK);
	assert_false(out->failed);
}

static void message_has_every_header(void **state)
{
	struct msg_fx *f = *state;
	struct buf m = BUF_INIT, head = BUF_INIT, body = BUF_INIT, u = BUF_INIT, dec = BUF_INIT;
	char v[512];
	const char *lt;

	build_ok(f, &m);
	split_message(&m, &head, &body);
	check_header_block(buf_str(&head), 78);
	unfold(buf_str(&head), &u);

	assert_non_null(field(buf_str(&u), "From", v, sizeof v));
	assert_string_equal(v, "Example IT <it@example.com>");
	assert_non_null(field(buf_str(&u), "Reply-To", v, sizeof v));
	assert_string_equal(v, "Help Desk <help@example.com>");
	assert_non_null(field(buf_str(&u), "To", v, sizeof v));
	lt = strstr(v, " <j.mueller@example.com>");
	assert_non_null(lt);
	assert_string_equal(lt, " <j.mueller@example.com>");
	decode_words(v, (size_t)(lt - v), &dec);
	assert_string_equal(buf_str(&dec), "J\xc3\xbcrgen M\xc3\xbcller");
	buf_reset(&dec);

	assert_non_null(field(buf_str(&u), "Subject", v, sizeof v));
	decode_words(v, strlen(v), &dec);
	assert_string_equal(buf_str(&dec), "Welcome J\xc3\xbcrgen: your new account");

	assert_non_null(field(buf_str(&u), "Date", v, sizeof v));
	assert_string_equal(v, "Sat, 21 Nov 2026 10:15:00 +0000");
	assert_non_null(field(buf_str(&u), "Message-ID", v, sizeof v));
	assert_string_equal(v, "<20261121T101500Z-3f9a.0123456789abcdef.password@example.com>");
	assert_non_null(field(buf_str(&u), "MIME-Version", v, sizeof v));
	assert_string_equal(v, "1.0");
	assert_non_null(field(buf_str(&u), "Content-Type", v, sizeof v));
	assert_string_equal(v, "text/plain; charset=UTF-8");
	assert_non_null(field(buf_str(&u), "Content-Transfer-Encoding", v, sizeof v));
	assert_string_equal(v, "quoted-printable");

	/* The password travels in the body only. */
	assert_not_contains(buf_str(&head), PASSWORD);

	buf_release(&m);
	buf_release(&head);
	buf_release(&body);
	buf_release(&u);
	buf_release(&dec);
}

static void message_body_is_quoted_printable(void **state)
{
	struct msg_fx *f = *state;
	struct buf m = BUF_INIT, head = BUF_INIT, body = BUF_INIT, dec = BUF_INIT;
	const char *want = "Hello J\xc3\xbcrgen,\r\n"
			   "\r\n"
			   "your temporary password is: " PASSWORD "\r\n"
			   "Sign in here: https://portal.example.com/login\r\n"
			   "\r\n"
			   "Questions? Reply to this message.\r\n";
	size_t i;

	build_ok(f, &m);
	/* Every line of the whole message ends with CRLF. */
	assert_true(m.len >= 2);
	assert_memory_equal(buf_str(&m) + m.len - 2, "\r\n", 2);
	for (i = 0; i < m.len; i++) {
		if (m.data[i] == '\n')
			assert_true(i > 0 && m.data[i - 1] == '\r');
		if (m.data[i] == '\r')
			assert_true(i + 1 < m.len && m.data[i + 1] == '\n');
	}
	split_message(&m, &head, &body);
	check_qp_lines(buf_str(&body), body.len);
	qp_decode(buf_str(&body), body.len, &dec);
	assert_string_equal(buf_str(&dec), want);
	assert_contains(buf_str(&dec), PASSWORD);
	/* The '=' of the password is encoded on the wire. */
	assert_contains(buf_str(&body), "Xq7#kP9=3DmZ.w");
	buf_release(&m);
	buf_release(&head);
	buf_release(&body);
	buf_release(&dec);
}

static void message_body_without_final_line_end(void **state)
{
	struct msg_fx *f = *state;
	struct buf m = BUF_INIT, head = BUF_INIT, body = BUF_INIT, dec = BUF_INIT;
	struct tmpl *old = f->t.body;

	f->t.body = compile("Password: {password}");
	build_ok(f, &m);
	split_message(&m, &head, &body);
	qp_decode(buf_str(&body), body.len, &dec);
	assert_string_equal(buf_str(&dec), "Password: " PASSWORD "\r\n");
	tmpl_free(f->t.body);
	f->t.body = old;
	buf_release(&m);
	buf_release(&head);
	buf_release(&body);
	buf_release(&dec);
}

static void message_without_reply_to_or_name(void **state)
{
	struct msg_fx *f = *state;
	struct buf m = BUF_INIT, head = BUF_INIT, body = BUF_INIT, u = BUF_INIT;
	char v[512];

	f->h.reply_to = NULL;
	f->h.to_name = "";
	f->fields[f->topic] = "plain ASCII";
	f->env.builtins[TB_FIRST_NAME] = "Jane";
	build_ok(f, &m);
	split_message(&m, &head, &body);
	check_header_block(buf_str(&head), 78);
	unfold(buf_str(&head), &u);
	assert_null(field(buf_str(&u), "Reply-To", v, sizeof v));
	assert_non_null(field(buf_str(&u), "To", v, sizeof v));
	assert_string_equal(v, "j.mueller@example.com");
	assert_non_null(field(buf_str(&u), "Subject", v, sizeof v));
	assert_string_equal(v, "Welcome Jane: plain ASCII");
	buf_release(&m);
	buf_release(&head);
	buf_release(&body);
	buf_release(&u);
}

static void message_date_is_rfc5322(void **state)
{
	static const struct {
		time_t t;
		const char *want;
	} dates[] = {
		{0, "Thu, 01 Jan 1970 00:00:00 +0000"},
		{951782400, "Tue, 29 Feb 2000 00:00:00 +0000"},
		{1767225599, "Wed, 31 Dec 2025 23:59:59 +0000"},
		{DATE_2026_11_21_101500, "Sat, 21 Nov 2026 10:15:00 +0000"},
	};
	struct msg_fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof dates / sizeof *dates; i++) {
		struct buf m = BUF_INIT, head = BUF_INIT, body = BUF_INIT, u = BUF_INIT;
		char v[128];
		f->h.date = dates[i].t;
		build_ok(f, &m);
		split_message(&m, &head, &body);
		unfold(buf_str(&head), &u);
		assert_non_null(field(buf_str(&u), "Date", v, sizeof v));
		assert_string_equal(v, dates[i].want);
		buf_release(&m);
		buf_release(&head);
		buf_release(&body);
		buf_release(&u);
	}
}

/* message_build must refuse, with ST_INPUT and a reason, and leave out as
 * it was. */
static void check_refused(struct msg_fx *f)
{
	struct buf out = BUF_INIT;
	struct diag d;
	int rc, unchanged;

	diag_init(&d);
	buf_adds(&out, "earlier content\r\n");
	rc = message_build(&f->t, &f->env, &f->h, &out, &d);
	unchanged = strcmp(buf_str(&out), "earlier content\r\n") == 0;
	if (rc != ST_INPUT)
		print_message("message_build returned %d, not ST_INPUT; the message was:\n%s", rc, buf_str(&out));
	buf_release(&out);
	assert_int_equal(rc, ST_INPUT);
	assert_int_equal(d.status, ST_INPUT);
	assert_true(d.msg[0] != '\0');
	assert_true(unchanged);
}

static void message_subject_with_line_break_refused(void **state)
{
	static const char *const topics[] = {
		"hello\r\nBcc: x@y",
		"hello\nBcc: x@y",
		"hello\rBcc: x@y",
		"\n",
	};
	struct msg_fx *f = *state;
	size_t i;

	for (i = 0; i < sizeof topics / sizeof *topics; i++) {
		f->fields[f->topic] = topics[i];
		check_refused(f);
	}
	/* A built-in that reaches the subject is checked the same way. */
	f->fields[f->topic] = "fine";
	f->env.builtins[TB_FIRST_NAME] = "Jane\r\nBcc: x@y";
	check_refused(f);
}

static void message_to_name_with_line_break_refused(void **state)
{
	struct msg_fx *f = *state;

	f->h.to_name = "Jane\nBcc: x@y";
	check_refused(f);
	f->h.to_name = "Jane\r\nBcc: x@y";
	check_refused(f);
	f->h.to_name = "Jane\r";
	check_refused(f);
}

static void message_to_with_line_break_refused(void **state)
{
	struct msg_fx *f = *state;

	f->h.to = "jane@example.com\r\nBcc: x@y";
	check_refused(f);
	f->h.to = "jane@example.com\n";
	check_refused(f);
}

static void message_from_with_line_break_refused(void **state)
{
	struct msg_fx *f = *state;

	f->h.from = "Example IT <it@example.com>\r\nBcc: x@y";
	check_refused(f);
}

/* message.h: "No header value may hold CR, LF or NUL: such input is
 * refused, never passed on." The Message-ID is a header value too. */
static void message_id_with_line_break_refused(void **state)
{
	struct msg_fx *f = *state;

	f->h.message_id = "id@example.com>\r\nBcc: victim@example.org\r\nX-A: <x";
	check_refused(f);
}

/* The same for Reply-To: refused, not silently dropped. */
static void message_reply_to_with_line_break_refused(void **state)
{
	struct msg_fx *f = *state;

	f->h.reply_to = "Help <help@example.com>\r\nBcc: victim@example.org";
	check_refused(f);
}

/* --- locale variants -------------------------------------------------------------------------- */

static void pick_variant_by_locale(void **state)
{
	struct msg_template v[4];
	static const struct {
		const char *locale;
		int want; /* index into v */
	} cases[] = {
		{"de", 1},    {"de_DE", 1}, {"de-AT", 1}, {"DE", 1},  {"de_de", 1}, {"fr", 2},
		{"fr_CA", 2}, {"FR-fr", 2}, {"pt_BR", 3}, {"pt-br", 3}, {"PT_br", 3}, {"pt", 0},
		{"pt_PT", 0}, {"es", 0},    {"es_ES", 0}, {"d", 0},   {"deu", 0},   {"", 0},
		{NULL, 0},
	};
	size_t i;

	(void)state;
	memset(v, 0, sizeof v);
	v[0].path = "built-in:welcome";
	v[1].path = "welcome.de.txt";
	v[1].locale = "de";
	v[2].path = "welcome.fr.txt";
	v[2].locale = "fr";
	v[3].path = "welcome.pt_BR.txt";
	v[3].locale = "pt_BR";
	for (i = 0; i < sizeof cases / sizeof *cases; i++) {
		const struct msg_template *got = message_pick(v, 4, cases[i].locale);
		if (got != &v[cases[i].want])
			fail_msg("locale \"%s\" picked %s, not %s", cases[i].locale ? cases[i].locale : "(null)",
				 got ? got->path : "nothing", v[cases[i].want].path);
	}
	/* Only the plain variant. */
	assert_ptr_equal(message_pick(v, 1, "de_DE"), &v[0]);
	assert_null(message_pick(v, 0, "de"));
}

int main(void)
{
#define M(fn) cmocka_unit_test_setup_teardown(fn, msg_setup, msg_teardown)
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(qp_plain_text_unchanged),
		cmocka_unit_test(qp_equals_sign),
		cmocka_unit_test(qp_high_bytes_are_hex),
		cmocka_unit_test(qp_control_characters_are_hex),
		cmocka_unit_test(qp_trailing_white_space),
		cmocka_unit_test(qp_line_ends_become_crlf),
		cmocka_unit_test(qp_dot_at_line_start),
		cmocka_unit_test(qp_long_line_of_ascii),
		cmocka_unit_test(qp_long_line_of_two_byte_characters),
		cmocka_unit_test(qp_equals_near_the_line_limit),
		cmocka_unit_test(qp_exactly_76_characters_need_no_break),
		cmocka_unit_test(qp_random_text_round_trips),
		cmocka_unit_test(header_plain_ascii_stays_readable),
		cmocka_unit_test(header_long_ascii_is_folded_at_spaces),
		cmocka_unit_test(header_unfoldable_ascii_is_encoded),
		cmocka_unit_test(header_non_ascii_becomes_encoded_words),
		cmocka_unit_test(header_words_never_split_characters),
		cmocka_unit_test(header_encoded_word_marker_is_encoded),
		cmocka_unit_test(header_line_breaks_never_pass),
		cmocka_unit_test(mailbox_plain_display_name),
		cmocka_unit_test(mailbox_special_characters_are_quoted),
		cmocka_unit_test(mailbox_non_ascii_display_name),
		cmocka_unit_test(mailbox_long_non_ascii_display_name),
		cmocka_unit_test(mailbox_long_ascii_display_name),
		cmocka_unit_test(mailbox_empty_display_name),
		M(message_has_every_header),
		M(message_body_is_quoted_printable),
		M(message_body_without_final_line_end),
		M(message_without_reply_to_or_name),
		M(message_date_is_rfc5322),
		M(message_subject_with_line_break_refused),
		M(message_to_name_with_line_break_refused),
		M(message_to_with_line_break_refused),
		M(message_from_with_line_break_refused),
		M(message_id_with_line_break_refused),
		M(message_reply_to_with_line_break_refused),
		cmocka_unit_test(pick_variant_by_locale),
	};
#undef M

	return cmocka_run_group_tests(tests, NULL, NULL);
}
