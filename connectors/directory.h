/* The LDAP connection: the only module that knows libldap's session API.
 *
 * A struct dir is one bound connection. dir_connect() tries the URIs in
 * order, with StartTLS (or ldaps://) and certificate verification, protocol
 * version 3, a network and an operation timeout, and referral chasing off.
 * Every error says which server, which operation, the result code and the
 * server's diagnostic text. Statuses: ST_SERVER for anything that means
 * "could not reach, trust or bind", ST_INPUT for a bad URI. */
#ifndef LDAPENROLL_DIRECTORY_H
#define LDAPENROLL_DIRECTORY_H

#include <stddef.h>

#include "../agent/diag.h"
#include "../agent/record.h"
#include "../config/config.h"

struct dir;

/* Connects and binds. The bind password comes from conn->bind_password_file
 * (owner-only) or the environment variable conn->password_env, and is wiped
 * right after the bind. On success *out is the connection; free it with
 * dir_close(). */
int dir_connect(struct dir **out, const struct cfg_ldap_conn *conn, struct diag *d);
void dir_close(struct dir *dir);
/* The URI of the server the connection reached (borrowed). */
const char *dir_uri(const struct dir *dir);

/* Reads every entry under base (paged, RFC 2696) into out. A size or time
 * limit, a referral, a result without the paging control or a lost
 * connection is a failed read (ST_SERVER): a partial result is never
 * returned as if it were complete. A base that does not exist is ST_INPUT. */
int dir_read(struct dir *dir, const char *base, enum ldap_scope scope, const char *filter,
	     const char *const *attrs, unsigned page_size, struct entry_list *out, struct diag *d);

/* Reads one entry; returns 1 when it exists (added to out), 0 when it does
 * not, or a negative status. */
int dir_read_entry(struct dir *dir, const char *dn, const char *const *attrs, struct entry_list *out,
		   struct diag *d);

#endif
