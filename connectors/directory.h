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

#include "agent/base/diag.h"
#include "agent/base/record.h"
#include "config/config.h"

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

/* While dir_read reads its second page and each after, as soon as the
 * request for the page is sent, fn(arg) runs: the entries of the pages
 * before are in the list, and the server prepares the next meanwhile.
 * NULL: no hook (the default). */
struct dir_page_hook {
	void (*fn)(void *arg);
	void *arg;
};
void dir_set_page_hook(struct dir *dir, const struct dir_page_hook *hook);

/* Reads one entry; returns 1 when it exists (added to out), 0 when it does
 * not, or a negative status. */
int dir_read_entry(struct dir *dir, const char *dn, const char *const *attrs, struct entry_list *out,
		   struct diag *d);

/* Reads the entries at dns[0..n), with up to window reads in flight. For
 * each one, as its answer comes, calls fn(arg, k, rc, e, ed) with k its
 * position in dns and rc 1 (e: the entry, valid during the call), 0 (it
 * does not exist, or does not match filter) or a negative status (ed says
 * why that read failed). filter: what the entry must match, NULL for any.
 * Returns 0, or a negative status when the connection failed or stopped
 * answering (the DNs not answered by then get no call). */
typedef void (*dir_entry_fn)(void *arg, size_t k, int rc, const struct entry *e, const struct diag *ed);
int dir_read_entries(struct dir *dir, const char *const *dns, size_t n, const char *filter, const char *const *attrs,
		     unsigned window, dir_entry_fn fn, void *arg, struct diag *d);

/* --- writes --------------------------------------------------------------

 * Writes are asynchronous: send up to the window, then collect results by
 * message id. An attribute list for an add, or one change of a modify: */
enum dir_mod_op { DIR_MOD_ADD, DIR_MOD_DELETE, DIR_MOD_REPLACE };

struct dir_mod {
	enum dir_mod_op op;  /* ignored for an add */
	const char *attr;
	const char *const *values;
	size_t n;            /* 0 with REPLACE removes the attribute if present */
	const size_t *lens;  /* the length of each value, for binary ones; NULL: strlen */
};

/* How a write is sent (all optional; NULL means none of them). */
struct dir_write {
	/* A modify with the Permissive Modify control: adding a value that is
	 * there, or deleting one that is not, is not an error (idempotent
	 * retries). */
	int permissive;
	/* A modify that happens only while the entry matches this LDAP filter
	 * (RFC 4528); otherwise the result is DIR_ASSERTION_FAILED. */
	const char *assertion;
	/* These attributes of the entry as the write left it come back with
	 * the result (the Post-Read control, RFC 4527, not critical: a server
	 * that does not support it sends the result without them). */
	const char *const *post_read;
};

/* Sends an add or a modify without waiting. Returns the message id (> 0),
 * or ST_SERVER when the connection is gone. */
int dir_send_add(struct dir *dir, const char *dn, const struct dir_mod *attrs, size_t n, const struct dir_write *w,
		 struct diag *d);
int dir_send_modify(struct dir *dir, const char *dn, const struct dir_mod *mods, size_t n,
		    const struct dir_write *w, struct diag *d);

enum dir_res_type { DIR_RES_ADD, DIR_RES_MODIFY, DIR_RES_OTHER };

struct dir_result {
	int msgid;
	enum dir_res_type type;  /* the kind of response: it must match the request */
	int code;                /* the LDAP result code */
	char text[512];          /* the server's diagnostic message, or the code's meaning */
	/* The entry as the write left it, when the write asked for a post-read
	 * and the server sent one; NULL otherwise. Owned by the connection,
	 * valid until the next dir_next_result() or dir_close(). */
	const struct entry *post;
};

/* Waits up to wait_ms (0: the operation timeout) for the next result of any
 * pending operation. Returns 1 with res filled, 0 when the time ran out, or
 * ST_SERVER when the connection was lost (every pending outcome is then
 * unknown). A Notice of Disconnection (an unsolicited response, message id
 * 0) is a lost connection too. */
int dir_next_result(struct dir *dir, unsigned wait_ms, struct dir_result *res, struct diag *d);

/* Drops the connection and connects again, trying the URIs in order with a
 * bounded backoff (1, 2, 4, ... seconds, giving up after about a minute).
 * Returns 0 or ST_SERVER. */
int dir_reconnect(struct dir *dir, struct diag *d);

/* True for result codes after which the run must stop (credentials, access,
 * confidentiality): retrying or going on would only repeat the failure. */
int dir_code_is_fatal(int code);
/* True for codes worth a later retry (busy, unavailable, timeouts; not
 * "other", which slapd uses for errors that a retry repeats). */
int dir_code_is_transient(int code);
/* The text of a result code. */
const char *dir_code_text(int code);

/* --- a person changing their own password (the set-password page) ------

 * Connects without the service account, binds as dn with the old password
 * and the password policy request control, then sends the RFC 3062
 * password modify (old, new) with the control again: the directory's own
 * policy judges the new password and clears pwdReset. Nothing is kept. */
enum self_outcome {
	SELF_CHANGED,
	SELF_OLD_REFUSED,   /* 49: the old password no longer binds (used, or replaced) */
	SELF_POLICY,        /* 19: the policy refused the new one (pp_error says why) */
	SELF_REFUSED,       /* any other result code */
	SELF_UNREACHABLE,   /* no server answered, or none could be trusted */
};

/* The ppolicy errors (draft-behera-ldap-password-policy) the page explains. */
#define DIR_PP_INSUFFICIENT_QUALITY 5
#define DIR_PP_TOO_SHORT 6
#define DIR_PP_TOO_YOUNG 7
#define DIR_PP_IN_HISTORY 8

struct self_change {
	enum self_outcome outcome;
	int code;           /* the result code of the step that ended it */
	int pp_error;       /* the ppolicy error of that step, or -1 */
	char text[512];     /* the server's words (never a password) */
};

void dir_change_own_password(const struct cfg_ldap_conn *c, const char *dn, const char *old, size_t oldlen,
			     const char *new_pw, size_t newlen, struct self_change *out);

/* Result codes the engine tests for, without including ldap.h. */
#define DIR_SUCCESS 0
#define DIR_NO_SUCH_ATTRIBUTE 16
#define DIR_NO_SUCH_OBJECT 32
#define DIR_ALREADY_EXISTS 68
#define DIR_ASSERTION_FAILED 122

#endif
