#include "connectors/smtp.h"

#include <curl/curl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/base/buf.h"
#include "agent/base/log.h"
#include "agent/base/secret_file.h"

struct smtp {
	CURL *curl;
	const struct cfg_smtp *cfg;
	char *url;      /* with the EHLO name as its path */
	char *from;     /* "<addr>" */
	char errbuf[CURL_ERROR_SIZE];
	/* The server's last reply, its lines joined ("550 5.1.1 No such
	 * user"): libcurl keeps only the code. */
	char reply[512];
	int reply_done; /* the last line read ended a reply */
};

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t read_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct upload *u = arg;
	size_t n = size * nmemb;

	if (n > u->len - u->pos)
		n = u->len - u->pos;
	memcpy(ptr, u->data + u->pos, n);
	u->pos += n;
	return n;
}

/* Keeps the text of the server's last reply, or of its first refusal, as
 * libcurl reads them. A reply is one line "250 text" or several "250-text"
 * ending with "250 text"; the lines after the first are joined without
 * their code. Control characters become spaces. */
static void take_reply_line(struct smtp *s, const char *line, size_t len)
{
	size_t used, i;

	if (s->reply_done) {
		/* The first refusal is the answer: what follows it (the QUIT
		 * of a connection libcurl closes, "221 Bye") is not. */
		if (s->reply[0] == '4' || s->reply[0] == '5')
			return;
		s->reply[0] = '\0';
		s->reply_done = 0;
	}
	used = strlen(s->reply);
	s->reply_done = len < 4 || line[3] != '-';
	if (used) {
		/* A continuation: skip its code. */
		line += len < 4 ? len : 4;
		len -= len < 4 ? len : 4;
		if (used + 1 < sizeof s->reply)
			s->reply[used++] = ' ';
	}
	for (i = 0; i < len && used + 1 < sizeof s->reply; i++)
		s->reply[used++] = (unsigned char)line[i] < 0x20 || line[i] == 0x7f ? ' ' : line[i];
	s->reply[used] = '\0';
}

static int debug_cb(CURL *c, curl_infotype type, char *data, size_t size, void *arg)
{
	struct smtp *s = arg;
	size_t start = 0, i;

	(void)c;
	/* Only what the server said: what we send (AUTH included) is never
	 * looked at. */
	if (type != CURLINFO_HEADER_IN)
		return 0;
	for (i = 0; i <= size; i++) {
		if (i < size && data[i] != '\n')
			continue;
		if (i > start) {
			size_t end = i;
			if (data[end - 1] == '\r')
				end--;
			take_reply_line(s, data + start, end - start);
		}
		start = i + 1;
	}
	return 0;
}

char *smtp_ehlo_url(const char *url, const char *name)
{
	CURLU *u = curl_url();
	char *path = NULL, *full = NULL, *out = NULL;
	struct buf p = BUF_INIT;

	if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK)
		goto out;
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK)
		goto out;
	if (!path[0] || strcmp(path, "/") == 0) {
		buf_printf(&p, "/%s", name);
		if (!buf_str(&p)[0] || curl_url_set(u, CURLUPART_PATH, buf_str(&p), CURLU_URLENCODE) != CURLUE_OK)
			goto out;
	}
	if (curl_url_get(u, CURLUPART_URL, &full, 0) == CURLUE_OK)
		out = strdup(full);
out:
	curl_free(full);
	curl_free(path);
	buf_release(&p);
	curl_url_cleanup(u);
	return out;
}

/* The URL with the name we say EHLO with: the URL's path when it has one,
 * else this host's name (libcurl would say "localhost"). */
static char *url_with_ehlo(const char *url)
{
	char name[256];

	if (gethostname(name, sizeof name) != 0 || !name[0])
		snprintf(name, sizeof name, "localhost");
	name[sizeof name - 1] = '\0';
	return smtp_ehlo_url(url, name);
}

/* Options every handle gets: where, how safely, how long. */
static int setup(CURL *c, struct smtp *s, struct buf *pw)
{
	const struct cfg_smtp *cfg = s->cfg;
	int ok = 1;

#define SET(opt, val) ok = ok && curl_easy_setopt(c, opt, val) == CURLE_OK
	SET(CURLOPT_URL, s->url);
	SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)cfg->timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)cfg->timeout_ms);
	SET(CURLOPT_ERRORBUFFER, s->errbuf);
	/* The replies' text comes through the debug callback; with it set,
	 * libcurl's verbose output goes nowhere else. */
	SET(CURLOPT_DEBUGFUNCTION, debug_cb);
	SET(CURLOPT_DEBUGDATA, s);
	SET(CURLOPT_VERBOSE, 1L);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	/* Required means required: no STARTTLS, no mail (never a plaintext
	 * fallback). */
	if (cfg->starttls == TLS_REQUIRED || strncmp(cfg->url, "smtps://", 8) == 0)
		SET(CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (cfg->ca_file)
		SET(CURLOPT_CAINFO, cfg->ca_file);
	if (cfg->username) {
		SET(CURLOPT_USERNAME, cfg->username);
		SET(CURLOPT_PASSWORD, pw->data);
	}
#undef SET
	return ok ? 0 : -1;
}

void smtp_global_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void smtp_global_cleanup(void)
{
	curl_global_cleanup();
}

int smtp_open(struct smtp **out, const struct cfg_smtp *cfg, const char *from, struct diag *d)
{
	struct smtp *s = calloc(1, sizeof *s);
	struct buf pw = BUF_INIT, f = BUF_INIT;
	int rc = 0;

	*out = NULL;
	if (!s)
		return diag_set(d, ST_FAIL, "out of memory");
	s->cfg = cfg;
	if (cfg->password_file && (rc = secret_file_read(cfg->password_file, &pw, d)) < 0)
		goto fail;
	buf_printf(&f, "<%s>", from);
	s->from = buf_take(&f);
	s->url = url_with_ehlo(cfg->url);
	s->curl = curl_easy_init();
	if (!s->from || !s->url || !s->curl || setup(s->curl, s, &pw) < 0) {
		rc = diag_set(d, ST_FAIL, "cannot set up the SMTP connection");
		goto fail;
	}
	/* libcurl keeps its own copy of the password; ours goes now. */
	buf_release_secret(&pw);
	*out = s;
	return 0;
fail:
	buf_release_secret(&pw);
	smtp_close(s);
	return rc;
}

void smtp_close(struct smtp *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	free(s->url);
	free(s->from);
	free(s);
}

static int is_tls_error(CURLcode rc)
{
	return rc == CURLE_USE_SSL_FAILED || rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
	       rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM || rc == CURLE_SSL_ISSUER_ERROR ||
	       rc == CURLE_SSL_PINNEDPUBKEYNOTMATCH || rc == CURLE_SSL_CRL_BADFILE;
}

static int is_auth_code(long code)
{
	return code == 530 || code == 534 || code == 535 || code == 538;
}

/* Fills the result's text, cut at its end when too long. */
static void say(struct smtp_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct smtp_result *res, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(res->text, sizeof res->text, fmt, ap);
	va_end(ap);
}

static void describe(struct smtp *s, CURLcode rc, long code, struct smtp_result *res)
{
	const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);

	if (code && s->reply[0])
		say(res, "%s: %s (the server said: %s)", s->cfg->url, detail, s->reply);
	else if (code)
		say(res, "%s: %s (the server's last reply: %ld)", s->cfg->url, detail, code);
	else
		say(res, "%s: %s", s->cfg->url, detail);
}

static void classify(struct smtp *s, CURLcode rc, struct smtp_result *res)
{
	long code = 0;

	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &code);
	res->code = code;
	res->unknown = 0;
	res->text[0] = '\0';
	if (rc == CURLE_OK) {
		res->cls = SMTP_SENT;
		return;
	}
	describe(s, rc, code, res);
	if (rc == CURLE_LOGIN_DENIED || is_auth_code(code))
		res->cls = SMTP_AUTH;
	else if (is_tls_error(rc))
		res->cls = SMTP_TLS;
	else if (code >= 500 && code < 600)
		res->cls = SMTP_PERMANENT;
	else
		res->cls = SMTP_TRANSIENT; /* a 4xx, or the connection */
	/* The data went out after "354" and the final reply never came: the
	 * server may have the message (RFC 1047). */
	if (code == 354)
		res->unknown = 1;
}

/* A failure on our side before anything was sent: worth another try. */
static void local_failure(struct smtp_result *res, const char *what, CURLcode rc)
{
	res->cls = SMTP_TRANSIENT;
	res->code = 0;
	res->unknown = 0;
	say(res, "%s: %s", what, rc == CURLE_OK ? "out of memory" : curl_easy_strerror(rc));
}

/* The options of one message. Returns the first failure. */
static CURLcode set_message(struct smtp *s, struct curl_slist *to, struct upload *up)
{
	CURLcode rc;

	if ((rc = curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, s->from)) != CURLE_OK ||
	    (rc = curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, to)) != CURLE_OK ||
	    (rc = curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L)) != CURLE_OK ||
	    (rc = curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, read_cb)) != CURLE_OK ||
	    (rc = curl_easy_setopt(s->curl, CURLOPT_READDATA, up)) != CURLE_OK)
		return rc;
	return curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)up->len);
}

void smtp_send(struct smtp *s, const char *rcpt, const char *data, size_t len, struct smtp_result *res)
{
	struct upload up = {data, len, 0};
	struct curl_slist *to = NULL;
	struct buf r = BUF_INIT;
	CURLcode rc;

	buf_printf(&r, "<%s>", rcpt);
	to = curl_slist_append(NULL, buf_str(&r));
	buf_release(&r);
	s->errbuf[0] = '\0';
	s->reply[0] = '\0';
	s->reply_done = 0;
	if (!to) {
		local_failure(res, "cannot set up the message", CURLE_OK);
		return;
	}
	/* A message whose options did not all take is not sent: it would go
	 * with the previous message's sender, recipient or length. */
	if ((rc = set_message(s, to, &up)) != CURLE_OK)
		local_failure(res, "cannot set up the message", rc);
	else
		classify(s, curl_easy_perform(s->curl), res);
	/* libcurl keeps the list pointer; it must not outlive the transfer
	 * (setting NULL cannot fail). */
	(void)curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
	curl_slist_free_all(to);
}

int smtp_check(struct smtp *s, struct diag *d)
{
	struct smtp_result res;
	CURLcode rc;
	CURL *c = curl_easy_duphandle(s->curl);

	if (!c)
		return diag_set(d, ST_FAIL, "out of memory");
	s->errbuf[0] = '\0';
	s->reply[0] = '\0';
	s->reply_done = 0;
	/* The connect phase of SMTP is greeting, EHLO, STARTTLS, EHLO, AUTH:
	 * everything but mail. */
	if ((rc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf)) != CURLE_OK ||
	    (rc = curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L)) != CURLE_OK) {
		curl_easy_cleanup(c);
		return diag_set(d, ST_FAIL, "cannot set up the SMTP check: %s", curl_easy_strerror(rc));
	}
	rc = curl_easy_perform(c);
	if (rc != CURLE_OK) {
		CURL *keep = s->curl;
		s->curl = c;
		classify(s, rc, &res);
		s->curl = keep;
		curl_easy_cleanup(c);
		return diag_set(d, ST_SERVER, "%s", res.text);
	}
	curl_easy_cleanup(c);
	return 0;
}
