/* Fuzzing the mail header encoders and the message builder
 * (agent/text/mime.c, agent/notify/message.c). The input is a display name, a subject, a body and
 * the display name of the sender, separated by NUL bytes.
 *
 * Properties:
 *  - header_add_text() and header_add_mailbox() write one field, 7-bit,
 *    with CR and LF only as CRLF, every line break but the last followed by
 *    folding white space, no blank line and no line over 998 characters
 *    (RFC 5322); encoded-words are UTF-8 B words of at most 75 characters;
 *    unfolding and decoding the field (RFC 2047, quoted-string) gives the
 *    input back, whatever bytes it holds;
 *  - message_build() refuses a display name or subject holding CR or LF,
 *    and a body holding CR; otherwise the whole message is 7-bit with CRLF
 *    line ends and lines of at most 998 characters, the header block has
 *    exactly the fields the builder writes (nothing a value could add), the
 *    From and To display names and the Subject decode to the input, and the
 *    quoted-printable body decodes to the body with CRLF line ends. */
#include "agent/text/address.h"
#include "agent/base/buf.h"
#include "agent/base/diag.h"
#include "agent/notify/message.h"
#include "agent/text/template.h"
#include "tests/fuzz/fuzz.h"

#define LINE_LIMIT 998
#define ADDR "someone@example.com"

/* --- checks on encoded text ------------------------------------------------ */

/* A header section (one or more fields): 7-bit, CR and LF only as CRLF,
 * ending with CRLF, no blank line, no line over LINE_LIMIT; with one_field,
 * every line break but the last is folding. */
static void check_fields(const char *s, size_t len, int one_field)
{
	size_t i, start = 0;

	CHECK(len >= 2 && memcmp(s + len - 2, "\r\n", 2) == 0);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		CHECK(c < 0x80 && c != 0x7f);
		CHECK(c >= 0x20 || c == '\r' || c == '\n');
		if (c == '\n')
			CHECK(i > 0 && s[i - 1] == '\r');
		if (c != '\r')
			continue;
		CHECK(i + 1 < len && s[i + 1] == '\n');
		CHECK(i - start <= LINE_LIMIT);
		CHECK(i - start > 0 && strspn(s + start, " \t") < i - start);
		if (one_field && i + 2 < len)
			CHECK(s[i + 2] == ' ' || s[i + 2] == '\t');
		start = i + 2;
	}
}

/* Unfolds a header section: a CRLF followed by white space is removed, and
 * so is each field's final CRLF, fields being separated by '\n'. */
static void unfold(const char *s, size_t len, struct buf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && i + 2 < len && (s[i + 2] == ' ' || s[i + 2] == '\t')) {
			i++;
			continue;
		}
		if (s[i] == '\r') {
			buf_addc(out, '\n');
			i++;
			continue;
		}
		buf_addc(out, s[i]);
	}
}

static int b64_value(char c)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = c ? strchr(alphabet, c) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

/* Decodes base64 with padding; aborts on anything else. */
static void b64_decode(const char *s, size_t len, struct buf *out)
{
	size_t i;

	CHECK(len % 4 == 0);
	for (i = 0; i < len; i += 4) {
		int a = b64_value(s[i]), b = b64_value(s[i + 1]), c = b64_value(s[i + 2]), d = b64_value(s[i + 3]);
		int last = i + 4 == len;

		CHECK(a >= 0 && b >= 0);
		buf_addc(out, (char)(a << 2 | b >> 4));
		if (s[i + 2] == '=') {
			CHECK(last && s[i + 3] == '=' && (b & 15) == 0);
			continue;
		}
		CHECK(c >= 0);
		buf_addc(out, (char)((b & 15) << 4 | c >> 2));
		if (s[i + 3] == '=') {
			CHECK(last && (c & 3) == 0);
			continue;
		}
		CHECK(d >= 0);
		buf_addc(out, (char)((c & 3) << 6 | d));
	}
}

/* Decodes a run of RFC 2047 encoded-words separated by white space (which
 * is not part of the text between two encoded-words). Only what the
 * encoder emits is accepted: UTF-8, B encoding, at most 75 characters. */
static void decode_words(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;

	CHECK(len > 0);
	while (i < len) {
		const char *w = s + i, *end;
		size_t wl;

		CHECK(len - i >= 12 && memcmp(w, "=?UTF-8?B?", 10) == 0);
		end = memchr(w + 10, '?', len - i - 10);
		CHECK(end && (size_t)(end - s) + 1 < len && end[1] == '=');
		wl = (size_t)(end + 2 - w);
		CHECK(wl <= 75);
		b64_decode(w + 10, wl - 12, out);
		i += wl;
		if (i < len) {
			CHECK(s[i] == ' ' || s[i] == '\t');
			while (i < len && (s[i] == ' ' || s[i] == '\t'))
				i++;
			CHECK(i < len);
		}
	}
}

/* The text of an unstructured field value: encoded-words, or the text as
 * it is. */
static void decode_text(const char *s, size_t len, struct buf *out)
{
	if (len >= 2 && memcmp(s, "=?", 2) == 0)
		decode_words(s, len, out);
	else
		buf_add(out, s, len);
}

/* A display name: encoded-words, a quoted-string, or plain words. */
static void decode_display(const char *s, size_t len, struct buf *out)
{
	size_t i;

	if (len >= 2 && memcmp(s, "=?", 2) == 0) {
		decode_words(s, len, out);
	} else if (len && s[0] == '"') {
		CHECK(len >= 2 && s[len - 1] == '"');
		for (i = 1; i + 1 < len; i++) {
			CHECK(s[i] != '"');
			if (s[i] == '\\') {
				i++;
				CHECK(i + 1 < len);
			}
			buf_addc(out, s[i]);
		}
	} else {
		buf_add(out, s, len);
	}
}

/* The value of the single field "name: value" in an unfolded section (fields
 * separated by '\n'); aborts unless the field is there exactly once. */
static void field_value(const struct buf *unfolded, const char *name, const char **v, size_t *vlen)
{
	const char *s = buf_str(unfolded), *p, *found = NULL, *end;
	size_t nlen = strlen(name);

	for (p = s; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (strncmp(p, name, nlen) == 0 && p[nlen] == ':' && p[nlen + 1] == ' ') {
			CHECK(!found);
			found = p + nlen + 2;
		}
	CHECK(found);
	end = strchr(found, '\n');
	*v = found;
	*vlen = end ? (size_t)(end - found) : strlen(found);
}

static void check_mailbox_value(const char *v, size_t vlen, const char *display, const char *addr)
{
	struct buf dec = BUF_INIT;
	size_t alen = strlen(addr);

	if (!display || !*display) {
		CHECK(vlen == alen && memcmp(v, addr, alen) == 0);
		return;
	}
	CHECK(vlen >= alen + 3);
	CHECK(memcmp(v + vlen - alen - 3, " <", 2) == 0 && memcmp(v + vlen - alen - 1, addr, alen) == 0 &&
	      v[vlen - 1] == '>');
	decode_display(v, vlen - alen - 3, &dec);
	CHECK(dec.len == strlen(display) && memcmp(buf_str(&dec), display, dec.len) == 0);
	buf_release(&dec);
}

/* --- the encoders on their own ----------------------------------------------- */

static void check_encoders(const char *value)
{
	struct buf out = BUF_INIT, u = BUF_INIT, dec = BUF_INIT;
	const char *v;
	size_t vlen;

	header_add_text(&out, "Subject", value);
	CHECK(!out.failed);
	check_fields(buf_str(&out), out.len, 1);
	unfold(buf_str(&out), out.len, &u);
	field_value(&u, "Subject", &v, &vlen);
	decode_text(v, vlen, &dec);
	CHECK(dec.len == strlen(value) && memcmp(buf_str(&dec), value, dec.len) == 0);

	buf_reset(&out);
	buf_reset(&u);
	header_add_mailbox(&out, "To", value, ADDR);
	CHECK(!out.failed);
	check_fields(buf_str(&out), out.len, 1);
	unfold(buf_str(&out), out.len, &u);
	field_value(&u, "To", &v, &vlen);
	check_mailbox_value(v, vlen, value, ADDR);
	buf_release(&out);
	buf_release(&u);
	buf_release(&dec);
}

/* --- whole messages ---------------------------------------------------------- */

static struct tmpl *compile_text(const char *src)
{
	struct tmpl_spec spec = {TMPL_TEXT, (1u << TB_COUNT) - 1, 0, NULL, NULL};
	struct tmpl_error err;
	struct tmpl *t = NULL;

	CHECK(tmpl_compile(src, &spec, &t, &err) == 0);
	return t;
}

/* An upper-case hex digit, as quoted-printable writes them. */
static int hex_value(char c)
{
	static const char digits[] = "0123456789ABCDEF";
	const char *p = c ? strchr(digits, c) : NULL;

	return p ? (int)(p - digits) : -1;
}

/* Decodes quoted-printable, turning its CRLF line ends into LF. */
static void qp_decode(const char *s, size_t len, struct buf *out)
{
	size_t i, col = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r') {
			CHECK(i + 1 < len && s[i + 1] == '\n');
			CHECK(col <= 76);
			buf_addc(out, '\n');
			i++;
			col = 0;
			continue;
		}
		col++;
		if (s[i] != '=') {
			CHECK(s[i] != ' ' || (i + 1 < len && s[i + 1] != '\r'));
			buf_addc(out, s[i]);
			continue;
		}
		if (i + 2 < len && s[i + 1] == '\r' && s[i + 2] == '\n') {
			CHECK(col <= 76);
			i += 2;
			col = 0;
			continue;
		}
		CHECK(i + 2 < len && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0);
		buf_addc(out, (char)(hex_value(s[i + 1]) << 4 | hex_value(s[i + 2])));
		i += 2;
		col += 2;
	}
}

static void check_message(const char *to_name, const char *subject, const char *body, const char *from_display)
{
	struct msg_template mt = {(char *)"fuzz.txt", NULL, NULL, NULL};
	struct message_headers h;
	struct tmpl_env env;
	struct buf from = BUF_INIT, out = BUF_INIT, u = BUF_INIT, dec = BUF_INIT, want = BUF_INIT;
	struct buf from_name = BUF_INIT, from_addr = BUF_INIT;
	struct diag d;
	const char *end, *v, *why;
	size_t hlen, vlen, i, fields = 0;
	int rc;

	mt.subject = compile_text("{first_name}");
	mt.body = compile_text("{password}");
	memset(&env, 0, sizeof env);
	env.builtins[TB_FIRST_NAME] = subject;
	env.builtins[TB_PASSWORD] = body;
	/* The sender as the config would give it, when the name makes one. */
	buf_printf(&from, "%s <it@example.com>", from_display);
	memset(&h, 0, sizeof h);
	h.from = buf_str(&from);
	h.reply_to = "helpdesk@example.com";
	h.to_name = to_name;
	h.to = ADDR;
	h.message_id = "20261121T101500Z-3f9a.0123456789abcdef.welcome@example.com";
	h.date = 1763719500;
	if (mailbox_parse(h.from, &from_name, &from_addr, &why) < 0) {
		buf_reset(&from);
		buf_reset(&from_name);
		buf_reset(&from_addr);
		buf_adds(&from, "Example IT <it@example.com>");
		h.from = buf_str(&from);
		CHECK(mailbox_parse(h.from, &from_name, &from_addr, &why) == 0);
	}
	diag_init(&d);
	rc = message_build(&mt, &env, &h, &out, &d);
	if (strpbrk(to_name, "\r\n") || strpbrk(subject, "\r\n") || strchr(body, '\r')) {
		CHECK(rc == ST_INPUT && d.msg[0]);
		goto out;
	}
	CHECK(rc == 0);
	CHECK(!out.failed);
	/* The whole message: 7-bit, CRLF, no line over the limit. */
	for (i = 0, vlen = 0; i < out.len; i++) {
		unsigned char c = (unsigned char)out.data[i];
		CHECK(c < 0x80);
		CHECK(c != '\n' || (i && out.data[i - 1] == '\r'));
		CHECK(c != '\r' || (i + 1 < out.len && out.data[i + 1] == '\n'));
		vlen = c == '\n' ? 0 : vlen + 1;
		CHECK(vlen <= LINE_LIMIT + 1);
	}
	end = strstr(buf_str(&out), "\r\n\r\n");
	CHECK(end);
	hlen = (size_t)(end - out.data) + 2;
	check_fields(out.data, hlen, 0);
	unfold(out.data, hlen, &u);
	for (i = 0; i < u.len; i++)
		fields += u.data[i] == '\n';
	CHECK(fields == 10);
	field_value(&u, "From", &v, &vlen);
	check_mailbox_value(v, vlen, buf_str(&from_name), buf_str(&from_addr));
	field_value(&u, "To", &v, &vlen);
	check_mailbox_value(v, vlen, to_name, ADDR);
	field_value(&u, "Subject", &v, &vlen);
	decode_text(v, vlen, &dec);
	CHECK(dec.len == strlen(subject) && memcmp(buf_str(&dec), subject, dec.len) == 0);
	/* The body. */
	buf_reset(&dec);
	qp_decode(end + 4, out.len - hlen - 2, &dec);
	buf_adds(&want, body);
	if (want.len && want.data[want.len - 1] != '\n')
		buf_addc(&want, '\n');
	CHECK(dec.len == want.len && memcmp(buf_str(&dec), buf_str(&want), want.len) == 0);
out:
	tmpl_free(mt.subject);
	tmpl_free(mt.body);
	buf_release(&from);
	buf_release(&from_name);
	buf_release(&from_addr);
	buf_release(&out);
	buf_release(&u);
	buf_release(&dec);
	buf_release(&want);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *p[4] = {NULL, NULL, NULL, NULL};
	size_t n = fuzz_split(data, size, p, 4), i;
	const char *to_name = p[0], *subject = n > 1 ? p[1] : "", *body = n > 2 ? p[2] : "",
		   *from = n > 3 ? p[3] : "Example IT";

	for (i = 0; i < n; i++)
		check_encoders(p[i]);
	check_message(to_name, subject, body, from);
	fuzz_pieces_free(p, n);
	return 0;
}
