#include "connectors/smtp.h"

#include <curl/curl.h>
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

/* The URL with the name we say EHLO with: the URL's path when it has one,
 * else this host's name (libcurl would say "localhost"). */
static char *url_with_ehlo(const char *url)
{
	const char *host = strstr(url, "://");
	struct buf b = BUF_INIT;
	char name[256];

	host = host ? host + 3 : url;
	if (strchr(host, '/'))
		return strdup(url);
	if (gethostname(name, sizeof name) != 0 || !name[0])
		snprintf(name, sizeof name, "localhost");
	name[sizeof name - 1] = '\0';
	buf_printf(&b, "%s/%s", url, name);
	return buf_take(&b);
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

static void describe(struct smtp *s, CURLcode rc, long code, struct smtp_result *res)
{
	const char *detail = s->errbuf[0] ? s->errbuf : curl_easy_strerror(rc);

	if (code)
		snprintf(res->text, sizeof res->text, "%s: %s (the server's last reply: %ld)", s->cfg->url, detail, code);
	else
		snprintf(res->text, sizeof res->text, "%s: %s", s->cfg->url, detail);
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
	if (!to) {
		res->cls = SMTP_TRANSIENT;
		res->code = 0;
		res->unknown = 0;
		snprintf(res->text, sizeof res->text, "out of memory");
		return;
	}
	curl_easy_setopt(s->curl, CURLOPT_MAIL_FROM, s->from);
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, to);
	curl_easy_setopt(s->curl, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(s->curl, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(s->curl, CURLOPT_READDATA, &up);
	curl_easy_setopt(s->curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	rc = curl_easy_perform(s->curl);
	classify(s, rc, res);
	/* libcurl keeps the list pointer; it must not outlive the transfer. */
	curl_easy_setopt(s->curl, CURLOPT_MAIL_RCPT, NULL);
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
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
	/* The connect phase of SMTP is greeting, EHLO, STARTTLS, EHLO, AUTH:
	 * everything but mail. */
	curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
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
