#include "connectors/directory.h"

#include <lber.h>
#include <ldap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent/base/arena.h"
#include "agent/base/buf.h"
#include "agent/base/log.h"
#include "agent/base/secret_file.h"
#include "agent/base/testhook.h"

struct dir {
	LDAP *ld;
	char *uri;
	unsigned timeout_ms;
	const struct cfg_ldap_conn *conn; /* borrowed from the config, for reconnecting */
	/* the post-read entry of the last result (dir_result.post) */
	struct arena post_arena;
	struct entry_list post;
	struct dir_page_hook page_hook; /* fn NULL: none */
	/* test builds: writes the test hooks answer instead of the server */
	int hook_id;                  /* the last made-up message id */
	struct {
		int id, add;
	} hook_busy[64];              /* made-up writes to answer "busy" */
	size_t n_hook_busy;
};

/* Made-up message ids stay clear of libldap's, which count from 1. */
#define HOOK_ID_BASE (1 << 30)

const char *dir_uri(const struct dir *dir)
{
	return dir->uri;
}

static struct timeval tv_of(unsigned ms)
{
	struct timeval tv = {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000};
	return tv;
}

/* The full error text of the last operation on ld: the result code, its
 * meaning and the server's (or libldap's) diagnostic message. */
static void describe(LDAP *ld, int rc, struct buf *out)
{
	char *msg = NULL;

	buf_printf(out, "%s (%d)", ldap_err2string(rc), rc);
	if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &msg) == LDAP_OPT_SUCCESS && msg) {
		/* libldap's TLS layer often has nothing better to say. */
		if (*msg && strcmp(msg, "(unknown error code)") != 0)
			buf_printf(out, ": %s", msg);
		ldap_memfree(msg);
	}
}

/* The connection watchdog. libldap 2.5 (built with GnuTLS, as in Debian)
 * does not bound the TLS handshake of an ldaps:// connection: against a
 * server that accepts the connection and then never answers, it spins for
 * ever. While a connection is being made, a timer shuts its socket down
 * when it takes too long, which turns the hang into an error. The socket
 * comes from libldap's connection callback. */
static volatile sig_atomic_t watched_fd = -1;
static volatile sig_atomic_t watchdog_fired;
/* The TCP connection of the attempt was made: for ldaps://, a failure after
 * this is the TLS handshake's (libldap says only "Can't contact LDAP
 * server" either way). */
static volatile sig_atomic_t tcp_connected;

static void watchdog_alarm(int sig)
{
	(void)sig;
	if (watched_fd >= 0) {
		shutdown(watched_fd, SHUT_RDWR); /* async-signal-safe */
		watchdog_fired = 1;
	}
}

static int watch_added(LDAP *ld, Sockbuf *sb, LDAPURLDesc *srv, struct sockaddr *addr, struct ldap_conncb *ctx)
{
	ber_socket_t fd = -1;

	(void)ld, (void)srv, (void)addr, (void)ctx;
	if (ber_sockbuf_ctrl(sb, LBER_SB_OPT_GET_FD, &fd) == 1)
		watched_fd = fd;
	tcp_connected = 1;
	return 0;
}

static void watch_deleted(LDAP *ld, Sockbuf *sb, struct ldap_conncb *ctx)
{
	(void)ld, (void)sb, (void)ctx;
	watched_fd = -1;
}

static struct ldap_conncb watch_callbacks = {watch_added, watch_deleted, NULL};

/* Arms (ms > 0) or disarms (0) the watchdog. */
static void watchdog(unsigned ms, struct sigaction *saved)
{
	struct itimerval t = {{0, 0}, {(time_t)(ms / 1000), (suseconds_t)(ms % 1000) * 1000}};
	struct sigaction sa;

	if (ms) {
		watchdog_fired = 0;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = watchdog_alarm;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGALRM, &sa, saved);
		setitimer(ITIMER_REAL, &t, NULL);
	} else {
		setitimer(ITIMER_REAL, &t, NULL);
		sigaction(SIGALRM, saved, NULL);
		watched_fd = -1;
	}
}

/* libldap reads a message's header and then its body: two reads and a poll
 * for every entry of a search, every result of an add. Under a read-ahead
 * layer (below TLS, above the socket) what arrived together is read at
 * once, and libldap does not poll while the layer holds a message. Without
 * it (no memory) the connection works as before. */
static void read_ahead(LDAP *ld)
{
	int size = 64 * 1024;
	Sockbuf *sb = NULL;

	if (ldap_get_option(ld, LDAP_OPT_SOCKBUF, &sb) == LDAP_OPT_SUCCESS && sb)
		ber_sockbuf_add_io(sb, &ber_sockbuf_io_readahead, LBER_SBIOD_LEVEL_PROVIDER, &size);
}

static int set_options(LDAP *ld, const struct cfg_ldap_conn *c, struct buf *err)
{
	struct timeval tv = tv_of(c->timeout_ms);
	int v3 = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, zero = 0, rc;

	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &v3)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON)) != LDAP_OPT_SUCCESS ||
	    (rc = ldap_set_option(ld, LDAP_OPT_CONNECT_CB, &watch_callbacks)) != LDAP_OPT_SUCCESS) {
		buf_adds(err, "cannot set connection options");
		return -1;
	}
	/* Per-connection TLS settings take effect only with a new context. */
	if (c->ca_file && ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, c->ca_file) != LDAP_OPT_SUCCESS) {
		buf_printf(err, "cannot use ca_file %s", c->ca_file);
		return -1;
	}
	if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand) != LDAP_OPT_SUCCESS ||
	    ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero) != LDAP_OPT_SUCCESS) {
		buf_adds(err, "cannot set up TLS");
		return -1;
	}
	return 0;
}

static int get_password(const struct cfg_ldap_conn *c, struct buf *pw, struct diag *d)
{
	const char *env;

	if (c->bind_password_file)
		return secret_file_read(c->bind_password_file, pw, d);
	env = getenv(c->password_env);
	if (!env || !*env)
		return diag_set(d, ST_INPUT, "no bind password: set bind_password_file or %s", c->password_env);
	log_warn("the bind password comes from the environment variable %s; a bind_password_file is safer",
		 c->password_env);
	buf_init_secret(pw, 0);
	return buf_adds(pw, env) < 0 ? diag_set(d, ST_FAIL, "out of memory") : 0;
}

/* Why a connection attempt failed: worth waiting for (the server is not
 * there), or not (it refuses our credentials, or we do not trust it). */
enum failure { F_NONE, F_DOWN, F_TRUST, F_REFUSED };

static int connect_steps(const char *uri, const struct cfg_ldap_conn *c, const struct buf *pw, LDAP **out,
			 struct buf *err, enum failure *why);

/* Connects to one URI. Returns 0, or a status with the reason in err and
 * its kind in *why. */
static int connect_one(const char *uri, const struct cfg_ldap_conn *c, const struct buf *pw, LDAP **out,
		       struct buf *err, enum failure *why)
{
	struct sigaction saved;
	int rc;

	/* Each step has the timeout; the whole gets twice that. */
	tcp_connected = 0;
	watchdog(2 * c->timeout_ms, &saved);
	rc = connect_steps(uri, c, pw, out, err, why);
	watchdog(0, &saved);
	if (rc < 0 && watchdog_fired) {
		buf_reset(err);
		buf_printf(err, "%s: no answer within %u ms while connecting (the TLS handshake or the bind never finished)",
			   uri, 2 * c->timeout_ms);
		*why = F_DOWN;
	}
	return rc;
}

static int connect_steps(const char *uri, const struct cfg_ldap_conn *c, const struct buf *pw, LDAP **out,
			 struct buf *err, enum failure *why)
{
	LDAP *ld = NULL;
	struct berval cred;
	int rc;

	*out = NULL;
	*why = F_DOWN;
	rc = ldap_initialize(&ld, uri);
	if (rc != LDAP_SUCCESS || !ld) {
		buf_printf(err, "%s: not a usable LDAP URI", uri);
		*why = F_REFUSED;
		return ST_INPUT;
	}
	if (set_options(ld, c, err) < 0)
		goto fail;
	if (strncmp(uri, "ldap://", 7) == 0 && c->starttls == TLS_REQUIRED) {
		rc = ldap_start_tls_s(ld, NULL, NULL);
		if (rc != LDAP_SUCCESS) {
			buf_printf(err, "%s: StartTLS failed: ", uri);
			describe(ld, rc, err);
			if (rc == LDAP_CONNECT_ERROR) {
				buf_printf(err, " (is the server's certificate signed by the CA in %s, and for the host name in the URI?)",
					   c->ca_file ? c->ca_file : "the system trust store");
				*why = F_TRUST;
			}
			goto fail;
		}
	}
	if (!pw) {
		/* The caller binds itself. */
		*out = ld;
		return 0;
	}
	cred.bv_val = c->bind_dn ? pw->data : NULL;
	cred.bv_len = c->bind_dn ? pw->len : 0;
	rc = ldap_sasl_bind_s(ld, c->bind_dn ? c->bind_dn : "", LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		buf_printf(err, "%s: bind as %s failed: ", uri, c->bind_dn ? c->bind_dn : "(anonymous)");
		describe(ld, rc, err);
		if ((rc == LDAP_CONNECT_ERROR || rc == LDAP_SERVER_DOWN) && strncmp(uri, "ldaps://", 8) == 0 &&
		    tcp_connected) {
			/* A server that does not speak TLS on that port closes
			 * the connection at the first TLS message (GnuTLS: "non-
			 * properly terminated"; OpenSSL: "wrong version number"). */
			if (strstr(buf_str(err), "non-properly terminated") || strstr(buf_str(err), "wrong version number") ||
			    strstr(buf_str(err), "unexpected TLS packet"))
				buf_adds(err, " (the server did not answer TLS: is this a plain LDAP port? Use ldap:// there, which"
					      " upgrades with StartTLS, or the server's ldaps:// port)");
			else
				buf_printf(err, " (the TLS handshake failed: the server's certificate is not signed by the CA in %s or not for the host name in the URI)",
					   c->ca_file ? c->ca_file : "the system trust store");
			*why = F_TRUST;
		}
		if (rc == LDAP_INVALID_CREDENTIALS || rc == LDAP_INAPPROPRIATE_AUTH ||
		    rc == LDAP_INSUFFICIENT_ACCESS || rc == LDAP_CONFIDENTIALITY_REQUIRED ||
		    rc == LDAP_STRONG_AUTH_REQUIRED)
			*why = F_REFUSED;
		else if (rc == LDAP_CONNECT_ERROR)
			*why = F_TRUST;
		goto fail;
	}
	read_ahead(ld);
	*out = ld;
	return 0;
fail:
	ldap_unbind_ext_s(ld, NULL, NULL);
	return ST_SERVER;
}

/* Connects to the first URI that answers; *uri_index gets its index. When
 * none does, *waitable tells whether every failure was a server that was
 * not there (worth trying again later). */
static int connect_any(const struct cfg_ldap_conn *c, LDAP **ld, size_t *uri_index, int *waitable,
		       struct diag *d)
{
	struct buf pw = BUF_INIT, errs = BUF_INIT, err = BUF_INIT;
	enum failure why = F_NONE;
	size_t i;
	int rc = ST_SERVER;

	*waitable = 1;
	if (c->bind_dn && (rc = get_password(c, &pw, d)) < 0)
		return rc;
	/* Bad credentials are bad everywhere: no further URI is tried. */
	for (i = 0; i < c->uris.n && why != F_REFUSED; i++) {
		buf_reset(&err);
		rc = connect_one(c->uris.items[i], c, &pw, ld, &err, &why);
		if (why != F_DOWN)
			*waitable = 0;
		if (rc == 0) {
			*uri_index = i;
			break;
		}
		if (c->uris.n > 1)
			log_warn("%s", buf_str(&err));
		if (errs.len)
			buf_adds(&errs, "; ");
		buf_adds(&errs, buf_str(&err));
	}
	buf_release_secret(&pw);
	if (rc < 0)
		diag_set(d, rc, "%s", buf_str(&errs));
	buf_release(&errs);
	buf_release(&err);
	return rc;
}

int dir_connect(struct dir **out, const struct cfg_ldap_conn *c, struct diag *d)
{
	struct dir *dir;
	LDAP *ld = NULL;
	size_t i = 0;
	int rc, waitable;

	*out = NULL;
	if ((rc = connect_any(c, &ld, &i, &waitable, d)) < 0)
		return rc;
	dir = calloc(1, sizeof *dir);
	if (!dir || !(dir->uri = strdup(c->uris.items[i]))) {
		free(dir);
		ldap_unbind_ext_s(ld, NULL, NULL);
		return diag_set(d, ST_FAIL, "out of memory");
	}
	dir->ld = ld;
	dir->timeout_ms = c->timeout_ms;
	dir->conn = c;
	arena_init(&dir->post_arena);
	entry_list_init(&dir->post, &dir->post_arena);
	log_debug("connected to %s", dir->uri);
	*out = dir;
	return 0;
}

int dir_reconnect(struct dir *dir, struct diag *d)
{
	unsigned delay = 1, waited = 0;
	LDAP *ld = NULL;
	size_t i = 0;
	int rc, waitable;

	if (dir->ld)
		ldap_unbind_ext_s(dir->ld, NULL, NULL);
	dir->ld = NULL;
	dir->n_hook_busy = 0; /* answers of the old connection */
	for (;;) {
		struct diag attempt;
		diag_init(&attempt);
		rc = connect_any(dir->conn, &ld, &i, &waitable, &attempt);
		if (rc == 0)
			break;
		/* Credentials or trust do not come back by waiting. */
		if (rc != ST_SERVER || !waitable || waited >= 60)
			return diag_set(d, rc, "reconnecting failed: %s", attempt.msg);
		log_warn("the directory is not reachable (%s); trying again in %u s", attempt.msg, delay);
		sleep(delay);
		waited += delay;
		delay = delay < 16 ? delay * 2 : 16;
	}
	dir->ld = ld;
	free(dir->uri);
	dir->uri = strdup(dir->conn->uris.items[i]);
	log_info("reconnected to %s", dir->uri ? dir->uri : "the directory");
	return dir->uri ? 0 : diag_set(d, ST_FAIL, "out of memory");
}

void dir_close(struct dir *dir)
{
	if (!dir)
		return;
	if (dir->ld)
		ldap_unbind_ext_s(dir->ld, NULL, NULL);
	entry_list_release(&dir->post);
	arena_release(&dir->post_arena);
	free(dir->uri);
	free(dir);
}

static int lscope(enum ldap_scope s)
{
	return s == SCOPE_BASE ? LDAP_SCOPE_BASE : s == SCOPE_ONE ? LDAP_SCOPE_ONELEVEL : LDAP_SCOPE_SUBTREE;
}

/* Copies an LDAP entry into the list, in one go: the DN, the names and
 * the values are read where they lie in the message (no copy per
 * attribute or value) and go straight into the list's arena, where
 * entry_set_attrs shares what equals the previous entry's. */
static int add_entry(LDAP *ld, LDAPMessage *msg, struct entry_list *out)
{
	enum { MAX_ATTRS = 64 };
	struct entry_attr_in in[MAX_ATTRS];
	BerVarray vals[MAX_ATTRS];
	BerElement *ber = NULL;
	struct berval dn, attr, *bv = NULL;
	struct entry *e = NULL;
	const char **ptrs = NULL;
	size_t *lens = NULL;
	size_t n = 0, i, k, total = 0, at = 0;
	int rc = -1, lrc;

	if (ldap_get_dn_ber(ld, msg, &ber, &dn) != LDAP_SUCCESS || !dn.bv_val)
		goto out;
	if (!(e = entry_list_add_n(out, dn.bv_val, dn.bv_len)))
		goto out;
	while ((lrc = ldap_get_attribute_ber(ld, msg, ber, &attr, &bv)) == LDAP_SUCCESS && attr.bv_val) {
		size_t nv = 0;
		if (n == MAX_ATTRS) {
			/* More attributes than the program ever asks for. */
			ber_memfree(bv);
			goto out;
		}
		while (bv && bv[nv].bv_val)
			nv++;
		in[n] = (struct entry_attr_in){attr.bv_val, attr.bv_len, NULL, NULL, nv};
		vals[n++] = bv;
		total += nv;
		bv = NULL;
	}
	/* An entry that cannot be decoded to its end is not kept in part. */
	if (lrc != LDAP_SUCCESS)
		goto out;
	ptrs = malloc((total ? total : 1) * sizeof *ptrs);
	lens = malloc((total ? total : 1) * sizeof *lens);
	if (!ptrs || !lens)
		goto out;
	for (i = 0; i < n; i++) {
		in[i].values = ptrs + at;
		in[i].lens = lens + at;
		for (k = 0; k < in[i].n; k++, at++) {
			ptrs[at] = vals[i][k].bv_val;
			lens[at] = vals[i][k].bv_len;
		}
	}
	rc = entry_set_attrs(out, e, in, n);
out:
	for (i = 0; i < n; i++)
		ber_memfree(vals[i]);
	free(ptrs);
	free(lens);
	ber_free(ber, 0);
	return rc;
}

/* One search being read: where, how, and where its entries go. */
struct page_read {
	struct dir *dir;
	const char *base;
	unsigned page_size;
	struct berval *cookie;
	struct entry_list *out;
};

/* Sends the search, with the paged-results control when paging. Returns the
 * message id, or a negative status. */
static int start_search(const struct page_read *pr, int scope, const char *filter, char **attrs,
			struct timeval *tv, struct diag *d)
{
	LDAPControl *page = NULL, *ctrls[2] = {NULL, NULL};
	struct buf why = BUF_INIT;
	int msgid = 0, rc;

	if (pr->page_size) {
		rc = ldap_create_page_control(pr->dir->ld, (ber_int_t)pr->page_size, pr->cookie, 1, &page);
		if (rc != LDAP_SUCCESS)
			return diag_set(d, ST_FAIL, "cannot create the paged results control");
		ctrls[0] = page;
	}
	rc = ldap_search_ext(pr->dir->ld, pr->base, scope, filter, attrs, 0, page ? ctrls : NULL, NULL, tv,
			     LDAP_NO_LIMIT, &msgid);
	if (page)
		ldap_control_free(page);
	if (rc == LDAP_SUCCESS)
		return msgid;
	describe(pr->dir->ld, rc, &why);
	rc = diag_set(d, ST_SERVER, "%s: search of %s failed: %s", pr->dir->uri, pr->base, buf_str(&why));
	buf_release(&why);
	return rc;
}

/* The search's final result: 0 (with the next cookie when paging), 1 when
 * the base does not exist, or a negative status. */
static int take_result(const struct page_read *pr, LDAPMessage *m, struct diag *d)
{
	struct dir *dir = pr->dir;
	LDAPControl **rctrls = NULL, *pc;
	char *matched = NULL, *text = NULL, **refs = NULL;
	ber_int_t count;
	int err = 0, status = 0;

	if (ldap_parse_result(dir->ld, m, &err, &matched, &text, &refs, &rctrls, 0) != LDAP_SUCCESS)
		return diag_set(d, ST_SERVER, "%s: cannot parse the search result", dir->uri);
	if (err == LDAP_NO_SUCH_OBJECT) {
		status = 1;
	} else if (err != LDAP_SUCCESS) {
		int incomplete = err == LDAP_SIZELIMIT_EXCEEDED || err == LDAP_TIMELIMIT_EXCEEDED ||
				 err == LDAP_ADMINLIMIT_EXCEEDED;
		status = diag_set(d, ST_SERVER, "%s: reading %s failed: %s (%d)%s%s%s", dir->uri, pr->base,
				  ldap_err2string(err), err, text && *text ? ": " : "", text ? text : "",
				  incomplete ? "; the read is incomplete, so it is not used" : "");
	} else if (pr->page_size) {
		if (pr->cookie->bv_val)
			ber_memfree(pr->cookie->bv_val);
		pr->cookie->bv_val = NULL;
		pr->cookie->bv_len = 0;
		pc = ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, rctrls, NULL);
		if (!pc || ldap_parse_pageresponse_control(dir->ld, pc, &count, pr->cookie) != LDAP_SUCCESS)
			status = diag_set(d, ST_SERVER,
					  "%s: the server did not answer the paged read of %s with a page control; the read is incomplete",
					  dir->uri, pr->base);
	}
	ldap_memfree(matched);
	ldap_memfree(text);
	ldap_memvfree((void **)refs);
	ldap_controls_free(rctrls);
	return status;
}

/* One message of the search: an entry is kept, a referral ends the read,
 * the result ends it (*done). Returns 0, 1 (no such base) or a negative
 * status. */
static int take_message(const struct page_read *pr, LDAPMessage *m, int *done, struct diag *d)
{
	switch (ldap_msgtype(m)) {
	case LDAP_RES_SEARCH_ENTRY:
		if (add_entry(pr->dir->ld, m, pr->out) < 0)
			return diag_set(d, ST_FAIL, "out of memory reading %s", pr->base);
		return 0;
	case LDAP_RES_SEARCH_REFERENCE:
		return diag_set(d, ST_SERVER,
				"%s: the server returned a referral under %s; the read is incomplete, so it is not used",
				pr->dir->uri, pr->base);
	case LDAP_RES_SEARCH_RESULT:
		*done = 1;
		return take_result(pr, m, d);
	default:
		return 0;
	}
}

/* One page (or the whole result when page_size is 0). Returns 0 with the
 * next cookie in *cookie (empty at the end), 1 when the base does not exist,
 * or a negative status. A read that ends before the server's final result
 * abandons the search, so that none of its responses reach the result loop
 * of the writes that follow on this connection. */
static int read_page(struct dir *dir, const char *base, int scope, const char *filter, char **attrs,
		     unsigned page_size, struct berval *cookie, struct entry_list *out, struct diag *d)
{
	const struct page_read pr = {dir, base, page_size, cookie, out};
	struct timeval tv = tv_of(dir->timeout_ms);
	LDAPMessage *res = NULL, *m;
	struct buf why = BUF_INIT;
	int msgid, rc, err = 0, done = 0, status = 0;

	if ((msgid = start_search(&pr, scope, filter, attrs, &tv, d)) < 0)
		return msgid;
	/* The server is at work on this page: the caller's turn with the
	 * entries so far. */
	if (cookie->bv_len && dir->page_hook.fn)
		dir->page_hook.fn(dir->page_hook.arg);
	while (!done && status == 0) {
		rc = ldap_result(dir->ld, msgid, LDAP_MSG_ONE, &tv, &res);
		if (rc == 0) {
			status = diag_set(d, ST_SERVER, "%s: search of %s timed out after %u ms", dir->uri, base,
					  dir->timeout_ms);
			break;
		}
		if (rc < 0) {
			ldap_get_option(dir->ld, LDAP_OPT_RESULT_CODE, &err);
			describe(dir->ld, err, &why);
			status = diag_set(d, ST_SERVER, "%s: reading %s failed: %s", dir->uri, base, buf_str(&why));
			break;
		}
		for (m = ldap_first_message(dir->ld, res); m && status == 0; m = ldap_next_message(dir->ld, m))
			status = take_message(&pr, m, &done, d);
		ldap_msgfree(res);
		res = NULL;
	}
	if (!done)
		ldap_abandon_ext(dir->ld, msgid, NULL, NULL);
	buf_release(&why);
	return status;
}

void dir_set_page_hook(struct dir *dir, const struct dir_page_hook *hook)
{
	dir->page_hook = hook ? *hook : (struct dir_page_hook){NULL, NULL};
}

int dir_read(struct dir *dir, const char *base, enum ldap_scope scope, const char *filter,
	     const char *const *attrs, unsigned page_size, struct entry_list *out, struct diag *d)
{
	struct berval cookie = {0, NULL};
	size_t pages = 0;
	int rc;

	do {
		rc = read_page(dir, base, lscope(scope), filter, (char **)attrs, page_size, &cookie, out, d);
		pages++;
	} while (rc == 0 && cookie.bv_len > 0);
	if (cookie.bv_val)
		ber_memfree(cookie.bv_val);
	if (rc == 1)
		return diag_set(d, ST_INPUT, "%s: %s does not exist", dir->uri, base);
	if (rc == 0)
		log_debug("read %zu entries under %s in %zu pages", out->n, base, pages);
	return rc;
}

int dir_read_entry(struct dir *dir, const char *dn, const char *const *attrs, struct entry_list *out,
		   struct diag *d)
{
	struct berval cookie = {0, NULL};
	size_t before = out->n;
	int rc = read_page(dir, dn, LDAP_SCOPE_BASE, "(objectClass=*)", (char **)attrs, 0, &cookie, out, d);

	if (rc == 1)
		return 0;
	if (rc < 0)
		return rc;
	return out->n > before;
}

/* A read of dir_read_entries in flight: its DN's position, and the entry
 * when it came before the result. */
struct entry_read {
	int msgid;
	size_t k;
	LDAPMessage *entry;
};

/* The final result of one read: calls fn with what it found. Returns 0, or
 * a negative status when the entry could not be kept (no memory). */
static int finish_read(struct dir *dir, const struct entry_read *er, LDAPMessage *m, const char *dn,
		       dir_entry_fn fn, void *arg, struct diag *d)
{
	struct arena a;
	struct entry_list l;
	struct diag ed;
	char *text = NULL;
	int err = LDAP_OTHER, rc = 0;

	arena_init(&a);
	entry_list_init(&l, &a);
	diag_init(&ed);
	if (ldap_parse_result(dir->ld, m, &err, NULL, &text, NULL, NULL, 0) != LDAP_SUCCESS)
		err = LDAP_OTHER;
	if (err == LDAP_SUCCESS && er->entry) {
		if (add_entry(dir->ld, er->entry, &l) < 0)
			rc = diag_set(d, ST_FAIL, "out of memory reading %s", dn);
		else
			fn(arg, er->k, 1, &l.v[0], NULL);
	} else if (err == LDAP_SUCCESS || err == LDAP_NO_SUCH_OBJECT) {
		fn(arg, er->k, 0, NULL, NULL);
	} else {
		diag_set(&ed, ST_SERVER, "%s: reading %s failed: %s (%d)%s%s", dir->uri, dn, ldap_err2string(err), err,
			 text && *text ? ": " : "", text ? text : "");
		fn(arg, er->k, ed.status, NULL, &ed);
	}
	ldap_memfree(text);
	entry_list_release(&l);
	arena_release(&a);
	return rc;
}

int dir_read_entries(struct dir *dir, const char *const *dns, size_t n, const char *filter, const char *const *attrs,
		     unsigned window, dir_entry_fn fn, void *arg, struct diag *d)
{
	struct timeval tv = tv_of(dir->timeout_ms);
	struct entry_read *fl;
	struct buf why = BUF_INIT;
	size_t next = 0, in_flight = 0, j;
	int status = 0, rc, err = 0;

	if (!dir->ld)
		return diag_set(d, ST_SERVER, "not connected");
	if (!window)
		window = 1;
	if (!(fl = calloc(window, sizeof *fl)))
		return diag_set(d, ST_FAIL, "out of memory");
	while (status == 0 && (next < n || in_flight)) {
		LDAPMessage *m = NULL;

		while (next < n && in_flight < window) {
			int msgid = 0;
			rc = ldap_search_ext(dir->ld, dns[next], LDAP_SCOPE_BASE, filter ? filter : "(objectClass=*)",
					     (char **)attrs, 0, NULL, NULL, &tv, 1, &msgid);
			if (rc != LDAP_SUCCESS) {
				describe(dir->ld, rc, &why);
				status = diag_set(d, ST_SERVER, "%s: reading %s failed: %s", dir->uri, dns[next], buf_str(&why));
				break;
			}
			fl[in_flight++] = (struct entry_read){msgid, next++, NULL};
		}
		if (status)
			break;
		rc = ldap_result(dir->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &m);
		if (rc == 0) {
			status = diag_set(d, ST_SERVER, "%s: reading entries timed out after %u ms", dir->uri, dir->timeout_ms);
			break;
		}
		if (rc < 0) {
			ldap_get_option(dir->ld, LDAP_OPT_RESULT_CODE, &err);
			describe(dir->ld, err, &why);
			status = diag_set(d, ST_SERVER, "%s: reading entries failed: %s", dir->uri, buf_str(&why));
			break;
		}
		for (j = 0; j < in_flight && fl[j].msgid != ldap_msgid(m); j++)
			;
		if (j == in_flight) {
			ldap_msgfree(m); /* not one of these reads */
			continue;
		}
		if (rc == LDAP_RES_SEARCH_ENTRY && !fl[j].entry) {
			fl[j].entry = m;
			continue;
		}
		if (rc == LDAP_RES_SEARCH_RESULT) {
			status = finish_read(dir, &fl[j], m, dns[fl[j].k], fn, arg, d);
			ldap_msgfree(fl[j].entry);
			fl[j] = fl[--in_flight];
		}
		ldap_msgfree(m);
	}
	for (j = 0; j < in_flight; j++) {
		ldap_msgfree(fl[j].entry);
		if (dir->ld)
			ldap_abandon_ext(dir->ld, fl[j].msgid, NULL, NULL);
	}
	free(fl);
	buf_release(&why);
	return status;
}

/* --- writes ------------------------------------------------------------------ */

/* libldap wants LDAPMod with mutable pointers; the values are only read.
 * One block holds the pointer array and the LDAPMods; each attribute's
 * berval pointers and bervals are one more block. */
static void free_mods(LDAPMod **mods, size_t n)
{
	size_t i;

	if (!mods)
		return;
	for (i = 0; i < n && mods[i]; i++)
		free(mods[i]->mod_bvalues);
	free(mods);
}

static LDAPMod **build_mods(const struct dir_mod *m, size_t n, int add)
{
	LDAPMod **mods = calloc(1, (n + 1) * sizeof *mods + n * sizeof **mods);
	LDAPMod *store = (LDAPMod *)(mods + n + 1);
	size_t i, j;

	if (!mods)
		return NULL;
	for (i = 0; i < n; i++) {
		struct berval **bv = NULL, *vals;
		if (m[i].n) {
			bv = calloc(1, (m[i].n + 1) * sizeof *bv + m[i].n * sizeof **bv);
			if (!bv) {
				free_mods(mods, i);
				return NULL;
			}
			vals = (struct berval *)(bv + m[i].n + 1);
			for (j = 0; j < m[i].n; j++) {
				vals[j].bv_val = (char *)m[i].values[j];
				vals[j].bv_len = m[i].lens ? m[i].lens[j] : strlen(m[i].values[j]);
				bv[j] = &vals[j];
			}
		}
		store[i].mod_op = LDAP_MOD_BVALUES |
				  (add ? LDAP_MOD_ADD
				       : m[i].op == DIR_MOD_ADD ? LDAP_MOD_ADD
				       : m[i].op == DIR_MOD_DELETE ? LDAP_MOD_DELETE
								  : LDAP_MOD_REPLACE);
		store[i].mod_type = (char *)m[i].attr;
		store[i].mod_bvalues = bv;
		mods[i] = &store[i];
	}
	return mods;
}

static int send_result(struct dir *dir, int rc, int msgid, const char *what, const char *dn, struct diag *d)
{
	struct buf why = BUF_INIT;

	if (rc == LDAP_SUCCESS)
		return msgid;
	describe(dir->ld, rc, &why);
	rc = diag_set(d, ST_SERVER, "%s: sending the %s of %s failed: %s", dir->uri, what, dn, buf_str(&why));
	buf_release(&why);
	return rc;
}

/* The Post-Read request control (RFC 4527): its value is the list of
 * attributes to return. Not critical. */
static int post_read_control(const char *const *attrs, LDAPControl **out)
{
	BerElement *ber = ber_alloc_t(LBER_USE_DER);
	struct berval bv;
	int rc = -1;

	*out = NULL;
	if (!ber)
		return -1;
	if (ber_printf(ber, "{v}", (char **)attrs) != -1 && ber_flatten2(ber, &bv, 0) != -1 &&
	    ldap_control_create(LDAP_CONTROL_POST_READ, 0, &bv, 1, out) == LDAP_SUCCESS)
		rc = 0;
	ber_free(ber, 1);
	return rc;
}

/* Sends one write: an add, or a modify with the controls w asks for. */
static int send_write(struct dir *dir, int add, const char *dn, const struct dir_mod *m, size_t n,
		      const struct dir_write *w, struct diag *d)
{
	LDAPControl perm = {LDAP_CONTROL_X_PERMISSIVE_MODIFY, {0, NULL}, 0};
	LDAPControl *ctrls[4] = {NULL, NULL, NULL, NULL}, *assert_ctrl = NULL, *post_ctrl = NULL;
	LDAPMod **mods = NULL;
	int msgid = 0, rc = 0, k = 0;

	if (!dir->ld)
		return diag_set(d, ST_SERVER, "not connected");
	if (w && w->permissive && !add)
		ctrls[k++] = &perm;
	if (w && w->assertion && !add) {
		if (ldap_create_assertion_control(dir->ld, (char *)w->assertion, 1, &assert_ctrl) != LDAP_SUCCESS) {
			rc = diag_set(d, ST_FAIL, "cannot build the assertion %s", w->assertion);
			goto out;
		}
		ctrls[k++] = assert_ctrl;
	}
	if (w && w->post_read) {
		if (post_read_control(w->post_read, &post_ctrl) < 0) {
			rc = diag_set(d, ST_FAIL, "out of memory");
			goto out;
		}
		ctrls[k++] = post_ctrl;
	}
	if (!(mods = build_mods(m, n, add))) {
		rc = diag_set(d, ST_FAIL, "out of memory");
		goto out;
	}
	switch (testhook_write(dn)) {
	case TESTHOOK_UNANSWERED:
		rc = HOOK_ID_BASE + ++dir->hook_id;
		goto out;
	case TESTHOOK_BUSY:
		if (dir->n_hook_busy < sizeof dir->hook_busy / sizeof *dir->hook_busy) {
			rc = dir->hook_busy[dir->n_hook_busy].id = HOOK_ID_BASE + ++dir->hook_id;
			dir->hook_busy[dir->n_hook_busy++].add = add;
			goto out;
		}
		break;
	case TESTHOOK_SEND:
		break;
	}
	rc = add ? ldap_add_ext(dir->ld, dn, mods, k ? ctrls : NULL, NULL, &msgid)
		 : ldap_modify_ext(dir->ld, dn, mods, k ? ctrls : NULL, NULL, &msgid);
	rc = send_result(dir, rc, msgid, add ? "add" : "modify", dn, d);
out:
	free_mods(mods, n);
	ldap_control_free(assert_ctrl);
	ldap_control_free(post_ctrl);
	return rc;
}

int dir_send_add(struct dir *dir, const char *dn, const struct dir_mod *attrs, size_t n, const struct dir_write *w,
		 struct diag *d)
{
	return send_write(dir, 1, dn, attrs, n, w, d);
}

int dir_send_modify(struct dir *dir, const char *dn, const struct dir_mod *m, size_t n,
		    const struct dir_write *w, struct diag *d)
{
	return send_write(dir, 0, dn, m, n, w, d);
}

/* The entry of a Post-Read response control (RFC 4527: a SearchResultEntry
 * without its tag) into dir->post. Returns it, or NULL when it cannot be
 * read (the caller then has no post-read: it verifies otherwise). */
static const struct entry *parse_post_read(struct dir *dir, LDAPControl *ctrl)
{
	BerElement *ber = ber_init(&ctrl->ldctl_value);
	struct berval bv = {0, NULL};
	struct entry *e = NULL;
	char *dn = NULL;
	int ok = 0;

	if (!ber)
		return NULL;
	if (ber_scanf(ber, "{m{" /*}}*/, &bv) == LBER_ERROR || !(dn = strndup(bv.bv_val, bv.bv_len)) ||
	    !(e = entry_list_add(&dir->post, dn)))
		goto out;
	ok = 1;
	while (ok && ber_scanf(ber, "{m" /*}*/, &bv) != LBER_ERROR) {
		BerVarray vals = NULL;
		char *name = strndup(bv.bv_val, bv.bv_len);
		size_t n = 0, i;
		const char **v;

		if (!name || ber_scanf(ber, "[W]", &vals) == LBER_ERROR) {
			free(name);
			ok = 0;
			break;
		}
		while (vals && vals[n].bv_val)
			n++;
		if (!(v = calloc(n ? n : 1, sizeof *v)))
			ok = 0;
		/* Values are NUL-terminated copies; none we ask for is binary. */
		for (i = 0; ok && i < n; i++)
			if (!(v[i] = strndup(vals[i].bv_val, vals[i].bv_len)))
				ok = 0;
		if (ok && entry_add_attr(&dir->post, e, name, v, n) < 0)
			ok = 0;
		for (i = 0; v && i < n; i++)
			free((char *)v[i]);
		free(v);
		free(name);
		ber_bvarray_free(vals);
	}
out:
	free(dn);
	ber_free(ber, 1);
	return ok ? e : NULL;
}

int dir_next_result(struct dir *dir, unsigned wait_ms, struct dir_result *res, struct diag *d)
{
	struct timeval tv = tv_of(dir->timeout_ms);
	LDAPMessage *msg = NULL;
	LDAPControl **ctrls = NULL, *post;
	char *text = NULL;
	int rc, err = 0, type;

	if (!dir->ld)
		return diag_set(d, ST_SERVER, "not connected");
	if (dir->post.n) {
		entry_list_release(&dir->post);
		arena_release(&dir->post_arena);
		arena_init(&dir->post_arena);
		entry_list_init(&dir->post, &dir->post_arena);
	}
	if (dir->n_hook_busy) {
		--dir->n_hook_busy;
		res->msgid = dir->hook_busy[dir->n_hook_busy].id;
		res->type = dir->hook_busy[dir->n_hook_busy].add ? DIR_RES_ADD : DIR_RES_MODIFY;
		res->code = LDAP_BUSY;
		res->post = NULL;
		snprintf(res->text, sizeof res->text, "busy (test hook)");
		return 1;
	}
	if (wait_ms)
		tv = tv_of(wait_ms);
	rc = ldap_result(dir->ld, LDAP_RES_ANY, LDAP_MSG_ONE, &tv, &msg);
	if (rc == 0)
		return 0;
	if (rc < 0) {
		struct buf why = BUF_INIT;
		ldap_get_option(dir->ld, LDAP_OPT_RESULT_CODE, &err);
		describe(dir->ld, err, &why);
		rc = diag_set(d, ST_SERVER, "%s: the connection was lost: %s", dir->uri, buf_str(&why));
		buf_release(&why);
		return rc;
	}
	res->msgid = ldap_msgid(msg);
	type = ldap_msgtype(msg);
	res->type = type == LDAP_RES_ADD ? DIR_RES_ADD : type == LDAP_RES_MODIFY ? DIR_RES_MODIFY : DIR_RES_OTHER;
	res->code = LDAP_OTHER;
	res->text[0] = '\0';
	res->post = NULL;
	if (res->msgid == 0) {
		/* An unsolicited notification: in LDAPv3 only the Notice of
		 * Disconnection, after which the server closes the connection. */
		if (ldap_parse_result(dir->ld, msg, &err, NULL, &text, NULL, NULL, 1) != LDAP_SUCCESS)
			err = LDAP_OTHER;
		rc = diag_set(d, ST_SERVER, "%s: the server is closing the connection (notice of disconnection: %s%s%s)",
			      dir->uri, ldap_err2string(err), text && *text ? ": " : "", text ? text : "");
		ldap_memfree(text);
		return rc;
	}
	if (ldap_parse_result(dir->ld, msg, &err, NULL, &text, NULL, &ctrls, 1) == LDAP_SUCCESS) {
		res->code = err;
		snprintf(res->text, sizeof res->text, "%s", text && *text ? text : ldap_err2string(err));
		if (err == LDAP_SUCCESS && (post = ldap_control_find(LDAP_CONTROL_POST_READ, ctrls, NULL)))
			res->post = parse_post_read(dir, post);
	} else {
		snprintf(res->text, sizeof res->text, "the result could not be parsed");
	}
	ldap_controls_free(ctrls);
	ldap_memfree(text);
	return 1;
}

int dir_code_is_fatal(int code)
{
	return code == LDAP_INVALID_CREDENTIALS || code == LDAP_INSUFFICIENT_ACCESS ||
	       code == LDAP_STRONG_AUTH_REQUIRED || code == LDAP_CONFIDENTIALITY_REQUIRED ||
	       code == LDAP_INAPPROPRIATE_AUTH || code == LDAP_REFERRAL;
}

int dir_code_is_transient(int code)
{
	return code == LDAP_BUSY || code == LDAP_UNAVAILABLE || code == LDAP_SERVER_DOWN || code == LDAP_TIMEOUT ||
	       code == LDAP_CONNECT_ERROR;
}

const char *dir_code_text(int code)
{
	return ldap_err2string(code);
}

/* --- a person changing their own password ------------------------------- */

/* Waits for the result of msgid and parses it: the code, the server's text
 * and the ppolicy response control's error. Returns the code, or -1 when
 * no result came. */
static int self_result(LDAP *ld, int msgid, unsigned timeout_ms, struct self_change *out)
{
	struct timeval tv = tv_of(timeout_ms);
	LDAPMessage *msg = NULL;
	LDAPControl **ctrls = NULL, *pp;
	char *text = NULL;
	int err = -1, rc;
	ber_int_t expire, grace;
	LDAPPasswordPolicyError pperr;

	if (msgid < 0 || (rc = ldap_result(ld, msgid, LDAP_MSG_ALL, &tv, &msg)) <= 0) {
		snprintf(out->text, sizeof out->text, "no answer within %u ms", timeout_ms);
		ldap_msgfree(msg);
		return -1;
	}
	if (ldap_parse_result(ld, msg, &err, NULL, &text, NULL, &ctrls, 1) != LDAP_SUCCESS) {
		snprintf(out->text, sizeof out->text, "the answer could not be parsed");
		return -1;
	}
	snprintf(out->text, sizeof out->text, "%s (%d)%s%s", ldap_err2string(err), err, text && *text ? ": " : "",
		 text ? text : "");
	if ((pp = ldap_control_find(LDAP_CONTROL_PASSWORDPOLICYRESPONSE, ctrls, NULL)) &&
	    ldap_parse_passwordpolicy_control(ld, pp, &expire, &grace, &pperr) == LDAP_SUCCESS &&
	    pperr != PP_noError)
		out->pp_error = (int)pperr;
	ldap_controls_free(ctrls);
	ldap_memfree(text);
	out->code = err;
	return err;
}

/* What a result code of the person's bind or password change means. */
static enum self_outcome self_outcome_of(int rc)
{
	return rc == LDAP_SUCCESS		? SELF_CHANGED
	       : rc == LDAP_INVALID_CREDENTIALS ? SELF_OLD_REFUSED
	       : rc == LDAP_CONSTRAINT_VIOLATION ? SELF_POLICY
	       : rc < 0				? SELF_UNREACHABLE
						: SELF_REFUSED;
}

void dir_change_own_password(const struct cfg_ldap_conn *c, const char *dn, const char *old, size_t oldlen,
			     const char *new_pw, size_t newlen, struct self_change *out)
{
	struct buf err = BUF_INIT;
	LDAPControl *pp = NULL, *ctrls[2] = {NULL, NULL};
	struct berval user = {strlen(dn), (char *)dn}, oldbv = {oldlen, (char *)old}, newbv = {newlen, (char *)new_pw};
	enum failure why = F_DOWN;
	LDAP *ld = NULL;
	size_t i;
	int msgid = -1, rc = ST_SERVER;

	memset(out, 0, sizeof *out);
	out->outcome = SELF_UNREACHABLE;
	out->pp_error = -1;
	for (i = 0; i < c->uris.n && rc < 0 && why != F_REFUSED && why != F_TRUST; i++) {
		buf_reset(&err);
		rc = connect_one(c->uris.items[i], c, NULL, &ld, &err, &why);
	}
	if (rc < 0) {
		snprintf(out->text, sizeof out->text, "%s", buf_str(&err));
		buf_release(&err);
		return;
	}
	buf_release(&err);
	if (ldap_control_create(LDAP_CONTROL_PASSWORDPOLICYREQUEST, 0, NULL, 0, &pp) != LDAP_SUCCESS) {
		snprintf(out->text, sizeof out->text, "out of memory");
		goto done;
	}
	ctrls[0] = pp;
	/* The temporary password binds while it is the person's password. */
	if (ldap_sasl_bind(ld, dn, LDAP_SASL_SIMPLE, &oldbv, ctrls, NULL, &msgid) != LDAP_SUCCESS)
		msgid = -1;
	rc = self_result(ld, msgid, c->timeout_ms, out);
	if (rc != LDAP_SUCCESS) {
		out->outcome = self_outcome_of(rc);
		goto done;
	}
	/* A bind that must change its password answers with
	 * changeAfterReset; the connection may only change it. */
	out->pp_error = -1;
	msgid = -1;
	if (ldap_passwd(ld, &user, &oldbv, &newbv, ctrls, NULL, &msgid) != LDAP_SUCCESS)
		msgid = -1;
	out->outcome = self_outcome_of(self_result(ld, msgid, c->timeout_ms, out));
done:
	if (pp)
		ldap_control_free(pp);
	ldap_unbind_ext_s(ld, NULL, NULL);
}
