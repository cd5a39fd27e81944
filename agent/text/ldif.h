/* LDIF lines (RFC 2849) written by libldap's own writer, the one ldapsearch
 * uses: "attr: value" for a SAFE-STRING, "attr:: base64" otherwise, folded
 * at 78 columns. */
#ifndef LDAPENROLL_LDIF_H
#define LDAPENROLL_LDIF_H

#include "agent/base/buf.h"

/* Appends the line (or lines, when folded) of attr with value v, ending
 * with a newline. Returns 0, or -1 when out of memory (noted in oom.h's
 * count; b is left as it was). */
int buf_add_ldif(struct buf *b, const char *attr, const char *v);

#endif
