/* LDAP filter values (RFC 4515). The escaping is libldap's own
 * (ldap_bv2escaped_filter_value), a pure string function that opens no
 * session: '(', ')', '*', '\', NUL, the other control characters and every
 * byte above 0x7f become '\' and two upper-case hex digits, which a server
 * reads back as the same value. */
#ifndef LDAPENROLL_FILTER_H
#define LDAPENROLL_FILTER_H

#include <stddef.h>

#include "agent/base/buf.h"

/* Appends value (len bytes) escaped for use in a filter. When memory runs
 * out, out is marked failed (and the failure counted, see oom.h). */
void filter_escape_value(struct buf *out, const char *value, size_t len);

#endif
