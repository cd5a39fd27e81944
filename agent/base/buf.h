/* A growable, NUL-terminated byte buffer with an optional size cap.
 *
 * Every string the agent builds goes through a buf: the data is always
 * terminated so it can be handed to C APIs, and a cap turns runaway input into
 * an error instead of unbounded memory. Ownership leaves only through
 * buf_take(). */
#ifndef LDAPENROLL_BUF_H
#define LDAPENROLL_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data;   /* always NUL-terminated once anything was added; may be NULL when empty */
	size_t len;   /* bytes used, excluding the terminator */
	size_t alloc; /* bytes allocated */
	size_t cap;   /* maximum len; 0 means no cap */
	int failed;   /* sticky: an append failed (out of memory or over the cap) */
	int secret;   /* holds a secret: no byte of it is ever left in freed memory */
};

#define BUF_INIT {NULL, 0, 0, 0, 0, 0}
/* A buffer for anything that holds a password: when it grows, the new block
 * is allocated, the content copied and the old block wiped before it is
 * freed (realloc would leave a copy behind); release and reset wipe. */
#define BUF_SECRET_INIT {NULL, 0, 0, 0, 0, 1}

void buf_init(struct buf *b, size_t cap);
/* The same as BUF_SECRET_INIT, with a cap. */
void buf_init_secret(struct buf *b, size_t cap);
/* Frees the data (a secret buffer wipes it first); the buffer stays usable,
 * and secret if it was. */
void buf_release(struct buf *b);
/* Wipes the bytes (not optimised away), then frees them, whatever kind of
 * buffer b is. Use for anything that held a secret. */
void buf_release_secret(struct buf *b);
/* Empties the buffer, keeping its allocation (a secret one is wiped). */
void buf_reset(struct buf *b);

/* The appenders return 0, or -1 when the buffer could not grow (the buffer
 * then stays usable, keeps its old content and remembers the failure in
 * b->failed). */
int buf_add(struct buf *b, const void *data, size_t len);
int buf_adds(struct buf *b, const char *s);
int buf_addc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Ensures room for n more bytes. */
int buf_grow(struct buf *b, size_t n);
/* Shortens the content to len bytes (len <= b->len). */
void buf_truncate(struct buf *b, size_t len);

/* Returns the content as a heap string the caller frees, and leaves the buffer
 * empty. Never returns NULL unless memory is exhausted (an empty buffer gives
 * ""). */
char *buf_take(struct buf *b);
/* The content as a C string; "" for an empty buffer. Borrowed. */
const char *buf_str(const struct buf *b);

#endif
