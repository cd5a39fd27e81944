/* Unit tests for connectors/smtp.c without a server: the URL libcurl gets
 * (the EHLO name as its path, whatever the URL holds besides), and a
 * message whose options do not all take is not sent. Replies and their
 * text are tested against the sandbox's SMTP server (test_notify.sh). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <curl/curl.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/smtp.h"

/* The part of a URL as libcurl reads it back. */
static char *part(const char *url, CURLUPart what)
{
	CURLU *u = curl_url();
	char *v = NULL, *copy = NULL;

	assert_non_null(u);
	assert_int_equal(curl_url_set(u, CURLUPART_URL, url, 0), CURLUE_OK);
	if (curl_url_get(u, what, &v, 0) == CURLUE_OK)
		copy = strdup(v);
	curl_free(v);
	curl_url_cleanup(u);
	return copy;
}

static void expect_url(const char *url, const char *host, const char *path, const char *query)
{
	char *out = smtp_ehlo_url(url, "agent.example.org"), *h, *p, *q;

	assert_non_null(out);
	h = part(out, CURLUPART_HOST);
	p = part(out, CURLUPART_PATH);
	q = part(out, CURLUPART_QUERY);
	assert_string_equal(h, host);
	assert_string_equal(p, path);
	if (query)
		assert_string_equal(q, query);
	else
		assert_null(q);
	free(h);
	free(p);
	free(q);
	free(out);
}

static void ehlo_name_becomes_the_path(void **state)
{
	(void)state;
	expect_url("smtp://mail.example.org", "mail.example.org", "/agent.example.org", NULL);
	expect_url("smtp://mail.example.org:587", "mail.example.org", "/agent.example.org", NULL);
	expect_url("smtp://mail.example.org:587/", "mail.example.org", "/agent.example.org", NULL);
	expect_url("smtps://[::1]:465", "[::1]", "/agent.example.org", NULL);
}

static void a_path_given_is_kept(void **state)
{
	(void)state;
	expect_url("smtp://mail.example.org:25/portal.example.org", "mail.example.org", "/portal.example.org", NULL);
}

/* A '/' in the query or the fragment is not a path: string surgery took
 * it for one and sent EHLO with whatever followed. */
static void query_and_fragment_are_not_the_path(void **state)
{
	(void)state;
	expect_url("smtp://mail.example.org:25?x=/y", "mail.example.org", "/agent.example.org", "x=/y");
	expect_url("smtp://mail.example.org#a/b", "mail.example.org", "/agent.example.org", NULL);
}

static void a_bad_url_gives_null(void **state)
{
	(void)state;
	assert_null(smtp_ehlo_url("smtp://exa mple.org:99999", "agent.example.org"));
}

/* libcurl's strdup fails for the envelope sender, and only for it: setting
 * CURLOPT_MAIL_FROM then fails. */
static const char *refuse;

static char *test_strdup(const char *s)
{
	return refuse && strcmp(s, refuse) == 0 ? NULL : strdup(s);
}

static void unset_options_send_nothing(void **state)
{
	struct cfg_smtp cfg = {0};
	struct smtp_result res;
	struct smtp *s = NULL;
	struct diag d;

	(void)state;
	diag_init(&d);
	/* Port 9 on loopback: nothing listens, so any attempt fails to connect. */
	cfg.url = "smtp://127.0.0.1:9/agent.example.org";
	cfg.starttls = TLS_OFF;
	cfg.allow_insecure = 1;
	cfg.timeout_ms = 2000;
	assert_int_equal(smtp_open(&s, &cfg, "sender@example.org", &d), 0);

	refuse = "<sender@example.org>";
	smtp_send(s, "rcpt@example.org", "Subject: x\r\n\r\nx\r\n", 17, &res);
	refuse = NULL;
	assert_int_equal(res.cls, SMTP_TRANSIENT);
	assert_int_equal(res.code, 0);
	assert_non_null(strstr(res.text, "cannot set up the message"));

	/* The next message sets its options and does try. */
	smtp_send(s, "rcpt@example.org", "Subject: x\r\n\r\nx\r\n", 17, &res);
	assert_int_equal(res.cls, SMTP_TRANSIENT);
	assert_null(strstr(res.text, "cannot set up the message"));
	assert_non_null(strstr(res.text, "smtp://127.0.0.1:9"));
	smtp_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ehlo_name_becomes_the_path),
		cmocka_unit_test(a_path_given_is_kept),
		cmocka_unit_test(query_and_fragment_are_not_the_path),
		cmocka_unit_test(a_bad_url_gives_null),
		cmocka_unit_test(unset_options_send_nothing),
	};
	int rc;

	curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, free, realloc, test_strdup, calloc);
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
