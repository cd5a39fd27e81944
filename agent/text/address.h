/* Email addresses as the agent accepts them: one plain ASCII addr-spec
 * (local@domain), nothing that a mail header or an SMTP envelope could
 * misread. Display names are handled separately ("Name <addr>"). */
#ifndef LDAPENROLL_ADDRESS_H
#define LDAPENROLL_ADDRESS_H

#include "agent/base/buf.h"

/* Returns 0 when addr is one plain address, else -1 with *why set to a
 * static reason ("no @", "contains a space", ...). */
int email_check(const char *addr, const char **why);

/* Splits "Display Name <local@domain>" or "local@domain" into its display
 * name (possibly empty; surrounding quotes removed) and address, both
 * appended to the given buffers. Returns 0, or -1 with *why set. */
int mailbox_parse(const char *s, struct buf *display, struct buf *addr, const char **why);

#endif
