#include "agent/text/linktoken.h"

#include <string.h>
#include <time.h>

#include "agent/base/secret_file.h"
#include "agent/base/secure.h"
#include "agent/base/utf8.h"
#include "agent/text/base64.h"

#define VERSION 1
#define HEADER 2            /* version, key id */
#define TOKEN_MAX 4096      /* decoded bytes: a DN and a password fit many times over */
static const char ad_text[] = "ldapenroll set-password link v1";

int link_keys_parse(const char *text, size_t len, struct link_keys *out, unsigned *line, const char **why)
{
	size_t i = 0, j;

	memset(out, 0, sizeof *out);
	*line = 0;
	while (i < len) {
		size_t end = i, k;
		unsigned id = 0;

		while (end < len && text[end] != '\n')
			end++;
		++*line;
		j = i;
		while (j < end && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'))
			j++;
		if (j == end || text[j] == '#') {
			i = end + 1;
			continue;
		}
		while (j < end && text[j] >= '0' && text[j] <= '9' && id <= 255)
			id = id * 10 + (unsigned)(text[j++] - '0');
		if (id < 1 || id > 255 || j == end || (text[j] != ' ' && text[j] != '\t')) {
			*why = "expected a key id (1-255), a space and 64 hexadecimal digits";
			return -1;
		}
		while (j < end && (text[j] == ' ' || text[j] == '\t'))
			j++;
		if (out->n == LINK_KEYS_MAX) {
			*why = "more than 16 keys";
			return -1;
		}
		for (k = 0; k < out->n; k++)
			if (out->k[k].id == id) {
				*why = "the key id is used twice";
				return -1;
			}
		for (k = 0; k < AEAD_KEY; k++) {
			int hi = j + 2 * k + 1 < end ? hex_digit(text[j + 2 * k]) : -1;
			int lo = hi >= 0 ? hex_digit(text[j + 2 * k + 1]) : -1;
			if (lo < 0) {
				*why = "a key is 64 hexadecimal digits (32 random bytes)";
				link_keys_wipe(out);
				return -1;
			}
			out->k[out->n].key[k] = (unsigned char)(hi << 4 | lo);
		}
		j += 2 * AEAD_KEY;
		while (j < end && (text[j] == ' ' || text[j] == '\t' || text[j] == '\r'))
			j++;
		if (j != end) {
			*why = "text after the key";
			link_keys_wipe(out);
			return -1;
		}
		out->k[out->n++].id = (unsigned char)id;
		i = end + 1;
	}
	if (!out->n) {
		*why = "no key in the file";
		return -1;
	}
	return 0;
}

void link_keys_wipe(struct link_keys *keys)
{
	secure_wipe(keys, sizeof *keys);
}

int link_keys_load(const char *path, struct link_keys *out, struct diag *d)
{
	struct buf text = BUF_INIT;
	const char *why;
	unsigned line;
	int rc;

	memset(out, 0, sizeof *out);
	if ((rc = secret_file_read(path, &text, d)) < 0) {
		diag_prefix(d, "passwords.link_key_file: ");
		buf_release_secret(&text);
		return rc;
	}
	rc = 0;
	if (link_keys_parse(text.data ? text.data : "", text.len, out, &line, &why) < 0)
		rc = diag_set(d, ST_INPUT, "%s:%u: %s", path, line, why);
	buf_release_secret(&text);
	return rc;
}

void link_expiry_text(int64_t when, const char *locale, struct buf *out)
{
	static const char *const en[] = {"January", "February", "March", "April", "May", "June", "July",
					 "August", "September", "October", "November", "December"};
	static const char *const de[] = {"Januar", "Februar", "März", "April", "Mai", "Juni", "Juli",
					 "August", "September", "Oktober", "November", "Dezember"};
	static const char *const fr[] = {"janvier", "février", "mars", "avril", "mai", "juin", "juillet",
					 "août", "septembre", "octobre", "novembre", "décembre"};
	time_t t = (time_t)when;
	struct tm tm;

	if (!gmtime_r(&t, &tm)) {
		buf_adds(out, "?");
		return;
	}
	if (locale && strncmp(locale, "de", 2) == 0 && (!locale[2] || locale[2] == '_' || locale[2] == '-'))
		buf_printf(out, "%d. %s %d, %02d:%02d UTC", tm.tm_mday, de[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
			   tm.tm_min);
	else if (locale && strncmp(locale, "fr", 2) == 0 && (!locale[2] || locale[2] == '_' || locale[2] == '-'))
		buf_printf(out, "%d %s %d à %02d:%02d UTC", tm.tm_mday, fr[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
			   tm.tm_min);
	else
		buf_printf(out, "%d %s %d, %02d:%02d UTC", tm.tm_mday, en[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour,
			   tm.tm_min);
}

const char *link_status_text(enum link_status s)
{
	switch (s) {
	case LINK_OK: return "valid";
	case LINK_MALFORMED: return "not a link of this site";
	case LINK_UNKNOWN_KEY: return "made with a key that is no longer known";
	case LINK_FORGED: return "changed or not made here";
	case LINK_EXPIRED: return "expired";
	}
	return "?";
}

static void put_field(struct buf *b, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	buf_addc(b, (char)(n >> 8));
	buf_addc(b, (char)(n & 0xff));
	if (n)
		buf_add(b, s, n);
}

static int field_too_long(const char *s)
{
	return s && strlen(s) > 0xffff;
}

int link_token_seal(const struct link_keys *keys, const struct link_claims *c, struct buf *out, struct diag *d)
{
	struct buf plain = BUF_SECRET_INIT, sealed = BUF_INIT;
	unsigned char head[HEADER + AEAD_NONCE], tag[AEAD_TAG], ad[sizeof ad_text - 1 + HEADER];
	int i, rc = -1;

	if (!keys->n)
		return diag_set(d, ST_FAIL, "no link key");
	if (field_too_long(c->job) || field_too_long(c->dn) || field_too_long(c->password) ||
	    field_too_long(c->language))
		return diag_set(d, ST_FAIL, "a field of the link is too long");
	head[0] = VERSION;
	head[1] = keys->k[0].id;
	if (random_bytes(head + HEADER, AEAD_NONCE, d) < 0)
		return -1;
	for (i = 7; i >= 0; i--)
		buf_addc(&plain, (char)((uint64_t)c->expires >> (8 * i)));
	put_field(&plain, c->job);
	put_field(&plain, c->dn);
	put_field(&plain, c->password);
	put_field(&plain, c->language);
	memcpy(ad, ad_text, sizeof ad_text - 1);
	memcpy(ad + sizeof ad_text - 1, head, HEADER);
	buf_add(&sealed, head, sizeof head);
	if (plain.failed || buf_grow(&sealed, plain.len + AEAD_TAG) < 0) {
		diag_set(d, ST_FAIL, "out of memory");
		goto out;
	}
	if (aead_seal(keys->k[0].key, head + HEADER, ad, sizeof ad, plain.data, plain.len,
		      (unsigned char *)sealed.data + sealed.len, tag) < 0) {
		diag_set(d, ST_FAIL, "cannot seal the link");
		goto out;
	}
	sealed.len += plain.len;
	buf_add(&sealed, tag, sizeof tag);
	base64url_encode(out, sealed.data, sealed.len);
	rc = out->failed || sealed.failed ? diag_set(d, ST_FAIL, "out of memory") : 0;
out:
	buf_release_secret(&plain);
	buf_release(&sealed);
	return rc;
}

/* Reads a length-prefixed field at *pos into store, NUL-terminated; its
 * offset in store goes to *at. */
static int get_field(const unsigned char *p, size_t len, size_t *pos, struct buf *store, size_t *at)
{
	size_t n;

	if (len - *pos < 2)
		return -1;
	n = (size_t)p[*pos] << 8 | p[*pos + 1];
	*pos += 2;
	if (len - *pos < n)
		return -1;
	*at = store->len;
	buf_add(store, p + *pos, n);
	buf_addc(store, '\0');
	*pos += n;
	return 0;
}

enum link_status link_token_open(const struct link_keys *keys, const char *token, size_t len, int64_t now,
				 struct link_claims *c, struct buf *store)
{
	struct buf raw = BUF_INIT, plain = BUF_SECRET_INIT;
	unsigned char ad[sizeof ad_text - 1 + HEADER];
	const unsigned char *p, *key = NULL;
	enum link_status st = LINK_MALFORMED;
	size_t n, i, pos = 0, at[4];
	uint64_t expires = 0;

	memset(c, 0, sizeof *c);
	if (len > TOKEN_MAX * 4 / 3 + 4 || base64url_decode(&raw, token, len) < 0 || raw.failed)
		goto out;
	p = (const unsigned char *)raw.data;
	if (raw.len < HEADER + AEAD_NONCE + 8 + 8 + AEAD_TAG || p[0] != VERSION)
		goto out;
	for (i = 0; i < keys->n && !key; i++)
		if (keys->k[i].id == p[1])
			key = keys->k[i].key;
	if (!key) {
		st = LINK_UNKNOWN_KEY;
		goto out;
	}
	n = raw.len - HEADER - AEAD_NONCE - AEAD_TAG;
	memcpy(ad, ad_text, sizeof ad_text - 1);
	memcpy(ad + sizeof ad_text - 1, p, HEADER);
	if (buf_grow(&plain, n) < 0)
		goto out;
	if (aead_open(key, p + HEADER, ad, sizeof ad, p + HEADER + AEAD_NONCE, n, p + raw.len - AEAD_TAG,
		      (unsigned char *)plain.data) < 0) {
		st = LINK_FORGED;
		goto out;
	}
	plain.len = n;
	p = (const unsigned char *)plain.data;
	for (i = 0; i < 8; i++)
		expires = expires << 8 | p[i];
	pos = 8;
	buf_reset(store);
	for (i = 0; i < 4; i++)
		if (get_field(p, n, &pos, store, &at[i]) < 0)
			goto out;
	if (pos != n || store->failed)
		goto out;
	c->expires = (int64_t)expires;
	c->job = store->data + at[0];
	c->dn = store->data + at[1];
	c->password = store->data + at[2];
	c->language = store->data + at[3];
	st = c->expires <= now ? LINK_EXPIRED : LINK_OK;
out:
	buf_release(&raw);
	buf_release_secret(&plain);
	return st;
}
