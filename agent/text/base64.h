/* Base64 (RFC 4648), for LDIF values and MIME encoded-words. */
#ifndef LDAPENROLL_BASE64_H
#define LDAPENROLL_BASE64_H

#include <stddef.h>

#include "agent/base/buf.h"

void base64_encode(struct buf *out, const void *data, size_t len);
/* Decodes standard base64 (padding required, no whitespace). Returns 0 or
 * -1 on invalid input. */
int base64_decode(struct buf *out, const char *s, size_t len);

#endif
