/* The MIME encoders of mail text (RFC 2045, 2047, 5322): header fields in
 * 7-bit, folded at spaces within 78 characters a line or written as RFC 2047
 * B encoded-words (UTF-8, never splitting a character), and the
 * quoted-printable body. Pure: text in, text out. The callers make sure
 * that no value holds CR, LF or NUL (message.c refuses such input).
 * Kept here because libcurl sends mail as given and its MIME API neither
 * folds header fields nor encodes display names with RFC 2047. */
#ifndef LDAPENROLL_MIME_H
#define LDAPENROLL_MIME_H

#include <stddef.h>

#include "agent/base/buf.h"

/* Appends a header field "Name: value", encoding and folding the value. */
void header_add_text(struct buf *out, const char *name, const char *value);
/* Appends "Name: display <addr>" with the display name encoded or quoted. */
void header_add_mailbox(struct buf *out, const char *name, const char *display, const char *addr);
/* Appends the quoted-printable encoding of text (LF or CRLF line ends in,
 * CRLF out). */
void qp_encode(struct buf *out, const char *text, size_t len);

#endif
