/* Base64 (RFC 4648), for MIME encoded-words and password hashes. The decoder
 * is strict (padding required, no whitespace, nothing after the end), which
 * OpenSSL's EVP decoder is not; a stored hash that decodes loosely must not
 * be taken for a valid one. */
#ifndef LDAPENROLL_BASE64_H
#define LDAPENROLL_BASE64_H

#include <stddef.h>

#include "agent/base/buf.h"

void base64_encode(struct buf *out, const void *data, size_t len);
/* Decodes standard base64 (padding required, no whitespace). Returns 0 or
 * -1 on invalid input. */
int base64_decode(struct buf *out, const char *s, size_t len);
/* The URL and file name safe alphabet (RFC 4648 section 5: '-' and '_'),
 * without padding: what goes into a link. The decoder refuses anything
 * else, padding included. */
void base64url_encode(struct buf *out, const void *data, size_t len);
int base64url_decode(struct buf *out, const char *s, size_t len);

#endif
