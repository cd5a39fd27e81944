#include "agent/base/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/base/oom.h"
#include "agent/base/secure.h"

void buf_init(struct buf *b, size_t cap)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
	b->failed = 0;
	b->secret = 0;
}

void buf_init_secret(struct buf *b, size_t cap)
{
	buf_init(b, cap);
	b->secret = 1;
}

void buf_release(struct buf *b)
{
	int secret = b->secret;

	if (secret && b->data)
		secure_wipe(b->data, b->alloc);
	free(b->data);
	buf_init(b, b->cap);
	b->secret = secret;
}

void buf_release_secret(struct buf *b)
{
	if (b->data)
		secure_wipe(b->data, b->alloc);
	buf_release(b);
}

void buf_reset(struct buf *b)
{
	if (b->secret && b->data)
		secure_wipe(b->data, b->len);
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* A secret buffer's new block: copied over, the old one wiped and freed. */
static char *grow_secret(struct buf *b, size_t want)
{
	char *p = malloc(want);

	if (!p)
		return NULL;
	if (b->data) {
		memcpy(p, b->data, b->len + 1);
		secure_wipe(b->data, b->alloc);
		free(b->data);
	}
	return p;
}

int buf_grow(struct buf *b, size_t n)
{
	size_t need, want;
	char *p;

	if (n > (size_t)-1 - b->len - 1)
		goto fail;
	need = b->len + n + 1;
	if (b->cap && need - 1 > b->cap)
		goto fail;
	if (need <= b->alloc)
		return 0;
	want = b->alloc ? b->alloc : 64;
	while (want < need)
		want = want > ((size_t)-1) / 2 ? need : want * 2;
	p = b->secret ? grow_secret(b, want) : realloc(b->data, want);
	if (!p) {
		oom_note();
		goto fail;
	}
	b->data = p;
	b->alloc = want;
	return 0;
fail:
	b->failed = 1;
	return -1;
}

int buf_add(struct buf *b, const void *data, size_t len)
{
	if (buf_grow(b, len) < 0)
		return -1;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0 || buf_grow(b, (size_t)n) < 0) {
		b->failed = 1;
		return -1;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

void buf_truncate(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

char *buf_take(struct buf *b)
{
	char *s = b->data;

	if (!s)
		s = strdup("");
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->failed = 0;
	return s;
}

const char *buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}
