#include "agent/text/base64.h"

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void base64_encode(struct buf *out, const void *data, size_t len)
{
	const unsigned char *p = data;
	char q[4];
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		q[0] = alphabet[p[i] >> 2];
		q[1] = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		q[2] = alphabet[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		q[3] = alphabet[p[i + 2] & 63];
		buf_add(out, q, 4);
	}
	if (i < len) {
		q[0] = alphabet[p[i] >> 2];
		if (i + 1 < len) {
			q[1] = alphabet[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			q[2] = alphabet[(p[i + 1] & 15) << 2];
		} else {
			q[1] = alphabet[(p[i] & 3) << 4];
			q[2] = '=';
		}
		q[3] = '=';
		buf_add(out, q, 4);
	}
}

void base64url_encode(struct buf *out, const void *data, size_t len)
{
	size_t start = out->len, i;

	base64_encode(out, data, len);
	if (out->failed)
		return;
	for (i = start; i < out->len; i++)
		out->data[i] = out->data[i] == '+' ? '-' : out->data[i] == '/' ? '_' : out->data[i];
	while (out->len > start && out->data[out->len - 1] == '=')
		buf_truncate(out, out->len - 1);
}

int base64url_decode(struct buf *out, const char *s, size_t len)
{
	struct buf std = BUF_INIT;
	size_t i;
	int rc = -1;

	if (len % 4 == 1)
		return -1;
	for (i = 0; i < len; i++) {
		char c = s[i];
		if (c == '+' || c == '/' || c == '=')
			goto out;
		buf_addc(&std, c == '-' ? '+' : c == '_' ? '/' : c);
	}
	while (std.len % 4)
		buf_addc(&std, '=');
	if (!std.failed)
		rc = base64_decode(out, buf_str(&std), std.len);
out:
	buf_release(&std);
	return rc;
}

static int val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int base64_decode(struct buf *out, const char *s, size_t len)
{
	size_t i;

	if (len % 4)
		return -1;
	for (i = 0; i < len; i += 4) {
		int a = val(s[i]), b = val(s[i + 1]), c = s[i + 2] == '=' ? -2 : val(s[i + 2]),
		    d = s[i + 3] == '=' ? -2 : val(s[i + 3]);
		if (a < 0 || b < 0 || c == -1 || d == -1 || (c == -2 && d != -2) ||
		    ((c == -2 || d == -2) && i + 4 != len))
			return -1;
		buf_addc(out, (char)((a << 2) | (b >> 4)));
		if (c >= 0)
			buf_addc(out, (char)(((b & 15) << 4) | (c >> 2)));
		if (d >= 0)
			buf_addc(out, (char)(((c & 3) << 6) | d));
	}
	return 0;
}
