/* Distinguished names as strings (RFC 4514), without libldap: escaping a
 * value for a DN, and a canonical form for comparing DNs the way the
 * directory does (attribute types and values compared without case, escapes
 * resolved, spaces around separators ignored). The planner compares DNs
 * through dn_normalize(); tests check both against libldap's parser. */
#ifndef LDAPENROLL_DN_H
#define LDAPENROLL_DN_H

#include <stddef.h>

#include "agent/base/buf.h"

/* Appends value (len bytes, UTF-8) escaped for use as an RDN value:
 * '"', '+', ',', ';', '<', '>', '\' and '=' get a backslash, a leading '#' or
 * space and a trailing space too; NUL and other control characters become
 * \XX. Non-ASCII UTF-8 is kept as it is, which RFC 4514 allows. */
int dn_escape_value(struct buf *out, const char *value, size_t len);
/* True when dn_escape_value would change the value. */
int dn_value_needs_escape(const char *value, size_t len);

/* Appends the canonical form of dn: types and values lower-cased (ASCII),
 * escapes resolved and re-applied the one canonical way, multi-valued RDNs
 * sorted. Returns 0, -1 when dn is not a valid DN string or out cannot take
 * it (out->failed), or -2 when out of memory while parsing (out is then
 * unspecified). The empty DN is valid and gives "". */
int dn_normalize(const char *dn, struct buf *out);

/* True for a DN whose canonical form is the DN itself with ASCII letters
 * lower-cased (single-valued RDNs, nothing to unescape or escape, no
 * spaces around separators): such a DN can stand for its canonical form in
 * a table that compares without ASCII case. */
int dn_is_plain(const char *dn);

/* The parent of dn: a pointer into dn just after the first unescaped ',' (and
 * any spaces), or NULL for a single-RDN or empty DN. Borrowed. */
const char *dn_parent(const char *dn);

/* Appends the unescaped value of the first attribute of the first RDN (for
 * "ou=Acme\, Inc,dc=x" that is "Acme, Inc"). Returns 0 or -1 on a syntax
 * error. */
int dn_first_value(const char *dn, struct buf *out);

/* True when dn equals base or lies below it (both compared canonically). */
int dn_is_under(const char *dn, const char *base);

#endif
