#include "agent/web/serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/crypto.h"
#include "agent/base/interrupt.h"
#include "agent/base/log.h"
#include "agent/base/secure.h"
#include "agent/base/testhook.h"
#include "agent/state/jobs.h"
#include "agent/text/linktoken.h"
#include "agent/web/page.h"
#include "connectors/directory.h"

struct server {
	const struct config *cfg;
	struct link_keys keys;
	char action[256];       /* where the form posts: the last segment of link_url's path */
};

/* One request's state, from its first call to its completion. */
struct request {
	int post;
	int bad_type;           /* a POST that is not application/x-www-form-urlencoded */
	int too_large;
	struct buf body;        /* secret: it holds passwords */
};

static const char *const security_headers[][2] = {
	{"Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"},
	{"Referrer-Policy", "no-referrer"},
	{"Cache-Control", "no-store"},
	{"X-Content-Type-Options", "nosniff"},
	{"X-Frame-Options", "DENY"},
};

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type, const char *data,
			       size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;
	size_t i;

	if (!r)
		return MHD_NO;
	for (i = 0; i < sizeof security_headers / sizeof *security_headers; i++)
		MHD_add_response_header(r, security_headers[i][0], security_headers[i][1]);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD, POST");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result respond_page(struct MHD_Connection *c, unsigned status, const struct page *p)
{
	struct buf html = BUF_INIT;
	enum MHD_Result ret;

	page_render(p, &html);
	ret = html.failed ? MHD_NO : respond(c, status, "text/html; charset=utf-8", html.data, html.len);
	buf_release(&html);
	return ret;
}

static unsigned status_of(enum link_status s)
{
	return s == LINK_EXPIRED ? MHD_HTTP_GONE : MHD_HTTP_BAD_REQUEST;
}

/* Opens the token (NULL: none given) and fills what every page of it
 * shows: the language, the expiry, the form's token, address and hints.
 * The claims point into store, a secret buffer the caller releases. */
static enum link_status open_for_page(const struct server *S, const char *token, size_t len, const char *accept,
				      struct link_claims *claims, struct buf *store, struct buf *expires,
				      struct page *p)
{
	enum link_status s = token ? link_token_open(&S->keys, token, len, (int64_t)testhook_now(), claims, store)
				   : LINK_MALFORMED;
	int readable = s == LINK_OK || s == LINK_EXPIRED;

	p->lang = page_language(readable ? claims->language : NULL, accept);
	if (readable) {
		link_expiry_text(claims->expires, p->lang, expires);
		p->expires = buf_str(expires);
	}
	p->kind = s == LINK_OK ? PAGE_FORM : s == LINK_EXPIRED ? PAGE_EXPIRED : PAGE_INVALID;
	p->token = token;
	p->action = S->action;
	p->min_length = S->cfg->passwords.min_length;
	p->min_classes = S->cfg->passwords.min_classes;
	p->login_url = S->cfg->notify.login_url;
	return s;
}

static enum MHD_Result show_form(struct server *S, struct MHD_Connection *c, const char *accept)
{
	const char *token = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "token");
	struct buf store = BUF_SECRET_INIT, expires = BUF_INIT;
	struct link_claims claims = {0};
	struct page p = {0};
	enum link_status s;
	enum MHD_Result ret;

	/* Reading the token changes nothing: the form only shows what the
	 * link is for. The password it holds is not used here. */
	s = open_for_page(S, token, token ? strlen(token) : 0, accept, &claims, &store, &expires, &p);
	ret = respond_page(c, s == LINK_OK ? MHD_HTTP_OK : status_of(s), &p);
	buf_release_secret(&store);
	buf_release(&expires);
	return ret;
}

static enum page_error policy_error(int pp)
{
	switch (pp) {
	case DIR_PP_TOO_SHORT: return PERR_TOO_SHORT;
	case DIR_PP_INSUFFICIENT_QUALITY: return PERR_QUALITY;
	case DIR_PP_IN_HISTORY: return PERR_HISTORY;
	default: return PERR_REFUSED;
	}
}

static enum MHD_Result set_password(struct server *S, struct MHD_Connection *c, struct request *rq,
				    const char *accept)
{
	struct buf token = BUF_SECRET_INIT, pw = BUF_SECRET_INIT, confirm = BUF_SECRET_INIT, store = BUF_SECRET_INIT;
	struct buf expires = BUF_INIT;
	struct link_claims claims = {0};
	struct self_change res;
	struct page p = {0};
	enum link_status s;
	unsigned status;
	enum MHD_Result ret;
	int t, a, b;

	p.lang = page_language(NULL, accept);
	if (rq->bad_type || rq->too_large) {
		p.kind = PAGE_BAD_REQUEST;
		ret = respond_page(c, rq->too_large ? MHD_HTTP_CONTENT_TOO_LARGE : MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, &p);
		log_info("set-password: a %s request refused", rq->too_large ? "too large" : "non-form");
		return ret;
	}
	t = form_value(rq->body.data, rq->body.len, "token", &token);
	a = form_value(rq->body.data, rq->body.len, "password", &pw);
	b = form_value(rq->body.data, rq->body.len, "confirm", &confirm);
	s = open_for_page(S, t == 1 ? buf_str(&token) : NULL, token.len, accept, &claims, &store, &expires, &p);
	if (s != LINK_OK) {
		status = status_of(s);
		log_info("set-password: a link that is %s", link_status_text(s));
	} else if (a < 0 || b < 0) {
		p.kind = PAGE_BAD_REQUEST;
		status = MHD_HTTP_BAD_REQUEST;
	} else if (a == 0 || pw.len == 0) {
		p.error = PERR_EMPTY;
		status = MHD_HTTP_UNPROCESSABLE_CONTENT;
	} else if (b == 0 || pw.len != confirm.len || !crypto_equal(pw.data, confirm.data, pw.len)) {
		p.error = PERR_MISMATCH;
		status = MHD_HTTP_UNPROCESSABLE_CONTENT;
	} else {
		dir_change_own_password(&S->cfg->directory.conn, claims.dn, claims.password, strlen(claims.password),
					pw.data, pw.len, &res);
		switch (res.outcome) {
		case SELF_CHANGED: {
			struct diag d;
			p.kind = PAGE_DONE;
			status = MHD_HTTP_OK;
			diag_init(&d);
			if (activation_record(S->cfg->state_dir, claims.job, claims.dn, time(NULL), &d) < 0)
				log_warn("set-password: %s set a password, not recorded: %s", claims.dn, d.msg);
			break;
		}
		case SELF_OLD_REFUSED:
			p.kind = PAGE_USED;
			status = MHD_HTTP_GONE;
			break;
		case SELF_POLICY:
			p.error = policy_error(res.pp_error);
			status = MHD_HTTP_UNPROCESSABLE_CONTENT;
			break;
		case SELF_REFUSED:
			p.kind = PAGE_FAILED;
			status = MHD_HTTP_BAD_GATEWAY;
			break;
		default:
			p.kind = PAGE_UNAVAILABLE;
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
			break;
		}
		log_info("set-password: %s (job %s): %s%s%s", claims.dn, claims.job,
			 res.outcome == SELF_CHANGED	    ? "password set"
			 : res.outcome == SELF_OLD_REFUSED ? "the link was used or replaced"
			 : res.outcome == SELF_POLICY	    ? "refused by the password policy"
			 : res.outcome == SELF_REFUSED	    ? "refused by the directory"
							    : "the directory did not answer",
			 res.outcome == SELF_CHANGED ? "" : ": ", res.outcome == SELF_CHANGED ? "" : res.text);
		secure_wipe(&res, sizeof res);
	}
	ret = respond_page(c, status, &p);
	buf_release_secret(&token);
	buf_release_secret(&pw);
	buf_release_secret(&confirm);
	buf_release_secret(&store);
	buf_release(&expires);
	return ret;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
			      const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct server *S = cls;
	struct request *rq = *state;
	const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_LANGUAGE);
	size_t ul = strlen(url);

	(void)version;
	if (!rq) {
		const char *type = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
		if (!(rq = calloc(1, sizeof *rq)))
			return MHD_NO;
		buf_init_secret(&rq->body, 0);
		rq->post = strcmp(method, MHD_HTTP_METHOD_POST) == 0;
		rq->bad_type = rq->post && (!type || strncasecmp(type, "application/x-www-form-urlencoded", 33) != 0 ||
					    (type[33] && type[33] != ';' && type[33] != ' '));
		*state = rq;
		return MHD_YES;
	}
	if (rq->post && *upload_size) {
		if (!rq->bad_type && !rq->too_large) {
			if (rq->body.len + *upload_size > SERVE_BODY_MAX)
				rq->too_large = 1;
			else
				buf_add(&rq->body, upload, *upload_size);
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (ul >= 9 && strcmp(url + ul - 9, "style.css") == 0 &&
	    (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0))
		return respond(c, MHD_HTTP_OK, "text/css; charset=utf-8", page_css, strlen(page_css));
	if (rq->post)
		return set_password(S, c, rq, accept);
	if (strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0)
		return show_form(S, c, accept);
	{
		struct page p = {PAGE_BAD_REQUEST, PERR_NONE, page_language(NULL, accept), 0, 0, 0, 0, 0, 0};
		return respond_page(c, MHD_HTTP_METHOD_NOT_ALLOWED, &p);
	}
}

static void completed(void *cls, struct MHD_Connection *c, void **state, enum MHD_RequestTerminationCode why)
{
	struct request *rq = *state;

	(void)cls, (void)c, (void)why;
	if (rq) {
		buf_release_secret(&rq->body);
		free(rq);
		*state = NULL;
	}
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	/* A message that quotes a request's URL must not carry its token. */
	{
		char *t = strstr(msg, "token=");
		if (t)
			snprintf(t + 6, sizeof msg - (size_t)(t + 6 - msg), "[left out]");
	}
	n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_warn("serve: %s", msg);
}

/* "127.0.0.1:8480", "[::1]:8480" -> a socket address. */
static int parse_listen(const char *listen, struct sockaddr_storage *ss, int *v6)
{
	char host[INET6_ADDRSTRLEN + 2];
	const char *colon = strrchr(listen, ':');
	unsigned long port = colon ? strtoul(colon + 1, NULL, 10) : 0;
	size_t hl = colon ? (size_t)(colon - listen) : 0;

	memset(ss, 0, sizeof *ss);
	if (!colon || hl >= sizeof host || port == 0 || port > 65535)
		return -1;
	if (listen[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		if (hl < 2 || listen[hl - 1] != ']')
			return -1;
		memcpy(host, listen + 1, hl - 2);
		host[hl - 2] = '\0';
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*v6 = 1;
		return inet_pton(AF_INET6, host, &a->sin6_addr) == 1 ? 0 : -1;
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;
		memcpy(host, listen, hl);
		host[hl] = '\0';
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		*v6 = 0;
		return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? 0 : -1;
	}
}

int serve_run(const struct config *cfg, struct diag *d)
{
	const struct cfg_serve *sv = &cfg->serve;
	const char *listen = sv->listen ? sv->listen : "127.0.0.1:8480", *path, *last;
	struct server S = {.cfg = cfg};
	struct sockaddr_storage ss;
	struct MHD_Daemon *daemon;
	int rc, v6 = 0;

	if (cfg->passwords.delivery != DELIVER_LINK)
		return diag_set(d, ST_INPUT, "serve is the page of set-password links: set passwords.delivery: link in %s",
				cfg->file);
	if (parse_listen(listen, &ss, &v6) < 0)
		return diag_set(d, ST_INPUT, "serve.listen: '%s' is not an IP address and a port", listen);
	if ((rc = link_keys_load(cfg->passwords.link_key_file, &S.keys, d)) < 0)
		return rc;
	/* The form posts back to where the link pointed, relative to the page,
	 * so that it works behind a proxy that maps another path. */
	path = strchr(strstr(cfg->passwords.link_url, "://") + 3, '/');
	last = path ? strrchr(path, '/') + 1 : "";
	snprintf(S.action, sizeof S.action, "%s", *last ? last : "./");
	interrupt_catch();
	daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG |
					  (v6 ? MHD_USE_IPv6 : 0),
				  0, NULL, NULL, handle, &S, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned)sv->connections,
				  MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)sv->per_ip,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)((sv->timeout_ms + 999) / 1000),
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
				  MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_END);
	if (!daemon) {
		link_keys_wipe(&S.keys);
		return diag_set(d, ST_SERVER, "serve: cannot listen on %s: %s", listen, strerror(errno ? errno : EADDRINUSE));
	}
	log_info("serving the set-password page on http://%s/ for %s (%zu link key%s)", listen,
		 cfg->passwords.link_url, S.keys.n, S.keys.n == 1 ? "" : "s");
	while (!interrupt_status())
		sleep(1);
	log_info("serve: stopping (%s)", interrupt_status() == ST_SIGINT ? "SIGINT" : "SIGTERM");
	MHD_stop_daemon(daemon);
	link_keys_wipe(&S.keys);
	return 0;
}
