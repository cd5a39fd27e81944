/* UTF-8 decoding and validation (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
#ifndef LDAPENROLL_UTF8_H
#define LDAPENROLL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#include "agent/base/buf.h"

/* Decodes the character at s (at most len bytes). Returns its length in
 * bytes (1-4) and stores the code point, or returns 0 when the bytes are not
 * a valid, complete UTF-8 character. */
size_t utf8_decode(const char *s, size_t len, uint32_t *cp);
/* Appends the encoding of cp. */
void utf8_encode(struct buf *out, uint32_t cp);
/* Returns the byte offset of the first invalid sequence, or len when all of
 * s is valid. */
size_t utf8_validate(const char *s, size_t len);
/* The number of characters in a valid UTF-8 string of len bytes. */
size_t utf8_chars(const char *s, size_t len);
/* True when every byte is ASCII. */
int is_ascii(const char *s, size_t len);
/* The value of a hexadecimal digit (either case), or -1. */
int hex_digit(char c);

#endif
