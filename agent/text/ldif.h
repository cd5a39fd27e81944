/* LDIF lines (RFC 2849) written by libldap's own writer, the one ldapsearch
 * uses, folded at 78 columns: "attr: value" for a SAFE-STRING and for UTF-8
 * text (readable in a preview; OpenLDAP's tools read it), "attr:: base64"
 * only where it must be (a leading space, colon or '<', a trailing space,
 * a control character, bytes that are not UTF-8). */
#ifndef LDAPENROLL_LDIF_H
#define LDAPENROLL_LDIF_H

#include "agent/base/buf.h"

/* Appends the line (or lines, when folded) of attr with value v, ending
 * with a newline. Returns 0, or -1 when out of memory (noted in oom.h's
 * count; b is left as it was). */
int buf_add_ldif(struct buf *b, const char *attr, const char *v);

#endif
